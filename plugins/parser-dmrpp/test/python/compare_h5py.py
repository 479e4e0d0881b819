#!/usr/bin/python3
"""Opens kerchunk references vz wrote from a DMR++ with xarray (fsspec reference filesystem +
zarr, every group) and compares every variable with h5py reading the HDF5 file itself.

Usage: compare_h5py.py <file.h5> <refs.json>
Prints JSON: {"variables": n, "groups": [...], "problems": [...]}. Values are compared raw
(mask_and_scale=False, decode_times=False): numbers exactly (NaN == NaN), strings decoded."""
import json
import sys

import h5py
import numpy as np
import xarray as xr

path, refs = sys.argv[1], sys.argv[2]
with open(refs) as handle:
    keys = json.load(handle)["refs"].keys()
groups = sorted({k[: -len(".zgroup")].rstrip("/") for k in keys if k.endswith(".zgroup")})
problems = []
count = 0


def as_text(values):
    out = []
    for v in np.asarray(values, dtype=object).ravel():
        out.append(v.decode("utf-8") if isinstance(v, bytes) else str(v))
    return out


with h5py.File(path, "r") as h5:
    for group in groups:
        ds = xr.open_dataset(
            "reference://",
            engine="zarr",
            group=group or None,
            mask_and_scale=False,
            decode_times=False,
            decode_coords=False,
            backend_kwargs={"consolidated": False, "storage_options": {"fo": refs}},
        )
        for name, variable in ds.variables.items():
            where = f"{group}/{name}" if group else name
            count += 1
            if where not in h5:
                problems.append(f"{where}: not a dataset of the HDF5 file")
                continue
            expected = h5[where][()]
            got = variable.values
            if expected.dtype.kind in "SUO" or got.dtype.kind in "SUO":
                if as_text(got) != as_text(expected):
                    problems.append(f"{where}: strings {as_text(got)[:4]} vs h5py {as_text(expected)[:4]}")
                continue
            if got.shape != expected.shape:
                problems.append(f"{where}: shape {got.shape} vs h5py {expected.shape}")
            elif got.dtype != expected.dtype.newbyteorder("=") and got.dtype != expected.dtype:
                problems.append(f"{where}: dtype {got.dtype} vs h5py {expected.dtype}")
            elif not np.array_equal(got, expected, equal_nan=got.dtype.kind == "f"):
                problems.append(f"{where}: values differ")
        ds.close()
print(json.dumps({"variables": count, "groups": groups, "problems": problems}))
