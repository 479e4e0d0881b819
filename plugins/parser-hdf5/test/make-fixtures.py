#!/usr/bin/python3
"""Writes small HDF5 / netCDF4 test files into the directory given as argv[1] (Debian h5py 3.7,
netCDF4-python). Run by the vitest suites at test time; nothing here is committed as data."""
import os
import sys

import h5py
import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(42)


def attrs_of_many_types(obj):
    obj.attrs["i1"] = np.int8(-5)
    obj.attrs["u1"] = np.uint8(200)
    obj.attrs["i2"] = np.int16(-300)
    obj.attrs["u2"] = np.uint16(60000)
    obj.attrs["i4"] = np.int32(-70000)
    obj.attrs["u4"] = np.uint32(4000000000)
    obj.attrs["i8"] = np.int64(-(2**40))
    obj.attrs["u8"] = np.uint64(2**50)
    obj.attrs["f2"] = np.float16(1.5)
    obj.attrs["f4"] = np.float32(0.25)
    obj.attrs["f8"] = np.float64(3.141592653589793)
    obj.attrs["be_i4"] = np.array([1, -2, 3], dtype=">i4")
    obj.attrs["be_f8"] = np.array([1.5, -2.25], dtype=">f8")
    obj.attrs["nan"] = np.float32("nan")
    obj.attrs["f8_list"] = np.array([1.0, 2.0, 3.0])
    obj.attrs["fixed_str"] = np.bytes_(b"hello")
    obj.attrs["vlen_str"] = "variable ünïcode"
    obj.attrs["str_list"] = ["a", "bb", "ccc"]
    obj.attrs["fixed_str_list"] = np.array([b"xy", b"z"], dtype="S2")
    obj.attrs["bool"] = np.bool_(True)
    obj.attrs["one_element"] = np.array([7], dtype="i4")
    obj.attrs["two_d"] = np.arange(6, dtype="i2").reshape(2, 3)


def write_latest(path):
    with h5py.File(path, "w", libver="latest") as f:
        attrs_of_many_types(f)
        g2 = f.create_group("g1/g2")
        g2.attrs["title"] = "nested"
        g2.create_dataset("deep", data=np.arange(12, dtype="<u2").reshape(3, 4))
        many = f.create_group("many")
        for i in range(20):
            many.create_dataset(f"d{i:02d}", data=np.full(3, i, dtype="i4"))
        dense = f.create_dataset("dense_attrs", data=np.arange(4, dtype="f4"))
        attrs_of_many_types(dense)
        for i in range(20):
            dense.attrs[f"extra_{i:02d}"] = i
        data = np.arange(100, dtype="<i4").reshape(10, 10)
        f.create_dataset("fixed_array", data=data, chunks=(4, 4))
        f.create_dataset("fixed_array_gzip", data=data, chunks=(4, 4), compression="gzip", shuffle=True)
        f.create_dataset("extensible", data=data, chunks=(3, 5), maxshape=(None, 10))
        f.create_dataset("btree2", data=data, chunks=(3, 4), maxshape=(None, None), compression="gzip")
        f.create_dataset("single", data=data, chunks=(10, 10))
        f.create_dataset("single_gzip", data=data, chunks=(10, 10), compression="gzip")
        f.create_dataset("fletcher", data=rng.random((20, 7)), chunks=(8, 7), fletcher32=True, shuffle=True, compression="gzip")
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk((4, 4))
        dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
        dsid = h5py.h5d.create(f.id, b"implicit", h5py.h5t.STD_I32LE, h5py.h5s.create_simple((10, 10)), dcpl=dcpl)
        h5py.Dataset(dsid)[...] = data
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_layout(h5py.h5d.COMPACT)
        dsid = h5py.h5d.create(f.id, b"compact", h5py.h5t.IEEE_F64LE, h5py.h5s.create_simple((2, 3)), dcpl=dcpl)
        h5py.Dataset(dsid)[...] = np.arange(6, dtype="f8").reshape(2, 3) / 4
        f.create_dataset("never_written", shape=(5,), dtype="f4", fillvalue=-1.5)
        f.create_dataset("never_written_chunked", shape=(6, 6), chunks=(3, 3), dtype="i2", fillvalue=-7)
        f["scalar"] = 3.5
        f.create_dataset("zero_length", shape=(0, 3), dtype="i2")
        f.create_dataset("zero_length_chunked", shape=(0, 3), maxshape=(None, 3), chunks=(4, 3), dtype="i2")
        f.create_dataset("big_endian", data=np.arange(6, dtype=">i4").reshape(2, 3))
        f.create_dataset("big_endian_f8", data=np.linspace(0, 1, 5).astype(">f8"))
        f.create_dataset("half", data=np.array([1.0, 2.5, -3.0], dtype="f2"))
        f.create_dataset("uint64", data=np.array([0, 2**63 + 5], dtype="u8"))
        f.create_dataset("bools", data=np.array([True, False, True]))
        f.create_dataset("enum", data=np.array([0, 1, 1, 0], dtype="i1"), dtype=h5py.enum_dtype({"RED": 0, "GREEN": 1}, basetype="i1"))
        f["committed"] = np.dtype("<f8")
        f.create_dataset("typed", data=np.arange(3, dtype="f8"), dtype=f["committed"])
        f["typed"].attrs.create("typed_attribute", np.array([0.5, 1.5]), dtype=f["committed"])
        f.create_dataset("vlen_strings", data=["alpha", "beta", "", "ünï"], dtype=h5py.string_dtype())
        f.create_dataset("fixed_strings_gzip", data=np.array([b"one", b"two", b"three"] * 5, dtype="S5"), chunks=(4,), compression="gzip", shuffle=True)
        f.create_dataset("compound", data=np.zeros(2, dtype=[("a", "i4"), ("b", "f8")]))
        f.create_dataset("filled", data=np.array([1, 2], dtype="i4"), fillvalue=42)
        f["g1/soft_to_big_endian"] = h5py.SoftLink("/big_endian")
        f["g1/soft_relative"] = h5py.SoftLink("g2/deep")
        f["g1/dangling"] = h5py.SoftLink("/does/not/exist")
        f["hard_alias"] = f["big_endian"]
        f["external"] = h5py.ExternalLink("other_file.h5", "/x")


