/**
 * Compares a parsed ManifestStore with an oracle (make_oracle.py output) using vitest's expect.
 */
import { ManifestArray, type ManifestStore, type UnsupportedFeatureError } from "@vz/core";
import { registerCodecs } from "@vz/core/codecs";
import * as zarr from "zarrita";
import { expect } from "vitest";
import { canonicalChunkList, chunkListSha, expectedDataType, type Oracle, type OracleDataset, pythonJson, sha256 } from "./oracle-helpers.js";

await registerCodecs();

/** What one file's check found (for the results table). */
export interface FileResult {
  file: string;
  ok: number;
  valuesChecked: number;
  dropped: number;
  unsupported: string[];
  notes: string[];
  /** Arrays whose phony dimension names were compared with netCDF-C's. */
  phonyChecked?: number;
}

/** The feature an oracle dataset must be refused with, or undefined when it is virtualizable. */
export function expectedUnsupported(dataset: OracleDataset): string | undefined {
  if (dataset.error) return "datatype:";
  if (dataset.dtype === "|O" && dataset.string === undefined) return "datatype:vlen-sequence";
  if ((dataset.chunks_with_nonzero_filter_mask ?? 0) > 0) return "filter-mask";
  if (Array.isArray(dataset.dtype)) return "datatype:compound";
  if (/^[<>|]c/.test(dataset.dtype)) return "datatype:compound";
  if (/^\|V/.test(dataset.dtype)) return "datatype:";
  for (const filter of dataset.filters) {
    if (filter.id === 4) return "filter:szip";
    if (filter.id === 5) return "filter:nbit";
    if (filter.id === 6) return "filter:scaleoffset";
  }
  return undefined;
}

const HIDDEN = new Set(["_nc3_strict", "_NCProperties", "_Netcdf4Dimid", "_Netcdf4Coordinates", "REFERENCE_LIST", "DIMENSION_LIST", "CLASS", "NAME"]);

/** Normalizes an attribute value for comparison (1-element lists → scalar, NaN → "NaN"). */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 1 ? normalize(value[0]) : value.map(normalize);
  if (typeof value === "number" && Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "Infinity";
  if (value === Number.NEGATIVE_INFINITY) return "-Infinity";
  return value;
}

function comparableAttributes(attributes: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (HIDDEN.has(key) || key.startsWith("_Netcdf4")) continue;
    if (typeof value === "object" && value !== null && !Array.isArray(value)) continue; // bytes_hex: not UTF-8
    if (typeof value === "string" && (value.startsWith("ERR ") || value.startsWith("Empty("))) continue;
    if (Array.isArray(value) && value.some((v) => typeof v === "object" && v !== null)) continue;
    out[key] = normalize(value);
  }
  return out;
}

async function readValues(store: ManifestStore, key: string): Promise<unknown> {
  const array = await zarr.open(zarr.root(store as unknown as zarr.Readable).resolve(key), { kind: "array" });
  return zarr.get(array);
}

