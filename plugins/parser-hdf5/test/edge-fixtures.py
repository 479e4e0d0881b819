#!/usr/bin/python3
"""Writes the HDF5 / netCDF4 edge-case files of edges.test.ts into argv[1] (Debian h5py,
netCDF4-python), plus netcdf-dims.json: every variable's dimension names as netCDF-C (through
netCDF4-python) reads each file. Nothing here is committed as data."""
import json
import os
import sys

import h5py
import netCDF4
import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
p = lambda name: os.path.join(out, name)


def chars(texts, width):
    """A (len(texts), width) |S1 array, NUL padded."""
    a = np.zeros((len(texts), width), dtype="S1")
    for i, t in enumerate(texts):
        for j, b in enumerate(t[:width]):
            a[i, j] = bytes([b])
    return a


# 1. character arrays (netCDF4): a chunked, compressed record variable with a non-UTF-8 byte, a
# contiguous one, a char variable along a coordinate dimension (xarray does not join it), a UTF-8
# text with _Encoding, a scalar char
with netCDF4.Dataset(p("chars.nc"), "w") as d:
    d.createDimension("time", None)
    d.createDimension("strlen", 5)
    d.createDimension("n", 3)
    d.createDimension("len8", 8)
    d.createVariable("time", "f8", ("time",))[:] = [0.0, 1.0, 2.0, 3.0]
    b = d.createVariable("b", "S1", ("time", "strlen"), zlib=True, chunksizes=(1, 5))
    b[0:4] = chars([b"ab\x80", b"hello", b"", b"\xff\xfeZ"], 5)
    d.createVariable("n", "i4", ("n",))[:] = [10, 20, 30]
    d.createVariable("station", "S1", ("n", "strlen"))[:] = chars([b"abc", b"de", b"fghij"], 5)
    d.createVariable("flag", "S1", ("n",))[:] = np.array([b"x", b"\x80", b""], dtype="S1")
    u = d.createVariable("utf", "S1", ("n", "len8"))
    u._Encoding = "utf-8"
    u[:] = chars(["ünï".encode(), "€uro".encode(), b"plain"], 8)
    d.createVariable("c0", "S1", ())[...] = np.array(b"Q", dtype="S1")

# ... in netCDF3 form too (the netCDF3 parser's character arrays)
with netCDF4.Dataset(p("chars3.nc"), "w", format="NETCDF3_64BIT_OFFSET") as d:
    d.createDimension("time", None)
    d.createDimension("strlen", 5)
    d.createDimension("n", 3)
    d.createVariable("time", "f8", ("time",))[:] = [0.0, 1.0, 2.0]
    d.createVariable("b", "S1", ("time", "strlen"))[0:3] = chars([b"ab\x80", b"hello", b""], 5)
    d.createVariable("n", "i4", ("n",))[:] = [10, 20, 30]
    d.createVariable("station", "S1", ("n", "strlen"))[:] = chars([b"abc", b"de", b"fghij"], 5)
    d.createVariable("flag", "S1", ("n",))[:] = np.array([b"x", b"\x80", b""], dtype="S1")

# 1-byte string datasets written by h5py keep their shapes
with h5py.File(p("s1.h5"), "w") as f:
    f.create_dataset("s11", data=np.array([[b"a"]], dtype="S1"))
    f.create_dataset("s2", data=np.array([b"a", b"\x80"], dtype="S1"))
    f.create_dataset("s23", data=np.array([[b"a", b"b", b"c"], [b"d", b"", b"\xfe"]], dtype="S1"), chunks=(1, 3), compression="gzip")

# 2. links: a group reachable by a hard and a soft link, a second hard link to a dataset
with h5py.File(p("links.h5"), "w") as f:
    g = f.create_group("testgroup")
    g.create_dataset("x", data=np.arange(3, dtype="i4"))
    g.attrs["title"] = "the real group"
    s = f.create_group("softlink")
    s["test3"] = h5py.SoftLink("/testgroup")
    f.create_dataset("a", data=np.arange(4, dtype="i2"))
    f["b"] = f["a"]
    f["soft_a"] = h5py.SoftLink("/a")

# ... and in groups that track link creation order (netCDF-C lists their links in that order)
with h5py.File(p("links-ordered.h5"), "w", track_order=True) as f:
    f.create_dataset("z", data=np.zeros(3))
    f["s"] = h5py.SoftLink("/z")
    f.create_dataset("a", data=np.zeros(4))
    f.create_dataset("b", data=np.zeros((4, 3)))
    g = f.create_group("g", track_order=True)
    g.create_dataset("q", data=np.zeros(3))
    g["t"] = h5py.SoftLink("/a")

# 3. a version-1 fill value message with "defined" 0 and size 0xFFFFFFFF (as PyTables writes
# them; libhdf5 reads the size as -1, no value): patch the version-2 message h5py writes
with h5py.File(p("fill-v1.h5"), "w", libver="earliest") as f:
    f.create_dataset("u16", data=np.arange(5, dtype="u2"))
