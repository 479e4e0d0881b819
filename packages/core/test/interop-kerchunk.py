"""Opens kerchunk references written by vz with fsspec + zarr 2 + xarray (the recipe of
/work/shared/oracle/roundtrip_kerchunk.py) and prints what it sees as JSON on stdout.

usage: /usr/bin/python3 interop-kerchunk.py REFS.json GROUP [GROUP ...]   ("" = root group)
"""
import collections.abc
import json
import math
import sys

import fsspec
import numpy as np
import xarray as xr
import zarr

ONE_LINER = "xr.open_dataset('reference://', engine='zarr')"
PER_KEY = "per-key mapping (fsspec < 2023 ReferenceFileSystem.cat raises KeyError for omitted chunks)"


class PerKeyMapping(collections.abc.MutableMapping):
    """Read-only mapping over an fsspec reference mapper without `getitems`, so that zarr reads
    chunk by chunk and treats an omitted chunk (KeyError) as missing, i.e. fill value."""

    def __init__(self, mapper):
        self.mapper = mapper

    def __getitem__(self, key):
        return self.mapper[key]

    def __setitem__(self, key, value):
        raise PermissionError("read-only")

    def __delitem__(self, key):
        raise PermissionError("read-only")

    def __iter__(self):
        return iter(self.mapper)

    def __len__(self):
        return len(self.mapper)

    def __contains__(self, key):
        return key in self.mapper


def open_both(path, group):
    """(raw, decoded, reader): the one-liner recipe when it can read every value; on old fsspec
    whose batched cat fails on omitted chunk keys, the per-key mapping (only then)."""
    kwargs = {"consolidated": False, "storage_options": {"fo": path}}
    if group:
        kwargs["group"] = group
    try:
        raw = xr.open_dataset("reference://", engine="zarr", decode_cf=False, mask_and_scale=False, backend_kwargs=kwargs).load()
        decoded = xr.open_dataset("reference://", engine="zarr", backend_kwargs=kwargs).load()
        return raw, decoded, ONE_LINER
    except KeyError:
        if int(fsspec.__version__.split(".")[0]) >= 2023:
            raise
    mapper = PerKeyMapping(fsspec.get_mapper("reference://", fo=path, remote_protocol="file"))
    extra = {"group": group} if group else {}
    raw = xr.open_dataset(mapper, engine="zarr", consolidated=False, decode_cf=False, mask_and_scale=False, **extra).load()
    decoded = xr.open_dataset(mapper, engine="zarr", consolidated=False, **extra).load()
    return raw, decoded, PER_KEY


def plain(value):
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, (np.datetime64,)):
        return str(value)
    return value


def codec_config(codec):
    return None if codec is None else codec.get_config()


def describe(path, group):
    raw, decoded, reader = open_both(path, group)
    out = {"reader": reader, "fsspec": fsspec.__version__, "attrs": plain(dict(raw.attrs)),
           "coords": sorted(str(c) for c in decoded.coords), "variables": {}}
    zgroup = zarr.open_group(fsspec.get_mapper("reference://", fo=path, remote_protocol="file"), mode="r")
    if group:
        zgroup = zgroup[group]
    for name, variable in raw.variables.items():
        dec = decoded[name]
        entry = {
            "zarr_dtype": zgroup[name].dtype.str,
            "dims": list(variable.dims),
            "dtype": variable.dtype.str,
            "shape": list(variable.shape),
            "attrs": plain(dict(variable.attrs)),
            "values": plain(variable.values),
            "decoded_dtype": dec.dtype.str,
            "encoding": {
                "chunks": plain(variable.encoding.get("chunks")),
                "filters": [codec_config(f) for f in (variable.encoding.get("filters") or [])],
                "compressor": codec_config(variable.encoding.get("compressor")),
            },
        }
        if dec.dtype.kind == "M":
            entry["decoded_values"] = [str(v) for v in dec.values.astype("datetime64[s]").tolist()]
        else:
            entry["decoded_values"] = plain(dec.values)
        out["variables"][str(name)] = entry
    return out


def main():
    path = sys.argv[1]
    result = {group: describe(path, group) for group in sys.argv[2:]}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
