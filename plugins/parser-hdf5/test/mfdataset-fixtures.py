"""Writes the files of mfdataset.test.ts into argv[1] with netCDF4-python, and the oracle
(h5py's chunk byte offsets of every piece, the whole file's raw values) as oracle.json / *.bin.

whole.nc            time 48 x lat 8 x lon 12, air float32 chunks (6, 4, 6), zlib + shuffle
time-<k>.nc         4 pieces of 12 time steps (chunk aligned), same encoding
units-<k>.nc        the same pieces with time in "hours since 2000-01-0<k+1>" (piece 0 as whole)
tile-<i><j>.nc      2 x 2 lat/lon tiles (4 x 6), all time steps
air-<k>.nc          (when argv[2] names air.nc) 4 pieces of 31 steps written by xarray,
                    chunks (31, 11, 21), piece k's time in "hours since 2013-01-0<k+1>"
"""
import json
import os
import sys

import h5py
import netCDF4
import numpy as np

out = sys.argv[1]
air_nc = sys.argv[2] if len(sys.argv) > 2 else ""
T, Y, X = 48, 8, 12
rng = np.random.default_rng(42)
AIR = (rng.standard_normal((T, Y, X)) * 10 + 280).astype("float32")
MASK = (rng.random((Y, X)) > 0.5).astype("int8")
TIMES = np.arange(T, dtype="int32") * 6
LATS = np.linspace(60, 25, Y)
LONS = np.linspace(200, 310, X)


def write(name, ts, ys, xs, epoch_hours=0):
    ds = netCDF4.Dataset(os.path.join(out, name), "w", format="NETCDF4")
    ds.title = "synthetic"
    ds.createDimension("time", ts.stop - ts.start)
    ds.createDimension("lat", ys.stop - ys.start)
    ds.createDimension("lon", xs.stop - xs.start)
    time = ds.createVariable("time", "i4", ("time",))
    day = 1 + epoch_hours // 24
    time.units = "hours since 2000-01-%02d" % day
    time.calendar = "standard"
    time[:] = TIMES[ts] - epoch_hours
    lat = ds.createVariable("lat", "f8", ("lat",))
    lat.units = "degrees_north"
    lat[:] = LATS[ys]
    lon = ds.createVariable("lon", "f8", ("lon",))
    lon.units = "degrees_east"
    lon[:] = LONS[xs]
    air = ds.createVariable("air", "f4", ("time", "lat", "lon"), zlib=True, complevel=4, shuffle=True, chunksizes=(6, 4, 6))
    air.units = "K"
    air[:] = AIR[ts, ys, xs]
    mask = ds.createVariable("mask", "i1", ("lat", "lon"))
    mask[:] = MASK[ys, xs]
    ds.close()


def chunk_info(name, var):
    with h5py.File(os.path.join(out, name), "r") as f:
        dsid = f[var].id
        return [[list(info.chunk_offset), int(info.byte_offset), int(info.size)] for info in (dsid.get_chunk_info(i) for i in range(dsid.get_num_chunks()))]


oracle = {"pieces": {}}
write("whole.nc", slice(0, T), slice(0, Y), slice(0, X))
for k in range(4):
    ts = slice(12 * k, 12 * (k + 1))
    write("time-%d.nc" % k, ts, slice(0, Y), slice(0, X))
    write("units-%d.nc" % k, ts, slice(0, Y), slice(0, X), epoch_hours=24 * k)
    oracle["pieces"]["time-%d.nc" % k] = {"origin": [12 * k, 0, 0], "chunks": chunk_info("time-%d.nc" % k, "air")}
    oracle["pieces"]["units-%d.nc" % k] = {"origin": [12 * k, 0, 0], "chunks": chunk_info("units-%d.nc" % k, "air")}
for i in range(2):
    for j in range(2):
        name = "tile-%d%d.nc" % (i, j)
        write(name, slice(0, T), slice(4 * i, 4 * (i + 1)), slice(6 * j, 6 * (j + 1)))
        oracle["pieces"][name] = {"origin": [0, 4 * i, 6 * j], "chunks": chunk_info(name, "air")}
AIR.astype("<f4").tofile(os.path.join(out, "whole-air.bin"))
oracle["times"] = TIMES.tolist()

if air_nc:
    import xarray as xr

    whole = xr.open_dataset(air_nc, mask_and_scale=False, decode_times=False)
    units = whole.time.attrs["units"]
    for k in range(4):
        piece = whole.isel(time=slice(31 * k, 31 * (k + 1)))
        encoding = {"air": {"chunksizes": (31, 11, 21)}}
        piece.to_netcdf(os.path.join(out, "air-%d.nc" % k), encoding=encoding)
    # piece k's time re-expressed in hours since 2013-01-0<k+1> (piece 0 keeps the original units)
    for k in range(1, 4):
        with netCDF4.Dataset(os.path.join(out, "air-%d.nc" % k), "a") as ds:
            t = ds["time"]
            dates = netCDF4.num2date(t[:], units, calendar=t.calendar if "calendar" in t.ncattrs() else "standard")
            new_units = "hours since 2013-01-0%d 00:00:00" % (k + 1)
            t.units = new_units
            t[:] = netCDF4.date2num(dates, new_units, calendar=t.calendar if "calendar" in t.ncattrs() else "standard")
    with netCDF4.Dataset(air_nc) as ds:
        ds.set_auto_maskandscale(False)
        raw = np.asarray(ds["air"][:])
        times = np.asarray(ds["time"][:])
        calendar = ds["time"].calendar if "calendar" in ds["time"].ncattrs() else "standard"
        in_last_units = netCDF4.date2num(netCDF4.num2date(times, units, calendar=calendar), "hours since 2013-01-04 00:00:00", calendar=calendar)
        oracle["air_nc"] = {
            "dtype": raw.dtype.str,
            "shape": list(raw.shape),
            "times": times.tolist(),
            "units": units,
            "times_in_last_units": np.asarray(in_last_units, dtype="float64").tolist(),
        }
        raw.astype(raw.dtype.newbyteorder("<")).tofile(os.path.join(out, "air-whole.bin"))
    for k in range(4):
        oracle["pieces"]["air-%d.nc" % k] = {"origin": [31 * k, 0, 0], "chunks": chunk_info("air-%d.nc" % k, "air")}

with open(os.path.join(out, "oracle.json"), "w") as f:
    json.dump(oracle, f)
