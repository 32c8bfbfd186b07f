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
 * `zeroCopyOnly`: run in zero-copy mode only.
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
    name: "a memoryview held: the host's write inside it survives; a second export sees its writes and it sees the second's",
    code: `
import _host, struct
mk('cb', b'.' * 200000)
f = open('/h/cb', 'r+b'); m = mmap.mmap(f.fileno(), 0)
mv = memoryview(m)
_host.write('cb', 101, 'H')                 # another writer, between Python's bytes
mv[100] = 65; mv[102] = 66
a = struct.unpack_from('3s', m, 100)[0]     # a second export while the first is held
struct.pack_into('2s', m, 150000, b'PK')
b = bytes(mv[150000:150002])
mv.release()
r = (a, b, m[100:103], m[150000:150002], _host.otherProcessRead('cb', 103)[100:])
m.close(); f.close()
r == (b'AHB', b'PK', b'AHB', b'PK', 'AHB') or repr(r)`,
  },
  {
    name: 'a memoryview held over 2 MiB: 400 random runs written through it and host writes between them (in one-byte gaps too) all reach the file',
    code: `
import _host, random
N = (2 << 20) + 333
mk('cr', bytes(range(256)) * (N // 256) + bytes(N % 256))
exp = bytearray(open('/h/cr', 'rb').read())
rnd = random.Random(11)
mine = set()
gaps = []
f = open('/h/cr', 'r+b'); m = mmap.mmap(f.fileno(), 0)
mv = memoryview(m)
for k in range(400):        # Python's runs: 1 to 3000 bytes, often at 64 B / 1 KiB / 32 KiB edges
    o = rnd.choice((rnd.randrange(N - 3000), rnd.randrange(N >> 6) << 6, rnd.randrange(N >> 10) << 10,
                    rnd.randrange(N >> 15) << 15)) - rnd.choice((0, 0, 1, 2))
    o = max(o, 0)
    n = rnd.choice((1, 1, 2, 5, 64, 3000))
    d = bytes((exp[i] + 1 + k % 250) & 0xFF for i in range(o, o + n))
    mv[o:o + n] = d; exp[o:o + n] = d; mine.update(range(o, o + n))
    if k % 4 == 0 and o + n + 2 < N:     # and one byte after a one-byte gap, for the host
        g = o + n
        mv[g + 1] = (exp[g + 1] + 3) & 0xFF; exp[g + 1] = (exp[g + 1] + 3) & 0xFF; mine.add(g + 1)
        gaps.append(g)
for k in range(800):        # the host's bytes, none of them Python's: in the gaps, and at random
    o = gaps[k] if k < len(gaps) else rnd.randrange(N)
    if o in mine: continue
    v = (exp[o] + 77) & 0xFF
    _host.write('cr', o, chr(v)); exp[o] = v
mv.release()
data = open('/h/cr', 'rb').read()
bad = [i for i in range(N) if data[i] != exp[i]][:5] if data != exp else []
m.close(); f.close()
not bad or repr(bad)`,
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
    if e == 'mmap.__new__' and a[1] in (12345, 7): raise Stop('no %d' % a[1])
sys.addaudithook(hook)
mk('ah', b'1234567')
f = open('/h/ah', 'r+b')
r = []
for args in ((-1, 12345), (f.fileno(), 7), (f.fileno(), 7, mmap.MAP_SHARED), (-1, 12345)):
    try: mmap.mmap(*args); r.append('not raised')
    except Stop as e: r.append((str(e), e.__context__))
m = mmap.mmap(f.fileno(), 6); r.append(m[:]); m.close(); f.close()
r == [('no 12345', None), ('no 7', None), ('no 7', None), ('no 12345', None), b'123456'] or repr(r)`,
  },
  {
    name: "an argument's __index__ runs where CPython's own mmap (the built-in C module of this Python) runs it, once, or not at all: after the argument count, keyword and closed checks that come first; an exception it raises is the one raised",
    bridgeOnly: true,
    code: `
import importlib.machinery, importlib.util
spec = importlib.machinery.BuiltinImporter.find_spec('mmap')
B = importlib.util.module_from_spec(spec); spec.loader.exec_module(B)
log = []
class I:
    def __init__(self, v): self.v = v
    def __index__(self): log.append(self.v); return self.v
class Bad(Exception): pass
class Raises:
    def __index__(self): log.append('raises'); raise Bad('boom')
def run(M, path):
    out = []
    def t(fn):
        del log[:]
        try: r = fn(); e = None
        except Exception as ex: r = None; e = '%s: %s' % (type(ex).__name__, ex)
        out.append((r, e, list(log)))
    f = open(path, 'r+b')
    m = M.mmap(f.fileno(), 0)
    for fn in (lambda: m.read(I(1), I(2)), lambda: m.read(n=I(1)), lambda: m.flush(I(0), I(10), I(3)),
               lambda: m.madvise(I(0), I(0), I(10), I(4)), lambda: m.seek(I(0), I(0), I(5)),
               lambda: m.move(I(0), I(1)), lambda: m.find(b'x', start=I(0)), lambda: m.write_byte(I(65), I(66)),
               lambda: m.resize(I(10), I(11)), lambda: m[I(3)], lambda: m[I(1):I(3)],
               lambda: m.__setitem__(slice(I(0), I(2)), b'ab'), lambda: m.__setitem__(I(5), I(66)),
               lambda: m[0:8], lambda: m.read(Raises()), lambda: m.seek(Raises()), lambda: m[Raises():3],
               lambda: m.read(I(3)), lambda: m.find(b'x', I(1), I(50)), lambda: m.seek(I(2), I(0)),
               lambda: M.mmap(I(f.fileno()), I(0), access=I(M.ACCESS_READ))[50:54],
               lambda: M.mmap(fileno=I(f.fileno()), length=I(60))[50:]):
        t(fn)
    m.close()
    for fn in (lambda: m.read(I(1)), lambda: m.flush(I(0), I(10)), lambda: m.find(b'x', I(0), I(3)),
               lambda: m.seek(I(0)), lambda: m.madvise(I(0), I(0), I(10)), lambda: m.resize(I(10)),
               lambda: m[I(1):I(3)], lambda: m[I(1)], lambda: m.__setitem__(I(5), I(66)), lambda: m.write_byte(I(1))):
        t(fn)
    f.close()
    t(lambda: M.mmap(-1, Raises()))
    t(lambda: len(M.mmap(-1, I(50))))
    t(lambda: len(M.mmap(I(-1), I(20), I(M.MAP_PRIVATE))))
    t(lambda: M.mmap(-1, I(50), I(1), I(3), I(0), I(0), I(1), I(2)))
    return out
mk('ix', b'x' * 100)
with open('/tmp/ix', 'wb') as f: f.write(b'x' * 100)
want = run(B, '/tmp/ix')
got = run(mmap, '/h/ix')
bad = [(i, g, w) for i, (g, w) in enumerate(zip(got, want)) if g != w]
not bad or repr(bad)`,
  },
  {
    name: "a map closed by an argument's __index__: flush and resize go on as CPython's C code does on a Linux host (msync ENOMEM, mremap EFAULT, the file untouched) where that Python does not check again, else ValueError",
    bridgeOnly: true,
    code: `
class X:
    def __init__(self, m, v): self.m, self.v = m, v
    def __index__(self):
        self.m.close()
        return self.v
v = sys.version_info[:2]
CLOSED = ('ValueError', 'mmap closed or invalid')
NOMEM = ('OSError', errno.ENOMEM)
FAULT = ('OSError', errno.EFAULT)
cases = [
    ('flush(X, 10)', lambda m: m.flush(X(m, 0), 10), NOMEM if v <= (3, 13) else CLOSED),
    ('flush(0, X)', lambda m: m.flush(0, X(m, 10)), NOMEM if v <= (3, 14) else CLOSED),
    ('flush(0, X) past the end', lambda m: m.flush(0, X(m, 100)),
     ('ValueError', 'flush values out of range') if v <= (3, 14) else CLOSED),
    ('resize(X)', lambda m: m.resize(X(m, 32)), FAULT if v <= (3, 13) else CLOSED),
    ('madvise(X)', lambda m: m.madvise(X(m, mmap.MADV_NORMAL)), CLOSED),
]
bad = []
for label, fn, want in cases:
    mk('late', b'abcdefghijklmnop')
    f = open('/h/late', 'r+b')
    m = mmap.mmap(f.fileno(), 0)
    try:
        fn(m); got = 'no error'
    except OSError as e:
        got = ('OSError', e.errno)
    except ValueError as e:
        got = ('ValueError', str(e))
    f.close()
    data = open('/h/late', 'rb').read()
    if got != want or not m.closed or data != b'abcdefghijklmnop':
        bad.append((label, got, want, m.closed, data))
not bad or repr(bad)`,
  },
  {
    name: 'iterating a map closed meanwhile raises ValueError at each next(), with no bridge frame in the traceback (a file map, an anonymous one)',
    code: `
import traceback
mk('itc', b'q' * 10000)
f = open('/h/itc', 'r+b')
r = []
for m in (mmap.mmap(f.fileno(), 0), mmap.mmap(-1, 10000)):
    it = iter(m)
    first = next(it)
    m.close()
    for _ in range(2):
        try:
            next(it); r.append('no error')
        except ValueError as e:
            r.append((str(e), [fr.filename for fr in traceback.extract_tb(e.__traceback__) if fr.filename == '<pymmap>']))
f.close()
r == [('mmap closed or invalid', [])] * 4 or repr(r)`,
  },
  {
    name: "pickling with protocols 0 and 1 says CPython's \"cannot pickle 'mmap' object\" (a subclass: its own message), and __exit__ checks its arguments as that Python's C code does (3.14: exactly 3, before closing), on file, anonymous and closed maps",
    code: `
import pickle
mk('pk', b'-' * 100)
f = open('/h/pk', 'r+b')
class Sub(mmap.mmap): pass
r = []
for m in (mmap.mmap(f.fileno(), 0), mmap.mmap(-1, 10), Sub(-1, 10)):
    for p in (0, 1, 2):
        try: pickle.dumps(m, p); r.append('pickled')
        except TypeError as e: r.append(str(e))
    m.close()
for m in (mmap.mmap(f.fileno(), 0), mmap.mmap(-1, 10)):
    try: m.__exit__(); r.append(('no error', m.closed))
    except TypeError as e: r.append((str(e), m.closed))
    r.append((m.__exit__(None, None, None), m.closed, m.__exit__(None, None, None)))
f.close()
P2 = "cannot pickle 'mmap.mmap' object"
want = ["cannot pickle 'mmap' object"] * 2 + [P2] + ["cannot pickle 'mmap' object"] * 2 + [P2] + \
    ["'Sub' object cannot be interpreted as an integer"] * 2 + ["cannot pickle 'Sub' object"]
e0 = ('__exit__ expected 3 arguments, got 0', False) if sys.version_info >= (3, 14) else ('no error', True)
want += [e0, (None, True, None)] * 2
r == want or repr(r)`,
  },
  {
    name: "an attribute that is not there names the type 'mmap.mmap' (file and MEMFS maps too), a subclass by its name",
    code: `
mk('an', b'abc')
with open('/tmp/an-memfs', 'wb') as f: f.write(b'abc')
f1 = open('/h/an', 'r+b'); f2 = open('/tmp/an-memfs', 'r+b')
class Sub(mmap.mmap): pass
r = []
for m in (mmap.mmap(-1, 10), mmap.mmap(f1.fileno(), 0), mmap.mmap(f2.fileno(), 0), Sub(-1, 10)):
    try: m.foo; r.append('no error')
    except AttributeError as e: r.append(str(e))
    m.close()
f1.close(); f2.close()
r == ["'mmap.mmap' object has no attribute 'foo'"] * 3 + ["'Sub' object has no attribute 'foo'"] or repr(r)`,
  },
  {
    name: "a closed fd is CPython's OSError(EBADF), whatever the arguments (a whole-file map, a length, keywords)",
    code: `
import errno
mk('cf', b'x' * 100)
f = open('/h/cf', 'rb'); fd = f.fileno(); f.close()
r = []
for args, kw in (((fd, 0), {}), ((fd, 10), {}), ((fd, 0), {'access': mmap.ACCESS_READ}), ((fd, 0, mmap.MAP_PRIVATE), {})):
    try: mmap.mmap(*args, **kw); r.append('no error')
    except OSError as e: r.append((type(e).__name__, e.errno == errno.EBADF, e.strerror))
r == [('OSError', True, 'Bad file descriptor')] * 4 or repr(r)`,
  },
  {
    name: 'resize that grows the wasm memory keeps the map (anonymous private and file maps)',
    code: `
mk('gr', b'q' * 8192)
a = mmap.mmap(-1, 4096, flags=mmap.MAP_PRIVATE); a[5] = 7
a.resize(160 << 20)                 # the new pages need more wasm memory than there is
f = open('/h/gr', 'r+b'); m = mmap.mmap(f.fileno(), 0); m[1] = 0x41
m.resize(170 << 20); m[(170 << 20) - 1] = 0x42; m.flush()
r = (len(a), a[5], a[(160 << 20) - 1], len(m), m[1], m[0], os.path.getsize('/h/gr'), open('/h/gr', 'rb').read(2))
a.close(); m.close(); f.close()
r == (160 << 20, 7, 0, 170 << 20, 0x41, 0x71, 170 << 20, b'qA') or repr(r)`,
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
    name: "zero-copy: mmap.mmap is CPython's compiled type, host-reaching methods overridden only (and __reduce_ex__: copyreg would see a heap subclass); copying: a Python class",
    bridgeOnly: true,
    code: `
mk('k1', b'-' * 10)
f = open('/h/k1', 'r+b'); m = mmap.mmap(f.fileno(), 0); a = mmap.mmap(-1, 10)
T = type(m)
own = sorted(k for k in T.__dict__ if k not in ('__doc__', '__module__', '__qualname__', '__slots__'))
if MODE == 'bridge':
    base = T.__base__
    r = (T is type(a), T.__mro__ == (T, base, object), base.__name__, base.__module__,
         type(base.__dict__['__getitem__']).__name__, own,
         [type(x).__name__ for x in reversed(m)][:1], type(iter(m)).__name__)
    want = (True, True, 'mmap', 'mmap', 'wrapper_descriptor',
            ['__del__', '__exit__', '__new__', '__reduce_ex__', 'close', 'flush', 'madvise', 'resize', 'size'],
            ['bytes'], 'iterator')
else:
    r = (T is type(a), T.__mro__ == (T, object), '__getitem__' in own)
    want = (True, True, True)
m.close(); a.close(); f.close()
r == want or repr(r)`,
  },
  {
    name: "zero-copy: construction, close, __exit__, flush, size, madvise, resize and collection are C-level (no bridge frame in a traceback), as CPython's own; copying path: every method and dunder, MEMFS maps too",
    bridgeOnly: true,
    code: `
import traceback
mk('cl', b'0123456789' * 500)
f = open('/h/cl', 'r+b'); fd = f.fileno()
T = mmap.mmap
r = [type(T.__dict__['close']).__name__, type(T.__dict__['__exit__']).__name__]
def frames(fn):
    try: fn(); return 'not raised'
    except Exception as e:
        return (type(e).__name__, [fr.filename for fr in traceback.extract_tb(e.__traceback__)
                                   if fr.filename == '<pymmap>'])
r.append(frames(lambda: mmap.mmap(fd, 99999)))                    # ValueError (pymmap's checks)
r.append(frames(lambda: mmap.mmap(0x7ffffff0, 10)))                # OSError EBADF from the host
r.append(frames(lambda: mmap.mmap(fd, 10, offset=3)))              # keyword: EINVAL
m = mmap.mmap(fd, 0, access=mmap.ACCESS_WRITE); mv = memoryview(m)
r.append(frames(m.close))                                          # BufferError
r.append(frames(lambda: m.__exit__(None, None, None)))
mv.release()
with m: m[0:3] = b'abc'
r.append((m.closed, open('/h/cl', 'rb').read(3)))
r.append(frames(lambda: m.close(1)))                               # the C method's own check
w = [mmap.mmap(fd, 0) for _ in range(3)]
del w                                                              # collection releases them
r.append(frames(lambda: mmap.mmap(-1, 16, 5, 3, 1)))               # access with flags: ValueError
m = mmap.mmap(fd, 0)
r.append([frames(lambda: m.flush(1, 2)), frames(lambda: m.flush(0, 99999)), frames(lambda: m.resize(-1)),
          frames(lambda: m.madvise(mmap.MADV_NORMAL, 99999)), frames(lambda: m.size(1))])
r.append((m.size(), m.flush(), m.madvise(mmap.MADV_NORMAL)))
class I:
    def __index__(self): raise KeyError('user code')
r.append([frames(lambda: m[99999]), frames(lambda: m[1.5]), frames(lambda: m.__setitem__(0, 999)),
          frames(lambda: m.seek(-1)), frames(lambda: m.find(1.5)), frames(lambda: m.write(3)),
          frames(lambda: m.seek(I())), frames(lambda: len(mmap.mmap(-1, 0))),
          frames(lambda: m.__buffer__()), frames(lambda: setattr(m, 'x', 1))])
m.close()
r.append([frames(lambda: len(m)), frames(lambda: m.tell()), frames(lambda: m[0:2]), frames(lambda: list(m))])
with open('/tmp/clm', 'wb') as g: g.write(b'abc')
g = open('/tmp/clm', 'r+b'); e = mmap.mmap(g.fileno(), 0)                 # MEMFS: the built-in's
r.append([frames(lambda: e[99]), frames(lambda: e.seek(-1)), frames(lambda: e.resize(-1))])
e.close(); g.close(); f.close()
want = ['method_descriptor'] * 2 + [
        ('ValueError', []), ('OSError', []), ('OSError', []), ('BufferError', []), ('BufferError', []),
        (True, b'abc'), ('TypeError', []), ('ValueError', []),
        [('OSError', []), ('ValueError', []), ('ValueError', []), ('ValueError', []), ('TypeError', [])],
        (5000, None, None),
        [('IndexError', []), ('TypeError', []), ('ValueError', []), ('ValueError', []), ('TypeError', []),
         ('TypeError', []), ('KeyError', []), ('OSError', []), ('TypeError', []), ('AttributeError', [])],
        [('ValueError', [])] * 4,
        [('IndexError', []), ('ValueError', []), ('ValueError', [])]]
r == want or repr(r)`,
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
    name: 'zero-copy, file truncated under the map: the process lives, the next host-reaching call raises OSError(EFAULT), the regrown file is seen, wasm traps still work',
    zeroCopyOnly: true,
    code: `
import _host
mk('tz', b'abcd' * 4096)
f = open('/h/tz', 'r+b'); m = mmap.mmap(f.fileno(), 0)
r = [_host.wasmTrap(), m[0]]
_host.truncate('tz', 4096)
r.append(m[9000])                   # a lost page: CPython's C code reads it (a zero page)
try: r.append(m.flush())            # reports the fault (and puts the file's page back)
except OSError as e: r.append(e.errno == errno.EFAULT)
m[9000] = 65                        # the file is still short: faults again, the store is lost...
try: r.append(m.size())             # ...and reported, never silently swallowed
except OSError as e: r.append(e.errno == errno.EFAULT)
_host.write('tz', 0, 'wxyz' * 4096)
r.append((m[9000], m[:4], m.size(), m.flush()))
r.append(_host.wasmTrap())
m.close(); f.close()
r == ['RuntimeError', 97, 0, True, True, (119, b'wxyz', 16384, None), 'RuntimeError'] or repr(r)`,
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
s[0:2] = b'hi'
try: s.resize(8192); r.append((len(s), s[:2]))   # (CPython 3.12/3.13 on Linux: the new pages
except ValueError as e: r.append(str(e))           # are past the shared memory's end: SIGBUS)
s.resize(100); r.append((len(s), s[:2]))
p.close(); s.close()
grow = "mmap: can't expand a shared anonymous mapping on Linux" if sys.version_info >= (3, 13, 8) else (8192, b'hi')
r == [b'abc', 100000, 0, grow, (100, b'hi')] or repr(r)`,
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
r = (m[:], len(a), type(m).__base__.__name__, type(a) is type(m))
m.close(); a.close(); f.close()
r == (b'hello', 10, {'bridge': 'mmap', 'copy': 'object'}[MODE], True) or repr(r)`,
  },
];

module.exports = { PRELUDE, SEMANTICS, STRICT };
