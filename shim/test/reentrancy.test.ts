// Re-entrancy: an argument's __index__ (here an object with an __index__ method) that closes or
// resizes the map in the middle of a call (issue 10, class 6).
//
// CPython (Modules/mmapmodule.c) converts every argument first and only then reads the size:
// slices are PySlice_Unpack'ed, then PySlice_AdjustIndices'ed with the size as it is after all
// conversions, then CHECK_VALID; m[i] = v checks i before converting v and does not check it
// again; find/rfind take the needle's buffer ("y*") before converting start and end, so a map
// passed as the needle stays exported meanwhile (closing or resizing it raises BufferError).
//
// Expected values: measured by running the `py` column of CASES (on a fresh 16-byte map of
// DATA: a file-backed one, and an anonymous MAP_PRIVATE one) in CPython 3.7.16, 3.8.18, 3.9.18,
// 3.10.13, 3.11.7, 3.12.1 and 3.13.0; every interpreter gave the same result, except:
//  - `uaf` cases: the call closes the map and then uses it. 3.11.7+ re-check validity after the
//    conversions (test_mmap_closed_by_int_scenarios) and raise ValueError; 3.7-3.10 do not:
//    they crash (SIGSEGV) or return bytes read from the unmapped address (an empty slice gives
//    b''). pymmap raises the 3.11+ ValueError in every version (a crash cannot be the spec).
//  - `m[i] = X(v, shrink)` with i past the new end: CPython stores the byte past the end of the
//    mapping (no error; the file does not get it, and past the last page it is SIGSEGV in
//    every version). pymmap drops the store, with no error. An anonymous map re-grown afterwards
//    shows the stray byte in CPython (the page kept it), not in pymmap: not tested.
// 3.14 and 3.15 run the same code paths (CPython's sources: mmap_subscript /
// mmap_ass_subscript unchanged, find converts start/end in the body after the needle's
// Py_buffer), so the same expectations apply.
import * as fs from 'fs';
import { execFileSync } from 'child_process';
import { slice } from '../builtins';
import { exportsOf, mappingOf } from '../mmap';
import { versions, moduleFor } from '../versions';
import { findPythons, raises, Scratch } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { testIf } = require('../../conformance/lib/skips');

const DATA = 'abcdefghijklmnop'; // 16 bytes
const M2DATA = 'cdefghij'; // the second map (m2): anonymous, 8 bytes
const z = (n: number) => '\0'.repeat(n);
const b = (s: string) => Buffer.from(s, 'latin1');
const sl = (start: unknown, stop: unknown = null, step: unknown = null) => new slice(start, stop, step);

/** What a call's arguments see: the maps and the actions an __index__ can take. */
interface Ctx {
  m: any;
  m2: any;
  /** An object whose __index__ runs act() and then returns val. */
  X(val: number, act: () => void): object;
  shrink(): void; // m.resize(8)
  grow(): void; // m.resize(32)
  close(): void; // m.close()
  close2(): void; // m2.close()
  shrink2(): void; // m2.resize(4)
}

interface Case {
  /** The Python statement (namespace: m, m2, X, shrink, grow, close, close2, shrink2). */
  py: string;
  js: (c: Ctx) => unknown;
  /** The value returned: bytes as a latin1 string, an int, or null (None). */
  ret?: string | number | null;
  /** The exception raised: [type, message]. */
  exc?: [string, string];
  /** m's content afterwards (and the file's, for a file-backed map); null: m is closed (the
   *  file then still holds DATA). */
  after: string | null;
  /** CPython 3.7-3.10 use the closed map here (crash or garbage): they are not compared. */
  uaf?: true;
  /** Only for this kind of map. */
  only?: 'file' | 'anon';
}

const CLOSED: [string, string] = ['ValueError', 'mmap closed or invalid'];
const INDEX: [string, string] = ['IndexError', 'mmap index out of range'];
const WRONG_SIZE: [string, string] = ['IndexError', 'mmap slice assignment is wrong size'];
const EXPORTED_CLOSE: [string, string] = ['BufferError', 'cannot close exported pointers exist'];
const EXPORTED_RESIZE: [string, string] = ['BufferError', "mmap can't resize with extant buffers exported."];

