"""Compares vz's combined references with xarray's own concatenation of a Zarr store and a netCDF file.

usage: compare-combined.py ZARR_STORE NETCDF_FILE REFS_JSON   ->   {"problems": [...]}
"""
import json
import sys

import xarray as xr

import fsspec_compat  # noqa: F401  (missing chunk references read as fill values)

store, netcdf, refs = sys.argv[1:4]
expected = xr.concat([xr.open_zarr(store, chunks=None), xr.open_dataset(netcdf)], dim="time").load()
actual = xr.open_dataset("reference://", engine="zarr", backend_kwargs={"consolidated": False, "storage_options": {"fo": refs}}).load()
problems = []
try:
    xr.testing.assert_identical(expected, actual)
except AssertionError as error:
    problems.append(f"xarray datasets differ: {error}")
print(json.dumps({"problems": problems, "sizes": dict(actual.sizes)}))
