/**
 * Icechunk is an optional extra of the CLI: `@vz/icechunk` and its native binding
 * `@earthmover/icechunk` are optional peer dependencies, imported only for `--format icechunk`
 * and for reading a repository.
 * @module
 */
import { isVzError, PluginLoadError } from "@vz/core";

type IcechunkPackage = typeof import("@vz/icechunk");

export const ICECHUNK_INSTALL = "npm install @vz/icechunk @earthmover/icechunk";

/**
 * Imports `@vz/icechunk` and loads the native binding (with vz's glibc compat shim where glibc is
 * older than 2.38). Missing packages are a PluginLoadError that gives the install command.
 * @param importer replaces the dynamic import (tests)
 */
export async function importIcechunk(
  what: string,
  importer: () => Promise<IcechunkPackage> = () => import("@vz/icechunk"),
): Promise<IcechunkPackage> {
  let icechunk: IcechunkPackage;
  try {
    icechunk = await importer();
  } catch (cause) {
    const message = String((cause as Error)?.message ?? cause);
    if (/Cannot find (module|package) '@vz\/icechunk'/.test(message)) {
      throw new PluginLoadError(
        `${what} needs the optional packages @vz/icechunk and @earthmover/icechunk, which are not installed. ` +
          `Install them next to @vz/cli: ${ICECHUNK_INSTALL} (for a global vz: npm install -g @vz/cli @vz/icechunk @earthmover/icechunk)`,
        { packageName: "@vz/icechunk", cause },
      );
    }
    throw new PluginLoadError(`${what}: cannot load @vz/icechunk: ${message}`, { packageName: "@vz/icechunk", cause });
  }
  try {
    await icechunk.loadIcechunk();
  } catch (error) {
    if (isVzError(error) && /Cannot find (module|package) '@earthmover\/icechunk'|npm install @earthmover\/icechunk/.test(error.message)) {
      throw new PluginLoadError(
        `${what} needs the optional package @earthmover/icechunk (Icechunk's native binding), which is not installed. ` +
          `Install it next to @vz/cli: ${ICECHUNK_INSTALL}`,
        { packageName: "@earthmover/icechunk", cause: error },
      );
    }
    throw error;
  }
  return icechunk;
}