raw = bytearray(open(p("fill-v1.h5"), "rb").read())
# v1 object header message: type 5 (fill value), size 8, flags 1; data: version 2, alloc time,
# write time, defined 1, size 0 (the default fill)
marker = bytes([5, 0, 8, 0, 1, 0, 0, 0, 2])
at = raw.find(marker)
assert at > 0 and raw.find(marker, at + 1) < 0, "expected one fill value message"
raw[at + 8:at + 16] = bytes([1, 2, 2, 0, 0xFF, 0xFF, 0xFF, 0xFF])
open(p("fill-v1.h5"), "wb").write(raw)
with h5py.File(p("fill-v1.h5"), "r") as f:
    assert f["u16"][:].tolist() == [0, 1, 2, 3, 4]

# 4. an empty unlimited dimension
with netCDF4.Dataset(p("empty.nc"), "w") as d:
    d.createDimension("time", None)
    d.createDimension("lat", 3)
    d.createVariable("time", "f8", ("time",)).units = "days since 2000-01-01"
    d.createVariable("x", "f4", ("time", "lat"))
    d.createVariable("lat", "f4", ("lat",))[:] = [1, 2, 3]

# 5. phony dimensions next to named ones: netCDF-C reuses a named dimension of the same length
# and unlimitedness, and numbers phony ones with its next dimension id
with h5py.File(p("phony.h5"), "w") as f:
    t = f.create_dataset("time", data=np.arange(2.0), maxshape=(None,), chunks=(2,))
    t.make_scale("time")
    x = f.create_dataset("x", data=np.arange(3.0))
    x.make_scale("x")
    f.create_dataset("v", data=np.zeros((2, 3)))          # time is unlimited, v is not: phony, then x
    f.create_dataset("w", data=np.zeros((3, 3)))          # x, then a phony one (x is used)
    u = f.create_dataset("u", data=np.zeros(2), maxshape=(None,), chunks=(2,))  # unlimited: reuses time
    g = f.create_group("g")
    g.create_dataset("y", data=np.zeros((3, 2)))           # no named dims in g: two phony ones
    d1 = f.create_dataset("dim1", data=np.arange(4.0))
    d1.make_scale("dim1")
    a = f.create_dataset("attached", data=np.zeros((4, 3)))
    a.dims[0].attach_scale(d1)
    a.dims[1].attach_scale(x)

# 6. netCDF-4's _nc4_non_coord_ names: a 2-D variable named like its second dimension
with netCDF4.Dataset(p("noncoord.nc"), "w") as d:
    d.createDimension("x", 3)
    d.createDimension("y", 2)
    d.createVariable("x", "f4", ("y", "x"))[:] = np.arange(6).reshape(2, 3)
    d.createVariable("y", "i4", ("y",))[:] = [5, 6]
    g = d.createGroup("sub")
    g.createDimension("lev", 2)
    g.createVariable("lev", "f8", ("y", "lev"))[:] = np.ones((2, 2))

# 7. an unsupported (compound) variable in another group than the one asked for
with netCDF4.Dataset(p("groups.nc"), "w") as d:
    good = d.createGroup("good")
    good.createDimension("k", 2)
    good.createVariable("v", "i4", ("k",))[:] = [1, 2]
    other = d.createGroup("other")
    other.createDimension("m", 2)
    compound = d.createCompoundType(np.dtype([("a", "i4"), ("b", "f8")]), "pair")
    other.createVariable("comp", compound, ("m",))

# 8. ~14,000 tiny compressed chunks: a char variable (now virtual) and fixed-length strings
# (still read at parse time)
N = 14000
with netCDF4.Dataset(p("tiny-chars.nc"), "w") as d:
    d.createDimension("obs", N)
    d.createDimension("len", 4)
    v = d.createVariable("code", "S1", ("obs", "len"), zlib=True, chunksizes=(1, 4))
    v[:] = chars([f"{i % 10000:04d}".encode() for i in range(N)], 4)
with h5py.File(p("tiny-strings.h5"), "w") as f:
    f.create_dataset("codes", data=np.array([f"c{i % 1000:03d}".encode() for i in range(N)], dtype="S4"), chunks=(1,), compression="gzip")
    f.create_dataset("names", data=[f"name-{i}" for i in range(N)], dtype=h5py.string_dtype(), chunks=(1,), compression="gzip")

# 9. LZF chunks (h5py's filter 32000), with and without shuffle
with h5py.File(p("lzf.h5"), "w") as f:
    data = (np.arange(4000, dtype="i4") // 7).reshape(40, 100)
    f.create_dataset("lzf", data=data, chunks=(10, 100), compression="lzf")
    f.create_dataset("shuffle_lzf", data=data, chunks=(10, 100), compression="lzf", shuffle=True)

# netCDF-C's view of the dimension names
dims = {}
for name in ["chars.nc", "s1.h5", "links.h5", "links-ordered.h5", "empty.nc", "phony.h5", "noncoord.nc", "groups.nc"]:
    try:
        with netCDF4.Dataset(p(name)) as d:
            found = {}

            def walk(group, prefix):
                for vname, var in group.variables.items():
                    found[prefix + vname] = list(var.dimensions)
                for gname, child in group.groups.items():
                    walk(child, prefix + gname + "/")

            walk(d, "")
            dims[name] = found
    except Exception as error:  # compound types etc.: netCDF4-python may refuse some files
        dims[name] = {"error": str(error)}
json.dump(dims, open(p("netcdf-dims.json"), "w"), indent=1)
