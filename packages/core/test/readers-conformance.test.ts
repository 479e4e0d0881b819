/**
 * Runs the ObjectReader conformance kit (@vz/core/testing) against every reader vz ships:
 * MemoryReader, FileReader (temp dir), HttpReader (local range server; global fetch and nodeFetch), HttpReader behind
 * withBlockCache, a ReaderRegistry, and S3Reader (moto_server on loopback, skipped without it).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { HttpReader, MemoryReader, ReaderRegistry, withBlockCache } from "../src/index.js";
import { FileReader, nodeFetch } from "../src/node.js";
import { describeObjectReader, findMotoServer, startRangeServer, startS3Server } from "../src/testing.js";

describeObjectReader("MemoryReader", async () => {
  const reader = new MemoryReader();
  return {
    reader,
    put: async (key, bytes) => {
      const url = `memory://conformance/${key}`;
      reader.put(url, bytes);
      return url;
    },
  };
});

describeObjectReader("FileReader (temp dir)", async () => {
  const root = mkdtempSync(join(tmpdir(), "vz-file-reader-"));
  return {
    reader: new FileReader(),
    put: async (key, bytes) => {
      const path = join(root, key);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes);
      return pathToFileURL(path).href;
    },
    cleanup: async () => rmSync(root, { recursive: true, force: true }),
  };
});

describeObjectReader("HttpReader (range server)", async () => {
  const server = await startRangeServer();
  return {
    reader: new HttpReader({ timeoutMs: 10_000, retry: { maxRetries: 1, initialDelayMs: 10 } }),
    put: async (key, bytes) => server.put(key, bytes),
    cleanup: () => server.close(),
    capabilities: { list: false },
  };
});

describeObjectReader("HttpReader over nodeFetch (node:http, range server)", async () => {
  const server = await startRangeServer();
  return {
    reader: new HttpReader({ timeoutMs: 10_000, retry: { maxRetries: 1, initialDelayMs: 10 }, fetch: nodeFetch as typeof fetch }),
    put: async (key, bytes) => server.put(key, bytes),
    cleanup: () => server.close(),
    capabilities: { list: false },
  };
});

describeObjectReader("withBlockCache(HttpReader) (range server)", async () => {
  const server = await startRangeServer();
  return {
    reader: withBlockCache(new HttpReader({ timeoutMs: 10_000 }), { blockSize: 16 * 1024, maxBytes: 1024 * 1024 }),
    put: async (key, bytes) => server.put(key, bytes),
    cleanup: () => server.close(),
    capabilities: { list: false },
  };
});

describeObjectReader("ReaderRegistry over MemoryReader and FileReader", async () => {
  const root = mkdtempSync(join(tmpdir(), "vz-registry-reader-"));
  const memory = new MemoryReader();
  const registry = new ReaderRegistry({ "memory://other/": memory, [pathToFileURL(root).href + "/"]: new FileReader() });
  return {
    reader: registry,
    put: async (key, bytes) => {
      const path = join(root, key);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes);
      return pathToFileURL(path).href;
    },
    cleanup: async () => rmSync(root, { recursive: true, force: true }),
  };
});

const moto = findMotoServer();
describeObjectReader(
  "S3Reader (moto_server)",
  async () => {
    const server = await startS3Server({ buckets: ["vz-conformance"] });
    return {
      reader: server.reader,
      put: (key, bytes) => server.putObject("vz-conformance", key, bytes),
      cleanup: () => server.close(),
    };
  },
  { skip: moto ? false : "moto_server is not installed (not on PATH, not at /root/.pyenv/shims/moto_server)" },
);
