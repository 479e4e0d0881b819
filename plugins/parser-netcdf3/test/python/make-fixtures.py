#!/usr/bin/python3
"""Writes small netCDF3 fixtures with netCDF4-python into argv[1] and facts.json: what
netCDF4-python reads back from them (raw values, no masking; char arrays joined to strings)."""
import json, sys, os
import numpy as np
import netCDF4

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
facts = {}

def dump(path):
    d = {}
    with netCDF4.Dataset(path) as ds:
        ds.set_auto_maskandscale(False)
        def attrs(obj):
            r = {}
            for k in obj.ncattrs():
                v = obj.getncattr(k)
                if isinstance(v, str): r[k] = {"text": v}
                else:
                    a = np.atleast_1d(np.asarray(v))
                    r[k] = {"dtype": a.dtype.str, "values": [str(x) for x in a.tolist()]}
            return r
        d["attrs"] = attrs(ds)
        d["format"] = ds.data_model
        d["variables"] = {}
        for name, v in ds.variables.items():
            v.set_auto_chartostring(False)
            vals = np.asarray(v[...])
            e = {"dims": list(v.dimensions), "attrs": attrs(v), "dtype": vals.dtype.str, "shape": list(vals.shape)}
            if vals.dtype.kind == "S":
                s = netCDF4.chartostring(vals, encoding="utf-8") if vals.ndim else np.asarray(vals.tobytes().rstrip(b"\0").decode())
                e["strings"] = [str(x) for x in np.atleast_1d(s).reshape(-1).tolist()]
            else:
                e["values"] = [str(x) for x in vals.reshape(-1).tolist()]
            d["variables"][name] = e
    return d

# 1. CDF-5 with every type, attributes of every type, a record variable and a _FillValue
p = os.path.join(out, "cdf5_types.nc")
with netCDF4.Dataset(p, "w", format="NETCDF3_64BIT_DATA") as ds:
    ds.createDimension("time", None)
    ds.createDimension("x", 3)
    ds.createDimension("strlen", 5)
    ds.title = "every CDF-5 type"
    types = {"i1": np.int8, "u1": np.uint8, "i2": np.int16, "u2": np.uint16, "i4": np.int32, "u4": np.uint32,
             "i8": np.int64, "u8": np.uint64, "f4": np.float32, "f8": np.float64}
    for code, t in types.items():
        ds.setncattr(f"att_{code}", np.array([1, 2, 3], dtype=t) if code not in ("i8", "u8") else np.array([2**40 + 1, 7], dtype=t))
        v = ds.createVariable(f"v_{code}", t, ("x",))
        info = np.iinfo(t) if np.dtype(t).kind in "iu" else None
        v[:] = np.array([info.min, 0, info.max], dtype=t) if info is not None else np.array([-1.5, np.nan, 3.25e30], dtype=t)
        v.setncattr("scalar_att", t(5))
        r = ds.createVariable(f"r_{code}", t, ("time", "x"))
        r[0:4, :] = np.arange(12).reshape(4, 3).astype(t)
    f = ds.createVariable("filled", np.int16, ("x",), fill_value=np.int16(-999))
    f[:] = [1, -999, 3]
    c = ds.createVariable("names", "S1", ("x", "strlen"))
    c[:] = np.array([b"ab", b"cdefg", "é".encode()], dtype="S5").view("S1").reshape(3, 5)
    rc = ds.createVariable("rec_names", "S1", ("time", "strlen"))
    rc[0:4] = netCDF4.stringtochar(np.array(["t0", "t1", "t22", "t333"], dtype="S5"))
    s = ds.createVariable("scalar", np.float64, ())
    s.assignValue(42.5)
facts["cdf5_types.nc"] = dump(p)

# 1b. CDF-5 64-bit integers with explicit _FillValues that JSON numbers hold exactly
p = os.path.join(out, "cdf5_explicit_fill.nc")
with netCDF4.Dataset(p, "w", format="NETCDF3_64BIT_DATA") as ds:
    ds.createDimension("time", None)
    ds.createDimension("x", 2)
    for code, t in {"i8": np.int64, "u8": np.uint64, "u4": np.uint32, "u2": np.uint16, "u1": np.uint8}.items():
        v = ds.createVariable(f"v_{code}", t, ("time", "x"), fill_value=t(7))
        v[0:3, :] = (np.arange(6).reshape(3, 2) * 3).astype(t)
    big = ds.createVariable("big", np.int64, ("x",), fill_value=np.int64(-1))
    big[:] = [2**62 + 1, -(2**62) - 3]
facts["cdf5_explicit_fill.nc"] = dump(p)

