"""CPython side of the pymmap benchmarks (driven by bench/run.js, one call per repeat).

Reads one JSON config from argv[1] (the same file, needles, counts and random offsets the Node
side uses) and prints one JSON object: {"python": ..., "results": {op: {"value", "unit",
"seconds", "work"}}}. Every op is the Python spelling of what run.js measures for pymmap, on a
read-only map of the same file (mmap.mmap(fd, 0, access=ACCESS_READ)).
"""
import json
import mmap
import os
import platform
import sys
import time

perf = time.perf_counter


def offsets(n, limit, s):
    """n pseudo-random offsets in [0, limit): xorshift32 from s, as xorshiftOffsets in
    bench/workloads.js (workloads.py imports this one)."""
    x = s & 0xFFFFFFFF
    out = []
    for _ in range(n):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out.append(x % limit)
    return out


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def main():
    cfg = json.loads(sys.argv[1])
    global perf
    if cfg.get("clock") == "cpu":  # run.js --clock cpu: process CPU time, as the JS side
        perf = time.process_time
    path = cfg["file"]
    size = cfg["size"]
    ops = set(cfg["ops"])
    needles = {k: (v["text"].encode("latin-1"), v["offset"]) for k, v in cfg["needles"].items()}
    n_index = cfg["n_index"]
    n_slice4k = cfg["n_slice4k"]
    n_slice16 = cfg["n_slice16"]
    n_map = cfg["n_map_close"]
    k_scan = cfg["k_scan"]
    seed = cfg["seed"]

    res = {}

    def put(op, value, unit, seconds, work):
        res[op] = {"value": value, "unit": unit, "seconds": seconds, "work": work}

    f = open(path, "rb")
    fd = f.fileno()
    m = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    assert len(m) == size

    # ---- searches: bytes scanned per second, median of k_scan runs
    for op, key, reverse in (("find_common", "common", False), ("find_rare", "rare", False),
                             ("rfind", "rnear", True)):
        if op not in ops:
            continue
        nd, at = needles[key]
        scanned = (size - at) if reverse else (at + len(nd))
        m.seek(0)
        r = m.rfind(nd) if reverse else m.find(nd)
        assert r == at, (op, r, at)
        ts = []
        for _ in range(k_scan):
            t0 = perf()
            r = m.rfind(nd) if reverse else m.find(nd)
            ts.append(perf() - t0)
        t = median(ts)
        put(op, scanned / t, "B/s", t, scanned)

    # ---- m[i]: sequential indices, s += m[i]
    if "index" in ops:
        n = min(n_index, size)
        s = 0
        for i in range(1000):
            s += m[i]
        t0 = perf()
        s = 0
        for i in range(n):
            s += m[i]
        t = perf() - t0
        put("index", n / t, "op/s", t, n)

    if "index_random" in ops:
        idx = offsets(n_index // 4, size, seed)
        t0 = perf()
        s = 0
        for i in idx:
            s += m[i]
        t = perf() - t0
        put("index_random", len(idx) / t, "op/s", t, len(idx))

    # ---- readline loop
    if "readline" in ops:
        m.seek(0)
        t0 = perf()
        n = 0
        while m.readline():
            n += 1
        t = perf() - t0
        put("readline", n / t, "line/s", t, n)

    # ---- slices (copies) at random offsets
    for op, width, count in (("slice4k", 4096, n_slice4k), ("slice16", 16, n_slice16)):
        if op not in ops:
            continue
        offs = offsets(count, size - width, seed + width)
        for a in offs[:1000]:
            b = m[a:a + width]
        t0 = perf()
        for a in offs:
            b = m[a:a + width]
        t = perf() - t0
        assert len(b) == width
        put(op, count / t, "op/s", t, count)

    # ---- read(1 MiB) through the whole file, median of k_scan passes
    if "read1m" in ops:
        ts = []
        for _ in range(2 * k_scan):  # as run.js: fresh result memory makes this one noisy
            m.seek(0)
            t0 = perf()
            while m.read(1 << 20):
                pass
            ts.append(perf() - t0)
        t = median(ts)
        put("read1m", size / t, "B/s", t, size)

    m.close()

    # ---- the worst case of find/rfind: periodic needles in periodic files (run.js's "periodic
    # files"), no match, so each search covers the whole file
    per = cfg.get("periodic") or {"ops": {}}
    for op, spec in per["ops"].items():
        if op not in ops:
            continue
        reverse = spec["reverse"]
        with open(spec["needle"], "rb") as nf:
            nd = nf.read()
        with open(spec["file"], "rb") as pf:
            pm = mmap.mmap(pf.fileno(), 0, access=mmap.ACCESS_READ)
            r = pm.rfind(nd) if reverse else pm.find(nd)
            assert r == -1, (op, r)
            ts = []
            for _ in range(k_scan):
                t0 = perf()
                r = pm.rfind(nd) if reverse else pm.find(nd)
                ts.append(perf() - t0)
            pm.close()
        t = median(ts)
        put(op, per["size"] / t, "B/s", t, per["size"])

    # ---- map + close (whole file, read-only)
    if "map_close" in ops:
        for _ in range(200):
            mmap.mmap(fd, 0, access=mmap.ACCESS_READ).close()
        t0 = perf()
        for _ in range(n_map):
            x = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
            x.close()
        t = perf() - t0
        put("map_close", n_map / t, "op/s", t, n_map)

    f.close()
    print(json.dumps({
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
            "build": " ".join(platform.python_build()),
            "compiler": platform.python_compiler(),
        },
        "results": res,
    }))


if __name__ == "__main__":
    main()
