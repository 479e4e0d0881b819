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


def _read_references_one_by_one():
    """Works around a bug of fsspec's ReferenceFileSystem.cat (Debian's fsspec 2022.11): it sorts
    the byte ranges it merges, but when nothing was merged it pairs the sorted results with the
    unsorted keys, so chunks whose offsets decrease in the file come back swapped (e.g.
    ATL03_gt1l.h5 gt1l/bckgrd_atlas/*, whose chunk 1 lies before chunk 0). The references are
    right (they equal h5py's get_chunk_info); reading each key on its own returns its bytes."""
    from fsspec.implementations.reference import ReferenceFileSystem
    if getattr(ReferenceFileSystem, "_vz_one_by_one", False):
        return
    original = ReferenceFileSystem.cat

    def cat(self, path, recursive=False, on_error="raise", **kwargs):
        if not isinstance(path, list) or recursive:
            return original(self, path, recursive=recursive, on_error=on_error, **kwargs)
        out = {}
        for key in path:
            try:
                out[key] = self.cat_file(key)
            except Exception as e:  # noqa: BLE001 - same contract as fsspec's cat
                if on_error == "raise":
                    raise
                if on_error == "return":
                    out[key] = e
        return out

    ReferenceFileSystem.cat = cat
    ReferenceFileSystem._vz_one_by_one = True


_read_references_one_by_one()


def same(a, b):
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape:
        return False, f"shape {a.shape} != {b.shape}"
    if a.dtype.kind in "OSU" or b.dtype.kind in "OSU":
        def norm(x):
            return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in np.asarray(x, dtype=object).ravel().tolist()]
        na, nb = norm(a), norm(b)
        return na == nb, "" if na == nb else f"string values differ: {na[:3]} vs {nb[:3]}"
    if a.dtype != b.dtype:
        # byte order is an encoding detail; a float16 that a netCDF library widened to float32 is the same data
        if a.dtype.kind != b.dtype.kind or (a.dtype.itemsize != b.dtype.itemsize and a.dtype.kind != "f"):
            return False, f"dtype {a.dtype} != {b.dtype}"
        wide = np.promote_types(a.dtype.newbyteorder("="), b.dtype.newbyteorder("="))
        a, b = a.astype(wide), b.astype(wide)
    if a.dtype.kind == "f" or a.dtype.kind == "c":
        ok = np.array_equal(a, b, equal_nan=True)
    else:
        ok = np.array_equal(a, b)
    return ok, "" if ok else "values differ"


def walk_zarr(group, prefix=""):
    """(path, array or the exception raised opening it) for every array in the tree."""
    for name in sorted(group.array_keys()):
        try:
            yield prefix + name, group[name]
        except Exception as e:  # noqa: BLE001 - e.g. a codec this Python lacks
            yield prefix + name, e
    for name, sub in group.groups():
        yield from walk_zarr(sub, prefix + name + "/")


def numcodecs_version():
    import numcodecs
    return tuple(int(p) for p in numcodecs.__version__.split("+")[0].split(".")[:2])


def codec_missing(e):
    message = f"{type(e).__name__}: {e}"
    return "codec not available" in message, message


