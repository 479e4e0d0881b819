/**
 * What the page read: requests and bytes. HTTP(S) is counted where the requests leave (a `fetch`
 * wrapper given to HttpReader: one per request, HEAD included, retries and redirects included;
 * bytes are the bodies of the GET answers); a file from disk is counted per byte range read.
 * @module
 */

/** Requests (of which HEAD) and bytes received. */
export interface TrafficCount {
  requests: number;
  heads: number;
  bytes: number;
}

export class Traffic {
  requests = 0;
  heads = 0;
  bytes = 0;

  /** Counts one request (a HEAD when `head`) and the bytes of its body. */
  count(bytes: number, head = false): void {
    this.requests++;
    if (head) this.heads++;
    this.bytes += bytes;
  }

  snapshot(): TrafficCount {
    return { requests: this.requests, heads: this.heads, bytes: this.bytes };
  }

  /** What was counted since `before`. */
  since(before: TrafficCount): TrafficCount {
    return { requests: this.requests - before.requests, heads: this.heads - before.heads, bytes: this.bytes - before.bytes };
  }

  /**
   * `fetch` that counts every request and the body bytes of every answer (Content-Length, or the
   * body's length when the server sends none).
   */
  countingFetch(inner: typeof globalThis.fetch = (input, init) => globalThis.fetch(input, init)): typeof globalThis.fetch {
    return async (input, init) => {
      const response = await inner(input, init);
      const head = (init?.method ?? "GET").toUpperCase() === "HEAD";
      let bytes = 0;
      if (!head && response.status !== 304 && response.status < 300) {
        const length = response.headers.get("content-length");
        bytes = length !== null && /^\d+$/.test(length) ? Number(length) : (await response.clone().arrayBuffer()).byteLength;
      }
      this.count(bytes, head);
      return response;
    };
  }
}