function bytesOf(data: unknown): Uint8Array {
  const view = data as { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Checks every dataset and group of `oracle` against `store` (parsed with onUnsupported "skip"). */
export async function checkStoreAgainstOracle(store: ManifestStore, oracle: Oracle, url: string, result: FileResult): Promise<void> {
  // h5py reports chunk addresses (get_chunk_info) relative to the base address (after a user
  // block), contiguous ones (get_offset) as absolute file offsets
  const base = oracle.hdf5.userblock_size ?? 0;
  for (const [name, dataset] of Object.entries(oracle.hdf5.datasets)) {
    const key = name.slice(1);
    const node = store.group.resolve(key);
    if (dataset.netcdf_phony_dimension) {
      expect(node, `${name} is a netCDF dimension without variable`).toBeUndefined();
      result.dropped++;
      continue;
    }
    const refused = expectedUnsupported(dataset);
    if (refused) {
      expect(node, `${name} must not be virtualized`).toBeUndefined();
      const diagnostic = store.diagnostics.find(
        (d) => d.variable === key && d.code === "UNSUPPORTED" && (d as UnsupportedFeatureError).feature.startsWith(refused),
      ) as UnsupportedFeatureError | undefined;
      expect(diagnostic, `${name}: expected an UnsupportedFeatureError`).toBeDefined();
      expect(diagnostic!.feature.startsWith(refused), `${name}: feature ${diagnostic!.feature}, expected ${refused}`).toBe(true);
      expect(diagnostic!.message).toContain(url);
      expect(diagnostic!.message).toContain(key);
      result.unsupported.push(`${key} (${diagnostic!.feature})`);
      continue;
    }
    expect(node, `${name} missing; diagnostics: ${store.diagnostics.map((d) => d.message).join(" | ")}`).toBeInstanceOf(ManifestArray);
    const array = node as ManifestArray;
    const metadata = array.metadata;
    const dtype = dataset.dtype as string;
    // A character array (|S1) whose last dimension vz joined into strings (xarray's "stackable" rule)
    const collapsed = dtype === "|S1" && metadata.shape.length === dataset.shape.length - 1;
    const charLength = collapsed ? dataset.shape[dataset.shape.length - 1]! : 0;
    expect(metadata.shape, `${name} shape`).toEqual(collapsed ? dataset.shape.slice(0, -1) : dataset.shape);
    // A character array kept as stored (the default): |S1 with every dimension, chunks in place
    const charArray = dtype === "|S1" && !collapsed;
    const isString = !charArray && (dataset.string !== undefined || dtype === "|O" || /^\|S/.test(dtype));
    if (isString) {
      expect(metadata.data_type).toBe("string");
      expect(metadata.codecs).toEqual([{ name: "vlen-utf8" }]);
      expect(array.manifest.chunkCount).toBe(metadata.shape.reduce((a, b) => a * b, 1) > 0 ? 1 : 0);
    } else {
      const expected = charArray ? { dataType: "fixed_length_bytes:1", endian: "little" } : expectedDataType(dtype);
      expect(expected, `${name}: oracle dtype ${dtype}`).toBeDefined();
      if (charArray && typeof dataset.hdf5_fillvalue === "string") expect(metadata.fill_value, `${name} fill value`).toEqual(dataset.hdf5_fillvalue);
      expect(metadata.data_type, `${name} dtype`).toBe(expected!.dataType);
      if (!dtype.startsWith("|")) expect(metadata.codecs[0], `${name} endian`).toEqual({ name: "bytes", configuration: { endian: expected!.endian } });
      if (typeof dataset.hdf5_fillvalue === "number" || typeof dataset.hdf5_fillvalue === "boolean") {
        expect(metadata.fill_value, `${name} fill value`).toEqual(dataset.hdf5_fillvalue);
      } else if (dataset.hdf5_fillvalue === "NaN") {
        expect(Number.isNaN(metadata.fill_value as number), `${name} fill value NaN`).toBe(true);
      }
      // manifest
      const entries = canonicalChunkList(array);
      if (dataset.layout === "chunked") {
        expect(metadata.chunk_grid.configuration.chunk_shape, `${name} chunks`).toEqual(dataset.chunks);
        const expectedManifest = dataset.chunk_manifest!;
        expect(entries.length, `${name} chunk count`).toBe(expectedManifest.count);
        const relative = entries.map(([coords, offset, length]) => [coords, offset - base, length] as [number[], number, number]);
        if (expectedManifest.all) expect(relative, `${name} chunk list`).toEqual(expectedManifest.all);
        if (expectedManifest.first3) expect(relative.slice(0, 3)).toEqual(expectedManifest.first3);
        if (expectedManifest.last) expect(relative.at(-1)).toEqual(expectedManifest.last);
        expect(chunkListSha(relative), `${name} chunk list sha256`).toBe(expectedManifest.sha256);
      } else if (dataset.layout === "contiguous") {
        const contiguous = dataset.contiguous!;
        if (contiguous.offset === null || contiguous.storage_size === 0) expect(entries, `${name}: never written`).toEqual([]);
        else expect(entries, `${name} contiguous`).toEqual([[dataset.shape.map(() => 0), contiguous.offset, contiguous.storage_size]]);
      } else if (dataset.layout === "compact") {
        expect(array.manifest.chunkCount).toBe(1);
        expect(array.manifest.inlinedAt(0)?.length).toBe(dataset.compact_storage_size);
      }
    }
    // dimension names
    if (Array.isArray(dataset.dimension_list)) {
      dataset.dimension_list.forEach((refs, d) => {
        if (collapsed && d === dataset.shape.length - 1) return; // the joined character dimension
        const got = metadata.dimension_names?.[d];
        if (refs.length > 0) expect(got, `${name} dimension ${d}`).toBe(refs[0]!.split("/").at(-1));
        else expect(got, `${name} dimension ${d} has no scale: phony name`).toMatch(/^phony_dim_\d+$/);
      });
    } else if (dataset.is_dimension_scale && dataset.shape.length === 1) {
      expect(metadata.dimension_names).toEqual([key.split("/").at(-1)]);
    }
    expect(metadata.dimension_names?.length).toBe(metadata.shape.length);
    // attributes
    const ours = comparableAttributes(metadata.attributes);
    const theirs = comparableAttributes(dataset.attrs);
    for (const k of Object.keys(theirs)) expect(ours[k], `${name} attribute ${k}`).toEqual(theirs[k]);
    result.ok++;
    // values
    const values = dataset.values;
    if (values.sha256_json) {
      const got = await readValues(store, key);
      let list = typeof got === "string" ? [got] : Array.from((got as { data: Iterable<string> }).data);
      if (collapsed) {
        // back to one string per character, NUL padding read as "" (as numpy's S1 does)
        list = list.flatMap((text) => Array.from({ length: charLength }, (_, i) => [...text][i] ?? ""));
      }
      expect(sha256(pythonJson(list)), `${name} string values`).toBe(values.sha256_json);
      result.valuesChecked++;
    } else if (values.sha256_le && metadata.shape.includes(0)) {
      // zarrita cannot index an empty array; there is nothing to read
      expect(array.manifest.chunkCount).toBe(0);
      expect(values.sha256_le).toBe(sha256(new Uint8Array(0)));
      result.valuesChecked++;
    } else if (values.sha256_le) {
      const missing = metadata.codecs.map((c) => c.name).filter((n) => !zarr.registry.has(n));
      if (missing.length > 0) {
        result.notes.push(`${key}: values not read (codec ${missing.join(", ")} not in zarrita's registry)`);
        continue;
      }
      if (metadata.data_type === "float16" && !("Float16Array" in globalThis)) {
        // zarrita needs Float16Array; compare the stored (uncompressed) bytes instead
        if (metadata.codecs.length === 1) {
          const parts: Uint8Array[] = [];
          for (let i = 0; i < array.manifest.gridSize; i++) {
            const chunk = await store.get(`${key}/c/${array.manifest.shape.map(() => 0).join("/")}`);
            if (chunk) parts.push(chunk);
          }
          expect(sha256(Buffer.concat(parts)), `${name} float16 bytes`).toBe(values.sha256_le);
          result.valuesChecked++;
        }
        continue;
      }
      const got = await readValues(store, key);
      const data = typeof got === "object" && got !== null && "data" in got ? (got as { data: unknown }).data : got;
      let bytes: Uint8Array;
      if (typeof data === "number" || typeof data === "bigint" || typeof data === "boolean") {
        const typed = zarrScalarBytes(metadata.data_type, data);
        bytes = typed;
      } else bytes = bytesOf(data);
      expect(sha256(bytes), `${name} values`).toBe(values.sha256_le);
      result.valuesChecked++;
    }
  }
  // phony dimension names agree with netCDF-C's (xarray's netcdf4 engine), in every group
  for (const [groupPath, groupView] of Object.entries(oracle.cf ?? {})) {
    for (const [variable, view] of Object.entries(groupView.variables ?? {})) {
      if (!view.dims.some((d) => d.startsWith("phony_dim_"))) continue;
      const key = `${groupPath.replace(/^\/+/, "")}/${variable}`.replace(/^\//, "");
      const node = store.group.resolve(key);
      if (node instanceof ManifestArray) {
        expect(node.metadata.dimension_names, `${key}: netCDF-C phony names`).toEqual(view.dims);
        result.phonyChecked = (result.phonyChecked ?? 0) + 1;
      }
    }
  }
  // nothing virtualized that the oracle does not know
  for (const [key, array] of store.group.walkArrays()) {
    if (oracle.hdf5.datasets[`/${key}`] === undefined) {
      // h5py's visititems lists an object once; a second hard link to a dataset is an array of its
      // own in vz (as in netCDF-C), with the references of the dataset the oracle lists
      const original = [...store.group.walkArrays()].find(([other, a]) => other !== key && oracle.hdf5.datasets[`/${other}`] !== undefined && a.manifest.equals(array.manifest) && a.manifest.chunkCount > 0);
      expect(original, `unexpected array ${key}`).toBeDefined();
      continue;
    }
  }
  // group attributes
  for (const [groupName, group] of Object.entries(oracle.hdf5.groups)) {
    const node = store.group.resolve(groupName.slice(1));
    if (!node || node instanceof ManifestArray) continue;
    const ours = comparableAttributes(node.attributes);
    for (const [k, v] of Object.entries(comparableAttributes(group.attrs))) expect(ours[k], `group ${groupName} attribute ${k}`).toEqual(v);
  }
}

function zarrScalarBytes(dataType: string, value: number | bigint | boolean): Uint8Array {
  const size = Number(/\d+$/.exec(dataType)?.[0] ?? 8) / 8;
  const buffer = new ArrayBuffer(dataType === "bool" ? 1 : size);
  const view = new DataView(buffer);
  if (dataType === "bool") view.setUint8(0, value ? 1 : 0);
  else if (dataType.startsWith("float")) (size === 4 ? view.setFloat32(0, Number(value), true) : view.setFloat64(0, Number(value), true));
  else if (size === 8) (dataType.startsWith("u") ? view.setBigUint64(0, BigInt(value), true) : view.setBigInt64(0, BigInt(value), true));
  else if (size === 4) (dataType.startsWith("u") ? view.setUint32(0, Number(value), true) : view.setInt32(0, Number(value), true));
  else if (size === 2) (dataType.startsWith("u") ? view.setUint16(0, Number(value), true) : view.setInt16(0, Number(value), true));
  else (dataType.startsWith("u") ? view.setUint8(0, Number(value)) : view.setInt8(0, Number(value)));
  return new Uint8Array(buffer);
}
