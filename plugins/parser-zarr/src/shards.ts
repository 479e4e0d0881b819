/**
 * Inner-chunk references of `sharding_indexed` arrays: reads each shard's index (uint64 offset /
 * length pairs, one per inner chunk, with an optional crc32c) and references every inner chunk
 * inside its shard, so that the array's metadata becomes the inner chunk grid and codecs.
 * @module
 */
import {
  type ArrayMetadata,
  type ChunkManifest,
  ChunkManifestBuilder,
  type CodecMetadata,
  type ObjectReader,
  ParseError,
  type ReadOptions,
  UnsupportedFeatureError,
} from "@vz/core";
import { chunkGridShape } from "@vz/core/internal";

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli) of `bytes`. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) crc = CRC32C_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const EMPTY = 2n ** 64n - 1n;

interface ShardLayout {
  innerShape: number[];
  innerCodecs: CodecMetadata[];
  perShard: number[];
  count: number;
  indexBytes: number;
  checksum: boolean;
  littleEndian: boolean;
  atEnd: boolean;
}

/** Context for messages: the store URL and the array path. */
interface ShardContext {
  store: string;
  array: string;
}

function unsupported(context: ShardContext, feature: string, why: string): never {
  throw new UnsupportedFeatureError(feature, `Zarr store ${context.store}: array "${context.array}": ${why}; keep its shards (shards: "keep")`, {
    url: context.store,
    variable: context.array,
  });
}

/** The shard layout of an array whose only codec is `sharding_indexed`, or undefined when it is not sharded. */
export function shardLayout(metadata: ArrayMetadata, context: ShardContext): ShardLayout | undefined {
  const sharding = metadata.codecs.find((c) => c.name === "sharding_indexed");
  if (!sharding) return undefined;
  if (metadata.codecs.length !== 1) unsupported(context, "zarr-sharding-with-codecs", "codecs besides sharding_indexed apply to whole shards, so inner chunks cannot be referenced alone");
  const configuration = sharding.configuration ?? {};
  const innerShape = configuration.chunk_shape as number[];
  const innerCodecs = configuration.codecs as CodecMetadata[];
  const indexCodecs = configuration.index_codecs as CodecMetadata[];
  const shardShape = metadata.chunk_grid.configuration.chunk_shape;
  if (innerShape.length !== shardShape.length || innerShape.some((c, d) => shardShape[d]! % c !== 0)) {
    throw new ParseError(
      `Zarr store ${context.store}: array "${context.array}": inner chunks [${innerShape.join(", ")}] do not divide shards [${shardShape.join(", ")}]`,
      { url: context.store, variable: context.array, parser: "zarr" },
    );
  }
  if (innerCodecs.some((c) => c.name === "sharding_indexed")) unsupported(context, "zarr-nested-sharding", "nested sharding is not supported in inner-chunk mode");
  const [bytes, ...rest] = indexCodecs;
  if (bytes?.name !== "bytes" || rest.length > 1 || (rest.length === 1 && rest[0]!.name !== "crc32c")) {
    unsupported(context, "zarr-shard-index-codecs", `shard index codecs ${JSON.stringify(indexCodecs.map((c) => c.name))} are not bytes (+ crc32c)`);
  }
  const location = configuration.index_location ?? "end";
  if (location !== "end" && location !== "start") {
    throw new ParseError(`Zarr store ${context.store}: array "${context.array}": index_location ${JSON.stringify(location)} is not "start" or "end"`, {
      url: context.store,
      variable: context.array,
      parser: "zarr",
    });
  }
  const perShard = shardShape.map((s, d) => s / innerShape[d]!);
  const count = perShard.reduce((a, b) => a * b, 1);
  const checksum = rest.length === 1;
  return {
    innerShape: [...innerShape],
    innerCodecs: innerCodecs.map((c) => ({ ...c })),
    perShard,
    count,
    indexBytes: count * 16 + (checksum ? 4 : 0),
    checksum,
    littleEndian: (bytes.configuration?.endian ?? "little") !== "big",
    atEnd: location === "end",
  };
}

/**
 * Reads the index of every referenced shard and returns the inner-chunk metadata and manifest:
 * chunk grid = the inner chunks, codecs = the inner codecs, one reference per stored inner chunk
 * (a byte range of its shard); inner chunks the index marks empty stay missing.
 */
