/**
 * FileReader (Node only): local files addressed by `file://` URLs.
 * @module
 */
import { open, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  RangeNotSatisfiableError,
  ReadError,
  throwIfAborted,
} from "../../errors.js";
import { coalesceRanges, type ByteRange, type ObjectMeta, type ObjectReader, type ReadOptions } from "../object-reader.js";

/** Turns a local path or a URL string into an absolute URL string (`file:///...` for paths). */
export function toUrl(pathOrUrl: string, cwd: string = process.cwd()): string {
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(pathOrUrl)) return pathOrUrl;
  return pathToFileURL(pathOrUrl.startsWith("/") ? pathOrUrl : join(cwd, pathOrUrl)).href;
}

function toPath(url: string): string {
  if (!url.startsWith("file://")) throw new InvalidArgumentError(`FileReader reads file:// URLs only, got ${url}`, { url });
  try {
    return fileURLToPath(url);
  } catch (cause) {
    throw new InvalidArgumentError(`invalid file URL: ${url}`, { url, cause });
  }
}

function mapError(error: unknown, url: string): never {
  const code = (error as { code?: string }).code;
  if (code === "ENOENT" || code === "ENOTDIR") throw new NotFoundError(`file not found: ${url}`, { url, cause: error });
  if (code === "EACCES" || code === "EPERM") throw new PermissionDeniedError(`permission denied: ${url}`, { url, cause: error });
  if (code === "EISDIR") throw new NotFoundError(`not a file (a directory): ${url}`, { url, cause: error });
  throw new ReadError(`cannot read ${url}: ${(error as Error).message}`, { url, cause: error });
}

/** An ObjectReader over the local file system. */
export class FileReader implements ObjectReader {
  async get(url: string, opts?: ReadOptions): Promise<Uint8Array> {
    const meta = await this.head(url, opts);
    return this.getRange(url, 0, meta.size, opts);
  }

  async getRange(url: string, offset: number, length: number, opts?: ReadOptions): Promise<Uint8Array> {
    throwIfAborted(opts?.signal, `read ${url}`);
    const path = toPath(url);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new RangeNotSatisfiableError(`invalid range ${offset}+${length} of ${url}`, { url });
    }
    let handle;
    try {
      handle = await open(path, "r");
    } catch (error) {
      mapError(error, url);
    }
    try {
      if (length === 0) {
        const { size } = await handle.stat();
        if (offset > size) throw new RangeNotSatisfiableError(`range ${offset}+0 passes the end of ${url} (${size} bytes)`, { url });
        return new Uint8Array(0);
      }
      const buffer = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
        if (bytesRead === 0) {
          // no stat per request: a range past the end shows as a short read; only then is the size looked up
          const { size } = await handle.stat();
          if (offset + length > size) {
            throw new RangeNotSatisfiableError(`range ${offset}+${length} passes the end of ${url} (${size} bytes)`, { url });
          }
          throw new ReadError(`short read of ${url} at ${offset + done}`, { url });
        }
        done += bytesRead;
      }
      return buffer;
    } catch (error) {
      if ((error as { code?: string }).code && !(error as { url?: string }).url) mapError(error, url);
      throw error;
    } finally {
      await handle.close();
    }
  }

  async getRanges(url: string, ranges: readonly ByteRange[], opts?: ReadOptions): Promise<Uint8Array[]> {
    return coalesceRanges(ranges, (offset, length) => this.getRange(url, offset, length, opts), { maxGap: 4096 });
  }

  async head(url: string, opts?: ReadOptions): Promise<ObjectMeta> {
    throwIfAborted(opts?.signal, `head ${url}`);
    try {
      const info = await stat(toPath(url));
      if (!info.isFile()) throw Object.assign(new Error("not a file"), { code: "EISDIR" });
      return { url, size: info.size, lastModified: info.mtime };
    } catch (error) {
      if ((error as { url?: string }).url) throw error;
      mapError(error, url);
    }
  }

  async *list(prefix: string): AsyncIterable<{ url: string; size: number }> {
    const path = toPath(prefix);
    const slash = path.endsWith("/") ? path : path.slice(0, path.lastIndexOf("/") + 1);
    const results: { url: string; size: number }[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else if (entry.isFile() && full.startsWith(path)) {
          const info = await stat(full);
          results.push({ url: pathToFileURL(full).href, size: info.size });
        }
      }
    };
    await walk(slash || "/");
    results.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));
    yield* results;
  }
}
