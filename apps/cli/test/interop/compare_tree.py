#!/usr/bin/python3
"""Interop check for grouped files: open every group of kerchunk references written by vz with
xarray (`xr.open_dataset("reference://", engine="zarr", group=...)`) and compare each variable
with the original read independently: netCDF4-python through xarray (KIND netcdf) or h5py (KIND hdf5).

Usage: /usr/bin/python3 compare_tree.py REFS ORIGINAL KIND [SUBTREE]
  SUBTREE: the original's group that the references have as their root (vz virtualize --group).
Prints one JSON object: {"groups_original": [...], "groups_refs": [...], "variables": [{"group", "variable", "ok", "reason"}]}
"""
import json
import os
import sys
import warnings

import fsspec
import numpy as np
import xarray as xr
import zarr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare_refs import same  # noqa: E402

warnings.filterwarnings("ignore")


def same_attr(a, b):
    if isinstance(a, str) or isinstance(b, str):
        return str(a) == str(b)
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "OSU" or b.dtype.kind in "OSU":
        text = lambda x: [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in x.ravel().tolist()]  # noqa: E731
        return a.shape == b.shape and text(a) == text(b)
    return a.shape == b.shape and bool(np.all((a == b) | ((a != a) & (b != b))))


def zarr_groups(group, prefix=""):
    yield prefix
    for name, sub in sorted(group.groups()):
        yield from zarr_groups(sub, prefix + name + "/")


def open_refs(refs, group, decode=True):
    """One group of the references in xarray; decode=False keeps raw stored values (to compare with h5py)."""
    kwargs = {"consolidated": False, "storage_options": {"fo": refs, "remote_protocol": "file"}}
    return xr.open_dataset("reference://", engine="zarr", group=group or None, backend_kwargs=kwargs, decode_cf=decode, mask_and_scale=decode)


def main():
    refs, original, kind = sys.argv[1:4]
    subtree = sys.argv[4].strip("/") if len(sys.argv) > 4 else ""
    mapper = fsspec.get_mapper("reference://", fo=refs, remote_protocol="file")
    root = zarr.open_group(mapper, mode="r")
    result = {"groups_refs": [g.rstrip("/") for g in zarr_groups(root)], "variables": []}
    if kind == "netcdf":
        import netCDF4
        with netCDF4.Dataset(original) as nc:
            top = nc[subtree] if subtree else nc
            names = []
            def walk(g, prefix):
                names.append(prefix)
                for name, sub in g.groups.items():
                    walk(sub, prefix + name + "/")
            walk(top, "")
        result["groups_original"] = [n.rstrip("/") for n in names]
        for group in result["groups_original"]:
            full = "/".join(p for p in (subtree, group) if p)
            theirs = xr.open_dataset(original, engine="netcdf4", group=full or None)
            ours = open_refs(refs, group)
            for name in theirs.variables:
                entry = {"group": group, "variable": name}
                if name not in ours.variables:
                    entry.update(ok=False, reason="missing in vz refs")
                else:
                    a, b = ours[name], theirs[name]
                    if a.dims != b.dims:
                        entry.update(ok=False, reason=f"dims {a.dims} != {b.dims}")
                    else:
                        ok, reason = same(a.values, b.values)
                        lost = [k for k, v in b.attrs.items() if k not in a.attrs or not same_attr(a.attrs[k], v)]
                        if ok and lost:
                            ok, reason = False, f"attributes differ or missing: {lost}"
                        entry.update(ok=bool(ok), reason=reason, n=int(np.asarray(b.values).size))
                result["variables"].append(entry)
            # group attributes: every attribute xarray reads from the original is in the references
            lost = []
            for key, value in theirs.attrs.items():
                if key not in ours.attrs:
                    lost.append(f"{key} missing")
                elif not same_attr(ours.attrs[key], value):
                    lost.append(f"{key}: {ours.attrs[key]!r} != {value!r}")
            result["variables"].append({"group": group, "variable": "@attrs", "ok": not lost, "reason": "; ".join(lost)[:500]})
            extra = [n for n in ours.variables if n not in theirs.variables]
            for name in extra:
                result["variables"].append({"group": group, "variable": name, "ok": False, "reason": "not in the original"})
    else:
        import h5py
        with h5py.File(original, "r") as f:
            top = f[subtree] if subtree else f
            names = [""]
            top.visit(lambda n: names.append(n) if isinstance(top[n], h5py.Group) else None)
            result["groups_original"] = names
            for group in names:
                g = top[group] if group else top
                ours = open_refs(refs, group, decode=False)
                lost = []
                for key, value in g.attrs.items():
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    if key not in ours.attrs:
                        lost.append(f"{key} missing")
                    elif not same_attr(ours.attrs[key], value):
                        lost.append(f"{key}: {ours.attrs[key]!r} != {value!r}")
                result["variables"].append({"group": group, "variable": "@attrs", "ok": not lost, "reason": "; ".join(lost)[:500]})
                for name, obj in g.items():
                    if not isinstance(obj, h5py.Dataset):
                        continue
                    entry = {"group": group, "variable": name}
                    if name not in ours.variables:
                        entry.update(ok=False, reason="missing in vz refs")
                    else:
                        ok, reason = same(ours[name].values, obj[()])
                        entry.update(ok=bool(ok), reason=reason, n=int(obj.size))
                    result["variables"].append(entry)
    print(json.dumps(result))


main()
