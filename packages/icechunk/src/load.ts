/**
 * Loads the optional `@earthmover/icechunk` native binding, turning the usual failures into a
 * typed error that says what is missing and how to fix it.
 * @module
 */
import { PluginLoadError } from "@vz/core";

/** The parts of `@earthmover/icechunk` vz uses (structural, so no type import of the optional peer is needed). */
export interface IcechunkModule {
  Repository: {
    create(
      storage: unknown,
      config?: unknown,
      specVersion?: number | null,
      authorize?: Record<string, unknown> | null,
      checkCleanRoot?: boolean | null,
    ): Promise<IcechunkRepository>;
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
  listBranches(): Promise<string[]>;
  listTags(): Promise<string[]>;
}

/** A session handle (subset). */
export interface IcechunkSession {
  readonly store: IcechunkStore;
  commit(message: string): Promise<string>;
  readonly hasUncommittedChanges: boolean;
  discardChanges(): Promise<void>;
  readonly snapshotId: string;
  /** Every source URL the session's virtual chunks point to. */
  allVirtualChunkLocations(): Promise<string[]>;
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
  const report = (globalThis as { process?: { report?: { getReport(): { header?: { glibcVersionRuntime?: string } } } } }).process?.report;
  try {
    return report?.getReport().header?.glibcVersionRuntime;
  } catch {
    return undefined;
  }
}

/**
 * True when the native binding needs vz's compat shim: Linux x64 with glibc older than 2.38 (the
 * binding references `__isoc23_sscanf` / `__isoc23_strtol`, which only glibc 2.38+ exports).
 */
export function glibcCompatNeeded(): boolean {
  const glibc = glibcVersion();
  // linux-x64 is the binding's only Linux target; elsewhere there is nothing to fix.
  if (!glibc || (globalThis as { process?: { arch?: string } }).process?.arch !== "x64") return false;
  const [major = 0, minor = 0] = glibc.split(".").map(Number);
  return major < 2 || (major === 2 && minor < 38);
}

const SHIM = "libvz-glibc-compat.so";

/**
 * The path of vz's glibc compat shim for this machine: the prebuilt copy shipped in
 * `@vz/icechunk` (`dist/native/linux-x64/`), else one compiled once with `cc` from the shipped
 * source (`native/glibc-compat.c`) into `$VZ_CACHE_DIR`, `$XDG_CACHE_HOME/vz` or `~/.cache/vz`.
 * Throws PluginLoadError when neither is possible.
 * @param options.prebuilt use the prebuilt copy when present (default true)
 * @param options.cacheDir where to compile it (default as above)
 */
export async function glibcCompatLibrary(options: { prebuilt?: boolean; cacheDir?: string } = {}): Promise<string> {
  const { createHash } = await import("node:crypto");
  const { execFileSync } = await import("node:child_process");
  const fs = await import("node:fs");
  const { homedir, tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { fileURLToPath } = await import("node:url");
  const platform = `${process.platform}-${process.arch}`;
  // dist/index.js -> dist/native/<platform>/; src/load.ts (tests) -> ../dist/native/<platform>/
  for (const relative of options.prebuilt === false ? [] : [`./native/${platform}/${SHIM}`, `../dist/native/${platform}/${SHIM}`]) {
    const candidate = fileURLToPath(new URL(relative, import.meta.url));
    if (fs.existsSync(candidate)) return candidate;
  }
  const source = fileURLToPath(new URL("../native/glibc-compat.c", import.meta.url));
  if (!fs.existsSync(source)) {
    throw new PluginLoadError(`@vz/icechunk: no prebuilt glibc compat shim for ${platform} and its source ${source} is missing (broken installation?)`, {
      packageName: "@vz/icechunk",
    });
  }
  const text = fs.readFileSync(source);
  const hash = createHash("sha256").update(text).digest("hex").slice(0, 12);
  const cacheRoot =
    options.cacheDir ??
    process.env.VZ_CACHE_DIR ??
    (process.env.XDG_CACHE_HOME ? join(process.env.XDG_CACHE_HOME, "vz") : homedir() ? join(homedir(), ".cache", "vz") : join(tmpdir(), "vz-cache"));
  const output = join(cacheRoot, `libvz-glibc-compat-${hash}.so`);
  if (fs.existsSync(output)) return output;
  const partial = `${output}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(cacheRoot, { recursive: true });
    execFileSync(process.env.CC ?? "cc", ["-std=c11", "-shared", "-fPIC", "-O2", "-o", partial, source], { stdio: "pipe" });
    fs.renameSync(partial, output);
  } catch (cause) {
    fs.rmSync(partial, { force: true });
    const detail = (cause as { code?: string }).code === "ENOENT" ? "no C compiler (cc) found" : String((cause as { stderr?: Buffer }).stderr ?? (cause as Error).message).trim();
    throw new PluginLoadError(
      `@vz/icechunk: cannot build the glibc compat shim for ${platform} into ${cacheRoot}: ${detail}. ` +
        `Install a C compiler (e.g. apt-get install gcc), or upgrade to glibc >= 2.38`,
      { packageName: "@vz/icechunk", cause },
    );
  }
  return output;
}

let preloaded: Promise<string | undefined> | undefined;

/**
 * On glibc < 2.38, loads the compat shim into this process (RTLD_GLOBAL) so that
 * `@earthmover/icechunk` loads afterwards; a no-op elsewhere or when `VZ_GLIBC_COMPAT=0`.
 * `loadIcechunk` calls it; call it yourself before importing `@earthmover/icechunk` directly.
 * @returns the shim's path when it was loaded.
 */
export function preloadGlibcCompat(): Promise<string | undefined> {
  if (!glibcCompatNeeded() || process.env.VZ_GLIBC_COMPAT === "0") return Promise.resolve(undefined);
  preloaded ??= (async () => {
    const path = await glibcCompatLibrary();
    const { constants } = await import("node:os");
    try {
      process.dlopen({ exports: {} } as NodeJS.Module, path, constants.dlopen.RTLD_NOW | constants.dlopen.RTLD_GLOBAL);
    } catch (cause) {
      throw new PluginLoadError(`@vz/icechunk: cannot load the glibc compat shim ${path}: ${(cause as Error).message}`, {
        packageName: "@vz/icechunk",
        cause,
      });
    }
    return path;
  })().catch((error: unknown) => {
    preloaded = undefined;
    throw error;
  });
  return preloaded;
}

/**
 * The environment for a child process that imports `@earthmover/icechunk` directly: `env` with
 * the compat shim prepended to `LD_PRELOAD` where glibc < 2.38, `env` unchanged elsewhere.
 * @example
 * spawn(process.execPath, ["my-script.mjs"], { env: await glibcCompatEnv() });
 */
export async function glibcCompatEnv(env: Record<string, string | undefined> = process.env): Promise<Record<string, string | undefined>> {
  if (!glibcCompatNeeded()) return { ...env };
  const path = await glibcCompatLibrary();
  const existing = env.LD_PRELOAD?.split(/[:\s]+/).filter(Boolean) ?? [];
  return { ...env, LD_PRELOAD: [path, ...existing.filter((entry) => entry !== path)].join(":") };
}

let cached: Promise<IcechunkModule> | undefined;

/**
 * Imports `@earthmover/icechunk` (or returns `lib` when given), first loading vz's glibc compat
 * shim where glibc < 2.38. Throws PluginLoadError with the fix when the package is missing or its
 * native binding cannot load.
 */
export function loadIcechunk(lib?: IcechunkModule): Promise<IcechunkModule> {
  if (lib) return Promise.resolve(lib);
  cached ??= (async () => {
    let shimError: unknown;
    await preloadGlibcCompat().catch((error: unknown) => {
      shimError = error;
    });
    try {
      const module = (await import("@earthmover/icechunk")) as unknown as IcechunkModule & { default?: IcechunkModule };
      return module.Repository ? module : (module.default as IcechunkModule);
    } catch (cause) {
      cached = undefined;
      const message = String((cause as Error)?.message ?? cause);
      const glibc = glibcVersion();
      if (/__isoc23_|GLIBC_2\.3[89]/.test(message) || (/native binding/i.test(message) && glibcCompatNeeded())) {
        const why = shimError
          ? `vz could not load its compat shim: ${(shimError as Error).message}`
          : process.env.VZ_GLIBC_COMPAT === "0"
            ? "vz's automatic compat shim is switched off (VZ_GLIBC_COMPAT=0)"
            : "vz's compat shim did not help";
        throw new PluginLoadError(
          `@earthmover/icechunk's native binding cannot load on this system (glibc ${glibc ?? "unknown"}; it needs the ` +
            `glibc >= 2.38 symbols __isoc23_sscanf/__isoc23_strtol) and ${why}. Fix: unset VZ_GLIBC_COMPAT and make sure ` +
            `a C compiler (cc) is available or the prebuilt shim ships with @vz/icechunk, or upgrade to glibc >= 2.38`,
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
