/**
 * @vz/cli — the `vz` command. `run(argv)` runs it in process (used by tests).
 * @module
 */
export { run } from "./main.js";
export { globToRegExp, loadConfig, parserRuleFor } from "./config.js";
export type { ParserRule, VzConfig } from "./config.js";
