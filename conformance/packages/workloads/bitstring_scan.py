"""bitstring (Debian python3-bitstring): bit-level parsing of files it maps.

Bits(filename=...) and ConstBitStream(filename=...) map the file with
mmap(fd, 0, access=ACCESS_READ) and read every byte and slice through the map (the map is
never closed explicitly: it goes with the object). Here: the PE headers of the three 7-Zip
builds parsed field by field, byte-aligned searches over the files, sub-streams at an offset;
and the header and first object headers of a git pack (variable-length bit fields).
"""

import glob
import hashlib
import os

from bitstring import Bits, ConstBitStream


def _pe(path):
    s = ConstBitStream(filename=path)
    magic = s.read('bytes:2')
    s.pos = 0x3C * 8
    e_lfanew = s.read('uintle:32')
    s.pos = e_lfanew * 8
    sig = s.read('bytes:4')
    machine, nsections, timestamp, symptr, nsyms, optsize, chars = s.readlist(
        'uintle:16, uintle:16, uintle:32, uintle:32, uintle:32, uintle:16, uintle:16')
    opt_magic = s.read('uintle:16')
    s.pos = (e_lfanew + 24 + optsize) * 8
    sections = []
    for _ in range(nsections):
        name = s.read('bytes:8').rstrip(b'\0').decode('latin-1')
        vsize, va, rawsize, rawptr = s.readlist('uintle:32, uintle:32, uintle:32, uintle:32')
        s.pos += 16 * 8
        sections.append([name, vsize, va, rawsize, rawptr])
    first = sections[0]
    body = Bits(filename=path, offset=first[4] * 8, length=min(first[3], 4096) * 8)
    hits = list(s.findall(b'\x48\x8b\x05', bytealigned=True, start=first[4] * 8, end=(first[4] + 65536) * 8))
    strings = s.find(b'7-Zip', bytealigned=True)
    last = s.rfind(b'\0\0\0\0\0\0\0\0', bytealigned=True, start=s.len - 65536 * 8)
    return {
        'len': s.len, 'magic': magic.decode('latin-1'), 'e_lfanew': e_lfanew, 'sig': sig.hex(),
        'coff': [machine, nsections, timestamp, symptr, nsyms, optsize, chars], 'opt_magic': hex(opt_magic),
        'sections': sections, 'body': [body.len, hashlib.sha256(body.tobytes()).hexdigest()[:16], body[:64].hex],
        'hits': [len(hits), hits[:5]], 'find': list(strings), 'rfind': list(last),
        'bits': [s[12345:12345 + 77].bin, s[-4096 * 8:].count(1)],
    }


def _pack(path):
    s = ConstBitStream(filename=path)
    sig, version, count = s.readlist('bytes:4, uint:32, uint:32')
    # the first object's header: type in 3 bits, size in 4 + 7n bits (its data is zlib)
    more = s.read('bool')
    typ = s.read('uint:3')
    size = s.read('uint:4')
    shift = 4
    while more:
        more = s.read('bool')
        size |= s.read('uint:7') << shift
        shift += 7
    tail = s[-160:].hex
    return {'sig': sig.decode(), 'version': version, 'count': count, 'first': [typ, size, s.pos], 'trailer': tail}


def run(data, work):
    out = {}
    for arch in ('x64', 'ia32', 'arm64'):
        out[arch] = _pe(os.path.join(data, 'pe', arch, '7za.exe'))
    out['packs'] = [_pack(p) for p in sorted(glob.glob(os.path.join(data, 'repo', '.git', 'objects', 'pack', '*.pack')))]
    return out
