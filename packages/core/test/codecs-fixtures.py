import base64, bz2, json, sys, zlib
import numpy as np
import numcodecs
import h5py
import lz4.block

out_dir = sys.argv[1]
rng = np.random.default_rng(42)
b64 = lambda b: base64.b64encode(bytes(b)).decode()
cases = {}

smooth = (np.sin(np.arange(3000) / 50.0) * 1000).astype("<f8")
ints = np.arange(-2500, 2500, dtype=">i2")
noise = rng.integers(0, 256, 5000, dtype="u1")
cases["raw"] = {"f8": b64(smooth.tobytes()), "i2be": b64(ints.tobytes()), "noise": b64(noise.tobytes())}
cases["zlib"] = {"f8": b64(zlib.compress(smooth.tobytes(), 6))}
cases["bz2"] = {"f8": b64(bz2.compress(smooth.tobytes(), 9)), "noise": b64(bz2.compress(noise.tobytes(), 1))}
cases["shuffle"] = {"f8": b64(numcodecs.Shuffle(elementsize=8).encode(smooth)),
                    "i2be": b64(numcodecs.Shuffle(elementsize=2).encode(ints))}
# elementsize 4 over float64 data: the configured element size must win over the dtype's
cases["shuffle4"] = {"f8": b64(numcodecs.Shuffle(elementsize=4).encode(smooth.view("u1")))}
cases["blosc"] = {}
for cname in ("lz4", "zstd", "zlib", "blosclz"):
    for shuffle in (0, 1, 2):
        c = numcodecs.Blosc(cname=cname, clevel=5, shuffle=shuffle)
        cases["blosc"][f"{cname}-{shuffle}"] = b64(c.encode(smooth))
cases["zstd"] = {"f8": b64(numcodecs.Zstd(level=3).encode(smooth))}

def lz4h5(data, block_size):
    data = bytes(data)
    out = bytearray(len(data).to_bytes(8, "big") + block_size.to_bytes(4, "big"))
    for start in range(0, len(data), block_size):
        block = data[start:start + block_size]
        comp = lz4.block.compress(block, store_size=False)
        if len(comp) >= len(block):
            comp = block  # stored raw, as the HDF5 filter does
        out += len(comp).to_bytes(4, "big") + comp
    return bytes(out)

# smooth data (compressible) in 4 blocks; noise in blocks stored raw; mixed
cases["lz4h5"] = {
    "f8": b64(lz4h5(smooth.tobytes(), 7000)),
    "noise": b64(lz4h5(noise.tobytes(), 2048)),
    "mixed": b64(lz4h5(noise.tobytes() + smooth.tobytes(), 4096)),
}

# h5py: raw chunk bytes through HDF5's own filters
h5 = {}
path = out_dir + "/filters.h5"
data2d = (np.arange(40 * 30).reshape(40, 30) * 0.25 - 17).astype("<f4")
with h5py.File(path, "w") as f:
    specs = {
        "fletcher32": dict(fletcher32=True),
        "shuffle_deflate": dict(shuffle=True, compression="gzip", compression_opts=4),
        "shuffle_deflate_fletcher32": dict(shuffle=True, compression="gzip", compression_opts=4, fletcher32=True),
        "lzf": dict(compression="lzf"),
        "shuffle_lzf": dict(shuffle=True, compression="lzf"),
    }
    for name, kw in specs.items():
        f.create_dataset(name, data=data2d, chunks=(20, 15), **kw)
    small = (np.arange(21) * 37 % 251).astype("u1")
    f.create_dataset("fletcher32_odd", data=small, chunks=(7,), fletcher32=True)
    words = np.array([("w%03d-" % i).encode() + bytes([65 + i % 26]) for i in range(50)], dtype="S7")
    f.create_dataset("strings7", data=words, chunks=(25,), shuffle=True, compression="gzip")
with h5py.File(path, "r") as f:
    for name in list(specs) + ["strings7", "fletcher32_odd"]:
        d = f[name]
        chunks = {}
        for i in range(d.id.get_num_chunks()):
            info = d.id.get_chunk_info(i)
            mask, raw = d.id.read_direct_chunk(info.chunk_offset)
            assert mask == 0
            key = ".".join(str(o // c) for o, c in zip(info.chunk_offset, d.chunks))
            chunks[key] = b64(raw)
        h5[name] = {"chunks": chunks}
    cases["strings7"] = b64(f["strings7"][()].tobytes())
cases["h5"] = {"data": b64(data2d.tobytes()), "shape": list(data2d.shape), "chunks": [20, 15], "datasets": h5}
json.dump(cases, open(out_dir + "/cases.json", "w"))
print("ok")
