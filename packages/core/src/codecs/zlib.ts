/**
 * zlib / gzip chunk decoding on the fast path. zarrita 0.7.5 inflates through `DecompressionStream`,
 * which in Node costs a web stream per chunk (~17 MB/s with shuffle on a shared 2-core machine).
 * Where the runtime is Node, these codecs inflate with `node:zlib` (native: synchronously for
 * chunks below {@link SYNC_INFLATE_LIMIT} compressed bytes, where the thread pool's per-call cost
 * outweighs the work, on libuv's thread pool above it); elsewhere
 * (browsers, Deno without node compatibility) they fall back to zarrita's own codec. The module
 * stays browser-safe: `node:zlib` is imported dynamically, only when `process.versions.node` is set.
 * @module
 */
import { chunkByteSize, type CodecChunkMetadata, refuseEncode } from "./chunk-size.js";

type Inflate = (bytes: Uint8Array) => Promise<Uint8Array>;
type ZlibOptions = { chunkSize?: number };
type Callback = (error: Error | null, result: Uint8Array) => void;
interface NativeZlib {
  inflate(input: Uint8Array, options: ZlibOptions, callback: Callback): void;
  gunzip(input: Uint8Array, options: ZlibOptions, callback: Callback): void;
  inflateSync(input: Uint8Array, options: ZlibOptions): Uint8Array;
  gunzipSync(input: Uint8Array, options: ZlibOptions): Uint8Array;
}

/**
 * Compressed chunks smaller than this inflate synchronously (a 50 KB chunk takes well under a
 * millisecond; 300 of them in flight on the thread pool ran 2-3x slower on a 2-core machine).
 */
export const SYNC_INFLATE_LIMIT = 1 << 20;

let native: Promise<NativeZlib | undefined> | undefined;

/** `node:zlib` when running in Node (loaded once), otherwise undefined. */
export function loadNativeZlib(): Promise<NativeZlib | undefined> {
  native ??= (async () => {
    const versions = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions;
    if (!versions?.node) return undefined;
    try {
      const specifier = "node:zlib"; // a variable keeps bundlers for browsers from resolving it
      return (await import(/* @vite-ignore */ specifier)) as NativeZlib;
    } catch {
      return undefined;
    }
  })();
  return native;
}

/** A view of `bytes` whose offset suits any typed array (native buffers may sit at any offset of a pool). */
function aligned(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset % 8 === 0 ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes.slice();
}

/**
 * An inflater; `expected` (the chunk's decoded size, when known) sizes zlib's output buffer so
 * that a chunk inflates into one buffer instead of 16 KiB pieces joined afterwards. A wrong
 * guess costs only speed.
 */
function inflater(zlib: NativeZlib, format: "zlib" | "gzip", expected: number | undefined): Inflate {
  const sync = format === "zlib" ? zlib.inflateSync : zlib.gunzipSync;
  const async = format === "zlib" ? zlib.inflate : zlib.gunzip;
  // one byte more than the chunk: zlib ends with room to spare instead of filling the buffer and
  // then allocating another (unused) one of the same size to learn that the stream has ended
  const options: ZlibOptions = expected !== undefined && expected > 16384 ? { chunkSize: Math.min(expected + 1, 1 << 26) } : {};
  return async (bytes) => {
    if (bytes.length < SYNC_INFLATE_LIMIT) return aligned(sync.call(zlib, bytes, options));
    return new Promise((resolve, reject) => async.call(zlib, bytes, options, (error, result) => (error ? reject(error) : resolve(aligned(result)))));
  };
}

/** A zarrita codec class, as the registry holds it. */
interface CodecClass {
  fromConfig(configuration: unknown, meta: unknown): { decode(bytes: Uint8Array): Promise<Uint8Array> };
}

/**
 * A registry loader for `zlib`/`gzip`: native inflation in Node, else `fallback` (zarrita's codec).
 */
export function nativeZlibLoader(format: "zlib" | "gzip", fallback: (() => Promise<unknown> | unknown) | undefined) {
  return async (): Promise<unknown> => {
    const zlib = await loadNativeZlib();
    if (!zlib) {
      if (!fallback) throw new Error(`no ${format} codec available`);
      return fallback();
    }
    const cls: CodecClass & { kind: string } = {
      kind: "bytes_to_bytes",
      fromConfig: (_configuration: unknown, meta: unknown) => ({
        kind: "bytes_to_bytes" as const,
        encode: (): never => refuseEncode(`numcodecs.${format}`),
        decode: inflater(zlib, format, chunkByteSize(meta as CodecChunkMetadata | undefined)),
      }),
    };
    return cls;
  };
}
