"""Generates small HDF5 files covering every chunk index type, and dumps h5py's view of them.

Usage: /usr/bin/python3 chunk-index-fixtures.py OUTDIR

Writes OUTDIR/*.h5 and OUTDIR/cases.json: one entry per dataset with the object header address,
shape, max shape, chunk shape, element size, whether it has filters, and the oracle chunk list
(h5py `get_chunk_info` / `get_chunk_info_by_coord`: element offsets, filter mask, byte offset,
size). Also OUTDIR/dense.h5 + dense.json for the dense link / attribute storage tests.
"""
import ctypes
import ctypes.util
import json
import os
import sys

import h5py
import numpy as np

out = sys.argv[1]
cases = []
rng = np.random.default_rng(42)


def hdf5_library():
    """The libhdf5 h5py is linked against (for H5Pset_chunk_opts, which h5py 3.7 does not wrap)."""
    import h5py.h5 as h5mod
    path = h5mod.__file__
    with open("/proc/self/maps") as maps:
        for line in maps:
            if "libhdf5" in line and "hl" not in line.split("/")[-1]:
                return ctypes.CDLL(line.split()[-1])
    name = ctypes.util.find_library("hdf5_serial") or ctypes.util.find_library("hdf5")
    return ctypes.CDLL(name)


def chunk_list(dset):
    """Every allocated chunk as [offsets, filter_mask, byte_offset, size] (h5py get_chunk_info)."""
    dsid = dset.id
    result = []
    for i in range(dsid.get_num_chunks()):
        info = dsid.get_chunk_info(i)
        result.append([list(info.chunk_offset), int(info.filter_mask), int(info.byte_offset), int(info.size)])
    return result


