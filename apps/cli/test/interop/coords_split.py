#!/usr/bin/python3
"""Coordinates vs data variables: xarray on the original file against xarray on vz's references.

Usage: coords_split.py <original> <refs.json> [skipped variable ...]
Opens the original with xarray's default engine and the kerchunk references with the zarr engine
(fsspec reference filesystem), both with decode_times=False (time decoding is not what is
compared; some shared files have units xarray cannot decode) and CF coordinate decoding on (the
default). Variables vz skipped (reported on stderr by `vz virtualize --skip-unsupported`) are left
out of both sides. Prints {"original": {"coords": [...], "data_vars": [...]}, "refs": {...}}, or
{"original_error": "..."} when xarray cannot open the original file.
"""
import json, sys
import xarray as xr

path, refs, skipped = sys.argv[1], sys.argv[2], set(sys.argv[3:])


def split(ds):
    return {
        "coords": sorted(str(k) for k in ds.coords if k not in skipped),
        "data_vars": sorted(str(k) for k in ds.data_vars if k not in skipped),
    }


try:
    with xr.open_dataset(path, decode_times=False) as original:
        expected = split(original)
except Exception as error:  # nothing to compare with: xarray cannot open the original file
    print(json.dumps({"original_error": f"{type(error).__name__}: {error}"}))
    sys.exit(0)
with xr.open_dataset("reference://", engine="zarr", decode_times=False,
                     backend_kwargs={"consolidated": False, "storage_options": {"fo": refs}}) as ours:
    got = split(ours)
print(json.dumps({"original": expected, "refs": got}))
