/**
 * Every HDF5 / netCDF-4 pair of ../shared/data/dmrpp (DMR++ files of OPeNDAP's bes tests with
 * the files they describe): the DMR++ parser's store must equal @vz/parser-hdf5's store of the
 * data file — arrays, shapes, data types, chunk shapes, fill values, codecs, dimension names, every chunk's URL,
 * offset and length, inlined bytes — and the values read through ManifestStore + zarrita from
 * both must agree (whole arrays up to 4 MiB, else the first chunk). Pairs that cannot match are
 * listed in KNOWN with the exact differences and why; a change in either parser that alters
 * them fails the test. A per-file table goes to $TMPDIR/vz-parser-dmrpp-pairs.md.
 */
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { FileReader, toUrl } from "@vz/core/node";
import { createHdf5Parser } from "@vz/parser-hdf5";
import { afterAll, describe, expect, it } from "vitest";
import { createDmrppParser } from "../src/index.js";
import { compareStores, DMRPP_DATA, HAVE_DMRPP_DATA, NO_DATA_REASON, pairs } from "./helpers.js";

/** Pairs that cannot match exactly: the differences expected, and why. */
const KNOWN: Record<
  string,
  { reason: string; differences: string[]; dropVariables?: string[]; aliases?: Record<string, string>; options?: Record<string, unknown> }
