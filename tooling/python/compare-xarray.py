#!/usr/bin/python3
"""Compares kerchunk references written by vz with xarray reading the original file.

Usage: compare-xarray.py <original> <refs.json> <group or ""> <variables: "chars" | "all" | a,b,c>
Opens the original (its group, if given) with xarray's netCDF4 engine and the references with fsspec + zarr 2 + xarray
(engine="zarr"), both with xarray's default decoding, and compares each chosen variable's dtype,
dimensions, shape and values (NaN == NaN, NaT == NaT). Variables xarray refuses to open (more than
one dimension, one named like the variable) are dropped from both. "chars" picks the variables netCDF4-python
reports as char (|S1) arrays. Prints a JSON report: {"checked": {name: [dtype, dims, shape]}, "problems": [...], "refused_by_xarray": [...]}.
"""
import json, sys
import numpy as np
import netCDF4
import xarray as xr

path, refs, group, which = sys.argv[1], sys.argv[2], sys.argv[3] or None, sys.argv[4]
with netCDF4.Dataset(path) as nc:
    node = nc[group] if group else nc
    # variables xarray refuses in the original and in the references alike (more than one
    # dimension, one of them named like the variable) are left out of both
    refused = [n for n, v in node.variables.items() if len(v.dimensions) > 1 and n in v.dimensions]
original = xr.open_dataset(path, engine="netcdf4", group=group, drop_variables=refused)
# the references hold the chosen group at their root (vz writes one dataset)
ours = xr.open_dataset("reference://", engine="zarr", drop_variables=refused,
                       backend_kwargs={"consolidated": False, "storage_options": {"fo": refs}})
if which == "chars":
    with netCDF4.Dataset(path) as nc:
        node = nc[group] if group else nc
        names = [n for n, v in node.variables.items() if v.dtype != str and v.dtype.kind == "S" and n not in refused]
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
    if x.dtype.kind == "O":
        # object arrays (masked bytes, str): equal element by element, NaN == NaN
        same = x.shape == y.shape and all(p == q or (p != p and q != q) for p, q in zip(x.reshape(-1).tolist(), y.reshape(-1).tolist()))
    else:
        same = np.array_equal(x, y, equal_nan=x.dtype.kind in "fcmM")
    if not same:
        problems.append(f"{name}: values differ: {y.reshape(-1)[:6]!r} != {x.reshape(-1)[:6]!r}")
print(json.dumps({"checked": checked, "problems": problems, "refused_by_xarray": refused}))
