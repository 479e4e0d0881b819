"""Writes the inputs of read-own-output.test.ts into a directory, with the oracle values.

TIFFs: gdal.Translate (gdal_translate's Python API) from an in-memory image with the creation
options of each case; expected values are GDAL's ReadAsArray in vz's layout ((y, x, band) for
pixel-interleaved images, (band, y, x) for band-interleaved). HDF5: float16 and zero-length
datasets written with h5py; expected values from h5py.

Usage: make_inputs.py OUTDIR  -> prints a JSON manifest of the cases.
"""
import json
import os
import sys

import h5py
import numpy as np
from osgeo import gdal

gdal.UseExceptions()
out = sys.argv[1]
WIDTH, HEIGHT = 45, 37  # 37 rows: the last 8-row strip is short; 16x16 tiles are partial at the edges
STRIPS = ["BLOCKYSIZE=8"]
TILES = ["TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"]

# name, GDAL type, bands, creation options, lossy
CASES = [
    ("lzw_strip_rgb_u8", gdal.GDT_Byte, 3, ["COMPRESS=LZW"] + STRIPS, False),
    ("lzw_tiled_u16", gdal.GDT_UInt16, 1, ["COMPRESS=LZW"] + TILES, False),
    ("packbits_strip_i16", gdal.GDT_Int16, 1, ["COMPRESS=PACKBITS"] + STRIPS, False),
    ("packbits_tiled_band_u8", gdal.GDT_Byte, 3, ["COMPRESS=PACKBITS", "INTERLEAVE=BAND"] + TILES, False),
    ("zstd_strip_f32", gdal.GDT_Float32, 1, ["COMPRESS=ZSTD"] + STRIPS, False),
    ("zstd_tiled_i32", gdal.GDT_Int32, 1, ["COMPRESS=ZSTD"] + TILES, False),
    ("deflate_strip_rgb_u16", gdal.GDT_UInt16, 3, ["COMPRESS=DEFLATE"] + STRIPS, False),
    ("deflate_tiled_f64", gdal.GDT_Float64, 1, ["COMPRESS=DEFLATE"] + TILES, False),
    ("pred2_lzw_strip_rgb_u16", gdal.GDT_UInt16, 3, ["COMPRESS=LZW", "PREDICTOR=2"] + STRIPS, False),
    ("pred2_zstd_tiled_i16", gdal.GDT_Int16, 1, ["COMPRESS=ZSTD", "PREDICTOR=2"] + TILES, False),
    ("pred2_deflate_strip_band_u8", gdal.GDT_Byte, 3, ["COMPRESS=DEFLATE", "PREDICTOR=2", "INTERLEAVE=BAND"] + STRIPS, False),
    ("pred2_packbits_tiled_u32", gdal.GDT_UInt32, 1, ["COMPRESS=PACKBITS", "PREDICTOR=2"] + TILES, False),
    ("pred3_deflate_strip_f32", gdal.GDT_Float32, 1, ["COMPRESS=DEFLATE", "PREDICTOR=3"] + STRIPS, False),
    ("pred3_lzw_tiled_f64", gdal.GDT_Float64, 1, ["COMPRESS=LZW", "PREDICTOR=3"] + TILES, False),
    ("pred3_zstd_strip_rgb_f32", gdal.GDT_Float32, 3, ["COMPRESS=ZSTD", "PREDICTOR=3"] + STRIPS, False),
    ("jpeg_strip_gray", gdal.GDT_Byte, 1, ["COMPRESS=JPEG"] + STRIPS, True),
    ("jpeg_strip_rgb", gdal.GDT_Byte, 3, ["COMPRESS=JPEG", "PHOTOMETRIC=RGB"] + STRIPS, True),
    ("jpeg_tiled_rgb", gdal.GDT_Byte, 3, ["COMPRESS=JPEG", "PHOTOMETRIC=RGB"] + TILES, True),
    ("jpeg_strip_ycbcr", gdal.GDT_Byte, 3, ["COMPRESS=JPEG", "PHOTOMETRIC=YCBCR", "BLOCKYSIZE=16"], True),
    ("jpeg_tiled_ycbcr", gdal.GDT_Byte, 3, ["COMPRESS=JPEG", "PHOTOMETRIC=YCBCR"] + TILES, True),
]

NUMPY = {
    gdal.GDT_Byte: np.uint8,
    gdal.GDT_UInt16: np.uint16,
    gdal.GDT_Int16: np.int16,
    gdal.GDT_UInt32: np.uint32,
    gdal.GDT_Int32: np.int32,
    gdal.GDT_Float32: np.float32,
    gdal.GDT_Float64: np.float64,
}


def image(gdal_type, bands, seed):
    """Smooth gradients plus noise (compressible, yet every value matters), over the type's range."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    dtype = NUMPY[gdal_type]
    planes = []
    for b in range(bands):
        base = np.sin((x + 3 * b) / 7.0) * np.cos((y - 2 * b) / 5.0)
        if np.issubdtype(dtype, np.floating):
            plane = base * 1000.0 + rng.normal(0, 0.01, base.shape)
        else:
            info = np.iinfo(dtype)
            span = min(float(info.max) - float(info.min), 2.0**31)
            mid = (float(info.max) + float(info.min)) / 2
            plane = mid + base * span * 0.45 + rng.integers(-3, 4, base.shape)
        planes.append(plane.astype(dtype))
    return np.stack(planes)


cases = []
for i, (name, gdal_type, bands, options, lossy) in enumerate(CASES):
    data = image(gdal_type, bands, i)
    mem = gdal.GetDriverByName("MEM").Create("", WIDTH, HEIGHT, bands, gdal_type)
    for b in range(bands):
        mem.GetRasterBand(b + 1).WriteArray(data[b])
    path = os.path.join(out, f"{name}.tif")
    gdal.Translate(path, mem, format="GTiff", creationOptions=options)
    values = gdal.Open(path).ReadAsArray()
    if bands > 1 and "INTERLEAVE=BAND" not in options:
        values = np.moveaxis(values, 0, -1)
    cases.append({"name": name, "path": path, "lossy": lossy, "shape": list(values.shape),
                  "values": values.astype(np.float64).ravel().tolist()})

h5 = os.path.join(out, "half_and_empty.h5")
with h5py.File(h5, "w") as f:
    f.create_dataset("half", data=(np.linspace(-65504, 65504, 12) / np.array([1, 3, 7, 1000] * 3)).astype("f2").reshape(3, 4))
    f.create_dataset("half_chunked", data=(np.arange(10, dtype="f2") / 3), chunks=(4,), compression="gzip")
    f.create_dataset("empty", shape=(0, 5), dtype="f4")
    f.create_dataset("empty_chunked", shape=(0, 5), dtype="i4", chunks=(2, 5), maxshape=(None, 5))
    expected = {name: {"shape": list(f[name].shape), "values": f[name][...].astype(np.float64).ravel().tolist()} for name in f}

print(json.dumps({"tiffs": cases, "hdf5": {"path": h5, "arrays": expected}}))
