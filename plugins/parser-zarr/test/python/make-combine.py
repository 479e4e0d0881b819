"""Writes one dataset split in two along time: the first half as a Zarr v2 store, the second as a
netCDF4 file, with the same encoding (int64 CF time, zlib level 6 + shuffle, chunks 2 x 3 x 4).

usage: make-combine.py OUT_DIR   ->   OUT_DIR/first.zarr, OUT_DIR/second.nc
"""
import os
import sys

import numcodecs
import numpy as np
import pandas as pd
import xarray as xr

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
time = pd.date_range("2001-01-01", periods=8, freq="D")
rng = np.random.default_rng(1)
ds = xr.Dataset(
    {"precip": (("time", "lat", "lon"), rng.gamma(2.0, 1.5, size=(8, 6, 8)), {"units": "mm"})},
    coords={
        "time": time,
        "lat": ("lat", np.linspace(-30, 30, 6), {"units": "degrees_north"}),
        "lon": ("lon", np.arange(8.0), {"units": "degrees_east"}),
    },
    attrs={"title": "one dataset in two formats"},
)
time_encoding = {"units": "days since 2000-01-01", "calendar": "proleptic_gregorian", "dtype": "int64"}
ds.isel(time=slice(0, 4)).to_zarr(
    os.path.join(out, "first.zarr"),
    mode="w",
    consolidated=True,
    encoding={"time": time_encoding, "precip": {"chunks": (2, 3, 4), "compressor": numcodecs.Zlib(level=6), "filters": [numcodecs.Shuffle(elementsize=8)]}},
)
ds.isel(time=slice(4, 8)).to_netcdf(
    os.path.join(out, "second.nc"),
    engine="netcdf4",
    encoding={"time": time_encoding, "precip": {"zlib": True, "complevel": 6, "shuffle": True, "chunksizes": (2, 3, 4)}},
)
