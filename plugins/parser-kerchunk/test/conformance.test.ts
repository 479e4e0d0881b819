/** vz's parser conformance suite (describeParser from @vz/core/testing) on a few reference files. */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describeParser } from "@vz/core/testing";
import kerchunkPlugin from "../src/index.js";

const DATA = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../../../shared/data");
const root = (folder: string): string => `${pathToFileURL(resolve(DATA, folder)).href}/`;

describeParser({
  name: "kerchunk parser conformance",
  plugin: kerchunkPlugin,
  packageJson: new URL("../package.json", import.meta.url),
  skip: existsSync(DATA) ? false : "../shared/data is absent",
  cases: [
    {
      file: resolve(DATA, "netcdf4/air.nc.kerchunk.json"),
      parserOptions: { root: root("netcdf4") },
      expect: { arrays: ["air", "lat", "lon", "time"], shapes: { air: [124, 11, 21] }, dataTypes: { air: "int16" }, dimensionNames: { air: ["time", "lat", "lon"] } },
    },
    {
      file: resolve(DATA, "tiff/byte.tif.tifffile.json"),
      parserOptions: { root: root("tiff") },
      expect: { arrays: ["data"], shapes: { data: [20, 20] }, dataTypes: { data: "uint8" }, chunkShapes: { data: [20, 20] } },
    },
    {
      file: resolve(DATA, "netcdf4/ATL16_prefetch_group.nc4.kerchunk.json"),
      parserOptions: { root: root("netcdf4") },
    },
  ],
});