const CASES: Case[] = [
  // ---- m[slice]: adjusted to the size after all conversions (step, then start, then stop)
  { py: 'm[X(2, shrink):]', js: (c) => c.m.__getitem__(sl(c.X(2, c.shrink))), ret: 'cdefgh', after: 'abcdefgh' },
  { py: 'm[X(2, grow):]', js: (c) => c.m.__getitem__(sl(c.X(2, c.grow))), ret: 'cdefghijklmnop' + z(16), after: DATA + z(16) },
  { py: 'm[:X(12, shrink)]', js: (c) => c.m.__getitem__(sl(null, c.X(12, c.shrink))), ret: 'abcdefgh', after: 'abcdefgh' },
  { py: 'm[:X(20, grow)]', js: (c) => c.m.__getitem__(sl(null, c.X(20, c.grow))), ret: DATA + z(4), after: DATA + z(16) },
  { py: 'm[::X(2, shrink)]', js: (c) => c.m.__getitem__(sl(null, null, c.X(2, c.shrink))), ret: 'aceg', after: 'abcdefgh' },
  { py: 'm[::X(3, grow)]', js: (c) => c.m.__getitem__(sl(null, null, c.X(3, c.grow))), ret: 'adgjmp' + z(5), after: DATA + z(16) },
  { py: 'm[X(-3, shrink):]', js: (c) => c.m.__getitem__(sl(c.X(-3, c.shrink))), ret: 'fgh', after: 'abcdefgh' },
  { py: 'm[X(12, shrink)::-1]', js: (c) => c.m.__getitem__(sl(c.X(12, c.shrink), null, -1)), ret: 'hgfedcba', after: 'abcdefgh' },
  { py: 'm[::X(-1, shrink)]', js: (c) => c.m.__getitem__(sl(null, null, c.X(-1, c.shrink))), ret: 'hgfedcba', after: 'abcdefgh' },
  { py: 'm[X(10, shrink):]', js: (c) => c.m.__getitem__(sl(c.X(10, c.shrink))), ret: '', after: 'abcdefgh' },
  { py: 'm[X(5, shrink):2]', js: (c) => c.m.__getitem__(sl(c.X(5, c.shrink), 2)), ret: '', after: 'abcdefgh' },
  { py: 'm[X(2, close):]', js: (c) => c.m.__getitem__(sl(c.X(2, c.close))), exc: CLOSED, after: null, uaf: true },
  { py: 'm[:X(2, close)]', js: (c) => c.m.__getitem__(sl(null, c.X(2, c.close))), exc: CLOSED, after: null, uaf: true },
  { py: 'm[::X(1, close)]', js: (c) => c.m.__getitem__(sl(null, null, c.X(1, c.close))), exc: CLOSED, after: null, uaf: true },
  { py: 'm[X(5, close):2]', js: (c) => c.m.__getitem__(sl(c.X(5, c.close), 2)), exc: CLOSED, after: null, uaf: true },
  // ---- m[i]: i is adjusted and range-checked with the size after its __index__, then CHECK_VALID
  { py: 'm[X(10, shrink)]', js: (c) => c.m.__getitem__(c.X(10, c.shrink)), exc: INDEX, after: 'abcdefgh' },
  { py: 'm[X(5, shrink)]', js: (c) => c.m.__getitem__(c.X(5, c.shrink)), ret: 102, after: 'abcdefgh' },
  { py: 'm[X(-1, shrink)]', js: (c) => c.m.__getitem__(c.X(-1, c.shrink)), ret: 104, after: 'abcdefgh' },
  { py: 'm[X(20, grow)]', js: (c) => c.m.__getitem__(c.X(20, c.grow)), ret: 0, after: DATA + z(16) },
  { py: 'm[X(5, close)]', js: (c) => c.m.__getitem__(c.X(5, c.close)), exc: CLOSED, after: null, uaf: true },
  // the range check (against the size the closed map still records) comes first
  { py: 'm[X(20, close)]', js: (c) => c.m.__getitem__(c.X(20, c.close)), exc: INDEX, after: null },
  // ---- m[i] = v
  { py: 'm[X(10, shrink)] = 65', js: (c) => c.m.__setitem__(c.X(10, c.shrink), 65), exc: INDEX, after: 'abcdefgh' },
  { py: 'm[X(5, close)] = 65', js: (c) => c.m.__setitem__(c.X(5, c.close), 65), exc: CLOSED, after: null, uaf: true },
  { py: 'm[X(20, close)] = 65', js: (c) => c.m.__setitem__(c.X(20, c.close), 65), exc: INDEX, after: null },
  { py: 'm[5] = X(65, shrink)', js: (c) => c.m.__setitem__(5, c.X(65, c.shrink)), ret: null, after: 'abcdeAgh' },
  // i was checked before the value's __index__ shrank the map: no error, nothing stored
  { py: 'm[10] = X(65, shrink)', js: (c) => c.m.__setitem__(10, c.X(65, c.shrink)), ret: null, after: 'abcdefgh' },
  { py: 'm[-6] = X(65, shrink)', js: (c) => c.m.__setitem__(-6, c.X(65, c.shrink)), ret: null, after: 'abcdefgh' },
  {
    py: 'm[10] = X(65, shrink); m.resize(16)',
    js: (c) => { c.m.__setitem__(10, c.X(65, c.shrink)); c.m.resize(16); },
    ret: null, after: 'abcdefgh' + z(8), only: 'file',
  },
  { py: 'm[5] = X(65, close)', js: (c) => c.m.__setitem__(5, c.X(65, c.close)), exc: CLOSED, after: null, uaf: true },
  { py: 'm[5] = X(300, close)', js: (c) => c.m.__setitem__(5, c.X(300, c.close)),
    exc: ['ValueError', 'mmap item value must be in range(0, 256)'], after: null },
  { py: 'm[10] = X(65, grow)', js: (c) => c.m.__setitem__(10, c.X(65, c.grow)), ret: null, after: 'abcdefghijAlmnop' + z(16) },
  { py: 'del m[X(5, close)]', js: (c) => c.m.__delitem__(c.X(5, c.close)),
    exc: ['TypeError', "mmap doesn't support item deletion"], after: null },
  { py: 'del m[X(20, close)]', js: (c) => c.m.__delitem__(c.X(20, c.close)), exc: INDEX, after: null },
  { py: 'del m[X(10, shrink)]', js: (c) => c.m.__delitem__(c.X(10, c.shrink)), exc: INDEX, after: 'abcdefgh' },
  // ---- m[slice] = v: adjusted to the size after the conversions, then the value's buffer
  { py: "m[X(2, shrink):] = b'XXXXXX'", js: (c) => c.m.__setitem__(sl(c.X(2, c.shrink)), b('XXXXXX')), ret: null, after: 'abXXXXXX' },
  { py: "m[X(2, shrink):] = b'X' * 14", js: (c) => c.m.__setitem__(sl(c.X(2, c.shrink)), b('X'.repeat(14))),
    exc: WRONG_SIZE, after: 'abcdefgh' },
  { py: "m[:X(20, grow)] = b'Y' * 20", js: (c) => c.m.__setitem__(sl(null, c.X(20, c.grow)), b('Y'.repeat(20))),
    ret: null, after: 'Y'.repeat(20) + z(12) },
  { py: "m[::X(2, shrink)] = b'ZZZZ'", js: (c) => c.m.__setitem__(sl(null, null, c.X(2, c.shrink)), b('ZZZZ')),
    ret: null, after: 'ZbZdZfZh' },
  { py: "m[X(2, close):4] = b'XX'", js: (c) => c.m.__setitem__(sl(c.X(2, c.close), 4), b('XX')),
    exc: CLOSED, after: null, uaf: true },
  { py: "m[X(2, close):4] = b'XXX'", js: (c) => c.m.__setitem__(sl(c.X(2, c.close), 4), b('XXX')), exc: WRONG_SIZE, after: null },
  { py: "m[X(2, close):4] = 'str'", js: (c) => c.m.__setitem__(sl(c.X(2, c.close), 4), 'str'),
    exc: ['TypeError', "a bytes-like object is required, not 'str'"], after: null },
  // the key converts before the value is exported: closing the value map is allowed
  { py: 'm[X(0, close2):4] = m2', js: (c) => c.m.__setitem__(sl(c.X(0, c.close2), 4), c.m2), exc: CLOSED, after: DATA },
  { py: 'm[X(0, shrink):] = m', js: (c) => c.m.__setitem__(sl(c.X(0, c.shrink)), c.m), ret: null, after: 'abcdefgh' },
  { py: 'del m[X(2, close):]', js: (c) => c.m.__delitem__(sl(c.X(2, c.close))),
    exc: ['TypeError', "mmap object doesn't support slice deletion"], after: null },
  { py: 'del m[X(2, shrink):]', js: (c) => c.m.__delitem__(sl(c.X(2, c.shrink))),
    exc: ['TypeError', "mmap object doesn't support slice deletion"], after: 'abcdefgh' },
  // ---- find / rfind: start and end are clamped to the size after both conversions; their
  // defaults (position, size) are read before them
  { py: "m.find(b'p', X(0, shrink))", js: (c) => c.m.find(b('p'), c.X(0, c.shrink)), ret: -1, after: 'abcdefgh' },
  { py: "m.find(b'h', X(0, shrink))", js: (c) => c.m.find(b('h'), c.X(0, c.shrink)), ret: 7, after: 'abcdefgh' },
  { py: "m.find(b'\\0', X(0, grow))", js: (c) => c.m.find(b('\0'), c.X(0, c.grow)), ret: -1, after: DATA + z(16) },
  { py: "m.find(b'\\0', 0, X(30, grow))", js: (c) => c.m.find(b('\0'), 0, c.X(30, c.grow)), ret: 16, after: DATA + z(16) },
  { py: "m.find(b'g', X(-3, shrink))", js: (c) => c.m.find(b('g'), c.X(-3, c.shrink)), ret: 6, after: 'abcdefgh' },
  { py: "m.find(b'a', X(0, close))", js: (c) => c.m.find(b('a'), c.X(0, c.close)), exc: CLOSED, after: null, uaf: true },
  { py: "m.find(b'a', 0, X(5, close))", js: (c) => c.m.find(b('a'), 0, c.X(5, c.close)), exc: CLOSED, after: null, uaf: true },
  { py: "m.rfind(b'h', X(0, shrink))", js: (c) => c.m.rfind(b('h'), c.X(0, c.shrink)), ret: 7, after: 'abcdefgh' },
  { py: "m.rfind(b'p', 0, X(16, shrink))", js: (c) => c.m.rfind(b('p'), 0, c.X(16, c.shrink)), ret: -1, after: 'abcdefgh' },
  { py: "m.rfind(b'a', X(0, close))", js: (c) => c.m.rfind(b('a'), c.X(0, c.close)), exc: CLOSED, after: null, uaf: true },
  // a map as the needle is exported while start/end convert
  { py: 'm.find(m2, X(0, close2))', js: (c) => c.m.find(c.m2, c.X(0, c.close2)), exc: EXPORTED_CLOSE, after: DATA },
  { py: 'm.find(m2, X(0, shrink2))', js: (c) => c.m.find(c.m2, c.X(0, c.shrink2)), exc: EXPORTED_RESIZE, after: DATA },
  { py: 'm.rfind(m2, 0, X(16, close2))', js: (c) => c.m.rfind(c.m2, 0, c.X(16, c.close2)), exc: EXPORTED_CLOSE, after: DATA },
  { py: 'm.find(m, X(0, close))', js: (c) => c.m.find(c.m, c.X(0, c.close)), exc: EXPORTED_CLOSE, after: DATA },
  { py: 'm.find(m, X(0, shrink))', js: (c) => c.m.find(c.m, c.X(0, c.shrink)), exc: EXPORTED_RESIZE, after: DATA },
  { py: 'm2.close(); m.find(m2)', js: (c) => { c.m2.close(); return c.m.find(c.m2); }, exc: CLOSED, after: DATA },
  // ---- write: a map as the data
  { py: 'm.write(m)', js: (c) => c.m.write(c.m), ret: 16, after: DATA },
  { py: 'm.write(m2)', js: (c) => c.m.write(c.m2), ret: 8, after: 'cdefghijijklmnop' },
  { py: 'm2.close(); m.write(m2)', js: (c) => { c.m2.close(); return c.m.write(c.m2); }, exc: CLOSED, after: DATA },
];

