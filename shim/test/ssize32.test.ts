// moduleFor(v, { ssizeBits: 32 }): the shim computing as a 32-bit CPython does (Py_ssize_t and
// C long of 32 bits), held against Pyodide's built-in mmap, which is CPython's own
// Modules/mmapmodule.c compiled for wasm32: the outcomes below were measured there (Pyodide
// 0.27.8 = 3.12.7, 0.29.5 = 3.13.2, 314.0.7 = 3.14.2, 315.0.0a2 = 3.15.0rc1, the same Python
// code run in each; conformance/differential holds 3.14 and 3.15 against Pyodide live).
// Sizes past 2 GiB come from a sparse 3 GiB file. The 64-bit default is checked not to move.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gateFor, moduleFor } from '../versions';

type Outcome = 'ok' | [string, string];
type Version = '3.12' | '3.13' | '3.14' | '3.15';
const VERSIONS: Version[] = ['3.12', '3.13', '3.14', '3.15'];
const B = 2n ** 31n;

/** Measured on Pyodide's built-in mmap (one outcome for every version, or one per version). */
const EXPECTED: Record<string, Outcome | Record<Version, Outcome>> = {
  "ctor length 2**31": ["OverflowError", "Python int too large to convert to C ssize_t"],
  "ctor length 2**63": ["OverflowError", "Python int too large to convert to C ssize_t"],
  "ctor offset 2**31": { '3.12': ["OverflowError", "Python int too large to convert to C long"], '3.13': ["OverflowError", "Python int too large to convert to C long"], '3.14': 'ok', '3.15': 'ok' },
  "ctor offset 2**32": { '3.12': ["OverflowError", "Python int too large to convert to C long"], '3.13': ["OverflowError", "Python int too large to convert to C long"], '3.14': 'ok', '3.15': 'ok' },
  "ctor offset 2**63": { '3.12': ["OverflowError", "Python int too large to convert to C long"], '3.13': ["OverflowError", "Python int too large to convert to C long"], '3.14': ["OverflowError", "int too big to convert"], '3.15': ["OverflowError", "int too big to convert"] },
  "ctor offset -2**63-1": { '3.12': ["OverflowError", "Python int too large to convert to C long"], '3.13': ["OverflowError", "Python int too large to convert to C long"], '3.14': ["OverflowError", "int too big to convert"], '3.15': ["OverflowError", "int too big to convert"] },
  "ctor flags 2**31": ["OverflowError", "Python int too large to convert to C long"],
  "ctor flags 2**32": ["OverflowError", "Python int too large to convert to C long"],
  "ctor flags -2**31-1": ["OverflowError", "Python int too large to convert to C long"],
  "ctor access 2**31": ["OverflowError", "Python int too large to convert to C long"],
  "ctor fileno 2**31": ["OverflowError", "Python int too large to convert to C long"],
  "getitem 2**31": ["IndexError", "cannot fit 'int' into an index-sized integer"],
  "getitem -2**31-1": ["IndexError", "cannot fit 'int' into an index-sized integer"],
  "getitem 2**31-1": ["IndexError", "mmap index out of range"],
  "setitem 2**31": ["IndexError", "cannot fit 'int' into an index-sized integer"],
  "slice": 'ok',
  "slice neg step": 'ok',
  "read 2**31": ["OverflowError", "cannot fit 'int' into an index-sized integer"],
  "read 2**31-1": 'ok',
  "seek 2**31": ["OverflowError", "Python int too large to convert to C ssize_t"],
  "seek 2**31-1": ["ValueError", "seek out of range"],
  "seek rel 2**31-2": ["ValueError", "seek out of range"],
  "seek end 2**31-8": ["ValueError", "seek out of range"],
  "seek whence 2**31": { '3.12': ["OverflowError", "Python int too large to convert to C long"], '3.13': ["OverflowError", "Python int too large to convert to C long"], '3.14': ["OverflowError", "Python int too large to convert to C int"], '3.15': ["OverflowError", "Python int too large to convert to C int"] },
  "find start 2**31": ["OverflowError", "Python int too large to convert to C ssize_t"],
  "find end 2**40": ["OverflowError", "Python int too large to convert to C ssize_t"],
  "rfind start -2**31-1": ["OverflowError", "Python int too large to convert to C ssize_t"],
  "write_byte 2**31": ["OverflowError", "Python int too large to convert to C long"],
  "write_byte 2**31-1": ["OverflowError", "unsigned byte integer is greater than maximum"],
  "write_byte -2**31-1": ["OverflowError", "Python int too large to convert to C long"],
  "flush 0 2**31": ["OverflowError", "Python int too large to convert to C ssize_t"],
  "flush 2**31": ["OverflowError", "Python int too large to convert to C ssize_t"],
  "move 2**31": ["OverflowError", "Python int too large to convert to C ssize_t"],
  "move cnt 2**31-1": ["ValueError", "source, destination, or count out of range"],
  "madvise opt 2**31": { '3.12': ["OverflowError", "Python int too large to convert to C long"], '3.13': ["OverflowError", "Python int too large to convert to C long"], '3.14': ["OverflowError", "Python int too large to convert to C int"], '3.15': ["OverflowError", "Python int too large to convert to C int"] },
  "madvise start 2**31": ["OverflowError", "Python int too large to convert to C ssize_t"],
  "madvise len 2**31": ["OverflowError", "Python int too large to convert to C ssize_t"],
  "madvise 1 2**31-1": ["OverflowError", "madvise length too large"],
  "madvise 0 2**31-1": 'ok',
  "resize 2**31": ["OverflowError", "Python int too large to convert to C ssize_t"],
  "buffer flags 2**31": ["OverflowError", "cannot fit 'int' into an index-sized integer"],
  "reduce_ex 2**31": ["OverflowError", "Python int too large to convert to C int"],
  "reduce_ex 2**63": ["OverflowError", "Python int too large to convert to C int"],
  "file 3GiB length 0": ["ValueError", "mmap length is too large"],
  "file 3GiB length 0 offset 2**30": ["ValueError", "mmap length is too large"],
  "file 3GiB offset 2**31 len 16": { '3.12': ["OverflowError", "Python int too large to convert to C long"], '3.13': ["OverflowError", "Python int too large to convert to C long"], '3.14': 'ok', '3.15': 'ok' },
  "file 3GiB offset 2**32 len 0": { '3.12': ["OverflowError", "Python int too large to convert to C long"], '3.13': ["OverflowError", "Python int too large to convert to C long"], '3.14': ["ValueError", "mmap offset is greater than file size"], '3.15': ["ValueError", "mmap offset is greater than file size"] },
  "file resize 2**31-1 at offset": ["ValueError", "new size out of range"],
  "file resize 2**31-65536 at offset": ["ValueError", "new size out of range"],
};

