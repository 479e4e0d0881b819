/**
 * Opening or creating an Icechunk repository for a dataset: storage from a local path or
 * `s3://bucket/prefix`, virtual chunk containers for every URL the dataset references, one commit.
 * @module
 */
import {
  isVzError,
  type ObjectReader,
  NotFoundError,
  ReadError,
  UrlNotAllowedError,
  type VirtualDataset,
  WriteError,
} from "@vz/core";
import { isVirtual } from "@vz/core/internal";
import { containerPrefixFor, credentialsFor, type S3ContainerOptions, virtualChunkContainersFor } from "./containers.js";
import { type IcechunkModule, type IcechunkRepository, type IcechunkSession, loadIcechunk } from "./load.js";
import { datasetGroups, toIcechunk, type ToIcechunkOptions, type ToIcechunkResult, type VirtualDatasetTree } from "./to-icechunk.js";
import { allowedPlaceFor, defaultCwd, normalizeAllowedPrefix, repositoryPlace, resolveLocalPath } from "./trust.js";

/** Where a repository lives. */
export interface RepositoryLocation {
  /** A local directory, or `s3://bucket/prefix`. */
  location: string;
  /** S3 settings for the repository's own storage and for `s3://` virtual chunks. */
  s3?: S3ContainerOptions;
  /** Inject the `@earthmover/icechunk` module (tests, bundlers). */
  lib?: IcechunkModule;
}

/** Storage object for a location. */
export async function storageFor(icechunk: IcechunkModule, where: RepositoryLocation): Promise<unknown> {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(where.location);
  if (match) {
    const s3 = where.s3 ?? {};
    const credentials = s3.anonymous
      ? { type: "Anonymous" }
      : s3.credentials
        ? { type: "Static", field0: { ...s3.credentials } }
        : { type: "FromEnv" };
    const options: Record<string, unknown> = {};
    if (s3.region) options.region = s3.region;
    if (s3.endpointUrl) {
      options.endpointUrl = s3.endpointUrl;
      options.allowHttp = s3.allowHttp ?? s3.endpointUrl.startsWith("http://");
    }
    if (s3.forcePathStyle !== undefined) options.forcePathStyle = s3.forcePathStyle;
    return icechunk.Storage.newS3(match[1]!, match[2] || null, credentials, options);
  }
  const path = where.location.startsWith("file://") ? decodeURIComponent(where.location.slice(7)) : where.location;
  return icechunk.Storage.newLocalFilesystem(path);
}

function referencedUrls(data: VirtualDataset | VirtualDatasetTree): Set<string> {
  const urls = new Set<string>();
  for (const [, vds] of datasetGroups(data)) {
    for (const variable of vds.variables.values()) if (isVirtual(variable)) for (const url of variable.data.manifest.urls) urls.add(url);
  }
  return urls;
}

/** Names Icechunk uses at a repository's root (spec v1 and v2). */
const ICECHUNK_ENTRIES = new Set(["repo", "config.yaml", "refs", "snapshots", "manifests", "transactions", "chunks", "overwritten"]);

/**
 * Icechunk refuses to create a repository in a non-empty prefix. A folder or prefix that holds
 * only other things (e.g. the source files the repository will reference) is fine: nothing can
 * clash. One with Icechunk entries (a broken or foreign repository) keeps the check, and so does
 * a remote prefix when there is no `reader` to list it with.
 */
async function cleanRootCheck(location: string, reader?: ObjectReader): Promise<boolean> {
  const remote = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(location) && !location.startsWith("file://");
  if (!remote) {
    const { existsSync, readdirSync } = await import("node:fs");
    const { fileURLToPath } = await import("node:url");
    const path = location.startsWith("file://") ? fileURLToPath(location) : location;
    if (!existsSync(path)) return true;
    const entries = readdirSync(path);
    return entries.length === 0 || entries.some((entry) => ICECHUNK_ENTRIES.has(entry));
  }
  if (!reader) return true;
  const prefix = location.endsWith("/") ? location : `${location}/`;
  try {
    let any = false;
    for await (const object of reader.list(prefix)) {
      any = true;
      if (ICECHUNK_ENTRIES.has(object.url.slice(prefix.length).split("/")[0]!)) return true;
    }
    return !any;
  } catch {
    return true;
  }
}

/**
 * For writing: opens the repository at `where` (creating it when absent) with a virtual chunk
 * container and access authorised for every URL prefix in `urls`. The containers are saved in the
 * repository's persisted config (added to an existing repository's), so that readers — vz, the
 * Node binding, Python icechunk — find them; readers still have to authorise them.
 * To read a repository, use {@link openRepository}, which applies the trust rule.
 */
