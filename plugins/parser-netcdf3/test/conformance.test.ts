/**
 * The conformance kit (describeParser from @vz/core/testing) on every shared netCDF3 file, with
 * shapes, data types and dimension names taken from the oracles, truncated copies cut just before
 * the end of the data (from the oracle's offsets), and the corrupt file as an error case.
 */
import { join } from "node:path";
import { describeParser, type ParserCase } from "@vz/core/testing";
import netcdf3 from "../src/index.js";
import { NETCDF3_DATA, oracleOf, sharedFiles } from "./helpers.js";

function caseOf(name: string): ParserCase {
  const oracle = oracleOf(name);
  const header = oracle.netcdf3_header;
  if (header.error) return { file: join(NETCDF3_DATA!, name), expect: { error: "PARSE_FAILED" } };
  const shapes: Record<string, number[]> = {};
  const dataTypes: Record<string, string> = {};
  const dimensionNames: Record<string, string[]> = {};
  let dataEnd = 0;
  // char variables are kept as stored: |S1 with every dimension (the default charArrays "chars")
  const types: Record<string, string> = { "|i1": "int8", ">i2": "int16", ">i4": "int32", ">f4": "float32", ">f8": "float64", "|S1": "fixed_length_bytes:1" };
  for (const [variable, facts] of Object.entries<any>(header.variables)) {
    shapes[variable] = facts.raw_values.shape;
    dimensionNames[variable] = facts.dims;
    dataTypes[variable] = types[facts.dtype]!;
    const end = facts.is_record
      ? header.numrecs > 0
        ? facts.begin + (header.numrecs - 1) * header.recsize + facts.record_chunk_bytes
        : 0
      : facts.begin + facts.nbytes;
    dataEnd = Math.max(dataEnd, end);
  }
  return {
    file: join(NETCDF3_DATA!, name),
    truncatedLengths: (size) => [0, 16, Math.floor(size / 2), dataEnd - 1].filter((n) => n < size),
    expect: {
      arrays: Object.keys(header.variables),
      shapes,
      dataTypes,
      dimensionNames,
      attributes: Object.fromEntries(Object.entries<unknown>(oracle.netcdf.root.attrs).filter(([, v]) => typeof v === "string")),
    },
  };
}

describeParser({
  name: "netcdf3 on the shared files",
  plugin: netcdf3,
  packageJson: new URL("../package.json", import.meta.url),
  skip: NETCDF3_DATA ? false : "../shared/data/netcdf3 is absent",
  cases: sharedFiles().map(caseOf),
});
