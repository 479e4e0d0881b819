/**
 * startRangeServer (Node, tests only): a static HTTP server on 127.0.0.1 that honours `Range`,
 * answers HEAD, 404 and 416, sends ETag/Last-Modified, and can inject latency, bandwidth limits and
 * faults (error statuses, truncated bodies, wrong Content-Range, stalls, resets). Every request is
 * logged with its range and the body bytes sent.
 * @module
 */
import { readFile, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { resolve, sep } from "node:path";

/** A fault the server injects instead of (or into) a normal answer. */
export type RangeServerFault =
  /** Answer with this status (and headers/body) instead. */
  | { kind: "status"; status: number; headers?: Record<string, string>; body?: string | Uint8Array }
  /** Declare the full Content-Length, send only `bytes` body bytes, then cut the connection. */
  | { kind: "truncate"; bytes: number }
  /** Answer 206 with a Content-Range shifted by `shift` bytes (default 1) from the true one. */
  | { kind: "wrong-content-range"; shift?: number }
  /** Answer normally after `ms` milliseconds. */
  | { kind: "delay"; ms: number }
  /** Send the headers and `afterBytes` body bytes (default 0), then nothing until the client gives up. */
  | { kind: "stall"; afterBytes?: number }
  /** Destroy the connection without answering. */
  | { kind: "reset" }
  /** Ignore `Range` and answer 200 with the whole object. */
  | { kind: "ignore-range" };

/** When a fault applies. */
export interface RangeServerFaultRule {
  /** Only requests for this path (exact, e.g. `/a.bin`) or matching this pattern. Default: all. */
  path?: string | RegExp;
  /** Only this method (`GET`, `HEAD`). Default: all. */
  method?: string;
  /** Apply to this many matching requests, then stop. Default: always. */
  times?: number;
  fault: RangeServerFault;
}

/** Options of {@link startRangeServer}. */
export interface RangeServerOptions {
  /** Directory served (paths outside it are refused). */
  root?: string;
  /** Objects served from memory, by path (`/dir/name.bin`); they take precedence over `root`. */
  files?: Record<string, Uint8Array>;
  /** Delay before every answer, in milliseconds. */
  latencyMs?: number;
  /** Body throughput limit in bytes per second. */
  bandwidth?: number;
  /** Faults, tried in order; the first matching rule with `times` left applies. */
  faults?: RangeServerFaultRule[];
  /** Send ETag headers. Default true. */
  etag?: boolean;
  /** Answer HEAD with 405 (to exercise fallbacks). Default false. */
  rejectHead?: boolean;
}

/** One logged request. */
export interface RangeServerRequest {
  method: string;
  /** Decoded path, e.g. `/dir/a b.bin`. */
  path: string;
  /** The request target as sent (still percent-encoded, with its query string). */
  target: string;
  /** The Range header, when sent. */
  range?: string;
  status: number;
  /** Body bytes sent. */
  bytes: number;
  /** Request headers (lower-case names). */
  headers: Record<string, string>;
}

/** A running range server. */
export interface RangeServer {
  /** Base URL without trailing slash, e.g. `http://127.0.0.1:40123`. */
  url: string;
  port: number;
  /** Requests answered so far (in completion order). */
  log: RangeServerRequest[];
  /** Adds or replaces an in-memory object; its ETag changes. Returns its URL. */
  put(path: string, bytes: Uint8Array): string;
  /** Adds a fault rule at the front. */
  addFault(rule: RangeServerFaultRule): void;
  /** Stops the server and cuts open connections. */
  close(): Promise<void>;
}

function encodePath(path: string): string {
  return path
    .split("/")
    .map((segment) => encodeURIComponent(segment))
    .join("/");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Parses a single `bytes=` range against `size`: undefined → serve whole, "unsatisfiable" → 416. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (match[2] !== "" && Number(match[2]) < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end };
}

/**
 * Starts a range server on 127.0.0.1 with a free port.
 * @example
 * const server = await startRangeServer({ files: { "/a.bin": bytes }, latencyMs: 5 });
 * const reader = new HttpReader();
 * await reader.getRange(`${server.url}/a.bin`, 10, 4);
 * await server.close();
 */
export async function startRangeServer(options: RangeServerOptions = {}): Promise<RangeServer> {
  const files = new Map<string, { bytes: Uint8Array; version: number; modified: Date }>();
  let version = 0;
  for (const [path, bytes] of Object.entries(options.files ?? {})) {
    files.set(path.startsWith("/") ? path : `/${path}`, { bytes, version: ++version, modified: new Date() });
  }
  const faults: (RangeServerFaultRule & { used: number })[] = (options.faults ?? []).map((rule) => ({ ...rule, used: 0 }));
  const log: RangeServerRequest[] = [];
  const sockets = new Set<Socket>();
  const root = options.root ? resolve(options.root) : undefined;
  const sendEtag = options.etag ?? true;

  const load = async (path: string): Promise<{ bytes: Uint8Array; etag: string; modified: Date } | undefined> => {
    const memory = files.get(path);
    if (memory) return { bytes: memory.bytes, etag: `"v${memory.version}-${memory.bytes.length}"`, modified: memory.modified };
    if (!root) return undefined;
    const full = resolve(root, `.${path}`);
    if (full !== root && !full.startsWith(root + sep)) return undefined;
    try {
      const info = await stat(full);
      if (!info.isFile()) return undefined;
      return { bytes: new Uint8Array(await readFile(full)), etag: `"f${info.mtimeMs}-${info.size}"`, modified: info.mtime };
    } catch {
      return undefined;
    }
  };

  const pickFault = (method: string, path: string): RangeServerFault | undefined => {
    for (const rule of faults) {
      if (rule.times !== undefined && rule.used >= rule.times) continue;
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      if (rule.path !== undefined && (typeof rule.path === "string" ? rule.path !== path : !rule.path.test(path))) continue;
      rule.used++;
      return rule.fault;
    }
    return undefined;
  };

  /** Sends `body` (throttled to `bandwidth`), logging through `done` before the response ends. */
  const writeBody = async (response: ServerResponse, body: Uint8Array, done: (sent: number) => void): Promise<void> => {
    if (!options.bandwidth) {
      done(body.length);
      response.end(body);
      return;
    }
    const chunk = 16 * 1024;
    let sent = 0;
    while (sent < body.length && !response.destroyed) {
      const piece = body.subarray(sent, sent + chunk);
      if (sent > 0) await sleep((piece.length / options.bandwidth) * 1000);
      if (sent + piece.length >= body.length) done(sent + piece.length);
      response.write(piece);
      sent += piece.length;
    }
    if (sent < body.length || body.length === 0) done(sent);
    response.end();
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const method = (request.method ?? "GET").toUpperCase();
    const rawPath = (request.url ?? "/").split("?")[0]!;
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      path = rawPath;
    }
    const rangeHeader = request.headers.range;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    const entry: RangeServerRequest = { method, path, target: request.url ?? "/", status: 0, bytes: 0, headers, ...(rangeHeader ? { range: rangeHeader } : {}) };
    const finish = (status: number, bytes: number): void => {
      entry.status = status;
      entry.bytes = bytes;
      log.push(entry);
    };
    if (options.latencyMs) await sleep(options.latencyMs);
    const fault = pickFault(method, path);
    if (fault?.kind === "delay") await sleep(fault.ms);
    if (fault?.kind === "reset") {
      finish(0, 0);
      request.socket.destroy();
      return;
    }
    if (fault?.kind === "status") {
      const body = fault.body === undefined ? new Uint8Array(0) : typeof fault.body === "string" ? new TextEncoder().encode(fault.body) : fault.body;
      response.writeHead(fault.status, { "content-length": String(body.length), ...fault.headers });
      response.end(method === "HEAD" ? undefined : body);
      finish(fault.status, method === "HEAD" ? 0 : body.length);
      return;
    }
    if (method !== "GET" && method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD", "content-length": "0" }).end();
      finish(405, 0);
      return;
    }
    const object = await load(path);
    if (!object) {
      response.writeHead(404, { "content-type": "text/plain", "content-length": "9" }).end(method === "HEAD" ? undefined : "not found");
      finish(404, method === "HEAD" ? 0 : 9);
      return;
    }
    const size = object.bytes.length;
    const common: Record<string, string> = {
      "accept-ranges": "bytes",
      "last-modified": object.modified.toUTCString(),
      "content-type": "application/octet-stream",
      ...(sendEtag ? { etag: object.etag } : {}),
    };
    if (method === "HEAD") {
      if (options.rejectHead) {
        response.writeHead(405, { allow: "GET", "content-length": "0" }).end();
        finish(405, 0);
        return;
      }
      response.writeHead(200, { ...common, "content-length": String(size) }).end();
      finish(200, 0);
      return;
    }
    const range = fault?.kind === "ignore-range" ? undefined : parseRange(rangeHeader, size);
    if (range === "unsatisfiable") {
      response.writeHead(416, { ...common, "content-range": `bytes */${size}`, "content-length": "0" }).end();
      finish(416, 0);
      return;
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    const body = object.bytes.subarray(start, end + 1);
    const status = range ? 206 : 200;
    const shift = fault?.kind === "wrong-content-range" ? (fault.shift ?? 1) : 0;
    const responseHeaders: Record<string, string> = { ...common, "content-length": String(body.length) };
    if (range || fault?.kind === "wrong-content-range") {
      responseHeaders["content-range"] = `bytes ${start + shift}-${end + shift}/${size}`;
    }
    response.writeHead(fault?.kind === "wrong-content-range" ? 206 : status, responseHeaders);
    if (fault?.kind === "truncate" || fault?.kind === "stall") {
      const count = fault.kind === "truncate" ? fault.bytes : (fault.afterBytes ?? 0);
      const part = body.subarray(0, Math.min(count, body.length));
      if (part.length > 0) response.write(part);
      finish(status, part.length);
      if (fault.kind === "truncate") setTimeout(() => request.socket.destroy(), 20);
      return;
    }
    await writeBody(response, body, (sent) => finish(status, sent));
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
      response.end(String(error));
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    log,
    put(path: string, bytes: Uint8Array): string {
      const key = path.startsWith("/") ? path : `/${path}`;
      files.set(key, { bytes, version: ++version, modified: new Date() });
      return `${url}${encodePath(key)}`;
    },
    addFault(rule: RangeServerFaultRule): void {
      faults.unshift({ ...rule, used: 0 });
    },
    close(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolveClose) => server.close(() => resolveClose()));
    },
  };
}
