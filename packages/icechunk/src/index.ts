/**
 * @vz/icechunk — write vz virtual datasets into Icechunk repositories. `@earthmover/icechunk`
 * is an optional peer dependency loaded on first use.
 * @module
 */
export { VERSION } from "./version.js";
export { datasetGroups, encodeLoaded, toIcechunk } from "./to-icechunk.js";
export type { ToIcechunkOptions, ToIcechunkResult, VirtualDatasetTree } from "./to-icechunk.js";
export { containerPrefixFor, credentialsFor, virtualChunkContainersFor } from "./containers.js";
export { allowedPlaceFor, normalizeAllowedPrefix, repositoryPlace } from "./trust.js";
export type { S3ContainerOptions, VirtualChunkContainer } from "./containers.js";
export { glibcCompatEnv, glibcCompatLibrary, glibcCompatNeeded, glibcVersion, loadIcechunk, preloadGlibcCompat } from "./load.js";
export type { IcechunkModule, IcechunkRepository, IcechunkSession, IcechunkStore } from "./load.js";
export { openRepository, openRepositoryFor, storageFor, writeIcechunk } from "./repository.js";
export type { OpenedRepository, OpenRepositoryOptions, RepositoryLocation, WriteIcechunkOptions } from "./repository.js";
