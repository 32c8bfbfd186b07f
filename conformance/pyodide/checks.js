/*
 * Checks of the Pyodide bridge that CPython's test_mmap.py does not make: real host-file
 * semantics (what Pyodide's built-in emulation gets wrong), the buffer protocol, audit events,
 * garbage collection, wasm memory growth, and strict mode (installMmap(py, { strict: true })).
 *
 * Each check is Python code run in the Pyodide instance of conformance/pyodide/job.js; its
 * last expression is True when the check passes, or a value describing what went wrong.
 * Globals available to the code: mmap, os, sys, errno, mk(name, data) (writes /h/<name>),
 * MODE ('bridge', 'copy' or 'builtin'), and the JS module _host (another process reading the
 * file, the host writing to it). /h is a NODEFS mount of a host temporary directory.
 *
 * `bridgeOnly`: the check looks at the bridge's internals and is not run with the built-in
 * mmap (the anchor run of the checks is informative: it shows what the emulation gets wrong).
 */
'use strict';

const PRELUDE = `
import mmap, os, sys, errno
def mk(name, data):
    with open('/h/' + name, 'wb') as f:
        f.write(data)
`;

const SEMANTICS = [
  {
    name: 'two maps of one file share writes',
    code: `
mk('a', b'x' * 8192)
f = open('/h/a', 'r+b')
m1 = mmap.mmap(f.fileno(), 0); m2 = mmap.mmap(f.fileno(), 0)
m1[100:105] = b'hello'
r = m2[100:105]
m1.close(); m2.close(); f.close()
r == b'hello' or repr(r)`,
  },
  {
    name: 'a host process sees a write at once (no flush)',
    code: `
import _host
mk('b', b'.' * 4096)
f = open('/h/b', 'r+b'); m = mmap.mmap(f.fileno(), 0)
m[0:5] = b'HELLO'
r = _host.otherProcessRead('b', 5)
m.close(); f.close()
r == 'HELLO' or repr(r)`,
  },
  {
    name: 'the map sees a write made by the host at once',
    code: `
import _host
mk('c', b'.' * 4096)
f = open('/h/c', 'r+b'); m = mmap.mmap(f.fileno(), 0)
_host.write('c', 10, 'WORLD')
r = m[10:15]
m.close(); f.close()
r == b'WORLD' or repr(r)`,
  },
  {
    name: 'os.pread sees a map write before flush',
    code: `
mk('d', b'.' * 4096)
fd = os.open('/h/d', os.O_RDWR); m = mmap.mmap(fd, 0)
m[0:3] = b'abc'
r = os.pread(fd, 3, 0)
m.close(); os.close(fd)
r == b'abc' or repr(r)`,
  },
  {
    name: 'resize grows and shrinks the file',
    code: `
mk('e', b'z' * 4096)
f = open('/h/e', 'r+b'); m = mmap.mmap(f.fileno(), 0)
m.resize(10000); a = (len(m), os.path.getsize('/h/e'), m[4095:4097])
m.resize(100); b = (len(m), os.path.getsize('/h/e'))
m.close(); f.close()
(a, b) == ((10000, 10000, b'z\\x00'), (100, 100)) or repr((a, b))`,
  },
  {
    name: 'flush after the Python file is closed',
    code: `
mk('g', b'-' * 4096)
with open('/h/g', 'r+b') as f:
    m = mmap.mmap(f.fileno(), 0)
m[0] = 65
r1 = m.flush()
m.close()
r = open('/h/g', 'rb').read(1)
(r1, r) == (None, b'A') or repr((r1, r))`,
  },
  {
    name: 'close after the Python file is closed keeps the writes',
    code: `
mk('h', b'-' * 4096)
with open('/h/h', 'r+b') as f:
    m = mmap.mmap(f.fileno(), 0)
m[1] = 66
m.close()
r = open('/h/h', 'rb').read(2)
r == b'-B' or repr(r)`,
  },
  {
    name: 'writes through a memoryview reach the file',
    code: `
import _host
mk('i', b'-' * 4096)
f = open('/h/i', 'r+b'); m = mmap.mmap(f.fileno(), 0)
with memoryview(m) as mv:
    mv[0:3] = b'xyz'
m.close(); f.close()
r = _host.otherProcessRead('i', 3)
r == 'xyz' or repr(r)`,
  },
  {
    name: 'buffer protocol: bytes, re, struct, hashlib',
    code: `
import re, struct, hashlib
mk('j', b'\\x01\\x00\\x00\\x00' + b'find me here' + b'\\0' * 100)
f = open('/h/j', 'r+b'); m = mmap.mmap(f.fileno(), 0)
r = (bytes(m)[4:11], re.search(rb'me (\\w+)', m).group(1), struct.unpack_from('<I', m, 0)[0],
     hashlib.sha256(m).hexdigest() == hashlib.sha256(bytes(m)).hexdigest())
m.close(); f.close()
r == (b'find me', b'here', 1, True) or repr(r)`,
  },
  {
    name: 'a live memoryview tracks the map (both directions)',
    code: `
mk('k', b'-' * 64)
f = open('/h/k', 'r+b'); m = mmap.mmap(f.fileno(), 0)
mv = memoryview(m)
m[0] = 49
a = mv[0]
mv[1] = 50
b = m[1]
mv.release(); m.close(); f.close()
(a, b) == (49, 50) or repr((a, b))`,
  },
  {
    name: 'a memoryview blocks close and resize (BufferError)',
    code: `
mk('l', b'-' * 64)
f = open('/h/l', 'r+b'); m = mmap.mmap(f.fileno(), 0)
mv = memoryview(m)
r = []
for op in (m.close, lambda: m.resize(10)):
    try: op()
    except BufferError as e: r.append(str(e))
mv.release(); m.close(); f.close()
r == ['cannot close exported pointers exist', "mmap can't resize with extant buffers exported."] or repr(r)`,
  },
  {
    name: 'a MEMFS file falls back to the built-in mmap',
    code: `
with open('/tmp/memfs', 'wb') as f: f.write(b'abc')
f = open('/tmp/memfs', 'r+b'); m = mmap.mmap(f.fileno(), 0)
r = (m[:], isinstance(m, mmap.mmap))
m.close(); f.close()
r == (b'abc', True) or repr(r)`,
  },
  {
    name: 'the mmap.__new__ audit event reaches sys.audit hooks',
    code: `
ev = []
sys.addaudithook(lambda e, a: ev.append(a) if e == 'mmap.__new__' else None)
mk('m', b'-' * 64)
f = open('/h/m', 'r+b'); fd = f.fileno(); m = mmap.mmap(fd, 0, access=mmap.ACCESS_WRITE)
a = mmap.mmap(-1, 100, flags=mmap.MAP_PRIVATE)
m.close(); a.close(); f.close()
ev == [(fd, 0, mmap.ACCESS_WRITE, 0), (-1, 100, mmap.ACCESS_DEFAULT, 0)] or repr(ev)`,
  },
  {
    name: 'an audit hook that raises aborts the map',
    code: `
class Stop(Exception): pass
def hook(e, a):
    if e == 'mmap.__new__' and a[1] == 12345: raise Stop('no')
sys.addaudithook(hook)
try: mmap.mmap(-1, 12345); r = 'not raised'
except Stop as e: r = str(e)
r == 'no' or repr(r)`,
  },
  {
    name: 'pickling refused, weakref, subclass',
    code: `
import pickle, weakref
class M(mmap.mmap): pass
m = M(-1, 10)
try: pickle.dumps(m); r1 = None
except TypeError as e: r1 = str(e)
w = weakref.ref(m)
r = (r1, w() is m, repr(m).startswith('<M closed=False'))
m.close()
r == ("cannot pickle 'M' object", True, True) or repr(r)`,
  },
  {
    name: 'maps are zero-copy carriers (bridge) or host maps (copy)',
    bridgeOnly: true,
    code: `
mk('k1', b'-' * 10)
f = open('/h/k1', 'r+b'); m = mmap.mmap(f.fileno(), 0); a = mmap.mmap(-1, 10)
r = (m._pm_kind, a._pm_kind); m.close(); a.close(); f.close()
r == {'bridge': ('carrier', 'carrier'), 'copy': ('host', 'host')}[MODE] or repr(r)`,
  },
  {
    name: 'copying path, file truncated under the map: m[i] and memoryview(m) both raise OSError(EFAULT), then both see the regrown file',
    copyOnly: true,
    code: `
import _host
mk('tr', b'abcd' * 4096)
f = open('/h/tr', 'r+b'); m = mmap.mmap(f.fileno(), 0)
r = [m[0]]
_host.truncate('tr', 4096)
for get in (lambda: m[9000], lambda: memoryview(m)[9000], lambda: m[9000]):
    try: r.append(get())
    except OSError as e: r.append(e.errno == errno.EFAULT)
_host.write('tr', 0, 'wxyz' * 4096)
r.append((m[9000], memoryview(m)[9000]))
m.close(); f.close()
r == [97, True, True, True, (119, 119)] or repr(r)`,
  },
  {
    name: 'ACCESS_READ on a read-only fd; writes refused; host writes seen',
    code: `
import _host
mk('r1', b'abcdef')
f = open('/h/r1', 'rb'); m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
r = [m[:]]
try: m[0] = 1
except TypeError as e: r.append(str(e))
try: memoryview(m)[0] = 1
except TypeError as e: r.append(str(e))
_host.write('r1', 0, 'X')
r.append(m[:1])
m.close(); f.close()
r == [b'abcdef', "mmap can't modify a readonly memory map.", 'cannot modify read-only memory', b'X'] or repr(r)`,
  },
  {
    name: 'ACCESS_COPY writes stay private',
    code: `
mk('c1', b'abcdef')
f = open('/h/c1', 'r+b'); m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
m[0:3] = b'XYZ'; m.flush()
r = (m[:], open('/h/c1', 'rb').read())
m.close(); f.close()
r == (b'XYZdef', b'abcdef') or repr(r)`,
  },
  {
    name: 'PROT_READ map of a read-only fd is ACCESS_READ; PROT_WRITE on it is EACCES',
    code: `
mk('p1', b'abc')
f = open('/h/p1', 'rb')
m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
r = [repr(m)]
m.close()
try: mmap.mmap(f.fileno(), 0)
except PermissionError as e: r.append(e.errno == errno.EACCES)
f.close()
r == ['<mmap.mmap closed=False, access=ACCESS_READ, length=3, pos=0, offset=0>', True] or repr(r)`,
  },
  {
    name: 'anonymous resize: private grow keeps data, shared grow refused (3.14, 3.13.8; older Pythons grow it), shrink',
    code: `
p = mmap.mmap(-1, 4096, flags=mmap.MAP_PRIVATE)
p[0:3] = b'abc'; p.resize(100000); r = [p[0:3], len(p), p[99999]]
s = mmap.mmap(-1, 4096)
try: s.resize(8192)
except ValueError as e: r.append(str(e))
s[0:2] = b'hi'; s.resize(100); r.append((len(s), s[:2]))
p.close(); s.close()
refused = ["mmap: can't expand a shared anonymous mapping on Linux"] if sys.version_info >= (3, 13, 8) else []
r == [b'abc', 100000, 0] + refused + [(100, b'hi')] or repr(r)`,
  },
  {
    name: 'trackfd=False (3.13): size() EBADF (3.15: ValueError), resize ValueError, works after f.close(); 3.12: no such keyword',
    code: `
mk('t1', b'q' * 64)
f = open('/h/t1', 'r+b')
if sys.version_info < (3, 13):
    try: mmap.mmap(f.fileno(), 0, trackfd=False)
    except TypeError as e: r = str(e)
    f.close()
    result = r == "'trackfd' is an invalid keyword argument for this function" or repr(r)
else:
    m = mmap.mmap(f.fileno(), 0, trackfd=False); f.close()
    r = []
    try: m.size()
    except ValueError as e: r.append(str(e))
    except OSError as e: r.append(e.errno == errno.EBADF)
    try: m.resize(10)
    except ValueError as e: r.append(str(e))
    m[0] = 65; m.flush(); m.close()
    r.append(open('/h/t1', 'rb').read(2))
    size = "can't get size with trackfd=False" if sys.version_info >= (3, 15) else True
    result = r == [size, "mmap can't resize with trackfd=False.", b'Aq'] or repr(r)
result`,
  },
  {
    name: 'offset maps, resize of an offset map',
    code: `
G = mmap.ALLOCATIONGRANULARITY
mk('o1', b'a' * G + b'bcd' + b'\\0' * 100)
f = open('/h/o1', 'r+b'); m = mmap.mmap(f.fileno(), 0, offset=G)
r = [m[:3], len(m), repr(m)]
m.resize(10); r.append((len(m), m.size(), os.path.getsize('/h/o1')))
m.close(); f.close()
r == [b'bcd', 103, '<mmap.mmap closed=False, access=ACCESS_DEFAULT, length=103, pos=0, offset=%d>' % G,
      (10, G + 10, G + 10)] or repr(r)`,
  },
  {
    name: 'maps dropped without close are released (GC); a memoryview outlives its map',
    code: `
import gc
mk('g1', b'z' * 100000)
f = open('/h/g1', 'r+b')
for i in range(300):
    m = mmap.mmap(f.fileno(), 0); m[i] = 65
mv = memoryview(mmap.mmap(f.fileno(), 0))
del m; gc.collect()
r = (mv[0], mv[299], len(mv))
mv.release(); gc.collect(); f.close()
r == (65, 65, 100000) or repr(r)`,
  },
  {
    name: 'wasm memory growth keeps maps intact',
    code: `
import _host
mk('w1', b'w' * 4096)
f = open('/h/w1', 'r+b'); m = mmap.mmap(f.fileno(), 0)
big = [bytearray(64 << 20) for i in range(6)]     # grows the wasm memory by ~384 MiB
m[0] = 66
_host.write('w1', 1, 'C')
r = (m[0:2], _host.otherProcessRead('w1', 2))
del big; m.close(); f.close()
r == (b'BC', 'BC') or repr(r)`,
  },
  {
    name: '256 MiB file: find and re.search over the map',
    code: `
with open('/h/big', 'wb') as g:
    g.seek(256 << 20); g.write(b'needle!')
import re
f = open('/h/big', 'r+b'); m = mmap.mmap(f.fileno(), 0)
r = (re.search(rb'needle', m).start(), m.find(b'needle'))
m.close(); f.close(); os.unlink('/h/big')
r == (256 << 20, 256 << 20) or repr(r)`,
  },
];

