/**
 * Opening or creating an Icechunk repository for a dataset: storage from a local path or
 * `s3://bucket/prefix`, virtual chunk containers for every URL the dataset references, one commit.
 * @module
 */
import { isVirtual, type VirtualDataset, WriteError } from "@vz/core";
import { type S3ContainerOptions, virtualChunkContainersFor } from "./containers.js";
import { type IcechunkModule, type IcechunkRepository, loadIcechunk } from "./load.js";
import { toIcechunk, type ToIcechunkOptions, type ToIcechunkResult } from "./to-icechunk.js";

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

function referencedUrls(vds: VirtualDataset): Set<string> {
  const urls = new Set<string>();
  for (const variable of vds.variables.values()) if (isVirtual(variable)) for (const url of variable.data.manifest.urls) urls.add(url);
  return urls;
}

/**
 * Opens the repository at `where` (creating it when absent) with virtual chunk containers and
 * access authorised for every URL prefix in `urls` (added to an existing repository's config).
 */
export async function openRepositoryFor(where: RepositoryLocation, urls: Iterable<string>): Promise<IcechunkRepository> {
  const icechunk = await loadIcechunk(where.lib);
  const storage = await storageFor(icechunk, where);
  const { containers, authorize } = virtualChunkContainersFor(urls, where.s3 ? { s3: where.s3 } : {});
  if (await icechunk.Repository.exists(storage)) {
    const existing = (await icechunk.Repository.fetchConfig(storage)) ?? {};
    const known = (existing.virtualChunkContainers as Record<string, unknown> | undefined) ?? {};
    const merged = { ...known, ...containers };
    const authorizeAll: Record<string, unknown> = { ...authorize };
    for (const prefix of Object.keys(known)) if (!(prefix in authorizeAll)) authorizeAll[prefix] = prefix.startsWith("s3://") ? { type: "S3", field0: { type: "FromEnv" } } : null;
    const repo = await icechunk.Repository.open(storage, { ...existing, virtualChunkContainers: merged }, authorizeAll);
    if (Object.keys(containers).some((prefix) => !(prefix in known))) await repo.saveConfig();
    return repo;
  }
  return icechunk.Repository.create(storage, { virtualChunkContainers: containers }, null, authorize);
}

/** Options of {@link writeIcechunk}. */
export interface WriteIcechunkOptions extends ToIcechunkOptions, RepositoryLocation {
  branch?: string;
  message?: string;
}

/**
 * Writes `vds` to the repository at `location` (created if needed) in one commit on `branch`.
 * @returns the snapshot id and counts.
 */
export async function writeIcechunk(vds: VirtualDataset, options: WriteIcechunkOptions): Promise<ToIcechunkResult & { snapshotId: string }> {
  const repo = await openRepositoryFor(options, referencedUrls(vds));
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
