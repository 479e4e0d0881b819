#!/usr/bin/python3
"""HDF5 fill values without a _FillValue attribute, for the kerchunk writer's missing-chunk rule.

Usage:
  fill_masking.py make <file.h5>            writes the fixture with h5py
  fill_masking.py make-lzf <file.h5>        an lzf dataset with unwritten chunks (kept as fill_value)
  fill_masking.py compare <file.h5> <refs>  xarray on the original (netCDF4 engine) against xarray on
                                            vz's references (zarr engine), default decoding (masking on)

The fixture: datasets with an HDF5 fill value (-99, 1e20) and no _FillValue attribute, some chunks
never written, some real values equal to the fill value; uncompressed with more than 8 missing
chunks, shuffle + gzip, zlib on floats. xarray on the original does not mask them (no _FillValue),
so neither may xarray on the references. Prints {"variables": {...}, "problems": [...]}.
"""
import json, sys
import numpy as np

if sys.argv[1] == "make":
    import h5py
    with h5py.File(sys.argv[2], "w") as f:
        v = f.create_dataset("plain", shape=(40, 6), chunks=(2, 3), dtype="<i4", fillvalue=-99)
        v[0:2, :] = [[1, -99, 3, 4, 5, 6], [7, 8, -99, 10, 11, 12]]
        v[10:12, 3:6] = -99
        v[20:22, 0:3] = 42
        z = f.create_dataset("packed", shape=(8, 6), chunks=(2, 3), dtype="<i4", fillvalue=-99, compression="gzip", shuffle=True)
        z[0:2, :] = [[1, -99, 3, 4, 5, 6], [7, 8, -99, 10, 11, 12]]
        z[6:8, 3:6] = -99
        b = f.create_dataset("big_endian", shape=(6, 4), chunks=(3, 2), dtype=">i2", fillvalue=-99, compression="gzip")
        b[0:3, 0:2] = [[-99, 1], [2, -99], [3, 4]]
        g = f.create_dataset("floats", shape=(4, 4), chunks=(2, 2), dtype="<f8", fillvalue=1e20, compression="gzip", compression_opts=9)
        g[0:2, 0:2] = [[1e20, 1.5], [np.nan, -2.0]]
    sys.exit(0)

if sys.argv[1] == "make-lzf":  # a codec vz does not encode: the fill value stays fill_value, reported
    import h5py
    with h5py.File(sys.argv[2], "w") as f:
        v = f.create_dataset("lzf", shape=(256,), chunks=(64,), dtype="<i4", fillvalue=-99, compression="lzf")
        v[0:64] = np.repeat([1, -99], 32)  # compressible, so lzf is applied (not skipped)
    sys.exit(0)

import xarray as xr

path, refs = sys.argv[2], sys.argv[3]
problems, variables = [], {}
with xr.open_dataset(path, engine="netcdf4") as original, xr.open_dataset(
    "reference://", engine="zarr", backend_kwargs={"consolidated": False, "storage_options": {"fo": refs}}
) as ours:
    for name in original.data_vars:
        want, got = original[name], ours[name]
        variables[name] = {"dtype": str(got.dtype), "original_dtype": str(want.dtype)}
        if got.dtype != want.dtype:
            problems.append(f"{name}: dtype {got.dtype} != {want.dtype}")
        elif not np.array_equal(got.values, want.values, equal_nan=want.dtype.kind == "f"):
            problems.append(f"{name}: values differ: {got.values.ravel()[:8]} vs {want.values.ravel()[:8]}")
print(json.dumps({"variables": variables, "problems": problems}))
