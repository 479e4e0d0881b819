#!/usr/bin/python3
"""Writes the benchmark pair into DIR: remote.nc (netCDF-4, 3 variables x 1,500 time steps written
one step at a time, so the chunk index and metadata are scattered through the file) and
remote.nc.dmrpp, a DMR++ listing every chunk, made here from h5py's own chunk queries
(get_chunk_info), independently of vz. Usage: make-bench-files.py DIR"""
import os
import sys
from xml.sax.saxutils import escape

import h5py
import netCDF4
import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
path = os.path.join(out, "remote.nc")
steps = 1500
with netCDF4.Dataset(path, "w", format="NETCDF4") as ds:
    ds.createDimension("time", None)
    ds.createDimension("y", 40)
    ds.createDimension("x", 60)
    t = ds.createVariable("time", "f8", ("time",))
    t.units = "days since 2000-01-01"
    vs = [ds.createVariable(n, "f4", ("time", "y", "x"), chunksizes=(1, 40, 60), zlib=True, shuffle=True, complevel=4) for n in ("a", "b", "c")]
    rng = np.random.default_rng(0)
    for i in range(steps):
        t[i] = i
        for v in vs:
            v[i] = rng.random((40, 60), dtype="f4")

DAP = {"f4": "Float32", "f8": "Float64", "i4": "Int32", "i2": "Int16", "i1": "Int8", "u1": "Byte"}
lines = [
    '<?xml version="1.0" encoding="ISO-8859-1"?>',
    '<Dataset xmlns="http://xml.opendap.org/ns/DAP/4.0#" xmlns:dmrpp="http://xml.opendap.org/dap/dmrpp/1.0.0#" '
    'dapVersion="4.0" dmrVersion="1.0" name="remote.nc" dmrpp:href="OPeNDAP_DMRpp_DATA_ACCESS_URL" dmrpp:version="3.21.1">',
]
with h5py.File(path, "r") as f:
    dims = {"time": f["time"].shape[0], "y": 40, "x": 60}
    for name, size in dims.items():
        lines.append(f'  <Dimension name="{name}" size="{size}"/>')
    for name in ("time", "a", "b", "c"):
        d = f[name]
        tag = DAP[d.dtype.str[1:]]
        lines.append(f'  <{tag} name="{name}">')
        for dim in (["time"] if name == "time" else ["time", "y", "x"]):
            lines.append(f'    <Dim name="/{dim}"/>')
        for key, value in d.attrs.items():
            if key.startswith("_") or key in ("DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME"):
                continue
            text = value.decode("utf-8") if isinstance(value, bytes) else str(value)
            lines.append(f'    <Attribute name="{key}" type="String"><Value>{escape(text)}</Value></Attribute>')
        plist = d.id.get_create_plist()
        filters = []
        levels = []
        for i in range(plist.get_nfilters()):
            code, _flags, values, _name = plist.get_filter(i)
            if code == h5py.h5z.FILTER_DEFLATE:
                filters.append("deflate")
                levels.append(str(values[0]))
            elif code == h5py.h5z.FILTER_SHUFFLE:
                filters.append("shuffle")
        attrs = ""
        if filters:
            attrs += f' compressionType="{" ".join(filters)}"'
        if levels:
            attrs += f' deflateLevel="{" ".join(levels)}"'
        attrs += f' fillValue="{d.fillvalue!r}" byteOrder="LE"'
        lines.append(f"    <dmrpp:chunks{attrs}>")
        lines.append(f'      <dmrpp:chunkDimensionSizes>{" ".join(str(c) for c in d.chunks)}</dmrpp:chunkDimensionSizes>')
        for i in range(d.id.get_num_chunks()):
            info = d.id.get_chunk_info(i)
            position = ",".join(str(p) for p in info.chunk_offset)
            lines.append(f'      <dmrpp:chunk offset="{info.byte_offset}" nBytes="{info.size}" chunkPositionInArray="[{position}]"/>')
        lines.append("    </dmrpp:chunks>")
        lines.append(f"  </{tag}>")
lines.append("</Dataset>")
with open(path + ".dmrpp", "w") as handle:
    handle.write("\n".join(lines) + "\n")
print(path)
