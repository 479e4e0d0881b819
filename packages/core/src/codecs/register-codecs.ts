/**
 * Adds the codecs vz's parsers emit to zarrita's codec registry, so that `zarr.get` on a
 * ManifestStore decodes every chunk vz can describe. zarrita and the float16 polyfill are imported
 * here on first use ({@link registerCodecs}, a ManifestStore's first read, `readArrayValues`), not
 * when @vz/core is imported: parsing metadata and writing kerchunk JSON never load them.
 * @module
 */
import { Bz2Codec } from "./bz2.js";
import { assertDecodedLength, chunkByteSize, type CodecChunkMetadata } from "./chunk-size.js";
import { Fletcher32Codec } from "./fletcher32.js";
import { Lz4H5Codec } from "./lz4-h5.js";
import { LzfCodec } from "./lzf.js";
import { ShuffleCodec } from "./shuffle.js";
import { VlenUtf8Codec } from "./vlen-utf8.js";
import { nativeZlibLoader } from "./zlib.js";
import type { ZarrCodecClass } from "./plugin-codecs.js";

/** A codec instance as zarrita's pipeline uses it. */
interface CodecInstance {
  kind?: string;
  encode(data: never): unknown;
  decode(data: never): unknown;
  computeEncodedSize?(decodedSize: number): number;
}

/** A codec class as zarrita's registry holds it. */
interface CodecClass {
  kind?: string;
  fromConfig(configuration: unknown, meta: CodecChunkMetadata): CodecInstance;
}

type CodecLoader = () => Promise<CodecClass>;

const REGISTERED = Symbol.for("vz.codecs.registered");

/** Names of the codecs {@link registerCodecs} adds or replaces in zarrita's registry. */
export const VZ_CODEC_NAMES: readonly string[] = [
  "numcodecs.fletcher32",
  "numcodecs.bz2",
  "imagecodecs_lz4h5",
  "imagecodecs_lzf",
  "numcodecs.shuffle",
  "vlen-utf8",
  "numcodecs.vlen-utf8",
  "bytes",
  "numcodecs.blosc",
  "numcodecs.zstd",
  "numcodecs.zlib",
  "zlib",
  "numcodecs.gzip",
  "gzip",
];

/**
 * Wraps zarrita's `bytes` codec so that a chunk whose byte length differs from
 * chunk shape × item size fails loudly instead of decoding to a short (silently wrong) array.
 */
function withLengthCheck(loader: CodecLoader): CodecLoader {
  return async () => {
    const base = await loader();
    return {
      kind: base.kind,
      fromConfig(configuration: unknown, meta: CodecChunkMetadata): CodecInstance {
        const codec = base.fromConfig(configuration, meta);
        const expected = chunkByteSize(meta);
        const wrapped: CodecInstance = {
          kind: codec.kind ?? "array_to_bytes",
          encode: (data: never) => codec.encode(data),
          decode: ((bytes: Uint8Array) => {
            assertDecodedLength("bytes", bytes.length, expected);
            return codec.decode(bytes as never);
          }) as (data: never) => unknown,
        };
        if (codec.computeEncodedSize) wrapped.computeEncodedSize = (size: number) => codec.computeEncodedSize!(size);
        return wrapped;
      },
    };
  };
}

/** numcodecs.js's `fromConfig` destructures its argument: give it `{}` when a codec has no configuration. */
function withDefaultConfiguration(loader: CodecLoader): CodecLoader {
  return async () => {
    const base = await loader();
    return {
      kind: base.kind,
      fromConfig: (configuration: unknown, meta: CodecChunkMetadata) => base.fromConfig(configuration ?? {}, meta),
    };
  };
}

/**
 * zarrita reads float16 data through `globalThis.Float16Array`, which Node 20 lacks: install
 * @petamoriken/float16's implementation there when the runtime has none (values are then exact
 * IEEE 754 half-precision numbers; a native Float16Array, where present, is left alone). The
 * polyfill is imported on first call.
 */
export async function ensureFloat16Array(): Promise<void> {
  if (typeof (globalThis as { Float16Array?: unknown }).Float16Array === "function") return;
  const { Float16Array: Float16ArrayPolyfill } = await import("@petamoriken/float16");
  if (typeof (globalThis as { Float16Array?: unknown }).Float16Array === "function") return;
  Object.defineProperty(globalThis, "Float16Array", { value: Float16ArrayPolyfill, writable: true, configurable: true, enumerable: false });
}

/** zarrita's codec registry: codec name → loader of its class. */
export type CodecRegistry = Map<string, () => Promise<unknown>>;

let registryLoaded: CodecRegistry | undefined;
let registryLoading: Promise<CodecRegistry> | undefined;
/** Additions waiting for zarrita's registry ({@link whenCodecRegistry}), in call order. */
const waiting: ((registry: CodecRegistry) => void)[] = [];

/**
 * Runs `add` on zarrita's codec registry: now when vz has loaded it, else right after vz's own
 * codecs are registered on first load ({@link registerCodecs}). Synchronous and import-free, so
 * parsers and `openManifestStore` can declare codecs without loading zarrita.
 */
export function whenCodecRegistry(add: (registry: CodecRegistry) => void): void {
  if (registryLoaded) add(registryLoaded);
  else waiting.push(add);
}

/**
 * Additions to zarrita's registry keyed by codec name: `apply` runs for each on the registry now
 * when vz has loaded it, else once it loads ({@link whenCodecRegistry}). Until then one entry per
 * name is held — the first given (`keep: "first"`) or the latest, moved to the end (`"last"`) —
 * so that a caller adding the same codecs on every parse does not grow a queue.
 */
