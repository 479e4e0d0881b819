declare const __VZ_VERSION__: string | undefined;
/** The package version, baked in at build time. */
export const VERSION: string = typeof __VZ_VERSION__ !== "undefined" ? __VZ_VERSION__ : "0.0.0-test";
