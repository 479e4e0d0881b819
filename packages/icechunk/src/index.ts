/**
 * @vz/icechunk — write vz virtual datasets into Icechunk repositories. `@earthmover/icechunk`
 * is an optional peer dependency loaded on first use.
 * @module
 */
export { VERSION } from "./version.js";
export { encodeLoaded, toIcechunk } from "./to-icechunk.js";
export type { ToIcechunkOptions, ToIcechunkResult } from "./to-icechunk.js";
export { containerPrefixFor, virtualChunkContainersFor } from "./containers.js";
export type { S3ContainerOptions, VirtualChunkContainer } from "./containers.js";
export { glibcVersion, loadIcechunk } from "./load.js";
export type { IcechunkModule, IcechunkRepository, IcechunkSession, IcechunkStore } from "./load.js";
export { openRepositoryFor, storageFor, writeIcechunk } from "./repository.js";
export type { RepositoryLocation, WriteIcechunkOptions } from "./repository.js";
