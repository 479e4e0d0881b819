"""Reads one array of kerchunk references with zarr-python 2 + fsspec.

usage: read-refs.py REFS_JSON ARRAY_PATH

Prints {"shape": [...], "dtype": "<i4", "values": [...] (C order), "compressor": {...} | null}.
"""
import json
import sys

import fsspec
import zarr

import fsspec_compat  # noqa: F401  (missing chunk references read as fill values)

refs, path = sys.argv[1], sys.argv[2]
array = zarr.open_array(fsspec.get_mapper("reference://", fo=refs), path=path, mode="r")
values = array[...]
print(json.dumps({
    "shape": list(array.shape),
    "dtype": array.dtype.str,
    "values": values.reshape(-1).tolist(),
    "compressor": array.compressor.get_config() if array.compressor is not None else None,
}))
