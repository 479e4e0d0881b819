"""Writes Zarr v2 fixture stores with Debian's zarr-python 2 / xarray, and an oracle of their values.

usage: make-v2-stores.py OUT_DIR

  OUT_DIR/cf.zarr      an xarray dataset: CF `time` coordinate, blosc/zstd, blosc/lz4 and zlib
                       compressors, shuffle and delta filters, a NaN fill, a <U9 dimension
                       coordinate and a vlen-utf8 coordinate, consolidated metadata, one chunk file
                       deleted (missing chunk)
  OUT_DIR/tree.zarr    zarr-python groups: nested groups with attributes, dimension_separator
                       "/" and ".", missing chunks, fill values, a vlen-utf8 string array, a 0-d
                       array; not consolidated
  OUT_DIR/oracle.json  {store: {array path: {"shape", "dtype", "values" (C order, NaN as null),
                       "chunk_files" (number of chunk objects)}}}
"""
import json
import os
import sys

import numcodecs
import numpy as np
import pandas as pd
import xarray as xr
import zarr

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

# --- cf.zarr: xarray dataset ---------------------------------------------------------------
time = pd.date_range("2001-01-01", periods=5, freq="D")
lat = np.linspace(-30.0, 30.0, 6)
lon = np.arange(8, dtype="float32") * 2.5
rng = np.random.default_rng(42)
temp = rng.normal(280, 5, size=(5, 6, 8)).astype("float32")
temp[1, 2, 3] = np.nan
precip = rng.gamma(2.0, 1.5, size=(5, 6, 8))
count = rng.integers(-1000, 1000, size=(5, 6)).astype("int16")
count[0, 0] = -999
ds = xr.Dataset(
    {
        "temp": (("time", "lat", "lon"), temp, {"units": "K", "long_name": "air temperature"}),
        "precip": (("time", "lat", "lon"), precip, {"units": "mm"}),
        "count": (("time", "lat"), count, {"comment": "integer with a fill value"}),
        "level": (("time",), np.array([10, 12, 15, 15, 11], dtype="int32"), {"comment": "delta filter"}),
        "elevation": (("site",), np.array([120.5, 3.25, 2000.0]), {"units": "m", "coordinates": "site_name"}),
    },
    coords={
        "time": time,
        "lat": ("lat", lat, {"units": "degrees_north"}),
        "lon": ("lon", lon, {"units": "degrees_east"}),
        # a fixed-length unicode dimension coordinate (<U9) and a variable-length one (|O, vlen-utf8)
        "site": ("site", np.array(["oslo", "málaga", "kathmandu"])),
        "site_name": ("site", np.array(["Oslo", "Málaga ☀", ""], dtype=object)),
    },
    attrs={"title": "vz parser-zarr fixture", "history": "made by make-v2-stores.py", "version": 3},
)
encoding = {
    "time": {"units": "days since 2000-01-01", "calendar": "proleptic_gregorian", "dtype": "int64"},
    "temp": {"chunks": (2, 3, 4), "compressor": numcodecs.Blosc(cname="zstd", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)},
    "precip": {"chunks": (5, 3, 8), "compressor": numcodecs.Zlib(level=6), "filters": [numcodecs.Shuffle(elementsize=8)]},
    "level": {"chunks": (2,), "compressor": numcodecs.Zlib(level=1), "filters": [numcodecs.Delta(dtype="<i4")]},
    "count": {"chunks": (3, 6), "compressor": numcodecs.Blosc(cname="lz4", clevel=3, shuffle=numcodecs.Blosc.BITSHUFFLE), "_FillValue": -999},
}
cf = os.path.join(out, "cf.zarr")
ds.to_zarr(cf, mode="w", encoding=encoding, consolidated=True)
# The chunk of temp at (2, 1, 1) holds no NaN; deleting it makes xarray read the NaN fill there.
os.remove(os.path.join(cf, "temp", "2.1.1"))

# --- tree.zarr: zarr-python groups -------------------------------------------------------------
tree = os.path.join(out, "tree.zarr")
root = zarr.open_group(zarr.DirectoryStore(tree), mode="w")
root.attrs.update({"title": "tree", "levels": [1, 2, 3]})
a = root.create_dataset("a", shape=(7, 5), chunks=(3, 2), dtype="<i4", fill_value=-1, compressor=numcodecs.Zlib(level=1))
a[0:3, :] = np.arange(15, dtype="<i4").reshape(3, 5)  # only the first row of chunks is written
a.attrs["_ARRAY_DIMENSIONS"] = ["y", "x"]
g1 = root.create_group("g1")
g1.attrs["name"] = "first"
slashed = zarr.open_array(
    zarr.DirectoryStore(tree), path="g1/slashed", mode="w", shape=(4, 6), chunks=(2, 4), dtype=">f8",
    fill_value=float("nan"), compressor=numcodecs.Blosc(cname="zstd", clevel=1), dimension_separator="/",
)
slashed[:] = np.arange(24, dtype=">f8").reshape(4, 6) / 4
slashed[2:4, 4:6] = np.nan  # still written: the chunk also holds real values
os.remove(os.path.join(tree, "g1", "slashed", "0", "1"))  # missing chunk (rows 0-1, cols 4-5)
g2 = g1.create_group("g2")
g2.attrs["depth"] = 2
deep = g2.create_dataset("deep", shape=(10,), chunks=(4,), dtype="|u1", fill_value=7, compressor=None)
deep[4:10] = np.arange(6, dtype="u1") * 3
words = g2.create_dataset("words", shape=(3,), chunks=(2,), dtype=object, object_codec=numcodecs.VLenUTF8(), compressor=numcodecs.Zlib(level=1))
words[:] = ["alpha", "βeta", ""]
scalar = root.create_dataset("scalar", shape=(), dtype="<f4", fill_value=0, compressor=None)
scalar[...] = 2.5
flags = root.create_dataset("flags", shape=(5,), chunks=(2,), dtype="|b1", fill_value=False, compressor=numcodecs.Zlib(level=1))
flags[:] = [True, False, True, True, False]


def listing(path):
    count = 0
    for _dirpath, _dirs, files in os.walk(path):
        count += sum(1 for f in files if not f.startswith("."))
    return count


def dump(store_path, arrays, top=None):
    group = zarr.open_group(store_path, mode="r") if top is None else top
    result = {}
    for name in arrays:
        arr = group[name]
        values = arr[...]
        if values.dtype.kind in "OU":
            flat = [str(v) for v in values.reshape(-1)]
        elif values.dtype.kind == "b":
            flat = [bool(v) for v in values.reshape(-1)]
        else:
            flat = [None if isinstance(v, float) and np.isnan(v) else v for v in values.reshape(-1).tolist()]
        result[name] = {"shape": list(arr.shape), "dtype": arr.dtype.str, "values": flat, "chunk_files": listing(os.path.join(store_path, name))}
    return result


oracle = {
    "cf.zarr": dump(cf, ["temp", "precip", "count", "level", "elevation", "time", "lat", "lon", "site", "site_name"]),
    "tree.zarr": dump(tree, ["a", "g1/slashed", "g1/g2/deep", "g1/g2/words", "scalar", "flags"]),
}
with open(os.path.join(out, "oracle.json"), "w") as f:
    json.dump(oracle, f)
print(json.dumps({"zarr": zarr.__version__, "xarray": xr.__version__}))
