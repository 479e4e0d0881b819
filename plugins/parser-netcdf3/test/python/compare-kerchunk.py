#!/usr/bin/python3
"""Compares kerchunk references written by vz with netCDF4-python reading the original file.

Usage: compare-kerchunk.py <file.nc> <refs.json>
Opens the references with fsspec + zarr 2 + xarray (engine="zarr", mask_and_scale=False,
decode_times=False, decode_coords=False; through zarr directly only when xarray cannot open the
original file either) and netCDF4-python (no masking, no char joining); compares every variable's
dimensions, values (NaN == NaN; char arrays as bytes when the references keep them as |S1, else
joined into strings, trailing NULs dropped) and
attributes (except _FillValue, which xarray's zarr backend sets from the .zarray fill_value).
Prints a JSON report: {"variables": n, "problems": [...]}.
"""
import json, sys
import numpy as np
import netCDF4
import xarray as xr

path, refs = sys.argv[1], sys.argv[2]
problems = []
xarray_note = None
try:
    ds = xr.open_dataset("reference://", engine="zarr", mask_and_scale=False, decode_times=False, decode_coords=False,
                         backend_kwargs={"consolidated": False, "storage_options": {"fo": refs}})
except Exception as error:
    # Acceptable only when xarray cannot open the original file either; then compare through zarr.
    try:
        xr.open_dataset(path, mask_and_scale=False, decode_times=False, decode_coords=False).close()
        raise
    except Exception as original_error:
        if str(original_error) != str(error) and type(original_error) is not type(error):
            raise error
    import fsspec, zarr
    group = zarr.open_group(fsspec.get_mapper("reference://", fo=refs), mode="r")
    xarray_note = f"xarray cannot open the original either ({type(error).__name__}); compared through zarr"

    class Var:
        def __init__(self, array):
            self.values = array[...]
            self.attrs = {k: v for k, v in array.attrs.items() if k != "_ARRAY_DIMENSIONS"}
            self.dims = tuple(array.attrs.get("_ARRAY_DIMENSIONS", []))
            self.encoding = {} if array.fill_value is None else {"_FillValue": array.fill_value}

    class Group:
        def __init__(self, group):
            self.variables = {name: Var(array) for name, array in group.arrays()}
            self.attrs = dict(group.attrs)

        def __getitem__(self, name):
            return self.variables[name]

    ds = Group(group)


def texts(items):
    """Byte strings (trailing NULs dropped) as vz decodes a char variable: UTF-8 when every item
    of the variable is valid UTF-8, else Latin-1 for all of them."""
    items = [bytes(b).rstrip(b"\0") for b in items]
    try:
        return [b.decode("utf-8") for b in items]
    except UnicodeDecodeError:
        return [b.decode("latin-1") for b in items]


def joined(chars):
    rows = chars.reshape(-1, chars.shape[-1]) if chars.ndim else chars.reshape(1, 1)
    return texts(row.tobytes() for row in rows)


def same_attr(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "US" or b.dtype.kind in "US":
        return str(a.item() if a.ndim == 0 else a.tolist()) == str(b.item() if b.ndim == 0 else b.tolist())
    return a.shape == b.shape or a.size == b.size and np.array_equal(a.reshape(-1), b.reshape(-1), equal_nan=True)


with netCDF4.Dataset(path) as nc:
    nc.set_auto_maskandscale(False)
    for k in nc.ncattrs():
        if k not in ds.attrs or not same_attr(ds.attrs[k], nc.getncattr(k)):
            problems.append(f"global attribute {k}: {ds.attrs.get(k)!r} != {nc.getncattr(k)!r}")
    names = set(nc.variables)
    if set(ds.variables) != names:
        problems.append(f"variables differ: {sorted(set(ds.variables) ^ names)}")
    for name, var in nc.variables.items():
        if name not in ds.variables:
            continue
        var.set_auto_chartostring(False)
        expected = np.asarray(var[...])
        got = ds[name].values
        stacked = expected.dtype.kind == "S" and expected.ndim > 0 and np.asarray(got).ndim == expected.ndim - 1
        if expected.dtype.kind == "S" and np.asarray(got).dtype.kind == "S":
            # characters kept as |S1 (vz's default): xarray joins them itself; compare the bytes
            got = np.asarray(got)
            dims = list(var.dimensions[:-1]) if stacked else list(var.dimensions)
            want = [row.tobytes().rstrip(b"\0") for row in (expected.reshape(-1, expected.shape[-1]) if expected.ndim else expected.reshape(1, 1))] if stacked \
                else [bytes(b) for b in expected.reshape(-1).tolist()]
            have = [bytes(b) for b in got.reshape(-1).tolist()]
            if have != want:
                problems.append(f"{name}: bytes {have[:4]} != {want[:4]}")
        elif expected.dtype.kind == "S" and not stacked:
            dims = list(var.dimensions)
            want = texts(expected.reshape(-1).tolist())
            have = [str(x) for x in np.atleast_1d(got).reshape(-1).tolist()]
            if have != want:
                problems.append(f"{name}: characters {have[:4]} != {want[:4]}")
        elif expected.dtype.kind == "S":
            dims = list(var.dimensions[:-1])
            want = joined(expected)
            have = [str(x) for x in np.atleast_1d(got).reshape(-1).tolist()]
            if have != want:
                problems.append(f"{name}: strings {have[:4]} != {want[:4]}")
        else:
            dims = list(var.dimensions)
            if got.shape != expected.shape:
                problems.append(f"{name}: shape {got.shape} != {expected.shape}")
            elif got.dtype.kind != expected.dtype.kind or got.dtype.itemsize != expected.dtype.itemsize:
                problems.append(f"{name}: dtype {got.dtype} != {expected.dtype}")
            elif not np.array_equal(got, expected, equal_nan=expected.dtype.kind == "f"):
                problems.append(f"{name}: values differ")
        if list(ds[name].dims) != dims:
            problems.append(f"{name}: dims {list(ds[name].dims)} != {dims}")
        if "_FillValue" in var.ncattrs():
            # xarray's zarr backend reads the .zarray fill_value as _FillValue: it must be the
            # original's, digit for digit (int64/uint64 fills beyond 2^53 too) and of its type
            want, have = var.getncattr("_FillValue"), ds[name].attrs.get("_FillValue")
            if have is None and "_FillValue" in ds[name].encoding:
                have = ds[name].encoding["_FillValue"]
            if np.asarray(want).dtype.kind in "iu":
                if have is None or np.asarray(have).dtype.kind not in "iu" or int(have) != int(want):
                    problems.append(f"{name}: _FillValue {have!r} != {want!r}")
            elif np.asarray(want).dtype.kind == "f" and np.asarray(var[...]).dtype.kind == "f":
                if have is None or not np.array_equal(np.asarray(have, dtype="f8"), np.asarray(want, dtype="f8"), equal_nan=True):
                    problems.append(f"{name}: _FillValue {have!r} != {want!r}")
        for k in var.ncattrs():
            if k == "_FillValue":
                continue
            if k not in ds[name].attrs or not same_attr(ds[name].attrs[k], var.getncattr(k)):
                problems.append(f"{name} attribute {k}: {ds[name].attrs.get(k)!r} != {var.getncattr(k)!r}")
print(json.dumps({"variables": len(ds.variables), "problems": problems, "note": xarray_note}))