const KINDS = ['file', 'anon'] as const;
type Kind = (typeof KINDS)[number];

let s: Scratch;
beforeAll(() => { s = new Scratch('reentrancy'); });
afterAll(() => s.cleanup());

let serial = 0;
/** Runs one case on a fresh map of `kind` in module V: what came back, and the state after. */
function runShim(V: any, kind: Kind, c: Case) {
  let m: any;
  let file: string | null = null;
  if (kind === 'file') {
    file = s.file(`f${++serial}`, DATA);
    const fd = s.open(file);
    m = new V.mmap(fd, 16);
    s.close(fd);
  } else {
    m = new V.mmap(-1, 16, { flags: V.MAP_PRIVATE });
    m.write(b(DATA));
    m.seek(0);
  }
  const m2 = new V.mmap(-1, 8, { flags: V.MAP_PRIVATE });
  m2.write(b(M2DATA));
  const ctx: Ctx = {
    m, m2,
    X: (val, act) => ({ __index__() { act(); return val; } }),
    shrink: () => m.resize(8),
    grow: () => m.resize(32),
    close: () => m.close(),
    close2: () => m2.close(),
    shrink2: () => m2.resize(4),
  };
  let ret: unknown;
  let err: any = null;
  try {
    ret = c.js(ctx);
  } catch (e) {
    err = e;
  }
  const after = m.closed ? null : (m.__getitem__(sl(null)) as Buffer).toString('latin1');
  const fileAfter = file === null ? null : fs.readFileSync(file).toString('latin1');
  // no export outlives the call: both maps can still be closed
  const exports = [exportsOf(m), exportsOf(m2)];
  m.close();
  m2.close();
  return { ret, err, after, fileAfter, exports };
}