// installMmap(py, { strict: true }): files without a host fd are refused as Linux refuses a
// file system without mmap (ENODEV), after CPython's own argument and size checks.
const STRICT = [
  {
    name: 'strict: a MEMFS file is OSError(ENODEV)',
    code: `
with open('/tmp/s', 'wb') as f: f.write(b'abc')
f = open('/tmp/s', 'r+b')
try: mmap.mmap(f.fileno(), 0); r = 'mapped'
except OSError as e: r = (type(e), e.errno, str(e))
f.close()
r == (OSError, errno.ENODEV, '[Errno %d] %s' % (errno.ENODEV, os.strerror(errno.ENODEV))) or repr(r)`,
  },
  {
    name: "strict: CPython's size checks come first",
    code: `
r = []
f = open('/tmp/s', 'r+b')
try: mmap.mmap(f.fileno(), 10)
except ValueError as e: r.append(str(e))
try: mmap.mmap(f.fileno(), -1)
except OverflowError as e: r.append(str(e))
f.close()
open('/tmp/empty', 'wb').close()
g = open('/tmp/empty', 'rb')
try: mmap.mmap(g.fileno(), 0, access=mmap.ACCESS_READ)
except ValueError as e: r.append(str(e))
g.close()
r == ['mmap length is greater than file size', 'memory mapped length must be positive',
      'cannot mmap an empty file'] or repr(r)`,
  },
  {
    name: 'strict: a device (/dev/null) is OSError(ENODEV)',
    code: `
fd = os.open('/dev/null', os.O_RDWR)
try: mmap.mmap(fd, 10); r = 'mapped'
except OSError as e: r = (type(e), e.errno)
os.close(fd)
r == (OSError, errno.ENODEV) or repr(r)`,
  },
  {
    name: 'strict: a bad fd is OSError(EBADF), length 0 anonymous is OSError(EINVAL)',
    code: `
r = []
try: mmap.mmap(1234, 10)
except OSError as e: r.append((type(e), e.errno, str(e)))
try: mmap.mmap(-1, 0)
except OSError as e: r.append((type(e), e.errno))
r == [(OSError, errno.EBADF, '[Errno %d] %s' % (errno.EBADF, os.strerror(errno.EBADF))),
      (OSError, errno.EINVAL)] or repr(r)`,
  },
  {
    name: 'strict: host files and anonymous maps still map',
    code: `
mk('s1', b'hello')
f = open('/h/s1', 'r+b'); m = mmap.mmap(f.fileno(), 0); a = mmap.mmap(-1, 10)
r = (m[:], len(a), m._pm_kind, a._pm_kind)
m.close(); a.close(); f.close()
r == (b'hello', 10) + {'bridge': ('carrier',) * 2, 'copy': ('host',) * 2}[MODE] or repr(r)`,
  },
];

module.exports = { PRELUDE, SEMANTICS, STRICT };