# 1c. CDF-5 64-bit integers whose _FillValue is netCDF's default (beyond 2^53: no double holds it)
p = os.path.join(out, "cdf5_default_fill.nc")
with netCDF4.Dataset(p, "w", format="NETCDF3_64BIT_DATA") as ds:
    ds.createDimension("time", None)
    ds.createDimension("x", 3)
    i8 = ds.createVariable("i8", np.int64, ("x",), fill_value=netCDF4.default_fillvals["i8"])
    i8[:] = [2**62 + 1, netCDF4.default_fillvals["i8"], -(2**63)]
    u8 = ds.createVariable("u8", np.uint64, ("time", "x"), fill_value=netCDF4.default_fillvals["u8"])
    u8[0:2, :] = np.array([[1, 2**64 - 1, 3], [netCDF4.default_fillvals["u8"], 5, 2**63 + 7]], dtype=np.uint64)
facts["cdf5_default_fill.nc"] = dump(p)

# 2. one record variable whose records are not padded (3 shorts = 6 bytes per record)
p = os.path.join(out, "single_record.nc")
with netCDF4.Dataset(p, "w", format="NETCDF3_CLASSIC") as ds:
    ds.createDimension("time", None)
    ds.createDimension("x", 3)
    ds.createVariable("x", np.float32, ("x",))[:] = [10, 20, 30]
    v = ds.createVariable("s", np.int16, ("time", "x"))
    v[0:5, :] = np.arange(15, dtype=np.int16).reshape(5, 3) * 7 - 20
facts["single_record.nc"] = dump(p)

# 3. several record variables with padding (byte[3] -> 4, short -> 4) in a CDF-2 file
p = os.path.join(out, "padded_records_64bit.nc")
with netCDF4.Dataset(p, "w", format="NETCDF3_64BIT_OFFSET") as ds:
    ds.createDimension("time", None)
    ds.createDimension("x", 3)
    ds.createVariable("b", np.int8, ("time", "x"))[0:6, :] = (np.arange(18).reshape(6, 3) - 9).astype(np.int8)
    ds.createVariable("h", np.int16, ("time",))[0:6] = np.arange(6, dtype=np.int16) * 1000
    ds.createVariable("d", np.float64, ("time",))[0:6] = np.linspace(0, 1, 6)
facts["padded_records_64bit.nc"] = dump(p)

json.dump(facts, open(os.path.join(out, "facts.json"), "w"), indent=1)

# 4. character arrays with bytes that are not UTF-8 (0x80, 0xff), a record char variable, a char
# variable along a coordinate dimension (xarray does not join it), _Encoding, a scalar char
p = os.path.join(out, "chars_bytes.nc")
with netCDF4.Dataset(p, "w", format="NETCDF3_64BIT_OFFSET") as ds:
    ds.createDimension("time", None)
    ds.createDimension("strlen", 5)
    ds.createDimension("n", 3)
    ds.createVariable("time", "f8", ("time",))[0:3] = [0.0, 1.0, 2.0]
    ds.createVariable("b", "S1", ("time", "strlen"))[0:3] = np.array([b"ab\x80", b"hello", b"\xff"], dtype="S5").view("S1").reshape(3, 5)
    ds.createVariable("n", "i4", ("n",))[:] = [1, 2, 3]
    ds.createVariable("station", "S1", ("n", "strlen"))[:] = np.array([b"abc", b"de", b"fghij"], dtype="S5").view("S1").reshape(3, 5)
    ds.createVariable("flag", "S1", ("n",))[:] = np.array([b"x", b"\x80", b""], dtype="S1")
    u = ds.createVariable("utf", "S1", ("n", "strlen"))
    u._Encoding = "utf-8"
    u[:] = np.array(["ünï".encode(), "€".encode(), b"ok"], dtype="S5").view("S1").reshape(3, 5)
    ds.createVariable("c0", "S1", ())[...] = np.array(b"Q", dtype="S1")

# scipy's independent view of the classic / 64-bit offset headers (scipy cannot read CDF-5)
from scipy.io import netcdf_file
headers = {}
for name in ("single_record.nc", "padded_records_64bit.nc"):
    begins = {}

    class F(netcdf_file):
        def _read_var(self):
            r = super()._read_var()
            begins[r[0].decode() if isinstance(r[0], bytes) else r[0]] = int(r[7])
            return r

    f = F(os.path.join(out, name), "r", mmap=False)
    headers[name] = {"recsize": int(f._recsize), "numrecs": int(f._recs), "begin": begins}
    f.close()
json.dump(headers, open(os.path.join(out, "headers.json"), "w"), indent=1)
