/**
 * Every file of /work/shared/data/netcdf3 against its oracle (scipy's header view and
 * netCDF4-python's raw values, made by /work/shared/oracle/make_oracle.py): begin offsets, vsize,
 * record size, chunk byte lengths, and the sha256 of every variable's values read back through
 * ManifestStore + zarrita.
 */
import { isVzError, ManifestArray, ManifestStore } from "@vz/core";
import { FileReader, toUrl } from "@vz/core/node";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createNetcdf3Parser, readHeader } from "../src/index.js";
import { charListHash, isStackedChar, NETCDF3_DATA, oracleOf, pythonJson, readArray, sha256, sharedFiles, typedBytes } from "./helpers.js";

const reader = new FileReader();
const files = sharedFiles();

describe.skipIf(!NETCDF3_DATA)(`shared netCDF3 files match their oracle${NETCDF3_DATA ? "" : " (skipped: ../shared/data/netcdf3 is absent)"}`, () => {
  const good = files.filter((name) => !oracleOf(name).netcdf3_header?.error);
  const bad = files.filter((name) => oracleOf(name).netcdf3_header?.error);

  it("finds the shared files", () => {
    expect(good.length).toBeGreaterThanOrEqual(10);
    expect(bad).toContain("bad_cdf5_begin.nc");
  });

  // charArrays "chars" (default: char variables as stored, |S1) and "string" (joined at parse time)
  for (const [name, mode] of good.flatMap((n) => (["chars", "string"] as const).map((m) => [n, m] as const))) {
    it(`${name}: header offsets, chunk refs and values (charArrays "${mode}")`, async () => {
      const parse = createNetcdf3Parser({ charArrays: mode });
      const oracle = oracleOf(name);
      const expected = oracle.netcdf3_header;
      const url = toUrl(join(NETCDF3_DATA!, name));
      const { header, layout, fileSize } = await readHeader(url, reader);
      expect(fileSize).toBe(oracle.size);
      expect(header.version).toBe(expected.version_byte);
      expect(layout.numrecs).toBe(expected.numrecs);
      if (layout.numrecs > 0) expect(layout.recordSize).toBe(expected.recsize);
      expect(header.variables.map((v) => v.name).sort()).toEqual(Object.keys(expected.variables).sort());
      for (const variable of header.variables) {
        const facts = expected.variables[variable.name];
        expect(variable.begin, `${variable.name} begin`).toBe(facts.begin);
        expect(variable.storedVsize, `${variable.name} vsize`).toBe(facts.vsize);
        expect(variable.isRecord, `${variable.name} is_record`).toBe(facts.is_record);
        expect(facts.offsets_verified, `${variable.name}: oracle verified its offsets`).toBe(true);
      }

      const store = await parse(url, reader);
      expect(store).toBeInstanceOf(ManifestStore);
      const root = JSON.parse(new TextDecoder().decode((await store.get("zarr.json"))!));
      expect(root.node_type).toBe("group");
      expect(Object.keys(root.attributes).sort()).toEqual(Object.keys(oracle.netcdf.root.attrs).sort());

      for (const [variableName, facts] of Object.entries<any>(expected.variables)) {
        const array = store.group.arrays.get(variableName);
        expect(array, variableName).toBeInstanceOf(ManifestArray);
        const metadata = array!.metadata;
        const ncFacts = oracle.netcdf.root.variables[variableName];
        const isChar = facts.dtype === "|S1";
        const stacked = mode === "string" && isStackedChar(expected.variables, variableName);
        const dims: string[] = stacked ? facts.dims.slice(0, -1) : facts.dims;
        expect(metadata.dimension_names, variableName).toEqual(dims);
        expect(Object.keys(metadata.attributes).sort(), variableName).toEqual(Object.keys(ncFacts.attrs).sort());
        const raw = facts.raw_values;
        if (isChar) expect(metadata.data_type).toBe(mode === "chars" ? "fixed_length_bytes:1" : "string");
        // chunk references: where the oracle verified the bytes (char data too when kept in place)
        if (!isChar || mode === "chars") {
          const entries = [...array!.manifest.entries()];
          if (facts.is_record) {
            expect(entries.length).toBe(layout.numrecs);
            entries.forEach(([coords, entry], record) => {
              expect(coords[0]).toBe(record);
              expect(entry).toEqual({ url, offset: facts.begin + record * expected.recsize, length: facts.record_chunk_bytes });
            });
          } else {
            expect(entries).toEqual([[new Array(metadata.shape.length).fill(0), { url, offset: facts.begin, length: facts.nbytes }]]);
          }
          for (const [, entry] of entries) {
            if ("offset" in entry) expect(entry.offset + entry.length).toBeLessThanOrEqual(fileSize);
          }
        }
        // values through zarrita
        const { data, shape } = await readArray(store, variableName);
        if (isChar) {
          const strings = Array.from(data as Iterable<string>);
          expect(shape).toEqual(stacked ? raw.shape.slice(0, -1) : raw.shape);
          const width = stacked ? raw.shape[raw.shape.length - 1] : 1;
          expect(charListHash(strings, width), `${variableName} values`).toBe(raw.sha256_json);
          // where xarray joined the characters too (it does not always) and did not mask a
          // _FillValue, its strings are ours
          const cf = oracle.cf?.["/"]?.variables?.[variableName]?.values;
          if (mode === "string" && ncFacts.attrs._FillValue === undefined && cf?.sha256_json && cf.dtype !== "|S1" && JSON.stringify(cf.shape) === JSON.stringify(shape)) {
            expect(sha256(pythonJson(strings)), `${variableName} decoded strings`).toBe(cf.sha256_json);
          }
        } else {
          expect(shape).toEqual(raw.shape);
          expect(sha256(typedBytes(data)), `${variableName} values`).toBe(raw.sha256_le);
        }
      }
    });
  }

  for (const name of bad) {
    it(`${name}: corrupt header is a ParseError naming file, field and variable`, async () => {
      const url = toUrl(join(NETCDF3_DATA!, name));
      const error = await createNetcdf3Parser()(url, reader).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isVzError(error, "PARSE_FAILED"), String(error)).toBe(true);
      const message = (error as Error).message;
      expect(message).toContain(url);
      expect(message).toMatch(/field \w+/);
      if (name === "bad_cdf5_begin.nc") expect(message).toMatch(/field begin of variable "var_big".*passes the end of the file \(220 bytes\)/);
      expect((error as { variable?: string }).variable).toBeTruthy();
      expect(message).toContain(`"${(error as { variable?: string }).variable}"`);
    });
  }
});
