/**
 * Loads the optional `@earthmover/icechunk` native binding, turning the usual failures into a
 * typed error that says what is missing and how to fix it.
 * @module
 */
import { PluginLoadError } from "@vz/core";

/** The parts of `@earthmover/icechunk` vz uses (structural, so no type import of the optional peer is needed). */
export interface IcechunkModule {
  Repository: {
    create(storage: unknown, config?: unknown, specVersion?: number | null, authorize?: Record<string, unknown> | null): Promise<IcechunkRepository>;
    open(storage: unknown, config?: unknown, authorize?: Record<string, unknown> | null): Promise<IcechunkRepository>;
    exists(storage: unknown): Promise<boolean>;
    fetchConfig(storage: unknown): Promise<Record<string, unknown> | null>;
  };
  Storage: {
    newLocalFilesystem(path: string): Promise<unknown>;
    newInMemory(): Promise<unknown>;
    newS3(bucket: string, prefix?: string | null, credentials?: unknown, options?: unknown): unknown;
  };
}

/** A repository handle (subset). */
export interface IcechunkRepository {
  writableSession(branch: string): Promise<IcechunkSession>;
  readonlySession(options?: { branch?: string; tag?: string; snapshotId?: string }): Promise<IcechunkSession>;
  readonly config: Record<string, unknown>;
  saveConfig(): Promise<void>;
}

/** A session handle (subset). */
export interface IcechunkSession {
  readonly store: IcechunkStore;
  commit(message: string): Promise<string>;
  readonly hasUncommittedChanges: boolean;
  discardChanges(): Promise<void>;
}

/** A store handle (subset). */
export interface IcechunkStore {
  get(key: string): Promise<Uint8Array | null>;
  getRange(key: string, range: { offset: number; length: number } | { suffixLength: number }): Promise<Uint8Array | null>;
  set(key: string, value: Uint8Array): Promise<void>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  list(): Promise<string[]>;
  listDir(prefix: string): Promise<string[]>;
  setVirtualRefs(
    arrayPath: string,
    chunks: { index: number[]; location: string; offset: number; length: number; etagChecksum?: string; lastModified?: Date }[],
    validateContainers: boolean,
  ): Promise<number[][] | null>;
}

/** The glibc version of this process, or undefined when not glibc (e.g. musl, macOS, browsers). */
export function glibcVersion(): string | undefined {
  const report = (process as unknown as { report?: { getReport(): { header?: { glibcVersionRuntime?: string } } } }).report;
  try {
    return report?.getReport().header?.glibcVersionRuntime;
  } catch {
    return undefined;
  }
}

let cached: Promise<IcechunkModule> | undefined;

/**
 * Imports `@earthmover/icechunk` (or returns `lib` when given). Throws PluginLoadError with the fix
 * when the package is missing or its native binding cannot load (e.g. glibc < 2.38).
 */
export function loadIcechunk(lib?: IcechunkModule): Promise<IcechunkModule> {
  if (lib) return Promise.resolve(lib);
  cached ??= (async () => {
    try {
      const module = (await import("@earthmover/icechunk")) as unknown as IcechunkModule & { default?: IcechunkModule };
      return module.Repository ? module : (module.default as IcechunkModule);
    } catch (cause) {
      cached = undefined;
      const message = String((cause as Error)?.message ?? cause);
      const glibc = glibcVersion();
      if (/__isoc23_|GLIBC_2\.3[89]/.test(message) || (/native binding/i.test(message) && glibc && glibc < "2.38")) {
        throw new PluginLoadError(
          `@earthmover/icechunk's native binding cannot load on this system (glibc ${glibc ?? "unknown"}; it needs the ` +
            `glibc >= 2.38 symbols __isoc23_sscanf/__isoc23_strtol). Fix: upgrade to a distribution with glibc >= 2.38, ` +
            `or preload vz's compat shim: cc -shared -fPIC -O2 -o libglibc-compat.so tools/glibc-compat/glibc-compat.c ` +
            `and run with LD_PRELOAD=$PWD/libglibc-compat.so`,
          { packageName: "@earthmover/icechunk", cause },
        );
      }
      if (/Cannot find (module|package) '@earthmover\/icechunk'/.test(message)) {
        throw new PluginLoadError(
          "@vz/icechunk needs the optional peer dependency @earthmover/icechunk: install it with `npm install @earthmover/icechunk`",
          { packageName: "@earthmover/icechunk", cause },
        );
      }
      throw new PluginLoadError(`cannot load @earthmover/icechunk: ${message}`, { packageName: "@earthmover/icechunk", cause });
    }
  })();
  return cached;
}
