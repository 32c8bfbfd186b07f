"""Ported-tool workloads, CPython side (driven by bench/workloads.js; the TS side is the same
program in bench/workloads.js). argv[1]: JSON {"workload", "text", "records", "record_size",
"n_random", "seed", "word"}. Prints one JSON object: the workload's result (compared with the TS
side's), its wall time, and the process's memory (peak RSS, anonymous and file-backed RSS at the
end, from /proc/self/status).
"""
import json
import mmap
import struct
import sys
import time

from cpython_bench import offsets  # (bench/ is sys.path[0] when run as a script)


def status():
    out = {}
    try:
        with open("/proc/self/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmHWM", "RssAnon", "RssFile"):
                    out[k] = int(v.split()[0])  # KiB
    except OSError:
        pass
    return out


def main():
    cfg = json.loads(sys.argv[1])
    w = cfg["workload"]
    path = cfg["records"] if w == "records" else cfg["text"]
    f = open(path, "rb")
    m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    size = len(m)
    idx = offsets(cfg["n_random"], size - 4096, cfg["seed"]) if w == "random4k" else None
    perf = time.process_time if cfg.get("clock") == "cpu" else time.perf_counter
    t0 = perf()
    if w == "count_lines":
        n = 0
        while m.readline():
            n += 1
        result = n
    elif w == "grep":
        word = cfg["word"].encode("latin-1")
        hits = 0
        while True:
            line = m.readline()
            if not line:
                break
            if word in line:
                hits += 1
        result = hits
    elif w == "records":
        rs = cfg["record_size"]
        unpack = struct.Struct("<IIid").unpack_from
        total = 0
        kinds = 0
        for o in range(0, size - rs + 1, rs):
            rec = m[o:o + rs]
            rid, kind, value, price = unpack(rec)
            total += value
            if kind == 3:
                kinds += 1
        result = total * 1000 + kinds
    elif w == "random4k":
        s = 0
        for a in idx:
            m.seek(a)
            s += m.read(4096)[4095]
        result = s
    elif w == "stream_read1m":
        total = 0
        while True:
            chunk = m.read(1 << 20)
            if not chunk:
                break
            total += chunk[-1]
        result = total
    else:
        raise SystemExit("unknown workload " + w)
    t = perf() - t0
    st = status()
    m.close()
    f.close()
    print(json.dumps({"result": result, "seconds": t, "status": st}))


if __name__ == "__main__":
    main()
