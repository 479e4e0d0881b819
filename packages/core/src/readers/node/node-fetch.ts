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

/** Sockets per origin the agents keep open at most (a selection reads up to this many chunks at once). */
export const NODE_FETCH_MAX_SOCKETS = 256;

/** node:http / node:https and their keep-alive agents, loaded on the first request. */
interface Transport {
  httpRequest: typeof import("node:http").request;
  httpsRequest: typeof import("node:https").request;
  http: HttpAgent;
  https: HttpsAgent;
}

let transport: Transport | undefined;
let transportLoading: Promise<Transport> | undefined;

function loadTransport(): Promise<Transport> {
  transportLoading ??= Promise.all([import("node:http"), import("node:https")]).then(([http, https]) => {
    // keep-alive sockets must not keep a finished process alive: unref'd while idle (Node's agents do so with keepAlive)
    transport = {
      httpRequest: http.request,
      httpsRequest: https.request,
      http: new http.Agent({ keepAlive: true, maxSockets: NODE_FETCH_MAX_SOCKETS }),
      https: new https.Agent({ keepAlive: true, maxSockets: NODE_FETCH_MAX_SOCKETS }),
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
          const chunk = next.value;
          return { done: false, value: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) };
        },
        cancel,
        releaseLock() {},
      };
    },
    cancel,
  };
  const response = {
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
  const parsed = new URL(url);
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return Promise.reject(new TypeError(`nodeFetch: unsupported protocol ${parsed.protocol}`));
  }
  const headers = headerRecord(init.headers);
  headers["accept-encoding"] ??= "identity";
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
  if (transport) return sendRequest(transport, parsed, url, headers, init, signal);
  return loadTransport().then((loaded) => {
    if (signal?.aborted) throw signal.reason ?? new Error("aborted");
    return sendRequest(loaded, parsed, url, headers, init, signal);
  });
}

/** One request over the loaded transport. */
function sendRequest(
  transport: Transport,
  parsed: URL,
  url: string,
  headers: Record<string, string>,
  init: RequestInit,
  signal: AbortSignal | undefined,
): Promise<Response> {
  const secure = parsed.protocol === "https:";
  const send = secure ? transport.httpsRequest : transport.httpRequest;
  const { http, https } = transport;
  return new Promise<Response>((resolve, reject) => {
    const request = send(parsed, { method: init.method ?? "GET", headers, agent: secure ? https : http, ...(signal ? { signal } : {}) }, (message) => {
      const status = message.statusCode ?? 0;
      if (init.redirect === "error" && status >= 300 && status < 400 && message.headers.location !== undefined) {
        message.destroy();
        reject(new TypeError(`redirect to ${message.headers.location} refused (redirect: "error")`));
        return;
      }
      resolve(toResponse(message, url));
    });
    request.on("error", reject);
    request.end();
  });
}