> = {
  "dmrpp_module_deflate_twice_fill_some_chunks_c_c.h5": {
    reason: "the DMR++ gives no deflateLevel, so vz writes level 6 (VirtualiZarr's default); decoding does not depend on the level: chunks and values agree",
    differences: [
      "chunks_some_fill: codecs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":6}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":6}}] vs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":1}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":4}}]",
    ],
  },
  "dmrpp_module_dmrpp_SDS_fle_def.h5": {
    reason: "the DMR++ gives no deflateLevel, so vz writes level 6 (VirtualiZarr's default); decoding does not depend on the level: chunks and values agree",
    differences: [
      "IntArray: codecs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.fletcher32\"},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":6}}] vs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.fletcher32\"},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":2}}]",
    ],
  },
  "dmrpp_module_dmrpp_SDS_fle_shuf_def.h5": {
    reason: "the DMR++ gives no deflateLevel, so vz writes level 6 (VirtualiZarr's default); decoding does not depend on the level: chunks and values agree",
    differences: [
      "IntArray: codecs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.fletcher32\"},{\"name\":\"numcodecs.shuffle\",\"configuration\":{\"elementsize\":4}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":6}}] vs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.fletcher32\"},{\"name\":\"numcodecs.shuffle\",\"configuration\":{\"elementsize\":4}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":2}}]",
    ],
  },
  "dmrpp_module_dmrpp_SDS_shuf_def_fle.h5": {
    reason: "the DMR++ gives no deflateLevel, so vz writes level 6 (VirtualiZarr's default); decoding does not depend on the level: chunks and values agree",
    differences: [
      "IntArray: codecs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.shuffle\",\"configuration\":{\"elementsize\":4}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":6}},{\"name\":\"numcodecs.fletcher32\"}] vs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.shuffle\",\"configuration\":{\"elementsize\":4}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":2}},{\"name\":\"numcodecs.fletcher32\"}]",
    ],
  },
  "fileout_netcdf_One_chunk_s_c.h5": {
    reason: "the DMR++ gives no deflateLevel, so vz writes level 6 (VirtualiZarr's default); decoding does not depend on the level: chunks and values agree",
    differences: [
      "chunk_normal: codecs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.shuffle\",\"configuration\":{\"elementsize\":4}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":6}}] vs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.shuffle\",\"configuration\":{\"elementsize\":4}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":1}}]",
    ],
  },
  "fileout_netcdf_SDS_fle_shuf_2def.h5": {
    reason: "the DMR++ gives no deflateLevel, so vz writes level 6 (VirtualiZarr's default); decoding does not depend on the level: chunks and values agree",
    differences: [
      "IntArray: codecs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.fletcher32\"},{\"name\":\"numcodecs.shuffle\",\"configuration\":{\"elementsize\":4}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":6}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":6}}] vs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.fletcher32\"},{\"name\":\"numcodecs.shuffle\",\"configuration\":{\"elementsize\":4}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":2}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":6}}]",
    ],
  },
  "fileout_netcdf_SDS_shuf_2def_fle.h5": {
    reason: "the DMR++ gives no deflateLevel, so vz writes level 6 (VirtualiZarr's default); decoding does not depend on the level: chunks and values agree",
    differences: [
      "IntArray: codecs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.shuffle\",\"configuration\":{\"elementsize\":4}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":6}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":6}},{\"name\":\"numcodecs.fletcher32\"}] vs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.shuffle\",\"configuration\":{\"elementsize\":4}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":2}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":6}},{\"name\":\"numcodecs.fletcher32\"}]",
    ],
  },
  "dmrpp_module_dmrpp_FletcherShuffle.nc4": {
    reason: "an old DMR++ (no dmrpp:version) of an earlier build of this file: X, Y and letter (a netCDF char scalar, |S1 in h5py, fixed_length_bytes:1 from both parsers) lie 40 bytes later in the file we have (h5py's get_offset gives the HDF5 parser's offsets), no fillValue attributes, and Y's filters are listed as shuffle deflate fletcher32 while the file's pipeline is fletcher32 shuffle deflate (level 0)",
    differences: [
      "X: chunk 0 at <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11616+36 vs <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11656+36",
      "X: fill value 0 vs 9.969209968386869e+36",
      "Y: chunk 0 at <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11652+24 vs <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11692+24",
      "Y: codecs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.shuffle\",\"configuration\":{\"elementsize\":1}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":6}},{\"name\":\"numcodecs.fletcher32\"}] vs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.fletcher32\"},{\"name\":\"numcodecs.shuffle\",\"configuration\":{\"elementsize\":1}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":0}}]",
      "Y: fill value 0 vs -127",
      "fvcom_mesh: chunk 0 at <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11588+4 vs <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11628+4",
      "fvcom_mesh: fill value 0 vs -2147483647",
      "letter: chunk 0 at <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11592+1 vs <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11632+1",
      "varByte: chunk 0 at <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11593+1 vs <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11633+1",
      "varByte: fill value 0 vs -127",
      "varDouble: chunk 0 at <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11608+8 vs <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11648+8",
      "varDouble: fill value 0 vs 9.969209968386869e+36",
      "varFloat: chunk 0 at <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11604+4 vs <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11644+4",
      "varFloat: fill value 0 vs 9.969209968386869e+36",
      "varInt: chunk 0 at <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11596+4 vs <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11636+4",
      "varInt: fill value 0 vs -2147483647",
      "varLong: chunk 0 at <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11600+4 vs <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11640+4",
      "varLong: fill value 0 vs -2147483647",
      "varShort: chunk 0 at <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11594+2 vs <data>/dmrpp_module_dmrpp_FletcherShuffle.nc4 11634+2",
      "varShort: fill value 0 vs -32767",
    ],
  },
  "dmrpp_module_dmrpp_chunked_enum.h5": {
    reason: "the DMR++ writes the values of an enum-typed attribute as \"UNKNOWN\" (the OPeNDAP handler cannot print them); the dataset itself matches",
    differences: [
      "DS1: attribute A1 [\"UNKNOWN\",\"UNKNOWN\",\"UNKNOWN\",\"UNKNOWN\",\"UNKNOWN\",\"UNKNOWN\",\"UNKNOWN\",\"UNKNOWN\",\"UNKNOWN\",\"UNKNOWN\",\"UNKNOWN\",\"UNKNOWN\" vs [0,0,0,0,0,0,0,0,1,2,3,0,1,2,0,2,0,2,0,2,0,0,3,2,1,0,3,2]",
    ],
  },
  "dmrpp_module_dmrpp_chunked_scalar_string.h5": {
    reason: "an old DMR++ lists the variable-length scalar string's 16-byte heap reference as its chunk; the DMR++ parser refuses it (not text), the HDF5 parser reads the string from the heap",
    differences: [
      "scalar_big_string: refused by the DMR++ parser only",
    ],
  },
  "dmrpp_module_dmrpp_chunked_string_array.h5": {
    reason: "an old DMR++ gives a string array without FixedLengthStringArray or vlsa values: the string length is unknown (fixed or variable-length), so the DMR++ parser refuses it",
    differences: [
      "string_array: refused by the DMR++ parser only",
    ],
  },
  "dmrpp_module_dmrpp_grid_1_2d.h5": {
    reason: "the DMR++ describes the HDF5 handler's HDF-EOS5 CF view: spaces and dots in names become underscores (compared under the HDF5 names), XDim/YDim are coordinates the handler computed (dmrpp:missingdata) and name the dimensions",
    aliases: {"HDFEOS/GRIDS/GeoGrid/Data_Fields/temperature": "HDFEOS/GRIDS/GeoGrid/Data Fields/temperature", "HDFEOS_INFORMATION/StructMetadata_0": "HDFEOS INFORMATION/StructMetadata.0"},
    differences: [
      "HDFEOS/GRIDS/GeoGrid/Data Fields/temperature: dimension names [\"YDim\",\"XDim\"] vs [\"phony_dim_0\",\"phony_dim_1\"]",
      "HDFEOS/GRIDS/GeoGrid/XDim: only in the DMR++",
      "HDFEOS/GRIDS/GeoGrid/YDim: only in the DMR++",
    ],
  },
  "fileout_netcdf_grid_2_2d_sin.h5": {
    reason: "the DMR++ describes the HDF5 handler's HDF-EOS5 CF view: renamed paths (compared under the HDF5 names), XDim/YDim/Latitude/Longitude/eos5_cf_projection computed by the handler (dmrpp:missingdata), XDim/YDim naming the dimensions",
    aliases: {"HDFEOS/GRIDS/SinGrid1/Data_Fields/Temperature": "HDFEOS/GRIDS/SinGrid1/Data Fields/Temperature", "HDFEOS/GRIDS/SinGrid2/Data_Fields/Temperature": "HDFEOS/GRIDS/SinGrid2/Data Fields/Temperature", "HDFEOS_INFORMATION/StructMetadata_0": "HDFEOS INFORMATION/StructMetadata.0"},
    differences: [
      "HDFEOS/GRIDS/SinGrid1/Data Fields/Temperature: dimension names [\"YDim\",\"XDim\"] vs [\"phony_dim_0\",\"phony_dim_1\"]",
      "HDFEOS/GRIDS/SinGrid1/Latitude: only in the DMR++",
      "HDFEOS/GRIDS/SinGrid1/Longitude: only in the DMR++",
      "HDFEOS/GRIDS/SinGrid1/XDim: only in the DMR++",
      "HDFEOS/GRIDS/SinGrid1/YDim: only in the DMR++",
      "HDFEOS/GRIDS/SinGrid1/eos5_cf_projection: only in the DMR++",
      "HDFEOS/GRIDS/SinGrid2/Data Fields/Temperature: dimension names [\"YDim\",\"XDim\"] vs [\"phony_dim_2\",\"phony_dim_3\"]",
      "HDFEOS/GRIDS/SinGrid2/Latitude: only in the DMR++",
      "HDFEOS/GRIDS/SinGrid2/Longitude: only in the DMR++",
      "HDFEOS/GRIDS/SinGrid2/XDim: only in the DMR++",
      "HDFEOS/GRIDS/SinGrid2/YDim: only in the DMR++",
      "HDFEOS/GRIDS/SinGrid2/eos5_cf_projection: only in the DMR++",
    ],
  },
  "dmrpp_module_dmrpp_nc4_group_atomic.h5": {
    reason: "an old DMR++ without fillValue attributes (and with a misspelt byteOrde): fill values default to 0; chunks and values agree",
    differences: [
      "d1: fill value 0 vs 9.969209968386869e+36",
      "dim1: fill value 0 vs -2147483647",
      "g1/d2: fill value 0 vs 9.969209968386869e+36",
      "g1/dim2: fill value 0 vs -2147483647",
    ],
  },
  "dmrpp_module_dmrpp_ntypes.h5": {
    reason: "an old hand-edited DMR++: no byteOrder (atomic_type_1 is big-endian; read with the option defaultByteOrder: \"BE\" it matches), atomic_type_2..5 listed without storage, str_type/vlstr_type without values, enum_type and the compound/reference/array/bitfield/opaque/vlen datasets (which the HDF5 parser refuses) left out, so phony dimensions are numbered in another order",
    options: {"defaultByteOrder": "BE"},
    differences: [
      "Dataset1: refused by the HDF5 parser only",
      "Dataset2: dimension names [\"phony_dim_2\",\"phony_dim_3\"] vs [\"phony_dim_1\",\"phony_dim_2\"]",
      "Dataset3: refused by the HDF5 parser only",
      "array_type: refused by the HDF5 parser only",
      "array_type_2: refused by the HDF5 parser only",
      "atomic_type_1: dimension names [\"phony_dim_0\",\"phony_dim_1\"] vs [\"phony_dim_3\",\"phony_dim_4\"]",
      "atomic_type_2: refused by the DMR++ parser only",
      "atomic_type_3: refused by the DMR++ parser only",
      "atomic_type_4: refused by the DMR++ parser only",
      "atomic_type_5: refused by the DMR++ parser only",
      "bitfield_type_1: refused by the HDF5 parser only",
      "bitfield_type_2: refused by the HDF5 parser only",
      "compound_type: refused by the HDF5 parser only",
      "compound_type_2: refused by the HDF5 parser only",
      "compound_type_3: refused by the HDF5 parser only",
      "compound_type_4: refused by the HDF5 parser only",
      "enum_type: only in the HDF5 file",
      "opaque_type: refused by the HDF5 parser only",
      "str_type: refused by the DMR++ parser only",
      "vl_type: refused by the HDF5 parser only",
      "vlstr_type: refused by the DMR++ parser only",
    ],
  },
  "dmrpp_module_string_arrays_t_string_chunk.h5": {
    reason: "array_1d_hacked_to_bytes is deliberately inconsistent in bes's test (a 2-D chunk position for a 1-D array): a typed ParseError (tested in options-and-errors.test.ts), left out here; the space-padded attributes as in t_string_cont.h5",
    dropVariables: ["array_1d_hacked_to_bytes"],
    differences: [
      "array_1d: attribute value [\"Parting\",\"is so  \",\"swe    \",\"       \"] vs [\"Parting\",\"is so\",\"swe\",\"\"]",
      "array_2d: attribute value [\"Parting\",\"is so  \",\"swe    \",\"       \"] vs [\"Parting\",\"is so\",\"swe\",\"\"]",
    ],
  },
  "dmrpp_module_string_arrays_t_string_cont.h5": {
    reason: "the space-padded string attributes keep their padding in the DMR++ (the HDF5 parser strips it); array_special_case (|S1, shape (1, 1)) matches: both parsers give fixed_length_bytes:1 with both dimensions and the same chunk",
    differences: [
      "array_1d: attribute value [\"Parting\",\"is so  \",\"swe    \",\"       \"] vs [\"Parting\",\"is so\",\"swe\",\"\"]",
      "array_2d: attribute value [\"Parting\",\"is so  \",\"swe    \",\"       \"] vs [\"Parting\",\"is so\",\"swe\",\"\"]",
    ],
  },
  "dmrpp_module_fill_value_FValue_string_sca.h5": {
    reason: "fill_str_sca is a scalar |S1 (h5py) / char (ncdump -h, netCDF4-python) with no storage allocated: the HDF5 parser, agreeing with h5py and netCDF-C, gives fixed_length_bytes:1; the DMR++ gives a String with no dmrpp:chunk and no FixedLengthStringArray (build_dmrpp writes none for scalars), so the width is not recorded and the DMR++ parser keeps a string; both read as the empty fill",
    differences: [
      "fill_str_sca: data type string vs fixed_length_bytes:1",
    ],
  },
  "dmrpp_module_string_arrays_special_fixed_str.h5": {
    reason: "One_chunk_unlimited(_comp) are (3, 3) with maxshape (3, None) (h5py): netCDF-C (ncdump -h, netCDF4-python) names them (phony_dim_0, phony_dim_2), a new unlimited phony dimension because it does not reuse the fixed phony_dim_1 of the same length, and the HDF5 parser agrees; the DMR++ gives only <Dim size=\"3\"/> (no maximum size), so the DMR++ parser reuses phony_dim_1",
    differences: [
      "One_chunk_unlimited: dimension names [\"phony_dim_0\",\"phony_dim_1\"] vs [\"phony_dim_0\",\"phony_dim_2\"]",
      "One_chunk_unlimited_comp: dimension names [\"phony_dim_0\",\"phony_dim_1\"] vs [\"phony_dim_0\",\"phony_dim_2\"]",
    ],
  },
  "fileout_netcdf_special_fixed_str.h5": {
    reason: "as dmrpp_module_string_arrays_special_fixed_str.h5: netCDF-C (ncdump -h, netCDF4-python) and the HDF5 parser give the unlimited second dimension its own phony_dim_2; the DMR++ records no maximum size, so the DMR++ parser reuses phony_dim_1",
    differences: [
      "One_chunk_unlimited: dimension names [\"phony_dim_0\",\"phony_dim_1\"] vs [\"phony_dim_0\",\"phony_dim_2\"]",
      "One_chunk_unlimited_comp: dimension names [\"phony_dim_0\",\"phony_dim_1\"] vs [\"phony_dim_0\",\"phony_dim_2\"]",
    ],
  },
  "fileout_netcdf_multi_unlimited_full.h5": {
    reason: "g1/g2/var_no_dimnames has no dimension scales and maxshape (None, None, None) (h5py): netCDF-C (ncdump -h, netCDF4-python) names it (phony_dim_3, phony_dim_4, d3), numbering from its next dimension id after d1, d2, d3 and reusing the unlimited d3 of the same length, and the HDF5 parser agrees; the DMR++ gives three anonymous <Dim size=…/> without maximum sizes, which the DMR++ parser numbers from phony_dim_0",
    differences: [
      "g1/g2/var_no_dimnames: dimension names [\"phony_dim_0\",\"phony_dim_1\",\"phony_dim_2\"] vs [\"phony_dim_3\",\"phony_dim_4\",\"d3\"]",
    ],
  },
  "fileout_netcdf_swath_wrong_dim_rp.nc": {
    reason:
      "bes's test of a wrong dimension: the DMR++ gives pre_wrong the 8-element /time dimension, the dataset has 4 elements; " +
      "the HDF5 parser refuses pre_wrong (UNSUPPORTED: its axis length differs from the dimension scale attached to it)",
    differences: [
      "pre_wrong: refused by the HDF5 parser only",
    ],
  },
  "fileout_netcdf_t_cf_1dllzs.h5": {
    reason: "the DMR++ was made with H5.EnableCF=true: FakeDim2 is a coordinate the handler made up (dmrpp:missingdata), and lat/lon/FakeDim2 name the dimensions the HDF5 file leaves anonymous",
    differences: [
      "FakeDim2: only in the DMR++",
      "lat: dimension names [\"lat\"] vs [\"phony_dim_0\"]",
      "lon: dimension names [\"lon\"] vs [\"phony_dim_1\"]",
      "temp: dimension names [\"FakeDim2\",\"lat\",\"lon\"] vs [\"phony_dim_2\",\"phony_dim_0\",\"phony_dim_1\"]",
    ],
  },
  "fileout_netcdf_test_array_dim2.h5": {
    reason: "a CF view: group variable g1/x flattened to g1_x (compared under the HDF5 name), coordinates bigdim and dim made by the handler; y has no deflateLevel (level 6 written, values agree)",
    aliases: {"g1_x": "g1/x"},
    differences: [
      "bigdim: only in the DMR++",
      "dim: only in the DMR++",
      "g1/x: codecs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":6}}] vs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":4}}]",
      "y: codecs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.shuffle\",\"configuration\":{\"elementsize\":4}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":6}}] vs [{\"name\":\"bytes\",\"configuration\":{\"endian\":\"little\"}},{\"name\":\"numcodecs.shuffle\",\"configuration\":{\"elementsize\":4}},{\"name\":\"numcodecs.zlib\",\"configuration\":{\"level\":4}}]",
    ],
  },
  "fileout_netcdf_vlen_dim.h5": {
    reason: "the handler's view of a variable-length int32 dataset: var (padded 2-D) and var_vlen_index computed and stored as dmrpp:missingdata; the HDF5 parser refuses the vlen dataset",
    differences: [
      "var: refused by the HDF5 parser only",
      "var_vlen_index: only in the DMR++",
    ],
  },
};

