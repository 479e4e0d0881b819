/**
 * A small static file server on 127.0.0.1 for the browser tests: folders mounted under URL
 * prefixes, in-memory files, HEAD, single `Range: bytes=` requests (206/416), content types for
 * module scripts. No CORS: the page and the files share the origin.
 */
import { readFile, stat } from "node:fs/promises";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { extname, join, normalize, sep } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".wasm": "application/wasm",
};

export interface StaticServer {
  url: string;
  /** Paths requested so far, with their Range header, status and the body bytes sent. */
  log: { method: string; path: string; range?: string; status: number; bytes: number }[];
  close(): Promise<void>;
}

export async function startStaticServer(options: { mounts: Record<string, string>; files?: Record<string, Uint8Array> }): Promise<StaticServer> {
  const log: StaticServer["log"] = [];
  const sockets = new Set<Socket>();
  const mounts = Object.entries(options.mounts).sort(([a], [b]) => b.length - a.length);

  async function load(path: string): Promise<Uint8Array | undefined> {
    const memory = options.files?.[path];
    if (memory) return memory;
    for (const [prefix, dir] of mounts) {
      if (!path.startsWith(prefix)) continue;
      const file = normalize(join(dir, path.slice(prefix.length)));
      if (file !== dir && !file.startsWith(dir.endsWith(sep) ? dir : dir + sep)) return undefined;
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) return undefined;
      return new Uint8Array(await readFile(file));
    }
    return undefined;
  }

  function answer(res: ServerResponse, status: number, headers: Record<string, string>, body?: Uint8Array): void {
    res.writeHead(status, headers);
    res.end(body);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    let path = decodeURIComponent(url.pathname);
    if (path.endsWith("/")) path += "index.html";
    const range = req.headers.range;
    load(path).then(
      (bytes) => {
        const entry: StaticServer["log"][number] = { method: req.method ?? "GET", path, status: 0, bytes: 0, ...(range ? { range } : {}) };
        log.push(entry);
        if (!bytes) {
          entry.status = 404;
          return answer(res, 404, { "content-type": "text/plain" }, new TextEncoder().encode(`not found: ${path}`));
        }
        const type = TYPES[extname(path)] ?? "application/octet-stream";
        const base = { "content-type": type, "accept-ranges": "bytes", "cache-control": "no-store" };
        const match = range ? /^bytes=(\d+)-(\d*)$/.exec(range) : null;
        if (match) {
          const start = Number(match[1]);
          const end = Math.min(match[2] === "" ? bytes.length - 1 : Number(match[2]), bytes.length - 1);
          if (start >= bytes.length || end < start) {
            entry.status = 416;
            return answer(res, 416, { ...base, "content-range": `bytes */${bytes.length}` });
          }
          entry.status = 206;
          const body = bytes.subarray(start, end + 1);
          if (req.method !== "HEAD") entry.bytes = body.length;
          return answer(res, 206, { ...base, "content-range": `bytes ${start}-${end}/${bytes.length}`, "content-length": String(body.length) }, req.method === "HEAD" ? undefined : body);
        }
        entry.status = 200;
        if (req.method !== "HEAD") entry.bytes = bytes.length;
        return answer(res, 200, { ...base, "content-length": String(bytes.length) }, req.method === "HEAD" ? undefined : bytes);
      },
      (error: unknown) => answer(res, 500, { "content-type": "text/plain" }, new TextEncoder().encode(String(error))),
    );
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
