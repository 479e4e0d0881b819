/**
 * @vz/core/testing — conformance kits every reader and parser runs (vitest).
 * @module
 */
export {};
