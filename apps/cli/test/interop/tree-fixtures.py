#!/usr/bin/python3
"""Writes the grouped test files of tree.test.ts / the CLI tree tests into OUT_DIR (Debian's
/usr/bin/python3 with netCDF4 and h5py):

  nested.nc   netCDF-4: /analysis (time, CF "hours since"), /analysis/surface/tas (time, lat, lon;
              time's dimension lives in the parent group; zlib, chunks 2x3x5, _FillValue, masked
              values), /analysis/station (vlen string station names, int16 packed obs)
  dense.h5    HDF5 1.10+ format (libver="latest"): 40 groups g00..g39 in the root, more than the
              8 links of compact storage, so the root's links are in dense storage (fractal heap
              + v2 B-tree); each group has a chunked, gzip dataset "x" and an attribute
  empty.nc    netCDF-4 with attributes and a group but no variable anywhere
  times.nc    netCDF-4: time coordinates in several calendars (standard, noleap, 360_day, julian),
              a float time with fractions, fill values by _FillValue and missing_value, for decodeTimes
  packed_time.nc  a time coordinate with scale_factor (decodeTimes refuses it)
  granule_0.nc, granule_1.nc
              two "granules" with the same groups (/analysis/time, /analysis/surface/tas), times
              0,6 and 12,18 hours, for combining trees group by group

Usage: /usr/bin/python3 tree-fixtures.py OUT_DIR
"""
import os
import sys

import h5py
import netCDF4
import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

with netCDF4.Dataset(os.path.join(out, "nested.nc"), "w") as nc:
    nc.title = "nested groups"
    nc.Conventions = "CF-1.8"
    analysis = nc.createGroup("analysis")
    analysis.source = "tree-fixtures.py"
    analysis.createDimension("time", 4)
    t = analysis.createVariable("time", "i4", ("time",))
    t.units = "hours since 2020-01-01 00:00:00"
    t.calendar = "standard"
    t[:] = [0, 6, 12, 18]
    surface = analysis.createGroup("surface")
    surface.createDimension("lat", 3)
    surface.createDimension("lon", 5)
    lat = surface.createVariable("lat", "f8", ("lat",))
    lat[:] = [-10.0, 0.0, 10.0]
    lon = surface.createVariable("lon", "f8", ("lon",))
    lon[:] = [0.0, 90.0, 180.0, 270.0, 359.5]
    tas = surface.createVariable("tas", "f4", ("time", "lat", "lon"), zlib=True, chunksizes=(2, 3, 5), fill_value=np.float32(-999.0))
    tas.units = "K"
    values = (250.0 + np.arange(4 * 3 * 5, dtype="f4").reshape(4, 3, 5) * 0.5).astype("f4")
    masked = np.ma.masked_array(values, mask=np.zeros_like(values, dtype=bool))
    masked.mask[1, 2, 3] = True
    tas[:] = masked
    station = analysis.createGroup("station")
    station.createDimension("station", 3)
    names = station.createVariable("station_name", str, ("station",))
    names[:] = np.array(["Zürich", "Boulder", "Tromsø"], dtype=object)
    obs = station.createVariable("obs", "i2", ("time", "station"))
    obs.scale_factor = 0.1
    obs.add_offset = 10.0
    obs.coordinates = "station_name"
    obs[:] = (np.arange(12).reshape(4, 3) * 1.5 + 10.0)

with h5py.File(os.path.join(out, "dense.h5"), "w", libver="latest") as f:
    f.attrs["kind"] = "dense link storage"
    for i in range(40):
        g = f.create_group(f"g{i:02d}")
        g.attrs["index"] = i
        g.create_dataset("x", data=np.arange(12, dtype="i4") * (i + 1) - 7, chunks=(5,), compression="gzip")

with netCDF4.Dataset(os.path.join(out, "empty.nc"), "w") as nc:
    nc.title = "attributes only"
    g = nc.createGroup("nothing")
    g.note = "no variables here either"

with netCDF4.Dataset(os.path.join(out, "times.nc"), "w") as nc:
    for name, calendar, units, values in [
        ("t_standard", "standard", "days since 1999-12-30 12:00:00", [0, 1, 2, 60, 366]),
        ("t_noleap", "noleap", "days since 2001-02-27", [0, 1, 2, 365, 730]),
        ("t_360", "360_day", "hours since 2000-02-29 00:00:00", [0, 24, 48, 720, 8640]),
        ("t_julian", "julian", "days since 1700-02-27", [0, 1, 2, 3, 400]),
    ]:
        nc.createDimension(name, len(values))
        v = nc.createVariable(name, "i8", (name,))
        v.units = units
        v.calendar = calendar
        v[:] = values
    nc.createDimension("t_float", 3)
    v = nc.createVariable("t_float", "f8", ("t_float",))
    v.units = "hours since 2010-06-01"
    v[:] = [0.5, 1.25, 36.0]
    nc.createDimension("t_fill", 3)
    v = nc.createVariable("t_fill", "i4", ("t_fill",), fill_value=np.int32(-1))
    v.units = "seconds since 1970-01-01"
    v[:] = np.ma.masked_array([86400, 0, 172800], mask=[False, True, False])
    nc.createDimension("t_missing", 3)
    v = nc.createVariable("t_missing", "i2", ("t_missing",))
    v.units = "days since 2000-01-01"
    v.calendar = "proleptic_gregorian"
    v.missing_value = np.int16(-999)
    v.set_auto_mask(False)
    v[:] = [0, -999, 31]
    x = nc.createVariable("x", "f4", ("t_standard",))
    x[:] = np.arange(5, dtype="f4")

for k in range(2):
    with netCDF4.Dataset(os.path.join(out, f"granule_{k}.nc"), "w") as nc:
        nc.granule = k
        analysis = nc.createGroup("analysis")
        analysis.createDimension("time", 2)
        t = analysis.createVariable("time", "i4", ("time",))
        t.units = "hours since 2020-01-01 00:00:00"
        t[:] = [12 * k, 12 * k + 6]
        surface = analysis.createGroup("surface")
        surface.createDimension("lat", 3)
        lat = surface.createVariable("lat", "f8", ("lat",))
        lat[:] = [-10.0, 0.0, 10.0]
        tas = surface.createVariable("tas", "f4", ("time", "lat"), zlib=True, chunksizes=(1, 3))
        tas[:] = np.arange(6, dtype="f4").reshape(2, 3) + 100.0 * k

with netCDF4.Dataset(os.path.join(out, "packed_time.nc"), "w") as nc:
    nc.createDimension("time", 2)
    v = nc.createVariable("time", "i2", ("time",))
    v.units = "days since 2000-01-01"
    v.scale_factor = 0.5
    v[:] = [0.0, 1.5]