export async function innerChunkManifest(
  metadata: ArrayMetadata,
  shards: ChunkManifest,
  layout: ShardLayout,
  reader: ObjectReader,
  context: ShardContext & { concurrency: number; maxChunks: number; readOptions?: ReadOptions },
): Promise<{ metadata: ArrayMetadata; manifest: ChunkManifest }> {
  const innerGrid = chunkGridShape(metadata.shape, layout.innerShape);
  const total = innerGrid.reduce((a, b) => a * b, 1);
  if (!(total <= context.maxChunks)) {
    throw new UnsupportedFeatureError(
      "zarr-chunk-count",
      `Zarr store ${context.store}: array "${context.array}" has ${innerGrid.join(" × ")} inner chunks, more than maxChunks (${context.maxChunks})`,
      { url: context.store, variable: context.array },
    );
  }
  if (!(layout.count <= context.maxChunks)) {
    throw new UnsupportedFeatureError(
      "zarr-chunk-count",
      `Zarr store ${context.store}: array "${context.array}" has ${layout.count} inner chunks per shard, more than maxChunks (${context.maxChunks})`,
      { url: context.store, variable: context.array },
    );
  }
  const builder = new ChunkManifestBuilder(innerGrid);
  const ndim = innerGrid.length;
  const jobs: { shard: number[]; url: string; offset: number; length: number }[] = [];
  const shardCoords = new Array<number>(ndim).fill(0);
  for (let index = 0; index < shards.gridSize; index++) {
    const entry = shards.getFlat(index);
    if (entry && "url" in entry) jobs.push({ shard: [...shardCoords], url: entry.url, offset: entry.offset, length: entry.length });
    for (let d = ndim - 1; d >= 0; d--) {
      shardCoords[d]!++;
      if (shardCoords[d]! < shards.shape[d]!) break;
      shardCoords[d] = 0;
    }
  }
  const fail = (url: string, why: string): never => {
    throw new ParseError(`Zarr store ${context.store}: array "${context.array}": shard ${url}: ${why}`, {
      url: context.store,
      variable: context.array,
      parser: "zarr",
    });
  };
  let next = 0;
  const work = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      if (job.length < layout.indexBytes) fail(job.url, `${job.length} bytes cannot hold an index of ${layout.indexBytes} bytes`);
      const indexOffset = layout.atEnd ? job.length - layout.indexBytes : 0;
      const bytes = await reader.getRange(job.url, job.offset + indexOffset, layout.indexBytes, context.readOptions);
      const pairs = bytes.subarray(0, layout.count * 16);
      if (layout.checksum) {
        const stored = new DataView(bytes.buffer, bytes.byteOffset + layout.count * 16, 4).getUint32(0, true);
        if (stored !== crc32c(pairs)) fail(job.url, `the index checksum (crc32c) does not match`);
      }
      const view = new DataView(pairs.buffer, pairs.byteOffset, pairs.byteLength);
      const local = new Array<number>(ndim).fill(0);
      for (let i = 0; i < layout.count; i++) {
        const offset = view.getBigUint64(i * 16, layout.littleEndian);
        const length = view.getBigUint64(i * 16 + 8, layout.littleEndian);
        const coords = job.shard.map((s, d) => s * layout.perShard[d]! + local[d]!);
        for (let d = ndim - 1; d >= 0; d--) {
          local[d]!++;
          if (local[d]! < layout.perShard[d]!) break;
          local[d] = 0;
        }
        if (offset === EMPTY && length === EMPTY) continue;
        if (offset + length > BigInt(job.length)) fail(job.url, `inner chunk ${i} at bytes ${offset}..${offset + length} passes the end of the shard (${job.length} bytes)`);
        // Inner chunks of an edge shard that lie outside the array are never read.
        if (coords.some((c, d) => c >= innerGrid[d]!)) continue;
        builder.set(coords, job.url, job.offset + Number(offset), Number(length));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(context.concurrency, jobs.length) }, work));
  const inner: ArrayMetadata = {
    ...metadata,
    chunk_grid: { name: "regular", configuration: { chunk_shape: [...layout.innerShape] } },
    codecs: layout.innerCodecs,
    attributes: { ...metadata.attributes },
  };
  return { metadata: inner, manifest: builder.build() };
}
