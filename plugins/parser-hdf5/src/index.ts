/**
 * @vz/parser-hdf5 — virtualize HDF5 and netCDF4 files by reading only their metadata.
 * @module
 */
export { HdfFile, Cursor, UNDEFINED_ADDRESS, lookup3 } from "./io.js";
