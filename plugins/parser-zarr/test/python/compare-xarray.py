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
from fsspec.implementations.reference import ReferenceFileSystem

# A chunk missing from a reference set is a chunk never written (the kerchunk spec: readers use the
# fill value). fsspec 2022.11 (Debian) raises KeyError from ReferenceFileSystem.cat(..., on_error=
# "return") when a batch of keys includes such a chunk, instead of returning FileNotFoundError for
# it (which fsspec's mapper then omits, and zarr fills); this shim does the latter.
_cat = ReferenceFileSystem.cat


def _cat_missing_as_not_found(self, path, recursive=False, on_error="raise", **kwargs):
    if isinstance(path, list) and on_error in ("omit", "return"):
        missing = [p for p in path if self._strip_protocol(p) not in self.references]
        present = [p for p in path if self._strip_protocol(p) in self.references]
        out = _cat(self, present, recursive=recursive, on_error=on_error, **kwargs) if present else {}
        if on_error == "return":
            out.update({p: FileNotFoundError(p) for p in missing})
        return out
    return _cat(self, path, recursive=recursive, on_error=on_error, **kwargs)


ReferenceFileSystem.cat = _cat_missing_as_not_found

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