export function deferredCodecAdditions<V>(
  keep: "first" | "last",
  apply: (registry: CodecRegistry, name: string, value: V) => void,
): (entries: Iterable<readonly [string, V]>) => void {
  const pending = new Map<string, V>();
  let scheduled = false;
  return (entries) => {
    for (const [name, value] of entries) {
      if (pending.has(name)) {
        if (keep === "first") continue;
        pending.delete(name);
      }
      pending.set(name, value);
    }
    if (scheduled || pending.size === 0) return;
    scheduled = true;
    whenCodecRegistry((registry) => {
      scheduled = false;
      const all = [...pending];
      pending.clear();
      for (const [name, value] of all) apply(registry, name, value);
    });
  };
}

// the first class given for a name, as the registry itself keeps the entry it already has
const addClasses = deferredCodecAdditions<ZarrCodecClass>("first", (registry, name, codec) => {
  if (!registry.has(name)) registry.set(name, async () => codec);
});

/**
 * Adds codec classes to zarrita's registry, keeping entries already there (a user's own decoder,
 * zarrita's or vz's): at once when vz has loaded zarrita, else when it does ({@link registerCodecs},
 * a ManifestStore's first read, `readArrayValues`). Use `await registerCodecs()` afterwards before
 * decoding through zarrita directly on a store that is not a ManifestStore.
 * @example
 * addZarritaCodecs({ my_codec: MyCodec });
 * await registerCodecs(); // zarr.get(...) now decodes my_codec
 */
export function addZarritaCodecs(codecs: Readonly<Record<string, ZarrCodecClass>>): void {
  addClasses(Object.entries(codecs));
}

/** Whether {@link loadCodecRegistry} has completed in this copy of @vz/core (then no await is needed). */
export function codecsRegistered(): boolean {
  return registryLoaded !== undefined;
}

/**
 * Registers vz's codecs with zarrita (idempotent; safe to call from several copies of @vz/core):
 * `numcodecs.fletcher32`, `numcodecs.bz2`, `imagecodecs_lz4h5`, `imagecodecs_lzf`, a
 * `numcodecs.shuffle` that honours `elementsize`, a `vlen-utf8` that respects view offsets, and a
 * length check on `bytes`. zlib and gzip inflate through `node:zlib` in Node (zarrita's own codecs
 * in browsers); zarrita's `numcodecs.blosc` and `numcodecs.zstd` are kept (they accept a missing
 * configuration). Also makes float16 readable ({@link ensureFloat16Array}). zarrita is imported on
 * the first call; a ManifestStore calls this itself before its first read.
 * @example
 * import { registerCodecs } from "@vz/core";
 * await registerCodecs();
 * const values = await zarr.get(await zarr.open(zarr.root(store).resolve("temp"), { kind: "array" }));
 */
export async function registerCodecs(): Promise<void> {
  await Promise.all([loadCodecRegistry(), ensureFloat16Array()]);
}

/**
 * zarrita's codec registry with vz's codecs and every addition made so far (loads zarrita on first
 * call). Unlike {@link registerCodecs} it leaves Float16Array alone: a ManifestStore installs that
 * when it serves a float16 array's metadata, so reads of other types never load the polyfill.
 */
export function loadCodecRegistry(): Promise<CodecRegistry> {
  registryLoading ??= (async () => {
    const { registry } = await import("zarrita");
    const map = registry as unknown as CodecRegistry;
    addVzCodecs(map);
    registryLoaded = map;
    for (const add of waiting.splice(0)) add(map);
    return map;
  })();
  registryLoading.catch(() => {
    registryLoading = undefined; // a failed import is retried by the next call
  });
  return registryLoading;
}

function addVzCodecs(registry: CodecRegistry): void {
  const map = registry as unknown as Map<string, CodecLoader> & { [REGISTERED]?: boolean };
  if (map[REGISTERED]) return;
  const fixed = (codec: CodecClass): CodecLoader => () => Promise.resolve(codec);
  map.set("numcodecs.fletcher32", fixed(Fletcher32Codec as unknown as CodecClass));
  map.set("numcodecs.bz2", fixed(Bz2Codec as unknown as CodecClass));
  map.set("imagecodecs_lz4h5", fixed(Lz4H5Codec as unknown as CodecClass));
  map.set("imagecodecs_lzf", fixed(LzfCodec as unknown as CodecClass));
  map.set("numcodecs.shuffle", fixed(ShuffleCodec as unknown as CodecClass));
  map.set("vlen-utf8", fixed(VlenUtf8Codec as unknown as CodecClass));
  map.set("numcodecs.vlen-utf8", fixed(VlenUtf8Codec as unknown as CodecClass));
  const bytes = map.get("bytes");
  if (bytes) map.set("bytes", withLengthCheck(bytes));
  for (const name of ["numcodecs.blosc", "numcodecs.zstd", "blosc", "zstd"]) {
    const loader = map.get(name);
    if (loader) map.set(name, withDefaultConfiguration(loader));
  }
  // zlib/gzip through node:zlib where the runtime is Node (zarrita's web-stream codec elsewhere)
  for (const name of ["numcodecs.zlib", "zlib"]) map.set(name, nativeZlibLoader("zlib", map.get(name)) as CodecLoader);
  for (const name of ["numcodecs.gzip", "gzip"]) map.set(name, nativeZlibLoader("gzip", map.get(name)) as CodecLoader);
  Object.defineProperty(map, REGISTERED, { value: true, enumerable: false });
}
