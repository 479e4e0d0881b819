"""Independent oracle for the HDF4 pairs: every SDS and every vdata of an HDF4 file, read with
pyhdf (Debian's python3-hdf4, the NCSA HDF4 library), printed as JSON:
{"sds": {name: {"shape": [...], "dtype": "...", "values": [...]}},
 "vdata": [{"name": ..., "ref": ..., "fields": {field: [...]}}] (in reference order)}  (C order, NaN as the string "NaN")."""
import json
import math
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


def main(path):
    result = {"sds": {}, "vdata": []}
    sd = SD(path, SDC.READ)
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
