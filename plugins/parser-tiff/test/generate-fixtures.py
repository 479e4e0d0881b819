"""Writes small TIFF fixtures with GDAL into the folder given as argv[1] and prints, as JSON, what
GDAL and tifffile (independent of vz) say about them: per IFD the strip/tile offsets and byte
counts, and the sha256 of GDAL's decoded values (band-first, little-endian) for the full image and
each overview, plus the geotransform and nodata. Run with Debian's /usr/bin/python3."""
import hashlib, json, os, sys
import numpy as np
import tifffile
from osgeo import gdal

gdal.UseExceptions()
out = sys.argv[1]
rng = np.random.default_rng(42)
GDT = {"uint8": gdal.GDT_Byte, "uint16": gdal.GDT_UInt16, "int16": gdal.GDT_Int16, "uint32": gdal.GDT_UInt32,
       "int32": gdal.GDT_Int32, "float32": gdal.GDT_Float32, "float64": gdal.GDT_Float64,
       "int64": getattr(gdal, "GDT_Int64", None), "uint64": getattr(gdal, "GDT_UInt64", None), "int8": gdal.GDT_Byte}


def values(dtype, bands, height, width, smooth=False):
    if smooth:  # compressible, JPEG-friendly
        y, x = np.mgrid[0:height, 0:width]
        base = np.stack([(x * (b + 1) * 3 + y * 2 + b * 40) % 256 for b in range(bands)])
        return base.astype(dtype)
    if np.dtype(dtype).kind == "f":
        a = rng.normal(100, 50, (bands, height, width)).astype(dtype)
        a[0, 1, 2] = np.nan
        return a
    info = np.iinfo(dtype)
    low, high = max(info.min, -(2**40)), min(info.max, 2**40)
    return rng.integers(low, high, (bands, height, width), dtype=dtype, endpoint=True)


def write(name, dtype, bands, height, width, options, smooth=False, nodata=None, geo=True, metadata=None, overviews=None, fill=None):
    path = os.path.join(out, name + ".tif")
    data = values(dtype, bands, height, width, smooth)
    options = list(options)
    if dtype == "int8":
        options.append("PIXELTYPE=SIGNEDBYTE")
        data = data.astype("int8")
    driver = gdal.GetDriverByName("GTiff")
    ds = driver.Create(path, width, height, bands, GDT[dtype], options)
    if geo:
        ds.SetGeoTransform([440720.0, 60.0, 0.0, 3751320.0, 0.0, -60.0])
        ds.SetProjection('PROJCS["WGS 84 / UTM zone 11N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",-117],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1],AUTHORITY["EPSG","32611"]]')
    if metadata:
        ds.SetMetadata(metadata)
    for b in range(bands):
        band = ds.GetRasterBand(b + 1)
        if nodata is not None:
            band.SetNoDataValue(nodata)
        if fill is None:
            band.WriteArray(data[b].view("uint8") if dtype == "int8" else data[b])
        else:  # sparse: write only the top-left block
            band.WriteArray(data[b][:fill, :fill].view("uint8") if dtype == "int8" else data[b][:fill, :fill])
    if overviews:
        ds.BuildOverviews("AVERAGE", overviews)
    ds = None
    return path


def describe(path):
    facts = {"path": path, "ifds": [], "overview_sha256": []}
    with tifffile.TiffFile(path) as t:
        facts["byteorder"] = t.byteorder
        facts["bigtiff"] = t.is_bigtiff
        for page in t.pages:
            facts["ifds"].append({"shape": list(page.shape), "offsets": [int(o) for o in page.dataoffsets],
                                  "bytecounts": [int(c) for c in page.databytecounts], "bitspersample": page.bitspersample,
                                  "compression": int(page.compression), "predictor": int(page.predictor),
                                  "planarconfig": int(page.planarconfig), "tiled": page.is_tiled})
    ds = gdal.Open(path)
    arr = ds.ReadAsArray()
    facts["dtype"] = str(arr.dtype)
    facts["sha256"] = hashlib.sha256(np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()).hexdigest()
    facts["raw_hex"] = arr.tobytes().hex() if arr.nbytes <= 400_000 and arr.dtype == np.uint8 else None
    facts["geotransform"] = list(ds.GetGeoTransform(can_return_null=True) or [])
    nodata = ds.GetRasterBand(1).GetNoDataValue()
    facts["nodata"] = None if nodata is None else ("NaN" if nodata != nodata else nodata)
    band = ds.GetRasterBand(1)
    for k in range(band.GetOverviewCount()):
        stack = np.stack([ds.GetRasterBand(b + 1).GetOverview(k).ReadAsArray() for b in range(ds.RasterCount)])
        if ds.RasterCount == 1:
            stack = stack[0]
        facts["overview_sha256"].append(hashlib.sha256(stack.astype(stack.dtype.newbyteorder("<")).tobytes()).hexdigest())
    return facts