function norm(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  if (typeof v === 'number') return v;
  throw new Error(`unexpected result ${String(v)}`);
}

describe.each([...versions])('Python %s', (version) => {
  const V = moduleFor(version);
  for (const kind of KINDS) {
    const cases = CASES.filter((c) => !c.only || c.only === kind);
    test.each(cases.map((c) => [c.py, c] as const))(`${kind} map: %s`, (_py, c) => {
      const r = runShim(V, kind, c);
      if (c.exc) {
        raises(() => { if (r.err) throw r.err; }, c.exc[0], c.exc[1]);
      } else {
        if (r.err) throw r.err; // never a SystemError('pymmap native error: ...')
        expect(norm(r.ret)).toEqual(c.ret);
      }
      expect(r.after).toEqual(c.after);
      if (kind === 'file') expect(r.fileAfter).toEqual(c.after ?? DATA);
      expect(r.exports).toEqual([0, 0]);
    });
  }
});

// Without a zero-copy view (where none can be made) every access goes through the native
// calls, which refuse out-of-range offsets: the same cases must not reach them.
describe('without a view', () => {
  const V = moduleFor('3.13');
  const noView = CASES.filter((c) => !c.exc && c.after !== null && c.only !== 'file');
  test.each(noView.map((c) => [c.py, c] as const))('%s', (_py, c) => {
    const m = new V.mmap(-1, 16, { flags: V.MAP_PRIVATE });
    mappingOf(m).disableView();
    m.write(b(DATA));
    m.seek(0);
    const m2 = new V.mmap(-1, 8, { flags: V.MAP_PRIVATE });
    mappingOf(m2).disableView();
    m2.write(b(M2DATA));
    const X = (val: number, act: () => void) => ({ __index__() { act(); return val; } });
    const ret = c.js({
      m, m2, X,
      shrink: () => m.resize(8), grow: () => m.resize(32), close: () => m.close(),
      close2: () => m2.close(), shrink2: () => m2.resize(4),
    });
    expect(norm(ret)).toEqual(c.ret);
    expect((m.__getitem__(sl(null)) as Buffer).toString('latin1')).toEqual(c.after);
    m.close();
    m2.close();
  });
});