let dir = '';
let bigFd = -1;
const maps: any[] = [];
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-ssize32-'));
  const p = path.join(dir, 'big.bin');
  fs.writeFileSync(p, '');
  fs.truncateSync(p, 3 * 2 ** 30); // sparse
  bigFd = fs.openSync(p, 'r+');
});
afterAll(() => {
  for (const m of maps) if (!m.closed) m.close();
  fs.closeSync(bigFd);
  fs.rmSync(dir, { recursive: true, force: true });
});

type Case = (M: any, m: any) => unknown;
const keep = (m: any) => { maps.push(m); return m; };
const a = Buffer.from('a');
const CASES: Record<string, Case> = {
  'ctor length 2**31': (M) => keep(new M.mmap(-1, B)),
  'ctor length 2**63': (M) => keep(new M.mmap(-1, 2n ** 63n)),
  'ctor offset 2**31': (M) => keep(new M.mmap(-1, 16, { offset: B })),
  'ctor offset 2**32': (M) => keep(new M.mmap(-1, 16, { offset: 2n ** 32n })),
  'ctor offset 2**63': (M) => keep(new M.mmap(-1, 16, { offset: 2n ** 63n })),
  'ctor offset -2**63-1': (M) => keep(new M.mmap(-1, 16, { offset: -(2n ** 63n) - 1n })),
  'ctor flags 2**31': (M) => keep(new M.mmap(-1, 16, { flags: B })),
  'ctor flags 2**32': (M) => keep(new M.mmap(-1, 16, { flags: 2n ** 32n })),
  'ctor flags -2**31-1': (M) => keep(new M.mmap(-1, 16, { flags: -B - 1n })),
  'ctor access 2**31': (M) => keep(new M.mmap(-1, 16, { access: B })),
  'ctor fileno 2**31': (M) => keep(new M.mmap(B, 16)),
  'getitem 2**31': (_M, m) => m.__getitem__(B),
  'getitem -2**31-1': (_M, m) => m.__getitem__(-B - 1n),
  'getitem 2**31-1': (_M, m) => m.__getitem__(B - 1n),
  'setitem 2**31': (_M, m) => m.__setitem__(B, 1),
  'slice': (M, m) => m.__getitem__(new M.slice(B, 2n ** 40n)),
  'slice neg step': (M, m) => m.__getitem__(new M.slice(null, null, -(2n ** 40n))),
  'read 2**31': (_M, m) => m.read(B),
  'read 2**31-1': (_M, m) => m.read(B - 1n),
  'seek 2**31': (_M, m) => m.seek(B),
  'seek 2**31-1': (_M, m) => m.seek(B - 1n),
  'seek rel 2**31-2': (_M, m) => m.seek(B - 2n, 1),
  'seek end 2**31-8': (_M, m) => m.seek(B - 8n, 2),
  'seek whence 2**31': (_M, m) => m.seek(0, B),
  'find start 2**31': (_M, m) => m.find(a, B),
  'find end 2**40': (_M, m) => m.find(a, 0, 2n ** 40n),
  'rfind start -2**31-1': (_M, m) => m.rfind(a, -B - 1n),
  'write_byte 2**31': (_M, m) => m.write_byte(B),
  'write_byte 2**31-1': (_M, m) => m.write_byte(B - 1n),
  'write_byte -2**31-1': (_M, m) => m.write_byte(-B - 1n),
  'flush 0 2**31': (_M, m) => m.flush(0, B),
  'flush 2**31': (_M, m) => m.flush(B),
  'move 2**31': (_M, m) => m.move(B, 0, 1),
  'move cnt 2**31-1': (_M, m) => m.move(1, 0, B - 1n),
  'madvise opt 2**31': (_M, m) => m.madvise(B),
  'madvise start 2**31': (_M, m) => m.madvise(0, B),
  'madvise len 2**31': (_M, m) => m.madvise(0, 0, B),
  'madvise 1 2**31-1': (_M, m) => m.madvise(0, 1, B - 1n),
  'madvise 0 2**31-1': (_M, m) => m.madvise(0, 0, B - 1n),
  'resize 2**31': (_M, m) => m.resize(B),
  'buffer flags 2**31': (_M, m) => m.__buffer__(B).release(),
  'reduce_ex 2**31': (_M, m) => m.__reduce_ex__(B),
  'reduce_ex 2**63': (_M, m) => m.__reduce_ex__(2n ** 63n),
  'file 3GiB length 0': (M) => keep(new M.mmap(bigFd, 0)),
  'file 3GiB length 0 offset 2**30': (M) => keep(new M.mmap(bigFd, 0, { offset: 2 ** 30 })),
  'file 3GiB offset 2**31 len 16': (M) => keep(new M.mmap(bigFd, 16, { offset: B })).__len__(),
  'file 3GiB offset 2**32 len 0': (M) => keep(new M.mmap(bigFd, 0, { offset: 2 ** 32 - 65536 })).__len__(),
  'file resize 2**31-1 at offset': (M) => keep(new M.mmap(bigFd, 16, { offset: 65536 })).resize(B - 1n),
  'file resize 2**31-65536 at offset': (M) => keep(new M.mmap(bigFd, 16, { offset: 65536 })).resize(B - 65536n),
};