FIXTURES = {
    "strip_partial_none_u16_rgb": dict(dtype="uint16", bands=3, height=37, width=29, options=["COMPRESS=NONE", "BLOCKYSIZE=5"]),
    "strip_partial_deflate_i16_band": dict(dtype="int16", bands=3, height=37, width=29, options=["COMPRESS=DEFLATE", "BLOCKYSIZE=5", "INTERLEAVE=BAND"]),
    "big_endian_f32_pred3_tiled": dict(dtype="float32", bands=1, height=45, width=50, options=["ENDIANNESS=BIG", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16", "COMPRESS=DEFLATE", "PREDICTOR=3"], nodata=float("nan")),
    "big_endian_u16_pred2_lzw_strip": dict(dtype="uint16", bands=2, height=33, width=40, options=["ENDIANNESS=BIG", "COMPRESS=LZW", "PREDICTOR=2", "BLOCKYSIZE=7"]),
    "bigtiff_packbits_i8": dict(dtype="int8", bands=1, height=21, width=30, options=["BIGTIFF=YES", "COMPRESS=PACKBITS", "BLOCKYSIZE=4"], nodata=-5),
    "zstd_pred2_u32_tiled": dict(dtype="uint32", bands=2, height=40, width=40, options=["COMPRESS=ZSTD", "PREDICTOR=2", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"]),
    "big_endian_f64_pred3_strip": dict(dtype="float64", bands=2, height=23, width=17, options=["ENDIANNESS=BIG", "COMPRESS=DEFLATE", "PREDICTOR=3", "BLOCKYSIZE=4"]),
    "int64_deflate_pred2_big_endian_band": dict(dtype="int64", bands=2, height=19, width=21, options=["ENDIANNESS=BIG", "COMPRESS=DEFLATE", "PREDICTOR=2", "INTERLEAVE=BAND", "BLOCKYSIZE=6"]),
    "int32_lzw_tiled_band_big_endian": dict(dtype="int32", bands=3, height=40, width=33, options=["ENDIANNESS=BIG", "COMPRESS=LZW", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16", "INTERLEAVE=BAND"]),
    "uncompressed_tiled_big_endian_f32": dict(dtype="float32", bands=1, height=20, width=20, options=["ENDIANNESS=BIG", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"], nodata=-9999.0),
    "bigtiff_big_endian_lzw_tiled": dict(dtype="int16", bands=2, height=35, width=37, options=["BIGTIFF=YES", "ENDIANNESS=BIG", "COMPRESS=LZW", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"]),
    "f32_pred3_band_tiled": dict(dtype="float32", bands=2, height=30, width=30, options=["COMPRESS=DEFLATE", "PREDICTOR=3", "INTERLEAVE=BAND", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"]),
    "uint64_deflate_pred2_strip": dict(dtype="uint64", bands=3, height=13, width=11, options=["COMPRESS=DEFLATE", "PREDICTOR=2", "BLOCKYSIZE=5"]),
    "overviews_deflate": dict(dtype="uint8", bands=1, height=200, width=256, options=["COMPRESS=DEFLATE", "TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=64"], smooth=True, overviews=[2, 4]),
    "pixel_is_point": dict(dtype="uint8", bands=1, height=10, width=12, options=[], metadata={"AREA_OR_POINT": "Point"}),
    "sparse_nodata": dict(dtype="uint16", bands=1, height=48, width=48, options=["SPARSE_OK=TRUE", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"], nodata=7, fill=16),
    "jpeg_gray_tiled": dict(dtype="uint8", bands=1, height=50, width=40, options=["COMPRESS=JPEG", "TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"], smooth=True),
    "jpeg_ycbcr_strip_partial": dict(dtype="uint8", bands=3, height=37, width=40, options=["COMPRESS=JPEG", "PHOTOMETRIC=YCBCR", "BLOCKYSIZE=16"], smooth=True),
    "one_bit": dict(dtype="uint8", bands=1, height=16, width=16, options=["NBITS=1"], smooth=False),
    "not_georeferenced": dict(dtype="uint8", bands=1, height=8, width=8, options=[], geo=False),
}

result = {}
for name, spec in FIXTURES.items():
    try:
        spec = dict(spec)
        if name == "one_bit":
            path = os.path.join(out, name + ".tif")
            ds = gdal.GetDriverByName("GTiff").Create(path, 16, 16, 1, gdal.GDT_Byte, ["NBITS=1"])
            ds.GetRasterBand(1).WriteArray((np.indices((16, 16)).sum(0) % 2).astype("uint8"))
            ds = None
        else:
            if spec["dtype"] in ("int64", "uint64") and GDT[spec["dtype"]] is None:
                raise RuntimeError("this GDAL has no 64-bit integer type")
            path = write(name, spec.pop("dtype"), spec.pop("bands"), spec.pop("height"), spec.pop("width"), spec.pop("options"), **spec)
        result[name] = describe(path)
    except Exception as e:  # reported to the test, which fails on it
        result[name] = {"error": f"{type(e).__name__}: {e}"}

# a mask IFD: GDAL internal masks are 1-bit
path = os.path.join(out, "with_mask.tif")
ds = gdal.GetDriverByName("GTiff").Create(path, 32, 32, 1, gdal.GDT_Byte, ["TILED=YES", "BLOCKXSIZE=16", "BLOCKYSIZE=16"])
ds.GetRasterBand(1).WriteArray(values("uint8", 1, 32, 32, True)[0])
gdal.SetConfigOption("GDAL_TIFF_INTERNAL_MASK", "YES")
ds.CreateMaskBand(gdal.GMF_PER_DATASET)
ds.GetRasterBand(1).GetMaskBand().WriteArray(np.full((32, 32), 255, "uint8"))
ds = None
result["with_mask"] = describe(path)
print(json.dumps(result))