const FILES = pairs("hdf5");
const table: string[] = [];
const found: Record<string, string[]> = {};

describe.skipIf(!HAVE_DMRPP_DATA)(`DMR++ vs the HDF5 parser on the same file${HAVE_DMRPP_DATA ? "" : ` (${NO_DATA_REASON})`}`, () => {
  afterAll(() => {
    const header = ["| file | arrays compared | values compared | both refuse | result |", "|---|---|---|---|---|"];
    writeFileSync(join(process.env.TMPDIR ?? tmpdir(), "vz-parser-dmrpp-pairs.md"), `${[...header, ...table.sort()].join("\n")}\n`);
    writeFileSync(join(process.env.TMPDIR ?? tmpdir(), "vz-parser-dmrpp-pairs.json"), JSON.stringify(found, null, 2));
  });

  it("finds the HDF5 / netCDF-4 pairs", () => {
    expect(FILES.length).toBe(113);
  });

  it.each(FILES)("%s", async (file) => {
    const reader = new FileReader();
    const dataUrl = toUrl(resolve(DMRPP_DATA, file));
    const known = KNOWN[file];
    const dmrpp = await createDmrppParser({ dataUrl, onUnsupported: "skip", ...known?.options, ...(known?.dropVariables ? { dropVariables: known.dropVariables } : {}) })(
      toUrl(resolve(DMRPP_DATA, `${file}.dmrpp`)),
      reader,
    );
    const hdf5 = await createHdf5Parser({ onUnsupported: "skip", ...(known?.dropVariables ? { dropVariables: known.dropVariables } : {}) })(dataUrl, reader);
    const result = await compareStores(dmrpp, hdf5, known?.aliases ? { aliases: known.aliases } : {});
    // chunk URLs are written relative to the data folder ("<data>/"), wherever ../shared/data is
    const dataFolder = toUrl(resolve(DMRPP_DATA, "x")).slice(0, -1);
    result.differences = result.differences.map((line) => line.split(dataFolder).join("<data>/"));
    if (result.differences.length > 0) found[file] = result.differences;
    const status = known ? `known: ${known.reason}` : result.differences.length === 0 ? "exact" : `DIFFERENT: ${result.differences.join("; ")}`;
    table.push(`| ${file} | ${result.compared} | ${result.valuesCompared} | ${result.bothRefuse.join(", ") || "-"} | ${status} |`);
    expect(result.differences).toEqual(known?.differences ?? []);
    if (!known) expect(result.compared + result.bothRefuse.length).toBeGreaterThan(0);
  });
});