function outcome(M: any, f: Case): Outcome {
  const m = keep(new M.mmap(-1, 16));
  m.seek(3);
  try {
    f(M, m);
    return 'ok';
  } catch (e: any) {
    return [String(e.name), String(e.message)];
  }
}

describe('moduleFor(v, { ssizeBits: 32 }) overflows where a 32-bit CPython does, with its messages', () => {
  it('has a case for every measured outcome', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(EXPECTED).sort());
  });
  for (const v of VERSIONS) {
    it(`${v}: as Pyodide's built-in mmap (CPython ${v} on wasm32)`, () => {
      const M = moduleFor(v, { ssizeBits: 32 });
      const got: Record<string, Outcome> = {};
      const want: Record<string, Outcome> = {};
      for (const [label, f] of Object.entries(CASES)) {
        const e = EXPECTED[label];
        want[label] = Array.isArray(e) || e === 'ok' ? e : e[v];
        got[label] = outcome(M, f);
      }
      expect(got).toEqual(want);
    });
  }
});

describe('ssizeBits: the gate, the cache, the default', () => {
  it('64 is the default; 32 is a module of its own, cached', () => {
    expect(moduleFor('3.14', { ssizeBits: 64 })).toBe(moduleFor('3.14'));
    expect(moduleFor('3.14', { ssizeBits: 32 })).not.toBe(moduleFor('3.14'));
    expect(moduleFor('3.14', { ssizeBits: 32 })).toBe(moduleFor('3.14', { ssizeBits: 32 }));
    expect(gateFor('3.14').ssizeMax).toBe(2n ** 63n - 1n);
    expect(gateFor('3.14', { ssizeBits: 32 }).ssizeMax).toBe(2n ** 31n - 1n);
    expect(() => moduleFor('3.14', { ssizeBits: 16 as any })).toThrow('ssizeBits must be 32 or 64, not 16');
  });
  it('the 64-bit module is unchanged by it (a few of the cases above, as 64-bit CPython gives them)', () => {
    const M = moduleFor('3.12');
    expect(outcome(M, CASES['getitem 2**31'])).toEqual(['IndexError', 'mmap index out of range']);
    expect(outcome(M, CASES['ctor offset 2**31'])).toBe('ok');
    expect(outcome(M, CASES['seek 2**31'])).toEqual(['ValueError', 'seek out of range']);
    expect(outcome(M, CASES['write_byte 2**31'])).toEqual(['OverflowError', 'unsigned byte integer is greater than maximum']);
    expect(outcome(M, CASES['buffer flags 2**31'])).toEqual(['OverflowError', 'buffer flags too large']);
    expect(outcome(M, (_M, m) => m.__buffer__(2n ** 63n))).toEqual(['OverflowError', "cannot fit 'int' into an index-sized integer"]);
    expect(outcome(M, CASES['reduce_ex 2**31'])).toEqual(['OverflowError', 'Python int too large to convert to C int']);
    expect(outcome(moduleFor('3.7'), CASES['reduce_ex 2**31'])).toEqual(['OverflowError', 'signed integer is greater than maximum']);
    expect(outcome(M, CASES['file 3GiB length 0'])).toBe('ok');
  });
});
