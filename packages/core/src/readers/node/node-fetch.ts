/**
 * A `fetch` for HttpReader in Node over `node:http` / `node:https` with keep-alive agents: the
 * subset HttpReader uses (method, headers, signal, `redirect: "manual" | "error"`; status,
 * headers.get, a streamed body with `getReader()` and `cancel()`). Node's global fetch (undici)
 * costs ~1 ms of CPU per request in web streams and bookkeeping; this costs ~0.3 ms, which is what
 * reading hundreds of chunks at wire speed needs. Redirects are never followed here: HttpReader
 * follows them itself (`"manual"`), checking each target. `node:http` / `node:https` are imported
 * on the first request (a process that reads only local files never loads them).
 * @module
 */
import type { Agent as HttpAgent, IncomingMessage } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import { READ_WHOLE_BODY } from "../http-reader.js";
import { memoizeString } from "../memo.js";

/** Sockets per origin the agents keep open at most (a selection reads up to this many chunks at once). */
export const NODE_FETCH_MAX_SOCKETS = 256;

/** node:http / node:https and their keep-alive agents, loaded on the first request. */
interface Transport {
  httpRequest: typeof import("node:http").request;
  httpsRequest: typeof import("node:https").request;
  http: HttpAgent;
  https: HttpsAgent;
  urlToHttpOptions: typeof import("node:url").urlToHttpOptions;
}

let transport: Transport | undefined;
let transportLoading: Promise<Transport> | undefined;

function loadTransport(): Promise<Transport> {
  transportLoading ??= Promise.all([import("node:http"), import("node:https"), import("node:url")]).then(([http, https, url]) => {
    // keep-alive sockets must not keep a finished process alive: unref'd while idle (Node's agents do so with keepAlive)
    transport = {
      httpRequest: http.request,
      httpsRequest: https.request,
      http: new http.Agent({ keepAlive: true, maxSockets: NODE_FETCH_MAX_SOCKETS }),
      https: new https.Agent({ keepAlive: true, maxSockets: NODE_FETCH_MAX_SOCKETS }),
      urlToHttpOptions: url.urlToHttpOptions,
    };
    return transport;
  });
  return transportLoading;
}

function headerRecord(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  if (typeof (headers as { forEach?: unknown }).forEach === "function" && !Array.isArray(headers)) {
    (headers as { forEach(fn: (value: string, key: string) => void): void }).forEach((value, key) => {
      out[key.toLowerCase()] = value;
    });
    return out;
  }
  const entries = Array.isArray(headers) ? (headers as [string, string][]) : Object.entries(headers as Record<string, string>);
  for (const [key, value] of entries) out[key.toLowerCase()] = String(value);
  return out;
}

/** A view of a Buffer as a plain Uint8Array (a Buffer's `slice` shares memory; a Uint8Array's copies). */
function plain(chunk: Buffer): Uint8Array {
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** The whole body of `message` ('data' events, not an async iterator), or undefined past `limit` bytes (then destroyed). */
function readWhole(message: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = (): void => {
      message.off("data", onData);
      message.off("end", onEnd);
      message.off("error", onError);
      message.off("close", onClose);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.byteLength;
      if (total > limit) {
        cleanup();
        message.destroy();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      if (chunks.length === 1) {
        resolve(plain(chunks[0]!));
        return;
      }
      const out = new Uint8Array(total);
      let at = 0;
      for (const chunk of chunks) {
        out.set(chunk, at);
        at += chunk.byteLength;
      }
      resolve(out);
    };
    const onError = (error: unknown): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error("the connection closed before the end of the response"));
    };
    message.on("data", onData);
    message.on("end", onEnd);
    message.on("error", onError);
    message.on("close", onClose);
  });
}