def main():
    refs_path, original, kind = sys.argv[1:4]
    mapper = fsspec.get_mapper("reference://", fo=refs_path, remote_protocol="file")
    root = zarr.open_group(mapper, mode="r")
    result = {"arrays": [], "xarray": []}
    if kind == "hdf5":
        import h5py
        netcdf_file = False
        with h5py.File(original, "r") as f:
            def netcdf_marker(name, obj):
                return True if ("DIMENSION_LIST" in obj.attrs or obj.attrs.get("CLASS") == b"DIMENSION_SCALE") else None
            netcdf_file = "_NCProperties" in f.attrs or bool(f.visititems(netcdf_marker))
            for path, arr in walk_zarr(root):
                entry = {"path": path}
                if isinstance(arr, Exception):
                    missing, message = codec_missing(arr)
                    entry.update(ok=missing, skipped=missing, reason=f"codec not available in this Python: {message}" if missing else message)
                    result["arrays"].append(entry)
                    continue
                try:
                    theirs = f[path][()]
                except Exception as e:  # noqa: BLE001 - the reference library cannot read it (e.g. filter plugin missing)
                    entry.update(ok=True, skipped=True, reason=f"h5py cannot read the original: {type(e).__name__}: {e}")
                    result["arrays"].append(entry)
                    continue
                try:
                    ours = arr[...]
                    if isinstance(theirs, bytes):
                        theirs = np.array(theirs, dtype=object)
                    theirs_arr = np.asarray(theirs)
                    if arr.dtype.kind == "O" and theirs_arr.dtype == np.dtype("S1") and theirs_arr.ndim == len(arr.shape) + 1:
                        # vz joined a character array's last dimension into strings (xarray's rule)
                        theirs = np.array([b"".join(row.tolist()).rstrip(b"\0") for row in theirs_arr.reshape(-1, theirs_arr.shape[-1])], dtype=object).reshape(arr.shape)
                    elif arr.dtype.kind == "O" and theirs_arr.dtype.kind == "S":
                        theirs = theirs_arr.astype(object)
                    ok, reason = same(ours, theirs)
                    entry.update(ok=bool(ok), reason=reason)
                except Exception as e:  # noqa: BLE001 - report, do not crash
                    entry.update(ok=False, reason=f"{type(e).__name__}: {e}")
                result["arrays"].append(entry)
        # xarray, CF-decoded, against netCDF4-python through xarray (netCDF-4 files only: for plain
        # HDF5 files h5py above is the reference; netCDF-C reads some of them differently)
        orig = None
        if not netcdf_file:
            result["xarray_skipped"] = "not a netCDF-4 file (no _NCProperties, dimension scales or DIMENSION_LIST): compared with h5py only"
        else:
            try:
                import xarray as xr
                orig = xr.open_dataset(original, engine="netcdf4")
            except Exception as e:  # noqa: BLE001
                result["xarray_skipped"] = f"original does not open with the netcdf4 engine: {type(e).__name__}: {e}"
        if orig is not None:
            try:
                ds = xr.open_dataset("reference://", engine="zarr",
                                     backend_kwargs={"consolidated": False, "storage_options": {"fo": refs_path, "remote_protocol": "file"}})
            except Exception as e:  # noqa: BLE001
                missing, message = codec_missing(e)
                if not missing:
                    raise
                result["xarray_skipped"] = f"codec not available in this Python: {message}"
                orig = None
        if orig is not None:
            for name in orig.variables:
                entry = {"group": "/", "variable": name}
                if name not in ds.variables:
                    entry.update(ok=False, reason="missing in vz refs")
                else:
                    try:
                        try:
                            b = orig[name]
                            b.values
                        except Exception as e:  # noqa: BLE001 - netCDF-C cannot read it (e.g. filter plugin missing)
                            entry.update(ok=True, skipped=True, reason=f"netCDF4 cannot read the original: {type(e).__name__}: {e}")
                            result["xarray"].append(entry)
                            continue
                        a = ds[name]
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
        gt = src.GetGeoTransform(can_return_null=True)
        for path, arr in walk_zarr(root):
            entry = {"path": path}
            if isinstance(arr, Exception):
                missing, message = codec_missing(arr)
                entry.update(ok=missing, skipped=missing, reason=f"codec not available in this Python: {message}" if missing else message)
                result["arrays"].append(entry)
                continue
            try:
                if path == "0":
                    ours = arr[...]
                    dims = list(arr.attrs.get("_ARRAY_DIMENSIONS", []))
                    theirs = src.ReadAsArray()
                    if ours.ndim == 3 and dims and dims[-1] == "band":
                        ours = np.moveaxis(ours, -1, 0)
                    if ours.ndim == 3 and ours.shape[0] == 1 and theirs.ndim == 2:
                        ours = ours[0]
                    ok, reason = same(ours, theirs)
                    entry.update(ok=bool(ok), reason=reason)
                elif path in ("x", "y") and gt is not None:
                    ours = arr[...]
                    n = ours.shape[0]
                    if path == "x":
                        theirs = gt[0] + (np.arange(n) + 0.5) * gt[1]
                    else:
                        theirs = gt[3] + (np.arange(n) + 0.5) * gt[5]
                    ok = bool(np.allclose(ours, theirs, rtol=0, atol=abs(gt[1] if path == "x" else gt[5]) * 1e-6))
                    entry.update(ok=ok, reason="" if ok else "coordinates differ from the GDAL geotransform")
                else:
                    arr[(0,) * arr.ndim] if arr.ndim else arr[...]
                    entry.update(ok=True, reason="readable (not compared)")
            except Exception as e:  # noqa: BLE001
                message = f"{type(e).__name__}: {e}"
                if "codec not available" in message or "imagecodecs" in message or "vz." in message:
                    entry.update(ok=True, skipped=True, reason=f"codec not available in this Python: {message}")
                elif "Zstd decompression error" in message and numcodecs_version() < (0, 13):
                    # GDAL writes zstd frames without a content size; numcodecs < 0.13 cannot decode those
                    entry.update(ok=True, skipped=True, reason=f"numcodecs {numcodecs_version()} cannot decode zstd frames without a content size: {message}")
                else:
                    entry.update(ok=False, reason=message)
            result["arrays"].append(entry)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