export async function openRepositoryFor(
  where: RepositoryLocation & { reader?: ObjectReader },
  urls: Iterable<string>,
): Promise<IcechunkRepository> {
  const icechunk = await loadIcechunk(where.lib);
  const storage = await storageFor(icechunk, where);
  const { containers, authorize } = virtualChunkContainersFor(urls, where.s3 ? { s3: where.s3 } : {});
  if (await icechunk.Repository.exists(storage)) {
    // The binding's fetchConfig does not return the persisted containers, and a config passed to
    // open replaces them when saved. So: find the sources the branches and tags already reference,
    // and when the write adds a new prefix, persist containers for the old and the new ones.
    const plain = await icechunk.Repository.open(storage, null, null);
    const sources = new Set<string>();
    for (const branch of await plain.listBranches()) for (const url of await (await plain.readonlySession({ branch })).allVirtualChunkLocations()) sources.add(url);
    for (const tag of await plain.listTags()) for (const url of await (await plain.readonlySession({ tag })).allVirtualChunkLocations()) sources.add(url);
    const existing = virtualChunkContainersFor(sources, where.s3 ? { s3: where.s3 } : {});
    const added = Object.keys(containers).filter((prefix) => !(prefix in existing.containers));
    if (added.length === 0) return icechunk.Repository.open(storage, null, { ...existing.authorize, ...authorize });
    const repo = await icechunk.Repository.open(
      storage,
      { virtualChunkContainers: { ...existing.containers, ...containers } },
      { ...existing.authorize, ...authorize },
    );
    await repo.saveConfig();
    return repo;
  }
  const repo = await icechunk.Repository.create(storage, { virtualChunkContainers: containers }, null, authorize, await cleanRootCheck(where.location, where.reader));
  // Repository.create keeps the config in memory only; persist it with the repository.
  await repo.saveConfig();
  return repo;
}

/** Options of {@link openRepository}. */
export interface OpenRepositoryOptions extends RepositoryLocation {
  /**
   * URL prefixes (or local folders) whose virtual chunks may be read, besides the repository's
   * own place (its folder tree, or its `s3://bucket/prefix/`). The CLI's `--allow`.
   */
  allowedPrefixes?: readonly string[];
  /** Resolves relative locations and allowed folders (default: `process.cwd()`). */
  cwd?: string;
  /** The version to read: a branch (default `main`), a tag or a snapshot id. */
  branch?: string;
  tag?: string;
  snapshotId?: string;
}

/** What {@link openRepository} opened. */
export interface OpenedRepository {
  /** A read-only session pinned to the checked snapshot. */
  session: IcechunkSession;
  /** The snapshot read (the branch or tag tip when the repository was opened). */
  snapshotId: string;
  /** A zarrita-compatible read-only store over the session whose failures are typed VzErrors. */
  store: { get(key: string): Promise<Uint8Array | undefined>; getRange(key: string, range: { offset: number; length: number } | { suffixLength: number }): Promise<Uint8Array | undefined> };
  /** Every source URL the version's virtual chunks point to (all checked against the allowed places). */
  locations: string[];
  /** The allowed places, as URL prefixes. */
  allowed: string[];
}

/** "file:///a/b/c.nc" -> ["file:///", "file:///a/", "file:///a/b/"]: every prefix a container could have. */
function ancestorPrefixes(url: string): string[] {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)(.*)$/.exec(url);
  if (!match) return [];
  const prefixes = [match[1]!];
  const parts = match[2]!.split("/");
  let current = match[1]!;
  for (let i = 0; i < parts.length - 1; i++) {
    current += `${parts[i]}/`;
    prefixes.push(current);
  }
  return prefixes;
}

function allowHint(prefix: string): string {
  return `To allow it, pass --allow ${prefix} to vz (repeatable), add it to "allow" in vz.config.json, or to allowedPrefixes in the API`;
}

/**
 * For reading, with the trust rule: opens the existing repository at `location`, resolves the
 * version to a snapshot, lists every source URL that snapshot's virtual chunks point to (manifests
 * only, no chunk), and refuses (UrlNotAllowedError, before any chunk is read) a source outside the
 * allowed places — the repository's own place and `allowedPrefixes`. Only then are the containers
 * of those sources authorised, for a session pinned to that snapshot (so a later commit cannot
 * slip in other sources). Chunk read failures are typed errors too.
 * @example
 * const { store } = await openRepository({ location: "/data/repo", allowedPrefixes: ["/data/netcdf"] });
 * const air = await zarr.get(await zarr.open.v3(zarr.root(store).resolve("air"), { kind: "array" }));
 */
