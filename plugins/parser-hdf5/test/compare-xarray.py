#!/usr/bin/python3
"""Compares kerchunk references written by vz with xarray reading the original file.

Usage: compare-xarray.py <original> <refs.json> <group or ""> <variables: "chars" | "all" | a,b,c>
Opens the original (its group, if given) with xarray's netCDF4 engine and the references with fsspec + zarr 2 + xarray
(engine="zarr"), both with xarray's default decoding, and compares each chosen variable's dtype,
dimensions, shape and values (NaN == NaN, NaT == NaT). "chars" picks the variables netCDF4-python
reports as char (|S1) arrays. Prints a JSON report: {"checked": {name: [dtype, dims, shape]}, "problems": [...]}.
"""
import json, sys
import numpy as np
import netCDF4
import xarray as xr

path, refs, group, which = sys.argv[1], sys.argv[2], sys.argv[3] or None, sys.argv[4]
original = xr.open_dataset(path, engine="netcdf4", group=group)
# the references hold the chosen group at their root (vz writes one dataset)
ours = xr.open_dataset("reference://", engine="zarr",
                       backend_kwargs={"consolidated": False, "storage_options": {"fo": refs}})
if which == "chars":
    with netCDF4.Dataset(path) as nc:
        node = nc[group] if group else nc
        names = [n for n, v in node.variables.items() if v.dtype != str and v.dtype.kind == "S"]
elif which == "all":
    names = list(original.variables)
else:
    names = which.split(",")
problems, checked = [], {}
for name in names:
    if name not in original.variables:
        problems.append(f"{name}: not a variable of the original")
        continue
    if name not in ours.variables:
        problems.append(f"{name}: missing from the references")
        continue
    a, b = original[name], ours[name]
    checked[name] = [str(a.dtype), list(a.dims), list(a.shape)]
    if a.dtype != b.dtype:
        problems.append(f"{name}: dtype {b.dtype} != {a.dtype}")
    if a.dims != b.dims:
        problems.append(f"{name}: dims {b.dims} != {a.dims}")
    if a.shape != b.shape:
        problems.append(f"{name}: shape {b.shape} != {a.shape}")
        continue
    x, y = a.values, b.values
    nan = x.dtype.kind in "fcmM"
    if not np.array_equal(x, y, equal_nan=nan) if nan else not np.array_equal(x, y):
        problems.append(f"{name}: values differ: {y.reshape(-1)[:6]!r} != {x.reshape(-1)[:6]!r}")
print(json.dumps({"checked": checked, "problems": problems}))