/** A Response with what HttpReader reads of it. */
function toResponse(message: IncomingMessage, url: string): Response {
  const raw = message.headers;
  const status = message.statusCode ?? 0;
  let iterator: AsyncIterator<Buffer> | undefined;
  const cancel = async (): Promise<void> => {
    message.destroy();
  };
  const body = {
    getReader() {
      iterator ??= message[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      const it = iterator;
      return {
        async read(): Promise<{ done: boolean; value?: Uint8Array }> {
          const next = await it.next();
          if (next.done) return { done: true };
          return { done: false, value: plain(next.value) };
        },
        cancel,
        releaseLock() {},
      };
    },
    cancel,
  };
  const response = {
    [READ_WHOLE_BODY]: (limit: number) => readWhole(message, limit),
    status,
    statusText: message.statusMessage ?? "",
    ok: status >= 200 && status < 300,
    type: "basic",
    url,
    redirected: false,
    headers: {
      get(name: string): string | null {
        const value = raw[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(", ") : value;
      },
      has(name: string): boolean {
        return raw[name.toLowerCase()] !== undefined;
      },
    },
    body,
    async arrayBuffer(): Promise<ArrayBuffer> {
      const chunks: Buffer[] = [];
      for await (const chunk of message) chunks.push(chunk as Buffer);
      const all = Buffer.concat(chunks);
      return all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
    },
    async text(): Promise<string> {
      return new TextDecoder().decode(await response.arrayBuffer());
    },
  };
  return response as unknown as Response;
}

/**
 * `fetch` over `node:http(s)` for HttpReader (pass as `HttpReaderOptions.fetch`; the default
 * readers of `@vz/core/node` use it). Sends `Accept-Encoding: identity` unless told otherwise, so
 * byte counts are of the stored bytes.
 */
export function nodeFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  let target: Target;
  try {
    target = targetOf(url);
  } catch (error) {
    return Promise.reject(error);
  }
  const protocol = target.url.protocol;
  if (protocol !== "http:" && protocol !== "https:") {
    return Promise.reject(new TypeError(`nodeFetch: unsupported protocol ${protocol}`));
  }
  const headers = headerRecord(init.headers);
  headers["accept-encoding"] ??= "identity";
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
  if (transport) return sendRequest(transport, target, url, headers, init, signal);
  return loadTransport().then((loaded) => {
    if (signal?.aborted) throw signal.reason ?? new Error("aborted");
    return sendRequest(loaded, target, url, headers, init, signal);
  });
}

/** A URL parsed once, and its `http.request` options (host, port, path, auth) once the transport is loaded. */
interface Target {
  url: URL;
  options?: Readonly<Record<string, unknown>>;
}

// the chunk requests of a selection go to a few URLs: parse each once (a bounded memo)
const targetOf = memoizeString((url: string): Target => ({ url: new URL(url) }));

/** An AbortError as Node's own `signal` option of `http.request` gives it. */
function abortError(signal: AbortSignal): Error {
  const error = new Error("The operation was aborted", { cause: signal.reason });
  error.name = "AbortError";
  (error as Error & { code: string }).code = "ABORT_ERR";
  return error;
}

/** One request over the loaded transport. */
function sendRequest(
  transport: Transport,
  target: Target,
  url: string,
  headers: Record<string, string>,
  init: RequestInit,
  signal: AbortSignal | undefined,
): Promise<Response> {
  const secure = target.url.protocol === "https:";
  const send = secure ? transport.httpsRequest : transport.httpRequest;
  target.options ??= transport.urlToHttpOptions(target.url) as Record<string, unknown>;
  const options = { ...target.options, method: init.method ?? "GET", headers, agent: secure ? transport.https : transport.http };
  return new Promise<Response>((resolve, reject) => {
    const request = send(options, (message) => {
      const status = message.statusCode ?? 0;
      if (init.redirect === "error" && status >= 300 && status < 400 && message.headers.location !== undefined) {
        message.destroy();
        reject(new TypeError(`redirect to ${message.headers.location} refused (redirect: "error")`));
        return;
      }
      resolve(toResponse(message, url));
    });
    request.on("error", reject);
    if (signal) {
      // what http.request's own `signal` option does (destroy the request, and with it the
      // response), with one listener removed when the request closes, not a stream watcher
      const onAbort = (): void => {
        request.destroy(abortError(signal));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      request.once("close", () => signal.removeEventListener("abort", onAbort));
    }
    request.end();
  });
}