export async function openRepository(options: OpenRepositoryOptions): Promise<OpenedRepository> {
  const icechunk = await loadIcechunk(options.lib);
  const cwd = options.cwd ?? defaultCwd();
  const location = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(options.location) ? options.location : resolveLocalPath(cwd, options.location);
  const version = options.snapshotId ? { snapshotId: options.snapshotId } : options.tag ? { tag: options.tag } : { branch: options.branch ?? "main" };
  const what = Object.entries(version).map(([k, v]) => `${k} ${v}`).join("");
  const fail = (cause: unknown): never => {
    if (isVzError(cause)) throw cause;
    throw new ReadError(`cannot open the Icechunk repository at ${location} (${what}): ${String((cause as Error)?.message ?? cause).split("\n")[0]}`, { url: location, cause });
  };
  const storage = await storageFor(icechunk, { ...options, location }).catch(fail);
  if (!(await icechunk.Repository.exists(storage).catch(fail))) {
    throw new NotFoundError(`no Icechunk repository at ${location}`, { url: location });
  }
  // 1. Which snapshot, and where do its chunks live?
  const unauthorised = await icechunk.Repository.open(storage, null, null).catch(fail);
  const listing = await unauthorised.readonlySession(version).catch(fail);
  const snapshotId = listing.snapshotId;
  // (one entry per chunk: de-duplicate)
  const locations = [...new Set(await listing.allVirtualChunkLocations().catch(fail))];
  // 2. Every source must lie under an allowed place.
  const allowed = [repositoryPlace(location, cwd), ...(options.allowedPrefixes ?? []).map((entry) => normalizeAllowedPrefix(entry, cwd))];
  const outside = locations.filter((url) => !allowedPlaceFor(url, allowed));
  if (outside.length > 0) {
    const prefixes = [...new Set(outside.map((url) => containerPrefixFor(url)))];
    throw new UrlNotAllowedError(
      `Icechunk repository ${location}: its virtual chunk container ${prefixes[0]} (chunks in ${outside[0]}` +
        `${outside.length > 1 ? ` and ${outside.length - 1} more file(s)` : ""}) is outside the allowed places (${allowed.join(", ")}), ` +
        `so none of its chunks is read${prefixes.length > 1 ? `; other containers outside them: ${prefixes.slice(1).join(", ")}` : ""}. ${allowHint(prefixes[0]!)}`,
      { url: prefixes[0]! },
    );
  }
  // 3. Authorise the containers of the checked sources (any prefix of them a container can have),
  //    for a session pinned to the checked snapshot.
  const authorize: Record<string, unknown> = {};
  for (const url of locations) for (const prefix of ancestorPrefixes(url)) authorize[prefix] = credentialsFor(prefix, options.s3);
  const repository = await icechunk.Repository.open(storage, null, authorize).catch(fail);
  const session = await repository.readonlySession({ snapshotId }).catch(fail);
  const mapChunkError = (key: string, cause: unknown): never => {
    const message = String((cause as Error)?.message ?? cause);
    const container = /resolves to the url prefix (\S+?),/.exec(message)?.[1];
    if (container) {
      throw new UrlNotAllowedError(
        `Icechunk repository ${location}: "${key}" is a virtual chunk of the container ${container}, which vz did not authorise; it was not read`,
        { url: container, cause },
      );
    }
    if (/no virtual chunk container can handle/.test(message)) {
      throw new UrlNotAllowedError(`Icechunk repository ${location}: "${key}" is a virtual chunk no container of the repository covers: ${message.split("\n")[0]}`, { url: location, cause });
    }
    throw new ReadError(`Icechunk repository ${location}: cannot read "${key}": ${message.split("\n")[0]}`, { url: location, cause });
  };
  const store = {
    get: (key: string) => session.store.get(key.replace(/^\/+/, "")).then((v) => v ?? undefined, (cause: unknown) => mapChunkError(key, cause)),
    getRange: (key: string, range: { offset: number; length: number } | { suffixLength: number }) =>
      session.store.getRange(key.replace(/^\/+/, ""), range).then((v) => v ?? undefined, (cause: unknown) => mapChunkError(key, cause)),
  };
  return { session, snapshotId, store, locations, allowed };
}

/** Options of {@link writeIcechunk}. */
export interface WriteIcechunkOptions extends ToIcechunkOptions, RepositoryLocation {
  branch?: string;
  message?: string;
}

/**
 * Writes `vds` — or a tree of groups, `Map<groupPath, VirtualDataset>` ("" or "/" for the root,
 * "a/b" for nested groups) — to the repository at `location` (created if needed) in one commit
 * on `branch`.
 * @returns the snapshot id and counts.
 */
export async function writeIcechunk(vds: VirtualDataset | VirtualDatasetTree, options: WriteIcechunkOptions): Promise<ToIcechunkResult & { snapshotId: string }> {
  const repo = await openRepositoryFor(options, referencedUrls(vds)).catch((cause: unknown) => {
    if (isVzError(cause)) throw cause;
    const message = String((cause as Error)?.message ?? cause).split("\n")[0]!;
    const hint = /clean prefix/.test(message) ? " (the location holds Icechunk-like entries but is no repository: pick an empty folder or prefix)" : "";
    throw new WriteError(`writeIcechunk: cannot open or create the Icechunk repository at ${options.location}: ${message}${hint}`, { cause });
  });
  const session = await repo.writableSession(options.branch ?? "main");
  let result: ToIcechunkResult;
  try {
    result = await toIcechunk(vds, session, options);
  } catch (error) {
    await session.discardChanges().catch(() => undefined);
    throw error;
  }
  try {
    const snapshotId = await session.commit(options.message ?? `vz: ${options.appendDim ? `append along ${options.appendDim}` : "write virtual dataset"}`);
    return { ...result, snapshotId };
  } catch (cause) {
    throw new WriteError(`writeIcechunk: commit to ${options.location} failed: ${(cause as Error).message}`, { cause });
  }
}
