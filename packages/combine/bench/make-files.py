"""Writes N small netCDF4 files (24 time steps of 6 h each, lat 4 x lon 5, air float32 in one
zlib chunk per file) into argv[1]: bench-0000.nc ... Used by mfdataset.mjs."""
import os
import sys

import netCDF4
import numpy as np

out, count = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
for k in range(count):
    with netCDF4.Dataset(os.path.join(out, "bench-%04d.nc" % k), "w", format="NETCDF4") as ds:
        ds.title = "vz mfdataset benchmark"
        ds.createDimension("time", 24)
        ds.createDimension("lat", 4)
        ds.createDimension("lon", 5)
        time = ds.createVariable("time", "i4", ("time",))
        time.units = "hours since 2000-01-01"
        time.calendar = "standard"
        time[:] = (np.arange(24) + 24 * k) * 6
        lat = ds.createVariable("lat", "f4", ("lat",))
        lat[:] = np.arange(4) * 2.5
        lon = ds.createVariable("lon", "f4", ("lon",))
        lon[:] = np.arange(5) * 2.5
        air = ds.createVariable("air", "f4", ("time", "lat", "lon"), zlib=True, chunksizes=(24, 4, 5))
        air.units = "K"
        air[:] = rng.standard_normal((24, 4, 5)).astype("f4") + 280
