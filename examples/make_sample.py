"""Generates examples/sample.nc, the small netCDF4 file the README's main job virtualizes.

Run with Debian's Python (python3-netcdf4): /usr/bin/python3 examples/make_sample.py
The output is committed (about 20 KB) so a fresh machine with only Node needs no Python.
"""
import os

import netCDF4
import numpy as np

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample.nc")
with netCDF4.Dataset(path, "w", format="NETCDF4") as ds:
    ds.title = "vz sample: air temperature on a small grid"
    ds.Conventions = "CF-1.8"
    ds.createDimension("time", None)
    ds.createDimension("lat", 6)
    ds.createDimension("lon", 8)
    time = ds.createVariable("time", "f8", ("time",))
    time.units = "hours since 2020-01-01 00:00:00"
    time.calendar = "standard"
    time.standard_name = "time"
    lat = ds.createVariable("lat", "f4", ("lat",))
    lat.units = "degrees_north"
    lon = ds.createVariable("lon", "f4", ("lon",))
    lon.units = "degrees_east"
    air = ds.createVariable(
        "air", "f4", ("time", "lat", "lon"), zlib=True, shuffle=True, complevel=4,
        chunksizes=(2, 3, 4), fill_value=np.float32(-9999.0),
    )
    air.units = "K"
    air.long_name = "air temperature"
    precip = ds.createVariable("precip", "i2", ("time", "lat", "lon"), chunksizes=(1, 6, 8))
    precip.units = "mm"
    precip.scale_factor = 0.1
    lat[:] = np.linspace(-50, 50, 6, dtype="f4")
    lon[:] = np.linspace(0, 315, 8, dtype="f4")
    time[:] = np.arange(5, dtype="f8") * 6
    rng = np.random.default_rng(42)
    air[:] = (250 + 40 * rng.random((5, 6, 8))).astype("f4")
    air[4, 0, 0] = np.ma.masked
    precip[:] = rng.integers(0, 500, (5, 6, 8)).astype("i2")
