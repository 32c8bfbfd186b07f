"""python-periphery (Debian python3-periphery): memory-mapped I/O registers, on a file.

periphery.MMIO(physaddr, size, path) opens `path` (normally /dev/mem) O_RDWR|O_SYNC and maps
it with mmap(fd, n, flags=MAP_SHARED, prot=PROT_READ|PROT_WRITE, offset=page-aligned physaddr),
then closes the descriptor. Registers are read and written with
ctypes.c_uint32.from_buffer(map, offset).value (a writable buffer export of the map per access)
and byte ranges with slices. Here the "device" is a 256 KiB host file: a register block at
0x10000 (page-aligned for both 4 KiB and Pyodide's 64 KiB pages) is programmed through one MMIO
object while a second MMIO of the same block, os.pread of the file and a third map made after
the first is closed must all see every write at once: MAP_SHARED semantics, no flush anywhere.
Under Pyodide the one change is O_SYNC dropped from periphery's os.open (see below).
"""

import errno
import hashlib
import os
import random
import sys

import periphery.mmio
from periphery import MMIO, MMIOError

if sys.platform == 'emscripten':
    # Emscripten's NODEFS refuses O_SYNC (os.open raises EINVAL). O_SYNC is about write(2) on
    # the descriptor, which periphery closes right after mapping; the map is the same without
    # it. So under Pyodide periphery's os.open drops that one flag.
    class _OS:
        def __getattr__(self, name):
            return getattr(os, name)

        def open(self, path, flags, *args):
            return os.open(path, flags & ~os.O_SYNC, *args)

    periphery.mmio.os = _OS()

BASE = 0x10000
SIZE = 0x8000


def run(data, work):
    dev = os.path.join(work, 'device.bin')
    with open(dev, 'wb') as f:
        f.write(bytes(range(256)) * 1024)  # 256 KiB
    rng = random.Random(7)
    fd = os.open(dev, os.O_RDONLY)
    log = []
    try:
        a = MMIO(BASE, SIZE, path=dev)
        b = MMIO(BASE, SIZE, path=dev)
        seen = []
        for i in range(300):
            kind = rng.choice(['32', '16', '8', 'bytes'])
            off = rng.randrange(0, SIZE - 64) & ~3
            if kind == '32':
                v = rng.randrange(1 << 32)
                a.write32(off, v)
                got = [b.read32(off), int.from_bytes(os.pread(fd, 4, BASE + off), 'little')]
                ok = got == [v, v]
            elif kind == '16':
                v = rng.randrange(1 << 16)
                a.write16(off, v)
                got = [b.read16(off), int.from_bytes(os.pread(fd, 2, BASE + off), 'little')]
                ok = got == [v, v]
            elif kind == '8':
                v = rng.randrange(256)
                a.write8(off, v)
                got = [b.read8(off), os.pread(fd, 1, BASE + off)[0]]
                ok = got == [v, v]
            else:
                v = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
                a.write(off, v)
                got = [b.read(off, len(v)), os.pread(fd, len(v), BASE + off)]
                ok = got == [v, v]
            seen.append(ok)
            if i < 6:
                log.append([kind, off, v if isinstance(v, int) else v.hex(), ok])
        # periphery's own argument checks, through the map's size
        errors = []
        for call in (lambda: a.write32(SIZE - 2, 1), lambda: a.read(SIZE - 4, 8), lambda: a.write8(0, 256)):
            try:
                call()
                errors.append(None)
            except (ValueError, TypeError) as e:
                errors.append('%s: %s' % (type(e).__name__, e))
        a.close()
        c = MMIO(BASE, SIZE, path=dev)
        after_close = [c.read32(0), c.read(SIZE - 16, 16).hex(), b.read(128, 32) == c.read(128, 32)]
        c.close()
        b.close()
        try:
            MMIO(BASE, SIZE, path=os.path.join(work, 'missing'))
            missing = None
        except MMIOError as e:
            # (errno numbers are the platform's: ENOENT is 44 under Emscripten)
            missing = [type(e).__name__, e.errno == errno.ENOENT,
                       str(e).startswith('[Errno %d] Opening ' % errno.ENOENT),
                       str(e).endswith(': No such file or directory')]
    finally:
        os.close(fd)
    with open(dev, 'rb') as f:
        whole = f.read()
    return {
        'writes': len(seen),
        'all_seen_at_once': all(seen),
        'first': log,
        'errors': errors,
        'after_close': after_close,
        'missing_device': missing,
        'file': [len(whole), hashlib.sha256(whole).hexdigest(),
                 whole[:BASE] == (bytes(range(256)) * 1024)[:BASE],
                 whole[BASE + SIZE:] == (bytes(range(256)) * 1024)[BASE + SIZE:]],
    }
