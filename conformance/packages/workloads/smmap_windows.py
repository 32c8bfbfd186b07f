"""smmap (Debian python3-smmap): sliding windows over files, as gitdb uses it.

A SlidingWindowMapManager with small windows (64 KiB), a small memory budget (256 KiB) and at
most 6 open maps maps each file piecewise, at page-aligned offsets (mmap(fd, n,
access=ACCESS_READ, offset=...)), and unmaps the least recently used windows when over budget.
Cursors and SlidingWindowMapBuffer read through memoryviews of the maps; every read is
checked against os.pread of the same bytes. The StaticWindowMapManager maps whole files.
"""

import glob
import hashlib
import os
import random

import smmap


def _files(data):
    packs = sorted(glob.glob(os.path.join(data, 'repo', '.git', 'objects', 'pack', '*.pack')))
    return [os.path.join(data, 'pe', 'arm64', '7za.exe'), os.path.join(data, 'pe', 'x64', '7za.exe')] + packs


def _rel(data, p):
    return os.path.relpath(p, data)


def run(data, work):
    files = _files(data)
    sizes = [os.path.getsize(f) for f in files]
    rng = random.Random(20261206)
    man = smmap.SlidingWindowMapManager(window_size=64 * 1024, max_memory_size=256 * 1024, max_open_handles=6)
    fds = [os.open(f, os.O_RDONLY) for f in files]
    reads = hashlib.sha256()
    mismatches = []
    windows = []
    stats = []
    try:
        cursors = [man.make_cursor(f) for f in files]
        for step in range(600):
            i = rng.randrange(len(files))
            ofs = rng.randrange(sizes[i])
            n = rng.choice([1, 7, 64, 333, 4096, 20000])
            c = cursors[i].use_region(ofs, n)
            if not c.is_valid():
                windows.append([step, 'invalid'])
                continue
            got = bytes(c.buffer()[:n])
            want = os.pread(fds[i], len(got), ofs)
            if got != want:
                mismatches.append([_rel(data, files[i]), ofs, n])
            reads.update(got)
            windows.append([step, c.ofs_begin(), c.size(), c.region().ofs_begin(), c.region().size()])
            if step % 3 == 0:
                c.unuse_region()  # lets the manager unmap it when over budget
            if step % 50 == 0:
                stats.append([step, man.num_file_handles(), man.num_open_files(), man.mapped_memory_size()])
        for c in cursors:
            c.unuse_region()
        stats.append(['collected', man.collect(), man.num_file_handles(), man.mapped_memory_size()])

        # the buffer interface: slices across window boundaries, on a fresh cursor
        buf_results = []
        for i, f in enumerate(files):
            with smmap.SlidingWindowMapBuffer(man.make_cursor(f)) as buf:
                probes = []
                for _ in range(20):
                    a = rng.randrange(len(buf))
                    b = min(len(buf), a + rng.randrange(1, 150000))
                    chunk = buf[a:b]
                    probes.append([a, b, hashlib.sha256(chunk).hexdigest()[:16], chunk == os.pread(fds[i], b - a, a)])
                probes.append(['byte', buf[len(buf) - 1], buf[0]])
                buf_results.append([_rel(data, f), len(buf), probes])
        stats.append(['after buffers', man.collect(), man.num_file_handles(), man.mapped_memory_size()])

        # whole-file maps
        static = smmap.StaticWindowMapManager()
        whole = []
        for i, f in enumerate(files):
            c = static.make_cursor(f).use_region()
            m = c.map()
            whole.append([_rel(data, f), c.size(), len(m), hashlib.sha256(m).hexdigest(),
                          m.find(b'PE\0\0'), m.rfind(b'\0\0\0\0'), m[:2] == os.pread(fds[i], 2, 0)])
            c.unuse_region()
        static_after = [static.collect(), static.num_file_handles(), static.mapped_memory_size()]
    finally:
        for fd in fds:
            os.close(fd)
    return {
        'files': [[_rel(data, f), s] for f, s in zip(files, sizes)],
        'reads': reads.hexdigest(),
        'mismatches': mismatches,
        'windows': windows,
        'stats': stats,
        'buffers': buf_results,
        'static': whole,
        'static_after': static_after,
    }
