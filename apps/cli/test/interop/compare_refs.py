#!/usr/bin/python3
"""Interop check: open kerchunk references written by vz with Python's fsspec + zarr (+ xarray)
and compare every array with the original file read by h5py / netCDF4 (or GDAL for TIFF).

Usage: /usr/bin/python3 compare_refs.py REFS_JSON ORIGINAL KIND   (KIND: hdf5 | tiff)
Prints one JSON object: {"arrays": [{"path", "ok", "reason"}], "xarray": [{"group", "variable", "ok", "reason"}]}
"""
import json
import sys
import warnings

import fsspec
import numpy as np
import zarr

warnings.filterwarnings("ignore")


def same(a, b):
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape:
        return False, f"shape {a.shape} != {b.shape}"
    if a.dtype.kind in "OSU" or b.dtype.kind in "OSU":
        def norm(x):
            return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in np.asarray(x, dtype=object).ravel().tolist()]
        return (norm(a) == norm(b)), "string values differ"
    if a.dtype != b.dtype:
        return False, f"dtype {a.dtype} != {b.dtype}"
    if a.dtype.kind == "f" or a.dtype.kind == "c":
        ok = np.array_equal(a, b, equal_nan=True)
    else:
        ok = np.array_equal(a, b)
    return ok, "" if ok else "values differ"


def walk_zarr(group, prefix=""):
    for name, arr in group.arrays():
        yield prefix + name, arr
    for name, sub in group.groups():
        yield from walk_zarr(sub, prefix + name + "/")


def main():
    refs_path, original, kind = sys.argv[1:4]
    mapper = fsspec.get_mapper("reference://", fo=refs_path, remote_protocol="file")
    root = zarr.open_group(mapper, mode="r")
    result = {"arrays": [], "xarray": []}
    if kind == "hdf5":
        import h5py
        with h5py.File(original, "r") as f:
            for path, arr in walk_zarr(root):
                entry = {"path": path}
                try:
                    ours = arr[...]
                    theirs = f[path][()]
                    if isinstance(theirs, bytes):
                        theirs = np.array(theirs, dtype=object)
                    if arr.dtype.kind == "O" and np.asarray(theirs).dtype.kind == "S":
                        theirs = np.asarray(theirs).astype(object)
                    ok, reason = same(ours, theirs)
                    entry.update(ok=bool(ok), reason=reason)
                except Exception as e:  # noqa: BLE001 - report, do not crash
                    entry.update(ok=False, reason=f"{type(e).__name__}: {e}")
                result["arrays"].append(entry)
        # xarray, CF-decoded, against netCDF4-python through xarray (netCDF files only)
        try:
            import xarray as xr
            orig = xr.open_dataset(original, engine="netcdf4")
        except Exception as e:  # noqa: BLE001
            result["xarray_skipped"] = f"original does not open with the netcdf4 engine: {type(e).__name__}: {e}"
            orig = None
        if orig is not None:
            ds = xr.open_dataset("reference://", engine="zarr",
                                 backend_kwargs={"consolidated": False, "storage_options": {"fo": refs_path, "remote_protocol": "file"}})
            for name in orig.variables:
                entry = {"group": "/", "variable": name}
                if name not in ds.variables:
                    entry.update(ok=False, reason="missing in vz refs")
                else:
                    try:
                        a, b = ds[name], orig[name]
                        if a.dims != b.dims:
                            entry.update(ok=False, reason=f"dims {a.dims} != {b.dims}")
                        else:
                            ok, reason = same(a.values, b.values)
                            entry.update(ok=bool(ok), reason=reason)
                    except Exception as e:  # noqa: BLE001
                        entry.update(ok=False, reason=f"{type(e).__name__}: {e}")
                result["xarray"].append(entry)
    elif kind == "tiff":
        from osgeo import gdal
        src = gdal.Open(original)
        result["gdal_bands"] = src.RasterCount
        result["arrays"] = [{"path": p, "shape": list(a.shape), "dtype": str(a.dtype)} for p, a in walk_zarr(root)]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
