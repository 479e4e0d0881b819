"""Compares a Zarr v2 store with vz's kerchunk references to it, in xarray and in the .zarray files.

usage: compare-xarray.py STORE REFS_JSON

Prints {"problems": [...], "variables": N, "virtual": [...]}:
  - xr.open_zarr(STORE) and xr.open_dataset("reference://", engine="zarr", ...) over REFS_JSON must
    be identical (xr.testing.assert_identical, values loaded);
  - for every array referenced virtually (chunks as [url, offset, length]), the references'
    .zarray must carry the store's compressor, filters, dtype, chunks and shape exactly.
"""
import json
import os
import sys

import xarray as xr
import fsspec_compat  # noqa: F401  (missing chunk references read as fill values)

store, refs_path = sys.argv[1], sys.argv[2]
problems = []
with open(refs_path) as f:
    refs = json.load(f)["refs"]

expected = xr.open_zarr(store, chunks=None).load()
actual = xr.open_dataset(
    "reference://", engine="zarr", backend_kwargs={"consolidated": False, "storage_options": {"fo": refs_path}}
).load()
try:
    xr.testing.assert_identical(expected, actual)
except AssertionError as error:
    problems.append(f"xarray datasets differ: {error}")

virtual = []
for key, value in refs.items():
    if not key.endswith("/.zarray"):
        continue
    path = key[: -len("/.zarray")]
    if not any(isinstance(v, list) for k, v in refs.items() if k.startswith(path + "/") and not k.split("/")[-1].startswith(".")):
        continue
    virtual.append(path)
    ours = json.loads(value)
    with open(os.path.join(store, path, ".zarray")) as f:
        theirs = json.load(f)
    for field in ("compressor", "filters", "dtype", "chunks", "shape"):
        if ours.get(field) != theirs.get(field):
            problems.append(f"{path}: .zarray {field} is {ours.get(field)!r}, the store has {theirs.get(field)!r}")

print(json.dumps({"problems": problems, "variables": len(expected.variables), "virtual": sorted(virtual)}))
