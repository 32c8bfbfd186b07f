"""Run inside Pyodide by conformance/pyodide/copyback.js: Python (this file, with pymmap's
bridge) and a CPython peer process (copyback_peer.py) write to one shared file, interleaved,
while a memoryview export of Python's map is held, acknowledging each other.  A model of the
file (`exp`) gets every write of both sides; at the end the file must equal it byte for byte,
so a single byte of the peer's that the bridge reverted (or of Python's that it lost) fails.

Globals set by the driver: PATH (the shared file, on a NODEFS mount), ROUNDS, and the JS module
_peer (ask(json) -> json: one command to the peer, answered when the peer acknowledges it).
Returns a JSON report (see the end).
"""
import hashlib
import json
import mmap
import random
import struct

import _peer

with open(PATH, 'rb') as _f:
    exp = bytearray(_f.read())      # the model: what the file must hold
N = len(exp)
owner = {}                          # offset -> who wrote it last, and when (for the report)
seen_bad = []                       # bytes of Python's that the peer did not see after a sync
window_bad = []                     # bytes the map did not show (the peer's, after its ack)

# Sites: 10-byte windows at the edges of the ranges the write-back compares (64 B, 1 KiB,
# 32 KiB, 1 MiB), of the old 64 KiB chunks, and at the end of the file.  In each window, the
# bytes alternate between the two writers (the layout is in the round below).
SITES = [0, 61, 1000, 1021, 4093, 32765, 65533, 65536, 70001, (1 << 20) - 3, 1 << 20,
         (2 << 20) + 12345, N - 10]
IN_SITE = set()
for _b in SITES:
    IN_SITE.update(range(_b, _b + 10))


def changed(o, k):
    """A value for byte `o` that differs from what the model holds there."""
    v = (exp[o] + k) & 0xFF
    return v if v != exp[o] else (v + 1) & 0xFF


def peer(writes=(), reads=(), tag=''):
    """The peer writes (through its CPython map) and reads; returns what it read."""
    for o, d in writes:
        exp[o:o + len(d)] = d
        for i in range(o, o + len(d)):
            owner[i] = 'peer ' + tag
    r = json.loads(_peer.ask(json.dumps({
        'write': [[o, bytes(d).hex()] for o, d in writes],
        'read': [[o, n] for o, n in reads]})))
    return [bytes.fromhex(h) for h in r['seen']]


def py(o, d, tag):
    for i in range(o, o + len(d)):
        owner[i] = 'python ' + tag
    exp[o:o + len(d)] = d


def random_writes(rnd, count, tag):
    """Peer writes away from the sites: single bytes and a few short ranges."""
    out = []
    while len(out) < count:
        o = rnd.randrange(N - 300)
        n = rnd.choice((1, 1, 1, 2, 7, 300))
        if any(i in IN_SITE for i in range(o, o + n)):
            continue
        out.append((o, bytes(changed(i, 1 + len(out) % 200) for i in range(o, o + n))))
    return out


f = open(PATH, 'r+b')
m = mmap.mmap(f.fileno(), 0)
for rnd_i in range(ROUNDS):
    rnd = random.Random(rnd_i)
    mv = memoryview(m)              # the export: on the copying path, a copy of the whole map
    # -- phase A: the peer writes b+1, b+3, b+5 of every site and random bytes elsewhere
    w = []
    for b in SITES:
        for i in (1, 3, 5):
            w.append((b + i, bytes((changed(b + i, 11 + rnd_i),))))
    peer(w + random_writes(rnd, 150, 'A'), tag='A%d' % rnd_i)
    # ... then Python writes b, b+2 and b+6 through the export, b+5 over the peer's byte
    # (Python's is later: it wins), b+1 with the value the export shows there (CPython would
    # write the peer's value back: no change; a stale copy must not write its old byte), and
    # b+8..b+9 through a second export (struct.pack_into) while the first is held.
    for b in SITES:
        for i in (0, 2, 5, 6):
            v = changed(b + i, 29 + rnd_i)
            mv[b + i] = v
            py(b + i, bytes((v,)), 'A%d' % rnd_i)
        mv[b + 1] = mv[b + 1]
        v = bytes((changed(b + 8, 3), changed(b + 9, 5)))
        struct.pack_into('>H', m, b + 8, struct.unpack('>H', v)[0])
        py(b + 8, v, 'A%d pack_into' % rnd_i)
    # an operation on the map writes the export's changes out (the copying path's sync point)
    for b in SITES:
        got = m[b:b + 10]
        if got != bytes(exp[b:b + 10]):
            window_bad.append((rnd_i, 'A', b, got.hex(), bytes(exp[b:b + 10]).hex()))
    # the peer sees Python's bytes
    offs = [(b + i, 1) for b in SITES for i in (0, 2, 5, 6, 8, 9)]
    for (o, _), s in zip(offs, peer(reads=offs, tag='read')):
        if s[0] != exp[o]:
            seen_bad.append((rnd_i, o, s[0], exp[o]))
    # -- phase B: the peer writes b+6 over Python's byte (the peer's is later: it wins), b+7,
    # and random bytes; Python writes b+4 through the same (now stale) export, then releases it.
    w = []
    for b in SITES:
        for i in (6, 7):
            w.append((b + i, bytes((changed(b + i, 41 + rnd_i),))))
    peer(w + random_writes(rnd, 150, 'B'), tag='B%d' % rnd_i)
    for b in SITES:
        v = changed(b + 4, 53 + rnd_i)
        mv[b + 4] = v
        py(b + 4, bytes((v,)), 'B%d' % rnd_i)
    mv.release()
    for b in SITES:
        got = m[b:b + 10]
        if got != bytes(exp[b:b + 10]):
            window_bad.append((rnd_i, 'B', b, got.hex(), bytes(exp[b:b + 10]).hex()))

m.close()
f.close()
final = _peer.ask(json.dumps({'quit': True, 'read': []}))
with open(PATH, 'rb') as g:
    data = g.read()
bad = [i for i in range(N) if data[i] != exp[i]] if data != exp else []
json.dumps({
    'size': N,
    'model_sha256': hashlib.sha256(exp).hexdigest(),
    'file_sha256': hashlib.sha256(data).hexdigest(),
    'peer_sha256': json.loads(final)['sha256'],
    'wrong_bytes': len(bad),
    'first_wrong': [[i, data[i], exp[i], owner.get(i, 'nobody')] for i in bad[:20]],
    'seen_bad': seen_bad[:20],
    'window_bad': window_bad[:20],
})
