"""Benchmark inputs for bench/chunk-index.mjs, and the h5py peer timing.

/usr/bin/python3 make-bench-files.py OUTDIR          writes the files + OUTDIR/files.json
/usr/bin/python3 make-bench-files.py --time FILE N   times h5py get_chunk_info over all N chunks of /x

The 200,000-chunk dataset of docs BENCHMARKS.md: np.arange(2_000_000, dtype="<i4").reshape(200_000, 10)
in (1, 10) chunks, as a v1 B-tree (default format), an extensible array (libver latest, maxshape
(None, 10)), a fixed array (libver latest) and a v2 B-tree (libver latest, maxshape (None, None));
plus a 10,000-chunk v1 B-tree file for h5py, whose per-chunk enumeration is quadratic.
"""
import json
import os
import sys
import time

import h5py
import numpy as np

if sys.argv[1] == "--time":
    path, count = sys.argv[2], int(sys.argv[3])
    start = time.perf_counter()
    cpu_start = time.process_time()
    with h5py.File(path, "r") as f:
        dsid = f["x"].id
        n = dsid.get_num_chunks()
        assert n == count, (n, count)
        total = 0
        for i in range(n):
            total += dsid.get_chunk_info(i).size
    print(json.dumps({"chunks": n, "seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu_start,
                      "processCpu": time.process_time()}))
    sys.exit(0)

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
data = np.arange(2_000_000, dtype="<i4").reshape(200_000, 10)
files = {}
for name, libver, maxshape, rows in [
    ("btree-v1", "earliest", None, 200_000),
    ("extensible-array", "latest", (None, 10), 200_000),
    ("fixed-array", "latest", None, 200_000),
    ("btree-v2", "latest", (None, None), 200_000),
    ("btree-v1-10k", "earliest", None, 10_000),
]:
    path = os.path.join(out, f"{name}.h5")
    with h5py.File(path, "w", libver=libver) as f:
        d = f.create_dataset("x", data=data[:rows], chunks=(1, 10), maxshape=maxshape)
        files[name] = {"path": path, "address": h5py.h5o.get_info(d.id).addr, "chunks": rows}
with open(os.path.join(out, "files.json"), "w") as fp:
    json.dump(files, fp)
print(json.dumps(files))