def write_userblock(path):
    with h5py.File(path, "w", userblock_size=1024) as f:
        f.create_dataset("contiguous", data=np.arange(10, dtype="f4"))
        f.create_dataset("chunked", data=np.arange(40, dtype="i8").reshape(4, 10), chunks=(2, 5), compression="gzip")
        f.attrs["note"] = "file with a user block"
    with open(path, "r+b") as fh:
        fh.write(b"user block text")


def write_old_style(path):
    with h5py.File(path, "w") as f:
        attrs_of_many_types(f)
        g = f.create_group("group_with_many_links")
        for i in range(200):
            g.create_dataset(f"x{i:03d}", data=np.array([i], dtype="i2"))
        f.create_dataset("chunked_v1_btree", data=np.arange(300, dtype="f8").reshape(30, 10), chunks=(4, 3), compression="gzip", shuffle=True)
        f.create_dataset("extendible", data=np.arange(20, dtype="i4").reshape(4, 5), chunks=(3, 3), maxshape=(None, None))
        f.create_dataset("partial_grid", shape=(9, 9), chunks=(3, 3), dtype="u1", fillvalue=9)[0:3, 3:6] = 1
        f.create_dataset("vlen_strings", data=["x", "yy"], dtype=h5py.string_dtype())
        f["soft"] = h5py.SoftLink("/group_with_many_links/x007")
        f["links/soft_x007"] = h5py.SoftLink("/group_with_many_links/x007")
        f["links/relative_up"] = h5py.SoftLink("../group_with_many_links/x008")


def write_netcdf(path):
    import netCDF4
    with netCDF4.Dataset(path, "w") as ds:
        ds.title = "vz netCDF4 fixture"
        ds.createDimension("time", None)
        ds.createDimension("lat", 3)
        ds.createDimension("lon", 4)
        ds.createDimension("nv", 2)
        t = ds.createVariable("time", "f8", ("time",))
        t.units = "days since 2000-01-01"
        t[:] = [0, 1]
        lat = ds.createVariable("lat", "f4", ("lat",))
        lat[:] = [10, 20, 30]
        lon = ds.createVariable("lon", "f4", ("lon",))
        lon[:] = [1, 2, 3, 4]
        temp = ds.createVariable("temp", "f4", ("time", "lat", "lon"), zlib=True, fill_value=-999.0)
        temp.units = "K"
        temp[:] = np.arange(24, dtype="f4").reshape(2, 3, 4)
        bounds = ds.createVariable("lat_bnds", "f4", ("lat", "nv"))
        bounds[:] = np.arange(6).reshape(3, 2)
        names = ds.createVariable("station", str, ("lat",))
        names[:] = np.array(["a", "bc", "def"], dtype=object)
        chars = ds.createVariable("chars", "S1", ("lat", "nv"))
        chars[:] = np.array([[b"a", b"b"], [b"c", b""], [b"e", b"f"]])
        sub = ds.createGroup("sub")
        sub.createDimension("depth", 2)
        v = sub.createVariable("profile", "i2", ("lat", "depth"))
        v[:] = np.arange(6).reshape(3, 2)


def write_low_level(path, sizes=None, order=False, latest=False):
    """Files h5py's high-level API cannot make: 4-byte offsets/lengths, tracked+indexed creation order."""
    fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
    if sizes:
        fcpl.set_sizes(*sizes)
    if order:
        fcpl.set_link_creation_order(h5py.h5p.CRT_ORDER_TRACKED | h5py.h5p.CRT_ORDER_INDEXED)
        fcpl.set_attr_creation_order(h5py.h5p.CRT_ORDER_TRACKED | h5py.h5p.CRT_ORDER_INDEXED)
    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    if latest:
        fapl.set_libver_bounds(h5py.h5f.LIBVER_LATEST, h5py.h5f.LIBVER_LATEST)
    fid = h5py.h5f.create(path.encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl)
    with h5py.File(fid) as f:
        g = f.create_group("g", track_order=order)
        for i in range(20):
            g.create_dataset(f"z{19 - i:02d}", data=np.arange(4, dtype="i2") + i)
        d = f.create_dataset("chunked", data=np.arange(60, dtype="f4").reshape(6, 10), chunks=(4, 4), compression="gzip")
        for i in range(15):
            d.attrs[f"a{14 - i:02d}"] = i
        d.attrs["text"] = "vlen text"
        f.create_dataset("strings", data=["p", "qq"], dtype=h5py.string_dtype())


if __name__ == "__main__":
    os.makedirs(out, exist_ok=True)
    write_latest(os.path.join(out, "latest.h5"))
    write_userblock(os.path.join(out, "userblock.h5"))
    write_old_style(os.path.join(out, "old_style.h5"))
    write_netcdf(os.path.join(out, "netcdf4.nc"))
    write_low_level(os.path.join(out, "sizes44_v0.h5"), sizes=(4, 4))
    write_low_level(os.path.join(out, "sizes44_v3.h5"), sizes=(4, 4), latest=True)
    write_low_level(os.path.join(out, "creation_order_v3.h5"), order=True, latest=True)
    write_low_level(os.path.join(out, "creation_order_v0.h5"), order=True)
    print("ok")
