/**
 * The ObjectReader contract: obspec's GetAsync + GetRangeAsync + List, addressed by absolute URL.
 * A missing object is exceptional: readers throw `NotFoundError`.
 * @module
 */

/** Options every read accepts. */
export interface ReadOptions {
  signal?: AbortSignal;
}

/** A bounded byte range. */
export interface ByteRange {
  offset: number;
  length: number;
}

/** What `head` tells about an object. */
export interface ObjectMeta {
  url: string;
  size: number;
  etag?: string;
  lastModified?: Date;
}

/** Reads whole objects and byte ranges of objects, addressed by absolute URL. */
export interface ObjectReader {
  /** The whole object. */
  get(url: string, opts?: ReadOptions): Promise<Uint8Array>;
  /** `length` bytes at `offset`. Throws `RangeNotSatisfiableError` when the range passes the end. */
  getRange(url: string, offset: number, length: number, opts?: ReadOptions): Promise<Uint8Array>;
  /** Several ranges of one object, in the order given; may coalesce nearby ranges into one request. */
  getRanges(url: string, ranges: readonly ByteRange[], opts?: ReadOptions): Promise<Uint8Array[]>;
  /** Size and identity of the object. */
  head(url: string, opts?: ReadOptions): Promise<ObjectMeta>;
  /** Objects whose URL starts with `prefix`. */
  list(prefix: string, opts?: ReadOptions): AsyncIterable<{ url: string; size: number }>;
}

/** Options for {@link coalesceRanges}. */
export interface CoalesceOptions {
  /** Ranges closer than this many bytes are fetched in one request. */
  maxGap?: number;
  /** A merged request never grows beyond this many bytes (unless one range alone is larger). */
  maxRequestSize?: number;
  /** At most this many merged requests run at the same time. Default 10, as obstore. */
  concurrency?: number;
}

/**
 * Default gap for coalescing: 32 KiB, as zarrita's `withRangeCoalescing`, geotiff.js's
 * `BlockedSource` and Rust object_store's `OBJECT_STORE_COALESCE_DEFAULT` use for HTTP.
 */
export const DEFAULT_COALESCE_GAP = 32 * 1024;

/** Default cap on one merged request: 16 MiB, as zarr-python's `max_coalesced_bytes`. */
export const DEFAULT_MAX_COALESCED = 16 * 1024 * 1024;

/** Default number of merged requests in flight at once: 10, as obstore's `get_ranges`. */
export const DEFAULT_COALESCE_CONCURRENCY = 10;

/** Ranges merged into one request: its byte span and the indexes of the ranges it serves. */
export interface RangeGroup {
  start: number;
  end: number;
  members: number[];
}

/**
 * Groups `ranges` by offset into requests: a range that starts within `maxGap` bytes of the end of
 * the group before it joins that group, as long as the group stays within `maxRequest` bytes
 * (a single larger range is a group of its own).
 */
export function groupRanges(ranges: readonly ByteRange[], maxGap: number, maxRequest: number): RangeGroup[] {
  const order = ranges.map((_, index) => index).sort((a, b) => ranges[a]!.offset - ranges[b]!.offset);
  const groups: RangeGroup[] = [];
  for (const index of order) {
    const range = ranges[index]!;
    const end = range.offset + range.length;
    const last = groups[groups.length - 1];
    if (last && range.offset <= last.end + maxGap && Math.max(end, last.end) - last.start <= maxRequest) {
      last.end = Math.max(last.end, end);
      last.members.push(index);
    } else {
      groups.push({ start: range.offset, end, members: [index] });
    }
  }
  return groups;
}

/**
 * Reads several ranges through `getRange`, merging ranges that lie within `maxGap` of each other,
 * and slicing the merged reads back into the requested pieces (in the caller's order).
 */
export async function coalesceRanges(
  ranges: readonly ByteRange[],
  fetchRange: (offset: number, length: number) => Promise<Uint8Array>,
  options: CoalesceOptions = {},
): Promise<Uint8Array[]> {
  const maxGap = options.maxGap ?? DEFAULT_COALESCE_GAP;
  const maxRequest = options.maxRequestSize ?? DEFAULT_MAX_COALESCED;
  const groups = groupRanges(ranges, maxGap, maxRequest);
  const result: Uint8Array[] = new Array(ranges.length);
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_COALESCE_CONCURRENCY));
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < groups.length) {
      const group = groups[next++]!;
      let bytes: Uint8Array;
      try {
        bytes = await fetchRange(group.start, group.end - group.start);
      } catch (error) {
        failed = true;
        throw error;
      }
      for (const index of group.members) {
        const range = ranges[index]!;
        const start = range.offset - group.start;
        result[index] = bytes.subarray(start, start + range.length);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, groups.length) }, worker));
  return result;
}
