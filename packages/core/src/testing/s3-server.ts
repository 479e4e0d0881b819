/**
 * startS3Server (Node, tests only): runs moto_server (the Python `moto` S3 mock) on 127.0.0.1 with a
 * free port, and writes test objects with signed PUTs. vz readers stay read-only: `createBucket`
 * and `putObject` live here, in the testing module, only.
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { createServer } from "node:net";
import { delimiter, join } from "node:path";
import { S3Reader, s3HttpUrl, type S3ReaderOptions } from "../readers/s3-reader.js";
import { sha256Hex, signRequest, type AwsCredentials } from "../readers/sigv4.js";

/** Where moto_server is looked for when it is not on PATH. */
export const MOTO_SERVER_FALLBACK = "/root/.pyenv/shims/moto_server";

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The path of moto_server (PATH first, then {@link MOTO_SERVER_FALLBACK}), or undefined. */
export function findMotoServer(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, "moto_server");
    if (executable(candidate)) return candidate;
  }
  return executable(MOTO_SERVER_FALLBACK) ? MOTO_SERVER_FALLBACK : undefined;
}

/** Options of {@link startS3Server}. */
export interface S3ServerOptions {
  /** Buckets to create at start. */
  buckets?: string[];
  /** Region the reader signs for. Default `us-east-1`. */
  region?: string;
  /** Credentials the reader signs with (moto accepts any). */
  credentials?: AwsCredentials;
  /** How long to wait for moto to answer. Default 60 000 ms. */
  startTimeoutMs?: number;
}

/** A running moto S3 server. */
export interface S3TestServer {
  /** `http://127.0.0.1:PORT`. */
  endpoint: string;
  port: number;
  region: string;
  credentials: AwsCredentials;
  /** Options for an S3Reader talking to this server. */
  readerOptions: S3ReaderOptions;
  /** An S3Reader talking to this server. */
  reader: S3Reader;
  /** Creates a bucket (signed PUT). */
  createBucket(bucket: string): Promise<void>;
  /** Writes an object (signed PUT) and returns its `s3://bucket/key` URL. */
  putObject(bucket: string, key: string, bytes: Uint8Array): Promise<string>;
  /** Stops moto_server. */
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function signedPut(
  url: string,
  body: Uint8Array,
  region: string,
  credentials: AwsCredentials,
): Promise<Response> {
  const headers = await signRequest({
    method: "PUT",
    url,
    region,
    service: "s3",
    credentials,
    payloadHash: await sha256Hex(body),
  });
  const payload = new Uint8Array(body.byteLength);
  payload.set(body);
  return fetch(url, { method: "PUT", headers, body: payload });
}

/**
 * Starts moto_server on 127.0.0.1 and waits until it answers. Throws when moto_server is missing
 * (check {@link findMotoServer} first and skip the tests).
 * @example
 * const s3 = await startS3Server({ buckets: ["data"] });
 * const url = await s3.putObject("data", "a.bin", bytes);
 * await s3.reader.getRange(url, 0, 4);
 * await s3.close();
 */
export async function startS3Server(options: S3ServerOptions = {}): Promise<S3TestServer> {
  const moto = findMotoServer();
  if (!moto) throw new Error(`moto_server not found on PATH nor at ${MOTO_SERVER_FALLBACK}`);
  const port = await freePort();
  const region = options.region ?? "us-east-1";
  const credentials = options.credentials ?? { accessKeyId: "vz-test-key-id", secretAccessKey: "vz-test-secret-key" };
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(moto, ["-H", "127.0.0.1", "-p", String(port)], {
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, AWS_DEFAULT_REGION: region },
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-4000);
  });
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  const kill = (): void => {
    if (exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      child.kill("SIGTERM");
    }
  };
  process.once("exit", kill);
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) throw new Error(`moto_server exited before answering: ${stderr}`);
    try {
      const response = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      break;
    } catch {
      if (Date.now() > deadline) {
        kill();
        throw new Error(`moto_server did not answer on ${endpoint} within ${options.startTimeoutMs ?? 60_000} ms: ${stderr}`);
      }
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
  }
  const readerOptions: S3ReaderOptions = {
    region,
    endpoint,
    forcePathStyle: true,
    credentials,
    retry: { maxRetries: 2, initialDelayMs: 50 },
    timeoutMs: 20_000,
  };
  const server: S3TestServer = {
    endpoint,
    port,
    region,
    credentials,
    readerOptions,
    reader: new S3Reader(readerOptions),
    async createBucket(bucket: string): Promise<void> {
      const response = await signedPut(`${endpoint}/${bucket}`, new Uint8Array(0), region, credentials);
      const text = await response.text();
      if (!response.ok) throw new Error(`createBucket ${bucket}: HTTP ${response.status} ${text.slice(0, 300)}`);
    },
    async putObject(bucket: string, key: string, bytes: Uint8Array): Promise<string> {
      const url = s3HttpUrl(bucket, key, { region, endpoint, forcePathStyle: true });
      const response = await signedPut(url, bytes, region, credentials);
      const text = await response.text();
      if (!response.ok) throw new Error(`putObject s3://${bucket}/${key}: HTTP ${response.status} ${text.slice(0, 300)}`);
      return `s3://${bucket}/${key}`;
    },
    async close(): Promise<void> {
      process.removeListener("exit", kill);
      if (exited) return;
      const done = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
      kill();
      const timer = setTimeout(() => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }, 3000);
      await done;
      clearTimeout(timer);
    },
  };
  for (const bucket of options.buckets ?? []) await server.createBucket(bucket);
  return server;
}
