"""gitdb (Debian python3-gitdb, on python3-smmap): a git object store read and written.

Reads every object of the repository that inputs.js made with git (two packs with delta
chains, read through smmap windows of the pack and index files, and loose objects, each mapped
whole with mmap(fd, 0, access=ACCESS_READ)) and checks each object's sha1 against its name.
Resolving a delta allocates anonymous maps (mmap(-1, n)) and writes into them with
write/seek, the only place gitdb stores into a map. Then gitdb writes: every object into a
new loose object store and into a new pack (PackEntity.create), and reads both back. Last, gitdb with smmap windows smaller than
its packs, which fails under CPython (a window closed while a memoryview of it is alive raises
BufferError, or a delta read across a window edge gives ValueError, depending on the pack): the
same failure, at the same object, is expected.
"""

import glob
import hashlib
import os
from io import BytesIO

import sys

import smmap
import gitdb.pack  # noqa: F401 (loads it: the attribute gitdb.pack is gitdb.db.pack)
import gitdb.util
from gitdb import GitDB, LooseObjectDB, IStream
from gitdb.pack import PackEntity
from gitdb.util import bin_to_hex


def _check(sha, typ, data):
    header = typ + b' ' + str(len(data)).encode() + b'\0'
    return hashlib.sha1(header + data).digest() == sha


def run(data, work):
    # gitdb's own window manager (smmap's defaults: windows of 1 GiB on 64-bit Pythons, 64 MiB
    # on 32-bit ones such as Pyodide's; the packs here are smaller, so both map them whole).
    # Smaller windows make gitdb 4.0.9 itself fail, under CPython too (see the end), which is
    # why smmap_windows.py tests small windows without gitdb.
    man = gitdb.util.mman
    objects = os.path.join(data, 'repo', '.git', 'objects')
    db = GitDB(objects)
    shas = sorted(db.sha_iter())
    objs = []
    bad = []
    by_type = {}
    total = 0
    for sha in shas:
        info = db.info(sha)
        stream = db.stream(sha)
        body = stream.read()
        ok = _check(sha, stream.type, body) and len(body) == info.size == stream.size
        if not ok:
            bad.append(bin_to_hex(sha).decode())
        t = stream.type.decode()
        by_type[t] = by_type.get(t, 0) + 1
        total += len(body)
        objs.append([bin_to_hex(sha).decode(), t, len(body), hashlib.sha256(body).hexdigest()[:16]])

    packs = []
    for path in sorted(glob.glob(os.path.join(objects, 'pack', '*.pack'))):
        e = PackEntity(path)
        idx = e.index()
        chains = {}
        valid = 0
        for i in range(idx.size()):
            sha = idx.sha(i)
            valid += e.is_valid_stream(sha, use_crc=True)
            depth = len(e.collect_streams(sha)) - 1
            chains[depth] = chains.get(depth, 0) + 1
        info_types = sorted({i.type.decode() for i in e.info_iter()})
        packs.append({
            'name': os.path.basename(path),
            'version': [idx.version(), e.pack().version()],
            'objects': [idx.size(), e.pack().size()],
            'checksums': [bin_to_hex(idx.packfile_checksum()).decode(), bin_to_hex(idx.indexfile_checksum()).decode(),
                          bin_to_hex(e.pack().checksum()).decode()],
            'valid_crc': valid,
            'delta_depths': sorted(chains.items()),
            'types': info_types,
            'offsets': hashlib.sha256(repr(sorted(idx.offsets())).encode()).hexdigest()[:16],
            'stream_iter': sum(1 for _ in e.pack().stream_iter()),
        })
        e.close()

    # writes: a loose object store and a pack, made by gitdb, read back
    loose_dir = os.path.join(work, 'loose')
    os.makedirs(loose_dir)
    ldb = LooseObjectDB(loose_dir)
    stored = 0
    for sha in shas[:60]:
        s = db.stream(sha)
        body = s.read()
        ist = ldb.store(IStream(s.type, len(body), BytesIO(body)))
        stored += ist.binsha == sha
    loose_back = []
    for sha in sorted(ldb.sha_iter()):
        s = ldb.stream(sha)
        body = s.read()
        loose_back.append([bin_to_hex(sha).decode()[:12], _check(sha, s.type, body)])

    pack_dir = os.path.join(work, 'pack')
    os.makedirs(pack_dir)
    some = shas[::3]
    entity = PackEntity.create((db.stream(sha) for sha in some), pack_dir, object_count=len(some))
    back = []
    for sha in some:
        s = entity.stream(sha)
        back.append(_check(sha, s.type, s.read()))
    written = [entity.index().size(), sum(back), entity.is_valid_stream(shas[0], use_crc=True)]
    entity.close()

    # gitdb with windows smaller than its packs: gitdb 4.0.9 fails, under CPython too; the
    # failure (after which object, which exception, its message) must be the same
    small = smmap.SlidingWindowMapManager(window_size=128 * 1024, max_memory_size=1024 * 1024, max_open_handles=16)
    mods = [sys.modules['gitdb.pack'], sys.modules['gitdb.util']]
    saved = [m.mman for m in mods]
    read = 0
    outcome = 'no error'
    try:
        for m in mods:
            m.mman = small
        sdb = GitDB(objects)
        for sha in shas:
            s = sdb.stream(sha)
            _check(sha, s.type, s.read())
            read += 1
    except Exception as e:
        outcome = '%s: %s' % (type(e).__name__, e)
    finally:
        for m, v in zip(mods, saved):
            m.mman = v
    return {
        'objects': objs,
        'count': len(shas),
        'by_type': sorted(by_type.items()),
        'total_bytes': total,
        'bad': bad,
        'packs': packs,
        'loose_written': [stored, len(loose_back), sum(ok for _, ok in loose_back)],
        'pack_written': written,
        'windows': [man.num_file_handles(), man.mapped_memory_size() > 0],
        'small_windows': [read, outcome],
    }
