"""Independent oracle for the HDF4 pairs: every SDS and every vdata of an HDF4 file, read with
pyhdf (Debian's python3-hdf4, the NCSA HDF4 library), printed as JSON:
{"sds": {name: {"shape": [...], "dtype": "...", "values": [...]}},
 "vdata": [{"name": ..., "ref": ..., "fields": {field: [...]}}] (in reference order),
 "eos_grids": {grid name: {"XDim": [...], "YDim": [...]}}}: for HDF-EOS2 geographic grids
(GCTP_GEO), the cell-centre longitudes and latitudes computed from the grid's StructMetadata.0
corners, as the HDF-EOS2 library defines them (packed DMS degrees, pixel centres).  (C order, NaN as the string "NaN")."""
import json
import math
import re
import sys

from pyhdf.HDF import HDF
import pyhdf.VS  # noqa: F401 (HDF.vstart needs it imported)
from pyhdf.SD import SD, SDC
from pyhdf.error import HDF4Error


def clean(value):
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


def flat(values):
    out = []
    if not isinstance(values, list):
        return [clean(values)]
    def walk(v):
        if isinstance(v, list):
            for x in v:
                walk(x)
        else:
            out.append(clean(v))
    walk(values)
    return out


def packed_dms(value):
    """HDF-EOS packed degrees DDDMMMSSS.SS to decimal degrees."""
    sign = -1 if value < 0 else 1
    value = abs(value)
    degrees = int(value // 1000000)
    minutes = int((value - degrees * 1000000) // 1000)
    seconds = value - degrees * 1000000 - minutes * 1000
    return sign * (degrees + minutes / 60 + seconds / 3600)


def eos_grids(metadata):
    grids = {}
    for block in re.findall(r"GROUP=GRID_\d+(.*?)END_GROUP=GRID_\d+", metadata, re.S):
        name = re.search(r'GridName="([^"]*)"', block)
        projection = re.search(r"Projection=(\w+)", block)
        if not name or not projection or projection.group(1) != "GCTP_GEO":
            continue
        nx = int(re.search(r"XDim=(\d+)", block).group(1))
        ny = int(re.search(r"YDim=(\d+)", block).group(1))
        ul = [float(v) for v in re.search(r"UpperLeftPointMtrs=\(([^)]*)\)", block).group(1).split(",")]
        lr = [float(v) for v in re.search(r"LowerRightMtrs=\(([^)]*)\)", block).group(1).split(",")]
        x0, y0, x1, y1 = packed_dms(ul[0]), packed_dms(ul[1]), packed_dms(lr[0]), packed_dms(lr[1])
        grids[name.group(1)] = {
            "XDim": [x0 + (i + 0.5) * (x1 - x0) / nx for i in range(nx)],
            "YDim": [y0 + (j + 0.5) * (y1 - y0) / ny for j in range(ny)],
        }
    return grids


def main(path):
    result = {"sds": {}, "vdata": [], "eos_grids": {}}
    sd = SD(path, SDC.READ)
    result["eos_grids"] = eos_grids(sd.attributes().get("StructMetadata.0", ""))
    for name, info in sd.datasets().items():
        sds = sd.select(name)
        try:
            data = sds.get()
            values = data.tolist() if hasattr(data, "tolist") else data
            result["sds"][name] = {"shape": list(info[1]) if isinstance(info[1], tuple) else [info[1]], "dtype": str(getattr(data, "dtype", "")), "values": flat(values)}
        except (HDF4Error, ValueError) as error:
            # an SDS never written cannot be read; the library's fill value is what readers see
            try:
                fill = sds.getfillvalue()
            except HDF4Error:
                fill = None
            result["sds"][name] = {"error": str(error), "shape": list(info[1]) if isinstance(info[1], tuple) else [info[1]], "fill": clean(fill)}
        sds.endaccess()
    sd.end()
    hdf = HDF(path)
    vs = hdf.vstart()
    for info in sorted(vs.vdatainfo(), key=lambda i: i[2]):
        name = info[0]
        vd = vs.attach(info[2])
        try:
            fields = [f[0] for f in vd.fieldinfo()]
            records = vd[:] if info[3] > 0 else []
            result["vdata"].append({"name": name, "ref": info[2], "fields": {f: flat([r[i] for r in records]) for i, f in enumerate(fields)}})
        except HDF4Error as error:
            result["vdata"].append({"name": name, "ref": info[2], "error": str(error)})
        vd.detach()
    vs.end()
    hdf.close()
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