describe('stores past the end', () => {
  test('m[i] = X(v, shrink) with i on a page the shrink unmapped: no error, nothing stored', () => {
    // CPython (every version) dies of SIGSEGV here: it stores to the unmapped page.
    const V = moduleFor('3.13');
    const f = s.file('pages', 'x'.repeat(8192));
    const fd = s.open(f);
    const m = new V.mmap(fd, 8192);
    s.close(fd);
    m.__setitem__(5000, { __index__() { m.resize(10); return 65; } });
    expect(m.__len__()).toBe(10);
    expect(fs.readFileSync(f, 'latin1')).toBe('x'.repeat(10));
    m.close();
  });
});

// The same cases in the real interpreters (when installed): CPython must still give the
// recorded results (the table above stands on its own), and the shim must agree with it.
describe('against CPython', () => {
  const SCRIPT = String.raw`
import json, mmap, os, sys, tempfile
cases, DATA, M2DATA = json.loads(sys.stdin.read()), b'abcdefghijklmnop', b'cdefghij'
class X:
    def __init__(self, val, act): self.val, self.act = val, act
    def __index__(self):
        self.act()
        return self.val
def enc(v):
    if v is None: return None
    if isinstance(v, bytes): return v.decode('latin1')
    if isinstance(v, int): return v
    return repr(v)
out = []
for kind, code in cases:
    path = None
    if kind == 'file':
        fd, path = tempfile.mkstemp()
        os.write(fd, DATA)
        m = mmap.mmap(fd, 16)
        os.close(fd)
    else:
        m = mmap.mmap(-1, 16, flags=mmap.MAP_PRIVATE)
        m.write(DATA)
        m.seek(0)
    m2 = mmap.mmap(-1, 8, flags=mmap.MAP_PRIVATE)
    m2.write(M2DATA)
    ns = dict(m=m, m2=m2, X=X, shrink=lambda: m.resize(8), grow=lambda: m.resize(32),
              close=m.close, close2=m2.close, shrink2=lambda: m2.resize(4))
    r = {}
    try:
        try:
            expr = compile(code, '<case>', 'eval')
        except SyntaxError:
            exec(code, ns)
            r['ret'] = None
        else:
            r['ret'] = enc(eval(expr, ns))
    except Exception as e:
        r['exc'] = [type(e).__name__, str(e)]
    r['after'] = None if m.closed else m[:].decode('latin1')
    if path:
        with open(path, 'rb') as f:
            r['file'] = f.read().decode('latin1')
        os.unlink(path)
    out.append(r)
print(json.dumps(out))
`;
  const pythons = findPythons();
  for (const [v, exe] of pythons) {
    // a missing interpreter is a skip with its reason (a failure with CI=true)
    testIf(exe ? null : `no CPython ${v} found ($(pyenv root)/versions/${v}.*/bin/python3)`, `Python ${v}${exe ? ` (${exe})` : ''}`, () => {
      // 3.7-3.10 crash on the uaf cases: those are left out there.
      const old = Number(v.split('.')[1]) < 11;
      const todo: Array<[Kind, Case]> = [];
      for (const kind of KINDS) {
        for (const c of CASES) if ((!c.only || c.only === kind) && !(old && c.uaf)) todo.push([kind, c]);
      }
      const got = JSON.parse(execFileSync(exe!, ['-c', SCRIPT], {
        encoding: 'utf8', timeout: 60000, input: JSON.stringify(todo.map(([k, c]) => [k, c.py])),
      }));
      const V = moduleFor(v);
      todo.forEach(([kind, c], i) => {
        const py = got[i];
        const want = c.exc ? { exc: c.exc, after: c.after } : { ret: c.ret, after: c.after };
        const label = `${kind} map: ${c.py}`;
        expect({ label, exc: py.exc, ret: py.ret, after: py.after }).toEqual({ label, ...want });
        if (kind === 'file') expect({ label, file: py.file }).toEqual({ label, file: c.after ?? DATA });
        const r = runShim(V, kind, c);
        const shim = r.err ? { exc: [r.err.name, r.err.message], after: r.after } : { ret: norm(r.ret), after: r.after };
        expect({ label, ...shim }).toEqual({ label, ...want });
      });
    });
  }
});

