"""dulwich (Debian python3-dulwich, its pure-Python code): git pack indexes through mmap.

dulwich maps each pack index (.idx) with mmap(fd, size, access=ACCESS_READ) and finds objects
by bisecting the map (struct.unpack_from and slices of it). Here: every object of both packs
looked up by sha through the index and read back (dulwich checks the sha of what it reads),
the index and pack checksums verified, the history walked through the repository; then dulwich
writes: the loose objects of a copy of the repository are packed into a new pack and index
(object_store.pack_loose_objects), and everything is read again through the new index.
Where _hashlib is missing (Pyodide's npm package), a stand-in with the one name dulwich
imports from it (HASH, a type annotation) is put in sys.modules first.
"""

import glob
import hashlib
import os
import shutil
import sys
import types

try:
    import _hashlib  # noqa: F401
except ImportError:
    # Pyodide's npm package has no _hashlib (OpenSSL's hashes come from its CDN); dulwich
    # imports only the name HASH from it, for a type annotation. hashlib itself works.
    sys.modules['_hashlib'] = types.SimpleNamespace(HASH=type(hashlib.sha1()))

from dulwich.pack import Pack, load_pack_index
from dulwich.repo import Repo


def _pack_report(base, offsets):
    p = Pack(base)
    p.check()  # index and pack checksums, every object's sha
    idx = p.index
    rows = []
    for sha in sorted(p):
        o = p[sha]
        raw = o.as_raw_string()
        rows.append([sha.decode(), o.type_name.decode(), len(raw), o.id == sha] + ([idx.object_offset(sha)] if offsets else []))
    out = {
        'name': os.path.basename(base),
        'index_version': idx.version,
        'count': len(idx),
        'checksums_agree': [idx.get_pack_checksum() == p.get_stored_checksum(),
                            idx.get_stored_checksum() == idx.calculate_checksum()],
        'checksums': [idx.get_pack_checksum().hex(), idx.get_stored_checksum().hex()] if offsets else None,
        'objects': hashlib.sha256(repr(rows).encode()).hexdigest(),
        'types': sorted({r[1] for r in rows}),
        'all_ids_match': all(r[3] for r in rows),
        'first': rows[:3],
    }
    p.close()
    return out


def run(data, work):
    repo_src = os.path.join(data, 'repo')
    packs = [_pack_report(p[:-5], True) for p in sorted(glob.glob(os.path.join(repo_src, '.git', 'objects', 'pack', '*.pack')))]

    # the index alone, as load_pack_index maps it
    idx_path = sorted(glob.glob(os.path.join(repo_src, '.git', 'objects', 'pack', '*.idx')))[0]
    idx = load_pack_index(idx_path)
    entries = list(idx.iterentries())
    index_alone = [len(entries), hashlib.sha256(repr(sorted((e[0], e[1], e[2]) for e in entries)).encode()).hexdigest()[:16]]
    idx.close()

    repo = Repo(repo_src)
    # every object the store has (this loads every pack's index: otherwise which indexes get
    # mapped depends on the order the packs are listed in, the file system's)
    store = len(set(repo.object_store))
    walk = []
    for entry in repo.get_walker():
        c = entry.commit
        walk.append([c.id.decode(), c.message.decode().splitlines()[0], len(repo[c.tree].items()),
                     len(entry.changes())])
    tags = sorted([k.decode(), v.decode()] for k, v in repo.refs.as_dict(b'refs/tags').items())
    repo.close()

    # dulwich writes a pack and its index, then reads through the new index
    copy = os.path.join(work, 'repo')
    shutil.copytree(repo_src, copy)
    r = Repo(copy)
    store_copy = len(set(r.object_store))
    loose_before = len(list(r.object_store._iter_loose_objects()))
    r.object_store.pack_loose_objects()
    packs_after = sorted(os.path.basename(p) for p in glob.glob(os.path.join(copy, '.git', 'objects', 'pack', '*.idx')))
    r.close()
    # (no offsets: where each object lands depends on the zlib build's compressed sizes)
    new_packs = [_pack_report(os.path.join(copy, '.git', 'objects', 'pack', n[:-4]), False) for n in packs_after]
    r = Repo(copy)
    store_packed = len(set(r.object_store))
    head = r[b'HEAD']
    files = []
    for e in r.object_store.iter_tree_contents(head.tree):
        files.append([e.path.decode(), hashlib.sha256(r[e.sha].data).hexdigest()[:16]])
    r.close()
    return {
        'packs': packs,
        'index_alone': index_alone,
        'store': [store, store_copy, store_packed],
        'walk': walk,
        'tags': tags,
        'loose_packed': loose_before,
        'packs_after': len(packs_after),
        'new_packs': [[n['count'], n['objects'], n['all_ids_match'], n['types']] for n in new_packs],
        'head_files': files,
    }