def locate_by_data(path, dset, chunks):
    """Replaces each chunk's offsets by the grid position whose data equals the chunk's bytes.

    HDF5 1.10.8 derives get_chunk_info's (and get_chunk_info_by_coord's) coordinates for an
    extensible array by counting in C order over the unswizzled max grid, which is wrong when the
    unlimited dimension is not the first: the byte offsets and sizes are right, the coordinates
    are not. The data decide instead (unfiltered or gzip-only chunks, distinct random values).
    """
    import zlib
    raw = open(path, "rb").read()
    shape, chunk = dset.shape, dset.chunks
    grid = [-(-s // c) for s, c in zip(shape, chunk)]
    padded = np.zeros([g * c for g, c in zip(grid, chunk)], dtype=dset.dtype)
    padded[tuple(slice(0, s) for s in shape)] = dset[...]
    blocks = {}
    for position in np.ndindex(*grid):
        block = padded[tuple(slice(p * c, (p + 1) * c) for p, c in zip(position, chunk))]
        blocks.setdefault(block.tobytes(), []).append(position)
    for entry in chunks:
        stored = raw[entry[2]:entry[2] + entry[3]]
        if dset.compression == "gzip" and entry[1] == 0:
            stored = zlib.decompress(stored)
        matches = blocks.get(stored, [])
        assert len(matches) == 1, (dset.name, entry, len(matches))
        entry[0] = [p * c for p, c in zip(matches[0], chunk)]
    return chunks


def record(path, dset, kind, userblock=0):
    dcpl = dset.id.get_create_plist()
    chunks = chunk_list(dset)
    oracle = "h5py get_chunk_info"
    if kind == "extensible-array" and dset.maxshape[0] is not None:
        chunks = locate_by_data(path, dset, chunks)
        oracle = "h5py get_chunk_info offsets/sizes, coordinates from the data"
    cases.append({
        "file": os.path.basename(path),
        "name": dset.name,
        "kind": kind,
        "address": h5py.h5o.get_info(dset.id).addr,
        "shape": list(dset.shape),
        "maxShape": [-1 if m is None else m for m in dset.maxshape],
        "chunks": list(dset.chunks),
        "elementSize": dset.dtype.itemsize,
        "filtered": dcpl.get_nfilters() > 0,
        "chunkList": chunks,
        "oracle": oracle,
        "userblock": userblock,
    })


def fill_sparse(dset, blocks):
    for block in blocks:
        region = tuple(slice(a, b) for a, b in block)
        shape = [b - a for a, b in block]
        dset[region] = rng.integers(0, 1000, size=shape).astype(dset.dtype)


# ---------------------------------------------------------------- default format: v1 B-tree
path = os.path.join(out, "btree1.h5")
with h5py.File(path, "w") as f:
    d = f.create_dataset("plain", data=np.arange(100 * 37, dtype="<i4").reshape(100, 37), chunks=(10, 8))
    d = f.create_dataset("gzip_shuffle", data=rng.random((100, 37)), chunks=(10, 8), compression="gzip", shuffle=True)
    d = f.create_dataset("sparse", shape=(50, 50), dtype="<i2", chunks=(10, 10), fillvalue=-1)
    fill_sparse(d, [((0, 10), (0, 10)), ((25, 35), (40, 50)), ((45, 50), (5, 7))])
    d = f.create_dataset("deep", data=np.arange(4000 * 2, dtype="<u2").reshape(4000, 2), chunks=(1, 2))
    d = f.create_dataset("cube", data=rng.random((7, 9, 11)).astype("<f4"), chunks=(3, 4, 5), compression="gzip")
    d = f.create_dataset("growing", shape=(0,), maxshape=(None,), dtype="<i8", chunks=(16,), compression="gzip")
    d.resize((100,))
    d[:] = np.arange(100)
    f.create_dataset("empty", shape=(30, 30), dtype="<f8", chunks=(10, 10))
    f.create_dataset("big_endian", data=np.arange(60, dtype=">i4").reshape(6, 10), chunks=(4, 4))
for name in ["plain", "gzip_shuffle", "sparse", "deep", "cube", "growing", "empty", "big_endian"]:
    with h5py.File(path, "r") as f:
        record(path, f[name], "btree-v1")

# ---------------------------------------------------------------- latest format
path = os.path.join(out, "latest.h5")
with h5py.File(path, "w", libver="latest") as f:
    # single chunk
    f.create_dataset("single_plain", data=np.arange(600, dtype="<i4").reshape(20, 30), chunks=(20, 30))
    f.create_dataset("single_gzip", data=np.arange(600, dtype="<i4").reshape(20, 30), chunks=(20, 30), compression="gzip")
    f.create_dataset("single_empty", shape=(20, 30), dtype="<i4", chunks=(20, 30))
    # implicit: early allocation, no filters, fixed max dims
    for name, shape, maxshape in [("implicit", (40, 30), (40, 30)), ("implicit_max", (40, 30), (80, 60))]:
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk((10, 7))
        dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
        space = h5py.h5s.create_simple(shape, maxshape)
        h5py.h5d.create(f.id, name.encode(), h5py.h5t.STD_I32LE, space, dcpl=dcpl)
        f[name][:10, :] = 1
    # fixed array
    f.create_dataset("farray_plain", data=np.arange(100 * 37, dtype="<i4").reshape(100, 37), chunks=(10, 8))
    f.create_dataset("farray_gzip", data=rng.random((100, 37)), chunks=(10, 8), compression="gzip", shuffle=True)
    d = f.create_dataset("farray_max", shape=(30, 20), maxshape=(60, 50), dtype="<i4", chunks=(7, 6))
    fill_sparse(d, [((0, 30), (0, 20))])
    d = f.create_dataset("farray_paged", shape=(3000, 2), dtype="<i2", chunks=(1, 1))
    fill_sparse(d, [((0, 400), (0, 2)), ((2100, 2200), (1, 2)), ((2999, 3000), (0, 1))])
    d = f.create_dataset("farray_paged_gzip", shape=(3000, 2), dtype="<i2", chunks=(1, 1), compression="gzip")
    fill_sparse(d, [((0, 700), (0, 2)), ((1800, 1900), (0, 2))])
    f.create_dataset("farray_empty", shape=(30, 30), dtype="<f8", chunks=(10, 10))
    # extensible array (one unlimited dim)
    d = f.create_dataset("earray_plain", shape=(1000, 6), maxshape=(None, 6), dtype="<i4", chunks=(3, 4))
    fill_sparse(d, [((0, 500), (0, 6)), ((700, 1000), (0, 3))])
    d = f.create_dataset("earray_gzip", shape=(1000, 6), maxshape=(None, 6), dtype="<i4", chunks=(3, 4), compression="gzip", shuffle=True)
    fill_sparse(d, [((0, 1000), (0, 6))])
    d = f.create_dataset("earray_dim1", shape=(6, 700), maxshape=(6, None), dtype="<i4", chunks=(4, 3))
    fill_sparse(d, [((0, 6), (0, 400)), ((2, 3), (600, 700))])
    d = f.create_dataset("earray_dim1_max", shape=(6, 100), maxshape=(20, None), dtype="<f4", chunks=(4, 3), compression="gzip")
    fill_sparse(d, [((0, 6), (0, 100))])
    d = f.create_dataset("earray_sparse", shape=(100_000, 2), maxshape=(None, 2), dtype="<i2", chunks=(1, 2))
    d[5] = 1
    d[99_999] = 2
    d = f.create_dataset("earray_grown", shape=(0, 5), maxshape=(None, 5), dtype="<i8", chunks=(2, 5))
    for step in range(40):
        d.resize((d.shape[0] + 3, 5))
        d[-3:] = step
    # v2 B-tree (two unlimited dims)
    d = f.create_dataset("btree2_plain", shape=(30, 40), maxshape=(None, None), dtype="<i4", chunks=(4, 6))
    fill_sparse(d, [((0, 12), (0, 40)), ((20, 30), (30, 40))])
    d = f.create_dataset("btree2_gzip", shape=(30, 40), maxshape=(None, None), dtype="<f8", chunks=(4, 6), compression="gzip", shuffle=True)
    fill_sparse(d, [((0, 30), (0, 40))])
    d = f.create_dataset("btree2_deep", shape=(100, 60), maxshape=(None, None), dtype="<u1", chunks=(1, 1))
    fill_sparse(d, [((0, 100), (0, 60))])
    d = f.create_dataset("btree2_deep_gzip", shape=(60, 60), maxshape=(None, None), dtype="<u1", chunks=(1, 1), compression="gzip")
    fill_sparse(d, [((0, 60), (0, 50))])
with h5py.File(path, "r") as f:
    for name, kind in [
        ("single_plain", "single"), ("single_gzip", "single"), ("single_empty", "single"),
        ("implicit", "implicit"), ("implicit_max", "implicit"),
        ("farray_plain", "fixed-array"), ("farray_gzip", "fixed-array"), ("farray_max", "fixed-array"),
        ("farray_paged", "fixed-array"), ("farray_paged_gzip", "fixed-array"), ("farray_empty", "fixed-array"),
        ("earray_plain", "extensible-array"), ("earray_gzip", "extensible-array"), ("earray_dim1", "extensible-array"),
        ("earray_dim1_max", "extensible-array"), ("earray_grown", "extensible-array"), ("earray_sparse", "extensible-array"),
        ("btree2_plain", "btree-v2"), ("btree2_gzip", "btree-v2"), ("btree2_deep", "btree-v2"), ("btree2_deep_gzip", "btree-v2"),
    ]:
        record(path, f[name], kind)

# ---------------------------------------------------------------- large extensible array (paged data blocks)
# h5py's per-chunk queries are far too slow at this size (get_chunk_info_by_coord ~15 ms each), so
# the oracle is the data: row i holds (i, i + 1_000_000) in its own 8-byte chunk, plus h5py's chunk
# count and a sample of get_chunk_info_by_coord results.
path = os.path.join(out, "earray_large.h5")
with h5py.File(path, "w", libver="latest") as f:
    d = f.create_dataset("x", shape=(150_000, 2), maxshape=(None, 2), dtype="<i4", chunks=(1, 2))
    rows = np.arange(140_000, dtype="<i4")
    d[:140_000] = np.stack([rows, rows + 1_000_000], axis=1)
    rows = np.arange(145_000, 145_010, dtype="<i4")
    d[145_000:145_010] = np.stack([rows, rows + 1_000_000], axis=1)
with h5py.File(path, "r") as f:
    d = f["x"]
    sample = []
    for row in [0, 1, 5, 100, 4095, 50_000, 131_071, 131_072, 139_999, 140_000, 145_003, 149_999]:
        info = d.id.get_chunk_info_by_coord((row, 0))
        sample.append([[row, 0], None if info.byte_offset is None else int(info.filter_mask),
                       None if info.byte_offset is None else int(info.byte_offset), None if info.byte_offset is None else int(info.size)])
    large = {"file": "earray_large.h5", "name": "/x", "address": h5py.h5o.get_info(d.id).addr, "shape": list(d.shape),
             "maxShape": [-1, 2], "chunks": list(d.chunks), "elementSize": 4, "count": d.id.get_num_chunks(), "sample": sample}
with open(os.path.join(out, "earray_large.json"), "w") as fp:
    json.dump(large, fp)

# ---------------------------------------------------------------- partial edge chunks stored unfiltered
path = os.path.join(out, "edge.h5")
lib = hdf5_library()
lib.H5Pset_chunk_opts.argtypes = [ctypes.c_int64, ctypes.c_uint]
with h5py.File(path, "w", libver="latest") as f:
    for name, maxshape in [("edge_farray", (45, 33)), ("edge_earray", (None, 33)), ("edge_btree2", (None, None))]:
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk((10, 8))
        dcpl.set_deflate(6)
        assert lib.H5Pset_chunk_opts(dcpl.id, 0x0002) >= 0
        space = h5py.h5s.create_simple((45, 33), tuple(h5py.h5s.UNLIMITED if m is None else m for m in maxshape))
        h5py.h5d.create(f.id, name.encode(), h5py.h5t.STD_I32LE, space, dcpl=dcpl)
        f[name][:] = np.arange(45 * 33, dtype="<i4").reshape(45, 33)
with h5py.File(path, "r") as f:
    for name, kind in [("edge_farray", "fixed-array"), ("edge_earray", "extensible-array"), ("edge_btree2", "btree-v2")]:
        record(path, f[name], kind)

# ---------------------------------------------------------------- a 1024-byte user block (base address 1024)
# Stored addresses (and h5py's get_chunk_info byte offsets) are relative to the base address.
path = os.path.join(out, "userblock.h5")
with h5py.File(path, "w", userblock_size=1024) as f:
    f.create_dataset("btree1", data=np.arange(300, dtype="<i4").reshape(30, 10), chunks=(4, 3), compression="gzip")
with h5py.File(path, "a", libver="latest") as f:
    f.create_dataset("farray", data=np.arange(300, dtype="<i4").reshape(30, 10), chunks=(4, 3))
    f.create_dataset("earray", data=np.arange(300, dtype="<i4").reshape(30, 10), chunks=(4, 3), maxshape=(None, 10))
    f.create_dataset("btree2", data=np.arange(300, dtype="<i4").reshape(30, 10), chunks=(4, 3), maxshape=(None, None))
    g = f.create_group("dense_group")
    for i in range(20):
        g.attrs[f"attribute_{i}"] = i
        g.create_group(f"child_{i}")
    userblock_dense = {"name": "dense_group", "track": False, "file": "userblock.h5", "address": h5py.h5o.get_info(g.id).addr,
                       "links": [f"child_{i}" for i in range(20)], "attributes": [f"attribute_{i}" for i in range(20)]}
with h5py.File(path, "r") as f:
    for name, kind in [("btree1", "btree-v1"), ("farray", "fixed-array"), ("earray", "extensible-array"), ("btree2", "btree-v2")]:
        record(path, f[name], kind, userblock=1024)

with open(os.path.join(out, "cases.json"), "w") as fp:
    json.dump(cases, fp)

# ---------------------------------------------------------------- dense links and attributes
path = os.path.join(out, "dense.h5")
dense = {"file": "dense.h5", "groups": []}
with h5py.File(path, "w", libver="latest") as f:
    for group_name, track in [("by_name", False), ("by_order", True)]:
        g = f.create_group(group_name, track_order=track)
        links = [f"link_{i:03d}_ä" for i in range(40)]
        order = list(rng.permutation(links))
        for name in order:
            g.create_group(name)
        attributes = [f"attr_{i:03d}" for i in range(30)]
        attribute_order = list(rng.permutation(attributes))
        for name in attribute_order:
            g.attrs[name] = np.arange(5, dtype="<f8") + len(name)
        dense["groups"].append({"name": group_name, "track": track, "links": order, "attributes": attribute_order,
                                "address": h5py.h5o.get_info(g.id).addr})
    # huge objects (attribute bigger than the heap's managed objects) and many blocks (indirect blocks)
    g = f.create_group("big")
    huge = np.arange(40_000, dtype="<f8")
    g.attrs["huge"] = huge
    many = [f"a{i:04d}" for i in range(700)]
    for name in many:
        g.attrs[name] = np.full(200, len(name), dtype="<i4")
    links = [f"l{i:05d}" for i in range(3000)]
    for name in links:
        g[name] = h5py.SoftLink("/by_name")
    dense["groups"].append({"name": "big", "track": False, "links": links, "attributes": ["huge"] + many,
                            "address": h5py.h5o.get_info(g.id).addr})
    with open(os.path.join(out, "huge.bin"), "wb") as fp:
        fp.write(huge.tobytes())
dense["groups"].append(userblock_dense)
with open(os.path.join(out, "dense.json"), "w") as fp:
    json.dump(dense, fp)
print("ok")