// Where CPython's C code does not check validity again after the conversions and the result is
// not a crash: flush, seek, resize and madvise go on with the map an argument's __index__
// closed (Gate.closedLate). Measured (a file map of 16 bytes, ACCESS_WRITE and ACCESS_READ) on
// CPython 3.7.16-3.13.0 on Linux; 3.14.2 and 3.15.0rc1 with Pyodide's own mmap (CPython's
// C code over Emscripten, whose msync says EINVAL where Linux says ENOMEM). The file is never
// changed (resize has no fd left to truncate).
describe('a map closed by an argument\'s __index__, where CPython goes on with it', () => {
  const NOMEM: [string, string] = ['OSError', '[Errno 12] Cannot allocate memory'];
  const FAULT: [string, string] = ['OSError', '[Errno 14] Bad address'];
  type Want = { ret?: number | null; exc?: [string, string] };
  interface LateCase {
    py: string;
    js: (m: any, X: (v: number) => object, V: any) => unknown;
    access: 'WRITE' | 'READ';
    /** The result by minor version (the first entry whose range holds it). */
    want: (minor: number) => Want | 'skip';
  }
  const upTo13 = (w: Want, from = 7) => (minor: number): Want | 'skip' =>
    minor < from ? 'skip' : minor <= 13 ? w : { exc: CLOSED };
  const CASES_LATE: LateCase[] = [
    { py: 'm.flush(X(0), 10)', js: (m, X) => m.flush(X(0), 10), access: 'WRITE', want: upTo13({ exc: NOMEM }) },
    { py: 'm.flush(X(0))', js: (m, X) => m.flush(X(0)), access: 'WRITE', want: upTo13({ exc: NOMEM }) },
    {
      py: 'm.flush(0, X(10))', js: (m, X) => m.flush(0, X(10)), access: 'WRITE',
      want: (minor) => (minor <= 14 ? { exc: NOMEM } : { exc: CLOSED }),
    },
    {
      py: 'm.flush(0, X(100))', js: (m, X) => m.flush(0, X(100)), access: 'WRITE',
      want: (minor) => (minor <= 14 ? { exc: ['ValueError', 'flush values out of range'] } : { exc: CLOSED }),
    },
    {
      py: 'm.flush(0, X(10))', js: (m, X) => m.flush(0, X(10)), access: 'READ',
      want: (minor) => (minor === 7 ? { ret: 0 } : minor <= 14 ? { ret: null } : { exc: CLOSED }),
    },
    {
      py: 'm.flush(X(0))', js: (m, X) => m.flush(X(0)), access: 'READ',
      want: (minor) => (minor === 7 ? { ret: 0 } : minor <= 13 ? { ret: null } : { exc: CLOSED }),
    },
    {
      py: 'm.seek(X(2))', js: (m, X) => m.seek(X(2)), access: 'WRITE',
      want: (minor) => (minor <= 12 ? { ret: null } : minor === 13 ? { ret: 2 } : { exc: CLOSED }),
    },
    { py: 'm.seek(X(20))', js: (m, X) => m.seek(X(20)), access: 'WRITE', want: upTo13({ exc: ['ValueError', 'seek out of range'] }) },
    { py: 'm.resize(X(32))', js: (m, X) => m.resize(X(32)), access: 'WRITE', want: upTo13({ exc: FAULT }) },
    { py: 'm.resize(X(-1))', js: (m, X) => m.resize(X(-1)), access: 'WRITE', want: upTo13({ exc: ['ValueError', 'new size out of range'] }) },
    {
      py: 'm.resize(X(32))', js: (m, X) => m.resize(X(32)), access: 'READ',
      want: upTo13({ exc: ['TypeError', "mmap can't resize a readonly or copy-on-write memory map."] }),
    },
    {
      py: 'm.madvise(X(mmap.MADV_NORMAL))', js: (m, X, V) => m.madvise(X(V.MADV_NORMAL)), access: 'WRITE',
      want: (minor) => (minor < 8 ? 'skip' : minor <= 10 ? { exc: NOMEM } : { exc: CLOSED }),
    },
    {
      py: 'm.madvise(mmap.MADV_NORMAL, X(20))', js: (m, X, V) => m.madvise(V.MADV_NORMAL, X(20)), access: 'WRITE',
      want: (minor) => (minor < 8 ? 'skip' : minor <= 13 ? { exc: ['ValueError', 'madvise start out of bounds'] } : { exc: CLOSED }),
    },
    {
      py: 'm.madvise(mmap.MADV_NORMAL, 0, X(-1))', js: (m, X, V) => m.madvise(V.MADV_NORMAL, 0, X(-1)), access: 'WRITE',
      want: (minor) => (minor < 8 ? 'skip' : { exc: ['ValueError', 'madvise length invalid'] }),
    },
  ];

  function runLate(V: any, c: LateCase): { ret?: unknown; err?: any; file: string } {
    const f = s.file('late', DATA);
    const fd = s.open(f);
    const m = new V.mmap(fd, 0, { access: c.access === 'READ' ? V.ACCESS_READ : V.ACCESS_WRITE });
    s.close(fd);
    const X = (val: number) => ({ __index__() { m.close(); return val; } });
    let ret: unknown;
    let err: any = null;
    try {
      ret = c.js(m, X, V);
    } catch (e) {
      err = e;
    }
    expect(m.closed).toBe(true);
    return { ret, err, file: fs.readFileSync(f, 'latin1') };
  }

  const linux = process.platform === 'linux';
  for (const version of versions) {
    const minor = Number(version.split('.')[1]);
    const todo = CASES_LATE.filter((c) => c.want(minor) !== 'skip');
    (linux ? test.each : test.skip.each)(todo.map((c) => [version, `${c.access} ${c.py}`, c] as const))(
      'Python %s: %s', (_v, _l, c) => {
        const want = c.want(minor) as Want;
        const r = runLate(moduleFor(version), c);
        if (want.exc) {
          raises(() => { if (r.err) throw r.err; }, want.exc[0], want.exc[1]);
        } else {
          if (r.err) throw r.err;
          expect(r.ret ?? null).toEqual(want.ret);
        }
        expect(r.file).toBe(DATA);
      });
  }

  // The recorded values are CPython's own (3.7-3.13 here, when installed).
  const SCRIPT = String.raw`
import json, mmap, sys, tempfile, os
out = []
for access, code in json.loads(sys.stdin.read()):
    fd, path = tempfile.mkstemp()
    os.write(fd, b'abcdefghijklmnop')
    m = mmap.mmap(fd, 0, access=getattr(mmap, 'ACCESS_' + access))
    os.close(fd)
    class X:
        def __init__(self, v): self.v = v
        def __index__(self):
            m.close()
            return self.v
    try:
        r = {'ret': eval(code, dict(m=m, X=X, mmap=mmap))}
    except Exception as e:
        r = {'exc': [type(e).__name__, str(e)]}
    with open(path, 'rb') as f:
        r['file'] = f.read().decode('latin1')
    os.unlink(path)
    out.append(r)
print(json.dumps(out))
`;
  for (const [v, exe] of findPythons()) {
    const minor = Number(v.split('.')[1]);
    if (minor > 13) continue;
    testIf(exe ? (linux ? null : 'errnos measured on Linux') : `no CPython ${v} found ($(pyenv root)/versions/${v}.*/bin/python3)`,
      `against CPython ${v}${exe ? ` (${exe})` : ''}`, () => {
        const todo = CASES_LATE.filter((c) => c.want(minor) !== 'skip');
        const got = JSON.parse(execFileSync(exe!, ['-c', SCRIPT], {
          encoding: 'utf8', timeout: 60000, input: JSON.stringify(todo.map((c) => [c.access, c.py])),
        }));
        todo.forEach((c, i) => {
          const want = c.want(minor) as Want;
          const label = `${c.access} ${c.py}`;
          const py = got[i];
          expect({ label, ...(py.exc ? { exc: py.exc } : { ret: py.ret }), file: py.file })
            .toEqual({ label, ...(want.exc ? { exc: want.exc } : { ret: want.ret }), file: DATA });
        });
      });
  }
});

// flush(X(0, shrink)): 3.7-3.13 take the default size (the whole map) before converting the
// offset, so the shrunk map is out of range (measured on CPython 3.7.16-3.13.0).
describe('flush() takes its default size before the conversions (3.7-3.13)', () => {
  for (const version of versions) {
    const minor = Number(version.split('.')[1]);
    if (minor > 13) continue;
    test(`Python ${version}: m.flush(X(0, shrink)) is out of range`, () => {
      const V = moduleFor(version);
      const f = s.file('flushdefault', DATA);
      const fd = s.open(f);
      const m = new V.mmap(fd, 0);
      s.close(fd);
      raises(() => m.flush({ __index__() { m.resize(8); return 0; } }), 'ValueError', 'flush values out of range');
      expect(m.__len__()).toBe(8);
      m.close();
      expect(fs.readFileSync(f, 'latin1')).toBe('abcdefgh');
    });
  }
});
