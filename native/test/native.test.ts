// Unit tests of the native layer, routine by routine, on real files in a temp dir (no mocks).
// Everything that makes a page fault (truncated files, wild addresses) runs in a child process:
// see crash.test.ts.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { BufferError, OSError, SystemError, TypeError as PyTypeError, ValueError } from '../../shim/builtins';
import { native, NativeViewError } from '../../shim/native';
import { cleanupTmp, hostMajor, ROOT, tmpDir } from './helpers';

const { testIf, testOn } = require('../../conformance/lib/skips');
const pyenv = require('../../conformance/lib/pyenv');

const C = native.constants();
const PS = C.PAGESIZE;
const RW = C.PROT_READ | C.PROT_WRITE;
const GiB = 1024 ** 3;

let dir: string;
const openIds: number[] = [];
const openFds: number[] = [];

beforeAll(() => {
  dir = tmpDir('native');
});
afterEach(() => {
  while (openIds.length) native.close(openIds.pop()!);
  while (openFds.length) try { fs.closeSync(openFds.pop()!); } catch { /* closed by the test */ }
});
afterAll(cleanupTmp);

let fileNo = 0;
/** A file of `size` bytes, byte i = (i*7+3) % 251, opened with `mode`. */
function mkfile(size: number, mode = 'r+'): { file: string; fd: number; data: Buffer } {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * 7 + 3) % 251;
  const file = path.join(dir, `f${++fileNo}.bin`);
  fs.writeFileSync(file, data);
  const fd = fs.openSync(file, mode);
  openFds.push(fd);
  return { file, fd, data };
}

function map(fd: number, length: number | bigint, flags = C.MAP_SHARED, prot = RW, offset: number | bigint = 0, dupFd = true): number {
  const id = native.map(fd, length, flags, prot, offset, dupFd);
  openIds.push(id);
  return id;
}

function catchErr(fn: () => unknown): any {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an exception');
}

function expectOSError(fn: () => unknown, code: string | string[]): OSError {
  const e = catchErr(fn);
  expect(e).toBeInstanceOf(OSError);
  const codes = Array.isArray(code) ? code : [code];
  expect(codes).toContain(e.code);
  expect(typeof e.errno).toBe('number');
  expect(e.message).toMatch(/^\[Errno \d+\] /);
  return e;
}

/** The native 'range' tag (an argument the shim should never pass): SystemError. */
function expectRange(fn: () => unknown) {
  const e = catchErr(fn);
  expect(e).toBeInstanceOf(SystemError);
  expect(e.message).toBe('pymmap native error: range');
}

function expectReadonly(fn: () => unknown) {
  const e = catchErr(fn);
  expect(e).toBeInstanceOf(PyTypeError);
  expect(e.message).toBe("mmap can't modify a readonly memory map.");
}

function expectClosed(fn: () => unknown) {
  const e = catchErr(fn);
  expect(e).toBeInstanceOf(ValueError);
  expect(e.message).toBe('mmap closed or invalid');
}

const isArrayBuffer = (x: unknown) => Object.prototype.toString.call(x) === '[object ArrayBuffer]';

function read(id: number, start = 0, n = native.length(id) - start): Buffer {
  const b = Buffer.alloc(n);
  native.copyOut(id, start, n, b, 0);
  return b;
}

/** fds of this process that point at `file` */
function fdsOf(file: string): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc/self/fd')) {
    try {
      if (fs.readlinkSync(`/proc/self/fd/${e}`) === file) out.push(Number(e));
    } catch { /* raced */ }
  }
  return out;
}

function mapsOf(file: string): string[] {
  return fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes(file));
}

// ====================================================================== constants

describe('constants()', () => {
  const exported = native.constants();
  const candidates = [...fs.readFileSync(path.join(ROOT, 'native', 'src', 'constants.cc'), 'utf8').matchAll(/#ifdef (\w+)/g)].map((m) => m[1]);

  test('PAGESIZE and ALLOCATIONGRANULARITY', () => {
    const r = spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8' });
    if (r.status === 0) expect(exported.PAGESIZE).toBe(Number(r.stdout.trim()));
    expect(exported.PAGESIZE).toBeGreaterThan(0);
    expect(exported.PAGESIZE & (exported.PAGESIZE - 1)).toBe(0);
    expect(exported.ALLOCATIONGRANULARITY).toBe(exported.PAGESIZE); // POSIX
    expect(native.backend).toBe('posix');
  });

  const cxx = ['g++', 'c++', 'clang++'].find((c) => spawnSync(c, ['--version']).status === 0);
  testIf(cxx ? null : 'no C++ compiler (g++, c++, clang++) to read the platform headers with',
    'exactly the names the platform headers define, with their values (compiled probe)', () => {
    const src = ['#include <sys/mman.h>', '#include <cstdio>', 'int main() {',
      ...candidates.map((n) => `#ifdef ${n}\n  std::printf("${n} %lld\\n", (long long)(${n}));\n#endif`), '  return 0;', '}'].join('\n');
    const d = tmpDir('cxx');
    fs.writeFileSync(path.join(d, 'probe.cc'), src);
    const cc = spawnSync(cxx!, ['-o', path.join(d, 'probe'), path.join(d, 'probe.cc')], { encoding: 'utf8' });
    expect(cc.stderr).toBe('');
    const out = spawnSync(path.join(d, 'probe'), { encoding: 'utf8' }).stdout;
    const fromHeaders: Record<string, number> = {};
    for (const line of out.trim().split('\n')) {
      const [k, v] = line.split(' ');
      fromHeaders[k] = Number(v);
    }
    const { PAGESIZE, ALLOCATIONGRANULARITY, ...rest } = exported;
    expect(rest).toEqual(fromHeaders);
    expect(Object.keys(fromHeaders).length).toBeGreaterThan(10);
  });

  const py313 = pyenv.pythonPath('3.13');
  testIf(py313 ? null : `no CPython 3.13 found (${pyenv.searched('3.13')})`, 'agrees with CPython 3.13\'s mmap module', () => {
    const r = spawnSync(py313.exe, ['-c', 'import mmap, json; print(json.dumps({k: getattr(mmap, k) for k in dir(mmap) if k.isupper() and not k.startswith("ACCESS_")}))'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const cpy: Record<string, number> = JSON.parse(r.stdout);
    expect(Object.keys(cpy)).toEqual(expect.arrayContaining(['MAP_SHARED', 'MAP_PRIVATE', 'MAP_ANONYMOUS', 'PROT_READ', 'PROT_WRITE', 'PAGESIZE']));
    for (const [k, v] of Object.entries(cpy)) expect([k, exported[k]]).toEqual([k, v]);
  });
});

// ====================================================================== fstat

describe('fstat', () => {
  test('size and regular-file flag', () => {
    const { fd } = mkfile(12345);
    expect(native.fstat(fd)).toEqual([12345, true]);
    const dfd = fs.openSync(dir, 'r');
    try {
      expect(native.fstat(dfd)[1]).toBe(false);
    } finally {
      fs.closeSync(dfd);
    }
  });
  test('bad fd -> OSError EBADF', () => {
    const e = expectOSError(() => native.fstat(987654), 'EBADF');
    expect(e.errno).toBe(9);
  });
});

// ====================================================================== map / close

describe('map', () => {
  test('file, MAP_SHARED read-write: reads the file, writes reach it', () => {
    const { file, fd, data } = mkfile(3 * PS);
    const id = map(fd, 3 * PS);
    expect(native.length(id)).toBe(3 * PS);
    expect(read(id).equals(data)).toBe(true);
    native.setByte(id, 10, 0xab);
    native.copyIn(id, PS - 2, Buffer.from('page-crossing'));
    const f = fs.readFileSync(file);
    expect(f[10]).toBe(0xab);
    expect(f.subarray(PS - 2, PS + 11).toString()).toBe('page-crossing');
  });

  test('file, MAP_PRIVATE read-write: copy-on-write, the file never changes', () => {
    const { file, fd, data } = mkfile(2 * PS);
    const id = map(fd, 2 * PS, C.MAP_PRIVATE, RW);
    native.setByte(id, 0, 0xff);
    expect(native.getByte(id, 0)).toBe(0xff);
    native.flush(id, 0, 2 * PS, C.MS_SYNC);
    expect(fs.readFileSync(file).equals(data)).toBe(true);
  });

  test('file, PROT_READ: reads work, stores are refused', () => {
    const { file, fd, data } = mkfile(PS, 'r');
    const id = map(fd, PS, C.MAP_SHARED, C.PROT_READ);
    expect(native.getByte(id, 7)).toBe(data[7]);
    expectReadonly(() => native.setByte(id, 7, 0));
    expect(fs.readFileSync(file).equals(data)).toBe(true);
  });

  test('prot checked against the fd: PROT_WRITE shared on a read-only fd -> EACCES, read on write-only fd -> EACCES', () => {
    const { fd } = mkfile(PS, 'r');
    expectOSError(() => map(fd, PS, C.MAP_SHARED, RW), 'EACCES');
    const w = mkfile(PS, 'w');
    expectOSError(() => map(w.fd, PS, C.MAP_SHARED, C.PROT_READ), 'EACCES');
    // a private writable copy of a read-only fd is fine
    const id = map(fd, PS, C.MAP_PRIVATE, RW);
    native.setByte(id, 0, 1);
    expect(native.getByte(id, 0)).toBe(1);
  });

  test('anonymous, shared and private: zero-filled and writable', () => {
    for (const flags of [C.MAP_SHARED, C.MAP_PRIVATE]) {
      const id = map(-1, 5 * PS, flags, RW, 0, false);
      expect(read(id).equals(Buffer.alloc(5 * PS))).toBe(true);
      native.setByte(id, 5 * PS - 1, 9);
      expect(native.getByte(id, 5 * PS - 1)).toBe(9);
      expectOSError(() => native.fdSize(id), 'EBADF'); // no fd behind it
    }
  });

  test('page-unaligned length: the tail of the last page is not addressable through the API', () => {
    const { fd, data } = mkfile(PS + 100);
    const id = map(fd, PS + 100);
    expect(native.length(id)).toBe(PS + 100);
    expect(native.getByte(id, PS + 99)).toBe(data[PS + 99]);
    expectRange(() => native.getByte(id, PS + 100));
    expectRange(() => native.copyOut(id, PS, 101, Buffer.alloc(200), 0));
  });

  test('offset: maps the file from a page boundary; unaligned offset -> EINVAL', () => {
    const { fd, data } = mkfile(4 * PS);
    const id = map(fd, 2 * PS, C.MAP_SHARED, RW, PS);
    expect(native.getByte(id, 0)).toBe(data[PS]);
    expect(read(id).equals(data.subarray(PS, 3 * PS))).toBe(true);
    native.setByte(id, 1, 0x11);
    const other = map(fd, 4 * PS);
    expect(native.getByte(other, PS + 1)).toBe(0x11); // both maps share the page cache
    expectOSError(() => map(fd, PS, C.MAP_SHARED, RW, 100), 'EINVAL');
    expect(native.map.length >= 0).toBe(true);
    // bigint offset and length
    const id2 = map(fd, BigInt(PS), C.MAP_SHARED, RW, BigInt(2 * PS));
    expect(native.getByte(id2, 0)).toBe(data[2 * PS]);
  });

  test('zero length -> EINVAL (as CPython\'s mmap(-1, 0)); negative length -> RangeError', () => {
    expectOSError(() => map(-1, 0, C.MAP_PRIVATE, RW, 0, false), 'EINVAL');
    const { fd } = mkfile(PS);
    expectOSError(() => map(fd, 0), 'EINVAL');
    expect(() => map(fd, -1)).toThrow(/negative size/);
    expect(() => map(fd, PS, C.MAP_SHARED, RW, -PS)).toThrow(/negative size/);
  });

  test('bad fd -> EBADF, with and without dup', () => {
    expectOSError(() => map(987654, PS, C.MAP_SHARED, RW, 0, true), 'EBADF');
    expectOSError(() => map(987654, PS, C.MAP_SHARED, RW, 0, false), 'EBADF');
  });

  test('dupFd=true keeps one close-on-exec duplicate, closed by close()', () => {
    const { file, fd } = mkfile(2 * PS);
    const before = fdsOf(file);
    const id = native.map(fd, 2 * PS, C.MAP_SHARED, RW, 0, true);
    const after = fdsOf(file);
    const added = after.filter((x) => !before.includes(x));
    expect(added).toHaveLength(1);
    const flags = /flags:\s+(\d+)/.exec(fs.readFileSync(`/proc/self/fdinfo/${added[0]}`, 'utf8'))![1];
    expect(parseInt(flags, 8) & 0o2000000).toBe(0o2000000); // O_CLOEXEC
    // the map keeps working on its own descriptor
    fs.closeSync(fd);
    openFds.splice(openFds.indexOf(fd), 1);
    expect(native.fdSize(id)).toBe(2 * PS);
    native.resize(id, 3 * PS); // ftruncate through the duplicate
    expect(fs.statSync(file).size).toBe(3 * PS);
    native.close(id);
    expect(fdsOf(file)).toEqual([]);
  });

  test('dupFd=false keeps no fd: the map outlives the caller\'s fd; fdSize -> EBADF', () => {
    const { file, fd, data } = mkfile(2 * PS);
    const before = fdsOf(file);
    const id = map(fd, 2 * PS, C.MAP_SHARED, RW, 0, false);
    expect(fdsOf(file)).toEqual(before);
    fs.closeSync(fd);
    openFds.splice(openFds.indexOf(fd), 1);
    expect(native.getByte(id, 3)).toBe(data[3]);
    expectOSError(() => native.fdSize(id), 'EBADF');
  });

  test('flags are passed through: MAP_POPULATE, MAP_NORESERVE', () => {
    const { fd, data } = mkfile(PS);
    const id = map(fd, PS, C.MAP_SHARED | C.MAP_POPULATE, RW);
    expect(native.getByte(id, 1)).toBe(data[1]);
    const id2 = map(-1, 64 * PS, C.MAP_PRIVATE | C.MAP_NORESERVE, RW, 0, false);
    expect(native.getByte(id2, 63 * PS)).toBe(0);
    expectOSError(() => map(fd, PS, 0, RW), 'EINVAL'); // neither shared nor private
  });
});

describe('close and ids', () => {
  test('close unmaps; closed ids raise ValueError; close twice or unknown is a no-op; ids are never reused', () => {
    const { file, fd } = mkfile(PS);
    const id = native.map(fd, PS, C.MAP_SHARED, RW, 0, true);
    expect(mapsOf(file)).toHaveLength(1);
    native.close(id);
    expect(mapsOf(file)).toHaveLength(0);
    expectClosed(() => native.getByte(id, 0));
    expectClosed(() => native.length(id));
    expectClosed(() => native.copyOut(id, 0, 1, Buffer.alloc(1), 0));
    expectClosed(() => native.view(id));
    expectClosed(() => native.repair(id));
    expect(() => native.close(id)).not.toThrow();
    expect(() => native.close(1e6)).not.toThrow();
    const id2 = map(fd, PS);
    expect(id2).not.toBe(id); // same slot, new generation
    expectClosed(() => native.getByte(id, 0));
    expect(native.getByte(id2, 0)).toBe(native.getByte(id2, 0));
  });

  test('non-number ids and indices are type errors, never an uninitialised id or index', () => {
    // BUG (binding.cc Close/GetByte/SetByte): napi_get_value_uint32/int64 results are not
    // checked; on a non-number the variable stays uninitialised and a random map is closed or
    // a random index is read/written.
    const ids = [0, 1, 2].map(() => map(-1, PS, C.MAP_PRIVATE, RW, 0, false));
    ids.forEach((id, k) => native.setByte(id, 7, k + 1));
    const bad: Array<[string, () => unknown]> = [
      ['close("1")', () => (native.close as any)(String(ids[1]))],
      ['close(null)', () => (native.close as any)(null)],
      ['getByte(id)', () => (native.getByte as any)(ids[0])],
      ['getByte(id, 7n)', () => (native.getByte as any)(ids[0], 7n)],
      ['getByte("id", 7)', () => (native.getByte as any)(String(ids[2]), 7)],
      ['setByte(id, 7n, 99)', () => (native.setByte as any)(ids[0], 7n, 99)],
    ];
    const outcomes = bad.map(([label, fn]) => {
      try {
        return [label, `returned ${String(fn())}`];
      } catch (e: any) {
        return [label, e instanceof TypeError || e?.name === 'TypeError' ? 'TypeError' : `${e?.constructor?.name}: ${e?.message}`];
      }
    });
    const state = ids.map((id) => { try { return native.getByte(id, 7); } catch (e: any) { return e.constructor.name; } });
    expect({ outcomes, state }).toEqual({ outcomes: bad.map(([label]) => [label, 'TypeError']), state: [1, 2, 3] });
  });
});

// ====================================================================== fdSize / flush / advise

describe('fdSize', () => {
  test('follows the file, not the map', () => {
    const { fd } = mkfile(2 * PS);
    const id = map(fd, PS);
    expect(native.fdSize(id)).toBe(2 * PS);
    fs.ftruncateSync(fd, 5 * PS);
    expect(native.fdSize(id)).toBe(5 * PS);
  });
});

/** The /proc/self/smaps entries of the mappings of `file`: dirty and resident kB, VmFlags. */
function smapsOf(file: string): Array<{ dirtyKb: number; rssKb: number; flags: string[] }> {
  const out: Array<{ dirtyKb: number; rssKb: number; flags: string[] }> = [];
  let cur: { dirtyKb: number; rssKb: number; flags: string[] } | null = null;
  for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) {
      cur = line.endsWith(` ${file}`) ? { dirtyKb: 0, rssKb: 0, flags: [] } : null;
      if (cur) out.push(cur);
      continue;
    }
    if (!cur) continue;
    const m = /^(\w+):\s+(.*?)(?: kB)?$/.exec(line);
    if (!m) continue;
    if (m[1] === 'Private_Dirty' || m[1] === 'Shared_Dirty') cur.dirtyKb += Number(m[2]);
    else if (m[1] === 'Rss') cur.rssKb = Number(m[2]);
    else if (m[1] === 'VmFlags') cur.flags = m[2].trim().split(/\s+/);
  }
  return out;
}

const TMPFS_MAGIC = 0x01021994;
/** msync has nothing to write back on tmpfs: the dirty-page check needs a disk filesystem. */
const noWriteback = (() => {
  try {
    return fs.statfsSync(require('os').tmpdir()).type === TMPFS_MAGIC ? `${require('os').tmpdir()} is tmpfs (nothing to write back)` : null;
  } catch (e: any) {
    return `cannot tell the filesystem of the temp dir (${e.message})`;
  }
})();

describe('flush (msync)', () => {
  testIf(noWriteback, 'MS_SYNC writes the dirty pages back: smaps shows them clean, another process reads the data', () => {
    const { file, fd, data } = mkfile(4 * PS);
    const id = map(fd, 4 * PS);
    const expected = Buffer.from(data);
    // dirty two pages through the map (again, should background writeback clean them first)
    for (let round = 0; round < 5 && !(smapsOf(file)[0]?.dirtyKb > 0); round++) {
      native.copyIn(id, PS + 3, Buffer.from(`flushed-${round}`));
      native.setByte(id, 3 * PS + 1, 0xa0 + round);
      Buffer.from(`flushed-${round}`).copy(expected, PS + 3);
      expected[3 * PS + 1] = 0xa0 + round;
    }
    expect(smapsOf(file)).toEqual([expect.objectContaining({ dirtyKb: expect.any(Number) })]);
    expect(smapsOf(file)[0].dirtyKb).toBeGreaterThan(0);
    expect(native.flush(id, 0, 4 * PS, C.MS_SYNC)).toBeUndefined();
    expect(smapsOf(file).map((e) => e.dirtyKb)).toEqual([0]);
    // another process, through its own descriptor, reads what the map holds
    const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(require("fs").readFileSync(process.argv[1]).toString("hex"))', file],
      { encoding: 'utf8', timeout: 30000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected.toString('hex'));
  });
  test('MS_ASYNC / MS_INVALIDATE and page-aligned sub-ranges are accepted; the file has the data', () => {
    const { file, fd } = mkfile(4 * PS);
    const id = map(fd, 4 * PS);
    native.copyIn(id, PS, Buffer.from('flushed'));
    for (const [off, len, flags] of [[0, 4 * PS, C.MS_SYNC], [PS, PS, C.MS_ASYNC], [2 * PS, 2 * PS, C.MS_INVALIDATE],
      [PS, 1, C.MS_SYNC], [3 * PS, 17, C.MS_SYNC | C.MS_INVALIDATE]]) {
      expect([off, len, flags, native.flush(id, off, len, flags)]).toEqual([off, len, flags, undefined]);
    }
    expect(fs.readFileSync(file).subarray(PS, PS + 7).toString()).toBe('flushed');
  });
  test('unaligned offset -> EINVAL; MS_SYNC|MS_ASYNC -> EINVAL; bad flag -> EINVAL', () => {
    const { fd } = mkfile(2 * PS);
    const id = map(fd, 2 * PS);
    expectOSError(() => native.flush(id, 1, 10, C.MS_SYNC), 'EINVAL');
    expectOSError(() => native.flush(id, 0, PS, C.MS_SYNC | C.MS_ASYNC), 'EINVAL');
    expectOSError(() => native.flush(id, 0, PS, 0x4000), 'EINVAL');
  });
  test('zero length still calls msync (as CPython: EINVAL when unaligned); out of range -> range; closed -> ValueError', () => {
    const { fd } = mkfile(2 * PS);
    const id = map(fd, 2 * PS);
    expect(native.flush(id, 2 * PS, 0, C.MS_SYNC)).toBeUndefined();
    expect(native.flush(id, PS, 0, C.MS_SYNC)).toBeUndefined();
    expectOSError(() => native.flush(id, 123, 0, C.MS_SYNC), 'EINVAL');
    expectRange(() => native.flush(id, PS, PS + 1, C.MS_SYNC));
    expectRange(() => native.flush(id, 2 * PS + 1, 0, C.MS_SYNC));
    native.close(id);
    openIds.splice(openIds.indexOf(id), 1);
    expectClosed(() => native.flush(id, 0, PS, C.MS_SYNC));
  });
  test('anonymous maps: msync succeeds and the data stays', () => {
    const id = map(-1, PS, C.MAP_PRIVATE, RW, 0, false);
    native.copyIn(id, 10, Buffer.from('anon'));
    expect(native.flush(id, 0, PS, C.MS_SYNC)).toBeUndefined();
    expect(read(id, 10, 4).toString()).toBe('anon');
  });
});

describe('advise (madvise)', () => {
  test('MADV_SEQUENTIAL / MADV_RANDOM set the mapping\'s sr / rr flags, MADV_NORMAL clears them', () => {
    const { file, fd } = mkfile(4 * PS);
    const id = map(fd, 4 * PS);
    const flags = () => smapsOf(file).map((e) => e.flags.filter((f) => f === 'sr' || f === 'rr'));
    expect(flags()).toEqual([[]]);
    native.advise(id, 0, 4 * PS, C.MADV_SEQUENTIAL);
    expect(flags()).toEqual([['sr']]);
    native.advise(id, 0, 4 * PS, C.MADV_RANDOM);
    expect(flags()).toEqual([['rr']]);
    native.advise(id, 0, 4 * PS, C.MADV_NORMAL);
    expect(flags()).toEqual([[]]);
    native.advise(id, 0, 0, C.MADV_NORMAL); // an empty range is fine
  });
  test('a partial range (length rounded up to pages) advises only those pages: the mapping splits in three', () => {
    const { file, fd } = mkfile(4 * PS);
    const id = map(fd, 4 * PS);
    native.advise(id, PS, PS + 5, C.MADV_RANDOM); // pages 1 and 2
    const parts = smapsOf(file).map((e) => e.flags.includes('rr'));
    expect(parts).toEqual([false, true, false]);
    native.advise(id, 0, 4 * PS, C.MADV_NORMAL);
    expect(smapsOf(file)).toHaveLength(1); // merged again
  });
  test('MADV_DONTFORK / MADV_DOFORK set and clear the dc flag', () => {
    const { file, fd } = mkfile(2 * PS);
    const id = map(fd, 2 * PS);
    native.advise(id, 0, 2 * PS, C.MADV_DONTFORK);
    expect(smapsOf(file).map((e) => e.flags.includes('dc'))).toEqual([true]);
    native.advise(id, 0, 2 * PS, C.MADV_DOFORK);
    expect(smapsOf(file).map((e) => e.flags.includes('dc'))).toEqual([false]);
  });
  test('MADV_DONTNEED drops a private anonymous page (reads back zeros)', () => {
    const id = map(-1, 2 * PS, C.MAP_PRIVATE, RW, 0, false);
    native.setByte(id, 1, 5);
    native.setByte(id, PS + 1, 7);
    native.advise(id, PS, PS, C.MADV_DONTNEED);
    expect([native.getByte(id, 1), native.getByte(id, PS + 1)]).toEqual([5, 0]);
  });
  test('MADV_DONTNEED on a shared file map unmaps the pages (Rss 0); the data comes back from the file', () => {
    const { file, fd, data } = mkfile(4 * PS);
    const id = map(fd, 4 * PS);
    native.setByte(id, 2 * PS, 0x42);
    expect(read(id).subarray(0, 16).equals(data.subarray(0, 16))).toBe(true); // pages faulted in
    expect(smapsOf(file)[0].rssKb).toBeGreaterThan(0);
    native.advise(id, 0, 4 * PS, C.MADV_DONTNEED);
    expect(smapsOf(file).map((e) => e.rssKb)).toEqual([0]);
    expect(native.getByte(id, 2 * PS)).toBe(0x42);
    expect(native.getByte(id, 7)).toBe(data[7]);
  });
  test('unaligned start, unknown advice -> EINVAL; out of range -> range', () => {
    const { fd } = mkfile(2 * PS);
    const id = map(fd, 2 * PS);
    expectOSError(() => native.advise(id, 1, PS, C.MADV_NORMAL), 'EINVAL');
    expectOSError(() => native.advise(id, 0, PS, 12345), 'EINVAL');
    expectRange(() => native.advise(id, PS, 2 * PS, C.MADV_NORMAL));
  });
});

// ====================================================================== resize

describe('resize', () => {
  test('file: grows the file (ftruncate) and the map (mremap), data kept, new bytes zero', () => {
    const { file, fd, data } = mkfile(PS + 10);
    const id = map(fd, PS + 10);
    native.resize(id, 3 * PS + 1);
    expect(native.length(id)).toBe(3 * PS + 1);
    expect(fs.statSync(file).size).toBe(3 * PS + 1);
    expect(native.fdSize(id)).toBe(3 * PS + 1);
    expect(read(id, 0, PS + 10).equals(data)).toBe(true);
    expect(read(id, PS + 10).equals(Buffer.alloc(2 * PS - 9))).toBe(true);
    native.setByte(id, 3 * PS, 0x77);
    expect(fs.readFileSync(file)[3 * PS]).toBe(0x77);
  });
  test('file: shrinks the file and the map', () => {
    const { file, fd, data } = mkfile(4 * PS);
    const id = map(fd, 4 * PS);
    native.resize(id, PS - 1);
    expect(native.length(id)).toBe(PS - 1);
    expect(fs.statSync(file).size).toBe(PS - 1);
    expect(read(id).equals(data.subarray(0, PS - 1))).toBe(true);
    expectRange(() => native.getByte(id, PS - 1));
  });
  test('file with an offset: the file becomes offset + new length', () => {
    const { file, fd, data } = mkfile(4 * PS);
    const id = map(fd, PS, C.MAP_SHARED, RW, 2 * PS);
    native.resize(id, 3 * PS);
    expect(fs.statSync(file).size).toBe(5 * PS);
    expect(read(id, 0, 2 * PS).equals(data.subarray(2 * PS))).toBe(true);
  });
  test('to zero: EINVAL from mremap, the map stays, the file was already truncated (as CPython)', () => {
    const { file, fd } = mkfile(2 * PS);
    const id = map(fd, 2 * PS);
    const ab = native.view(id);
    expectOSError(() => native.resize(id, 0), 'EINVAL');
    expect(native.length(id)).toBe(2 * PS);
    expect(fs.statSync(file).size).toBe(0); // ftruncate comes first, as in CPython
    expect(ab.byteLength).toBe(0); // the view was dropped before trying
    native.resize(id, 2 * PS); // the file is two pages (of zeros) again
    expect(read(id).equals(Buffer.alloc(2 * PS))).toBe(true);
    expect(native.view(id).byteLength).toBe(2 * PS);
    const anon = map(-1, PS, C.MAP_PRIVATE, RW, 0, false);
    expectOSError(() => native.resize(anon, 0), 'EINVAL');
    expect(native.length(anon)).toBe(PS);
  });
  test('anonymous private: grows and shrinks, data kept', () => {
    const id = map(-1, PS, C.MAP_PRIVATE, RW, 0, false);
    native.copyIn(id, PS - 5, Buffer.from('tail!'));
    native.resize(id, 4 * PS);
    expect(read(id, PS - 5, 5).toString()).toBe('tail!');
    expect(native.getByte(id, 4 * PS - 1)).toBe(0);
    native.setByte(id, 4 * PS - 1, 1);
    native.resize(id, 10);
    expect(native.length(id)).toBe(10);
    native.resize(id, 2 * PS);
    expect(native.getByte(id, 2 * PS - 1)).toBe(0);
  });
  test('a failing ftruncate (read-only fd) leaves the map intact and usable', () => {
    const { file, fd, data } = mkfile(2 * PS, 'r');
    const id = map(fd, 2 * PS, C.MAP_PRIVATE, RW);
    const ab = native.view(id);
    expectOSError(() => native.resize(id, 3 * PS), ['EINVAL', 'EBADF']);
    expect(native.length(id)).toBe(2 * PS);
    expect(fs.statSync(file).size).toBe(2 * PS);
    expect(native.getByte(id, 5)).toBe(data[5]);
    const ab2 = native.view(id); // the old view was dropped; a new one works
    expect(ab2.byteLength).toBe(2 * PS);
    expect(ab === ab2 || ab.byteLength === 0).toBe(true);
  });
});

// ====================================================================== setName

describe('setName (PR_SET_VMA_ANON_NAME)', () => {
  /** Why this kernel cannot name anonymous maps (EINVAL: Linux < 5.17 or no CONFIG_ANON_VMA_NAME), or null. */
  const kernelCannotName = ((): string | null => {
    const id = native.map(-1, PS, C.MAP_PRIVATE, RW, 0, false);
    try {
      native.setName(id, 'pymmap-probe');
      return null;
    } catch (e: any) {
      return `the kernel refuses PR_SET_VMA_ANON_NAME (${e?.code ?? e}: Linux < 5.17 or no CONFIG_ANON_VMA_NAME)`;
    } finally {
      native.close(id);
    }
  })();
  // (a kernel feature, not a missing prerequisite: exactly one of the two tests runs)
  testOn(kernelCannotName, 'names an anonymous map in /proc/self/maps; file-backed maps -> EINVAL', () => {
    const id = map(-1, 3 * PS, C.MAP_PRIVATE, RW, 0, false);
    native.setName(id, 'pymmap-native-test');
    expect(mapsOf('[anon:pymmap-native-test]')).toHaveLength(1);
    const { fd } = mkfile(PS);
    expectOSError(() => native.setName(map(fd, PS), 'file-backed'), 'EINVAL'); // anonymous only
  });
  testOn(kernelCannotName ? null : 'this kernel names anonymous maps', 'where the kernel cannot name maps: OSError EINVAL, nothing named', () => {
    const id = map(-1, 3 * PS, C.MAP_PRIVATE, RW, 0, false);
    expectOSError(() => native.setName(id, 'pymmap-native-test'), 'EINVAL');
    expect(mapsOf('[anon:pymmap-native-test]')).toHaveLength(0);
    expect(native.getByte(id, 0)).toBe(0); // the map is unharmed
  });
});

// ====================================================================== bytes

describe('getByte / setByte', () => {
  test('bounds and value truncation to a byte', () => {
    const { fd, data } = mkfile(PS);
    const id = map(fd, PS);
    expect(native.getByte(id, 0)).toBe(data[0]);
    expect(native.getByte(id, PS - 1)).toBe(data[PS - 1]);
    expectRange(() => native.getByte(id, PS));
    expectRange(() => native.getByte(id, -1));
    expectRange(() => native.setByte(id, PS, 0));
    expectRange(() => native.setByte(id, -1, 0));
    native.setByte(id, 1, 0x1ff);
    expect(native.getByte(id, 1)).toBe(0xff);
  });
});

describe('copyOut', () => {
  test('into every kind of destination, at an offset, across pages', () => {
    const { fd, data } = mkfile(3 * PS);
    const id = map(fd, 3 * PS);
    const u8 = new Uint8Array(100);
    native.copyOut(id, PS - 10, 20, u8, 50);
    expect(Buffer.from(u8.subarray(50, 70)).equals(data.subarray(PS - 10, PS + 10))).toBe(true);
    expect(u8[49]).toBe(0);
    expect(u8[70]).toBe(0);
    const dv = new DataView(new ArrayBuffer(16), 4, 8);
    native.copyOut(id, 0, 8, dv as any, 0);
    expect(Buffer.from(dv.buffer, 4, 8).equals(data.subarray(0, 8))).toBe(true);
    const u16 = new Uint16Array(4); // 8 bytes
    native.copyOut(id, 0, 8, u16 as any, 0);
    expect(Buffer.from(u16.buffer).equals(data.subarray(0, 8))).toBe(true);
    const sub = Buffer.alloc(10).subarray(3, 8); // byteOffset honoured
    native.copyOut(id, 2, 5, sub, 0);
    expect(sub.equals(data.subarray(2, 7))).toBe(true);
  });
  test('into a view of the same map, overlapping (memmove semantics)', () => {
    const id = map(-1, 16 * PS, C.MAP_PRIVATE, RW, 0, false);
    const u8 = new Uint8Array(native.view(id));
    for (let i = 0; i < u8.length; i++) u8[i] = i % 251;
    const exp = Buffer.from(u8);
    exp.copy(exp, 10, 0, 15 * PS);
    native.copyOut(id, 0, 15 * PS, u8, 10);
    expect(Buffer.from(u8).equals(exp)).toBe(true);
    exp.copy(exp, 0, 7, 7 + 15 * PS);
    native.copyOut(id, 7, 15 * PS, u8, 0);
    expect(Buffer.from(u8).equals(exp)).toBe(true);
  });
  test('large copies (streamed into the destination on x86): every alignment and tail length', () => {
    const { fd, data } = mkfile(8 * PS);
    const id = map(fd, 8 * PS);
    const lens = [16383, 16384, 16385, 16384 + 63, 16384 + 64, 5 * PS + 37];
    for (const n of lens) {
      for (const src of [0, 1, 15, 16, 63, PS - 3]) {
        for (const doff of [0, 1, 7, 15, 16, 33]) {
          const u8 = new Uint8Array(doff + n + 32).fill(0xa5);
          native.copyOut(id, src, n, u8, doff);
          const ok = Buffer.from(u8.subarray(doff, doff + n)).equals(data.subarray(src, src + n));
          const guard = u8.subarray(0, doff).every((b) => b === 0xa5) && u8.subarray(doff + n).every((b) => b === 0xa5);
          if (!ok || !guard) throw new Error(`copyOut n=${n} src=${src} doff=${doff}: ok=${ok} guard=${guard}`);
        }
      }
    }
  });
  test('ranges: source and destination checked, n=0 anywhere up to the end', () => {
    const { fd } = mkfile(PS);
    const id = map(fd, PS);
    expectRange(() => native.copyOut(id, PS - 1, 2, Buffer.alloc(2), 0));
    expectRange(() => native.copyOut(id, 0, 5, Buffer.alloc(4), 0));
    expectRange(() => native.copyOut(id, 0, 2, Buffer.alloc(4), 3));
    expectRange(() => native.copyOut(id, PS + 1, 0, Buffer.alloc(1), 0));
    native.copyOut(id, PS, 0, Buffer.alloc(0), 0);
    expect(() => native.copyOut(id, 0, 1, 'x' as any, 0)).toThrow(/bytes-like/);
  });
});

describe('copyStep', () => {
  test('positive, negative and zero steps', () => {
    const { fd, data } = mkfile(2 * PS);
    const id = map(fd, 2 * PS);
    const pick = (start: number, step: number, n: number) => {
      const out = Buffer.alloc(n);
      native.copyStep(id, start, step, n, out);
      return [...out];
    };
    const ref = (start: number, step: number, n: number) => Array.from({ length: n }, (_, k) => data[start + k * step]);
    expect(pick(0, 3, 100)).toEqual(ref(0, 3, 100));
    expect(pick(2 * PS - 1, -1, 2 * PS)).toEqual(ref(2 * PS - 1, -1, 2 * PS)); // reversed
    expect(pick(2 * PS - 1, -PS - 1, 2)).toEqual(ref(2 * PS - 1, -PS - 1, 2));
    expect(pick(PS + 3, -7, 50)).toEqual(ref(PS + 3, -7, 50));
    expect(pick(5, 0, 4)).toEqual([data[5], data[5], data[5], data[5]]);
    expect(pick(999999, 5, 0)).toEqual([]); // nothing read: start not checked
  });
  test('ranges', () => {
    const { fd } = mkfile(PS);
    const id = map(fd, PS);
    expectRange(() => native.copyStep(id, 0, 1, PS + 1, Buffer.alloc(PS + 1)));
    expectRange(() => native.copyStep(id, 10, -1, 12, Buffer.alloc(12)));
    expectRange(() => native.copyStep(id, -1, 1, 1, Buffer.alloc(1)));
    expectRange(() => native.copyStep(id, PS, -1, 1, Buffer.alloc(1)));
    expectRange(() => native.copyStep(id, 0, 1, 3, Buffer.alloc(2)));
  });
});

describe('copyIn', () => {
  test('sources of every kind', () => {
    const { file, fd } = mkfile(2 * PS);
    const id = map(fd, 2 * PS);
    native.copyIn(id, PS - 2, Buffer.from('abcd'));
    native.copyIn(id, 0, new Uint8Array([1, 2, 3]).buffer);
    native.copyIn(id, 10, new DataView(Buffer.from('xxDVxx').buffer.slice(0), 0, 0) as any);
    native.copyIn(id, 20, new Uint32Array([0x04030201]));
    native.copyIn(id, 2 * PS, new Uint8Array(0)); // empty at the very end
    const f = fs.readFileSync(file);
    expect(f.subarray(PS - 2, PS + 2).toString()).toBe('abcd');
    expect([...f.subarray(0, 3)]).toEqual([1, 2, 3]);
    expect([...f.subarray(20, 24)]).toEqual([1, 2, 3, 4]);
  });
  test('overlap with the mapping itself (memmove semantics), both directions', () => {
    const { fd, data } = mkfile(3 * PS);
    const id = map(fd, 3 * PS);
    const v = new Uint8Array(native.view(id));
    const expected = Buffer.from(data);
    expected.copy(expected, 10, 0, PS + 100); // Buffer.copy is memmove
    native.copyIn(id, 10, v.subarray(0, PS + 100));
    expect(read(id).equals(expected)).toBe(true);
    expected.copy(expected, PS - 50, PS, 2 * PS + 7);
    native.copyIn(id, PS - 50, v.subarray(PS, 2 * PS + 7));
    expect(read(id).equals(expected)).toBe(true);
  });
  test('from another map, and from a read-only map\'s view (the shadow)', () => {
    const a = mkfile(PS, 'r');
    const ro = map(a.fd, PS, C.MAP_SHARED, C.PROT_READ);
    const b = mkfile(PS);
    const rw = map(b.fd, PS);
    native.copyIn(rw, 0, Buffer.alloc(PS));
    native.copyIn(rw, 0, new Uint8Array(native.view(ro)));
    expect(read(rw).equals(a.data)).toBe(true);
  });
  test('readonly and ranges', () => {
    const { fd } = mkfile(PS, 'r');
    const ro = map(fd, PS, C.MAP_SHARED, C.PROT_READ);
    expectReadonly(() => native.copyIn(ro, 0, Buffer.from('x')));
    const rw = map(-1, PS, C.MAP_PRIVATE, RW, 0, false);
    expectRange(() => native.copyIn(rw, PS - 1, Buffer.from('xy')));
    expectRange(() => native.copyIn(rw, PS + 1, Buffer.alloc(0)));
  });
});

describe('storeStep', () => {
  test('positive and negative steps, source aliasing the map', () => {
    const { fd, data } = mkfile(2 * PS);
    const id = map(fd, 2 * PS);
    const exp = Buffer.from(data);
    native.storeStep(id, 1, 2, 4, Buffer.from('WXYZ'));
    'WXYZ'.split('').forEach((c, k) => { exp[1 + 2 * k] = c.charCodeAt(0); });
    native.storeStep(id, 2 * PS - 1, -PS, 2, Buffer.from('ab'));
    exp[2 * PS - 1] = 0x61;
    exp[PS - 1] = 0x62;
    expect(read(id).equals(exp)).toBe(true);
    // reverse the first 16 bytes in place, reading from a view of the same bytes
    const v = new Uint8Array(native.view(id));
    native.storeStep(id, 15, -1, 16, v.subarray(0, 16));
    const rev = Buffer.from(exp.subarray(0, 16)).reverse();
    rev.copy(exp, 0);
    expect(read(id).equals(exp)).toBe(true);
    native.storeStep(id, 123456, 1, 0, Buffer.alloc(0)); // n=0: nothing checked, nothing stored
  });
  test('readonly and ranges', () => {
    const { fd } = mkfile(PS, 'r');
    const ro = map(fd, PS, C.MAP_SHARED, C.PROT_READ);
    expectReadonly(() => native.storeStep(ro, 0, 1, 1, Buffer.from('x')));
    const rw = map(-1, PS, C.MAP_PRIVATE, RW, 0, false);
    expectRange(() => native.storeStep(rw, 0, 1, 2, Buffer.from('x')));
    expectRange(() => native.storeStep(rw, PS - 1, 1, 2, Buffer.from('xy')));
    expectRange(() => native.storeStep(rw, 0, -1, 2, Buffer.from('xy')));
  });
});

describe('move', () => {
  test('overlapping both ways, across pages, n=0', () => {
    const { fd, data } = mkfile(3 * PS);
    const id = map(fd, 3 * PS);
    const exp = Buffer.from(data);
    native.move(id, 100, 0, 2 * PS);
    exp.copy(exp, 100, 0, 2 * PS);
    native.move(id, 0, PS + 1, PS);
    exp.copy(exp, 0, PS + 1, 2 * PS + 1);
    native.move(id, 3 * PS, 0, 0);
    expect(read(id).equals(exp)).toBe(true);
  });
  test('readonly and ranges', () => {
    const { fd } = mkfile(PS, 'r');
    const ro = map(fd, PS, C.MAP_SHARED, C.PROT_READ);
    expectReadonly(() => native.move(ro, 0, 1, 1));
    const rw = map(-1, PS, C.MAP_PRIVATE, RW, 0, false);
    expectRange(() => native.move(rw, 1, 0, PS));
    expectRange(() => native.move(rw, 0, 1, PS));
  });
});

// ====================================================================== searches

describe('find / rfind / findByte', () => {
  // A small alphabet so that needles match often, with partial matches everywhere.
  const N = 3 * PS + 123;
  let id: number;
  let hay: Buffer;
  beforeAll(() => {
    hay = Buffer.alloc(N);
    let x = 12345;
    for (let i = 0; i < N; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      hay[i] = 97 + ((x >>> 16) % 3);
    }
    const f = path.join(dir, 'hay.bin');
    fs.writeFileSync(f, hay);
    const fd = fs.openSync(f, 'r');
    id = native.map(fd, N, C.MAP_SHARED, C.PROT_READ, 0, true);
    fs.closeSync(fd);
  });
  afterAll(() => native.close(id));

  const refFind = (s: number, e: number, nd: Buffer) => {
    e = Math.min(e, N);
    if (s > e) return -1;
    const i = hay.subarray(s, e).indexOf(nd);
    return i < 0 ? -1 : i + s;
  };
  const refRfind = (s: number, e: number, nd: Buffer) => {
    e = Math.min(e, N);
    if (s > e) return -1;
    if (nd.length === 0) return e;
    const i = hay.subarray(s, e).lastIndexOf(nd);
    return i < 0 ? -1 : i + s;
  };

  test('agree with Buffer.indexOf / lastIndexOf on random ranges and needles', () => {
    let x = 99;
    const rnd = (m: number) => { x = (x * 1103515245 + 12345) >>> 0; return (x >>> 8) % m; };
    for (let k = 0; k < 600; k++) {
      const s = rnd(N + 10);
      const e = rnd(N + 10);
      const len = [0, 1, 2, 3, 5, 8, 13][rnd(7)];
      const at = rnd(N);
      const nd = rnd(4) === 0 ? Buffer.from('abcab'.slice(0, len)) : hay.subarray(at, at + len);
      expect([s, e, nd.toString(), native.find(id, s, e, nd)]).toEqual([s, e, nd.toString(), refFind(s, e, nd)]);
      expect([s, e, nd.toString(), native.rfind(id, s, e, nd)]).toEqual([s, e, nd.toString(), refRfind(s, e, nd)]);
    }
  });
  test('edges: empty needle, needle longer than the range, end clamped, start > end, page-crossing match', () => {
    expect(native.find(id, 7, 20, Buffer.alloc(0))).toBe(7);
    expect(native.rfind(id, 7, 20, Buffer.alloc(0))).toBe(20);
    expect(native.find(id, N, N, Buffer.alloc(0))).toBe(N);
    expect(native.rfind(id, 0, N + 100, Buffer.alloc(0))).toBe(N);
    expect(native.find(id, 10, 12, hay.subarray(10, 13))).toBe(-1);
    expect(native.rfind(id, 10, 12, hay.subarray(10, 13))).toBe(-1);
    expect(native.find(id, 10, 13, hay.subarray(10, 13))).toBe(10);
    expect(native.find(id, 30, 20, Buffer.alloc(0))).toBe(-1);
    expect(native.rfind(id, 30, 20, Buffer.alloc(0))).toBe(-1);
    const cross = hay.subarray(PS - 6, PS + 6);
    expect(native.find(id, PS - 6, N, cross)).toBe(refFind(PS - 6, N, cross));
    expect(native.rfind(id, 0, PS + 6, cross)).toBe(refRfind(0, PS + 6, cross));
    expect(native.find(id, 0, N + 1e9, Buffer.from('zzz'))).toBe(-1);
  });
  test('needles of every kind, including a view of the map itself and one over 4096 bytes', () => {
    const last = hay.subarray(N - 5);
    expect(native.find(id, 0, N, new Uint8Array(last).buffer)).toBe(refFind(0, N, last));
    expect(native.rfind(id, 0, N, new DataView(new Uint8Array(last).buffer) as any)).toBe(refRfind(0, N, last));
    const v = new Uint8Array(native.view(id));
    expect(native.find(id, 1, N, v.subarray(0, 4))).toBe(refFind(1, N, hay.subarray(0, 4)));
    expect(native.rfind(id, 0, N, v.subarray(PS, 2 * PS + 1))).toBe(PS);
    const big = Buffer.from(hay.subarray(100, 100 + 5000));
    expect(native.find(id, 0, N, big)).toBe(100);
    expect(native.rfind(id, 0, N, big)).toBe(100);
  });
  test('findByte agrees with indexOf', () => {
    for (const [s, e, c] of [[0, N, 0x61], [5, 6, hay[5]], [5, 5, hay[5]], [6, 5, 0x61], [0, N + 9, 0x7a], [PS - 1, N, 0x63], [N - 1, N, hay[N - 1]]]) {
      const sub = hay.subarray(s, Math.min(e, N));
      const i = s >= Math.min(e, N) ? -1 : sub.indexOf(c);
      expect([s, e, c, native.findByte(id, s, e, c)]).toEqual([s, e, c, i < 0 ? -1 : i + s]);
    }
  });
});

// ====================================================================== views

describe('view', () => {
  test('writable shared map: an ArrayBuffer over the mapping; writes reach the file', () => {
    const { file, fd, data } = mkfile(2 * PS);
    const id = map(fd, 2 * PS);
    const ab = native.view(id);
    expect(isArrayBuffer(ab)).toBe(true);
    expect(ab.byteLength).toBe(2 * PS);
    const u8 = new Uint8Array(ab);
    expect(Buffer.from(ab).equals(data)).toBe(true);
    u8[PS + 1] = 0x99;
    expect(native.getByte(id, PS + 1)).toBe(0x99);
    expect(fs.readFileSync(file)[PS + 1]).toBe(0x99);
    native.setByte(id, 2, 0x42);
    expect(u8[2]).toBe(0x42);
    expect(native.view(id)).toBe(ab); // at most one per mapping
  });
  test('private writable map: a view over the private pages', () => {
    const { file, fd, data } = mkfile(PS);
    const id = map(fd, PS, C.MAP_PRIVATE, RW);
    const u8 = new Uint8Array(native.view(id));
    u8[0] = 0x55;
    expect(native.getByte(id, 0)).toBe(0x55);
    expect(fs.readFileSync(file).equals(data)).toBe(true);
  });
  test('read-only map: a private shadow; stores never reach the file nor the map, and do not fault', () => {
    const { file, fd, data } = mkfile(2 * PS, 'r');
    const id = map(fd, 2 * PS, C.MAP_SHARED, C.PROT_READ);
    const fc = native.faultCounter();
    const f0 = fc[0];
    const ab = native.view(id);
    const u8 = new Uint8Array(ab);
    expect(Buffer.from(ab).equals(data)).toBe(true);
    u8[0] = 0xee;
    u8[2 * PS - 1] = 0xee;
    expect(u8[0]).toBe(0xee);
    expect(native.getByte(id, 0)).toBe(data[0]);
    expect(fs.readFileSync(file).equals(data)).toBe(true);
    expect(fc[0]).toBe(f0);
    expect(native.view(id)).toBe(ab);
    // the shadow is a second mapping of the file, gone at close
    expect(mapsOf(file)).toHaveLength(2);
    native.close(id);
    openIds.splice(openIds.indexOf(id), 1);
    expect(mapsOf(file)).toHaveLength(0);
    expect(ab.byteLength).toBe(0);
  });
  test('anonymous maps have views too (read-only anonymous: zeros)', () => {
    const id = map(-1, PS, C.MAP_SHARED, RW, 0, false);
    const u8 = new Uint8Array(native.view(id));
    u8[5] = 5;
    expect(native.getByte(id, 5)).toBe(5);
    const ro = map(-1, PS, C.MAP_PRIVATE, C.PROT_READ, 0, false);
    const r8 = new Uint8Array(native.view(ro));
    expect(r8.every((b) => b === 0)).toBe(true);
    r8[1] = 1; // the shadow takes it
    expect(native.getByte(ro, 1)).toBe(0);
  });
  test('detached (length 0) after close and after resize; a new view after resize', () => {
    const { fd } = mkfile(2 * PS);
    const id = map(fd, 2 * PS);
    const ab = native.view(id);
    const u8 = new Uint8Array(ab);
    native.resize(id, 3 * PS);
    expect(ab.byteLength).toBe(0);
    expect(u8.length).toBe(0);
    expect(u8[0]).toBeUndefined();
    const ab2 = native.view(id);
    expect(ab2).not.toBe(ab);
    expect(ab2.byteLength).toBe(3 * PS);
    native.close(id);
    openIds.splice(openIds.indexOf(id), 1);
    expect(ab2.byteLength).toBe(0);
    expectClosed(() => native.view(id));
  });
  test('no view: PROT_NONE, file map without an fd when read-only (no shadow possible), zero length', () => {
    const none = map(-1, PS, C.MAP_PRIVATE, 0, 0, false);
    expect(catchErr(() => native.view(none))).toBeInstanceOf(NativeViewError);
    const { fd } = mkfile(PS, 'r');
    const nofd = map(fd, PS, C.MAP_SHARED, C.PROT_READ, 0, false);
    const e = catchErr(() => native.view(nofd));
    expect(e).toBeInstanceOf(NativeViewError);
    expect(e).toBeInstanceOf(BufferError);
    // the writable equivalent needs no shadow
    const w = mkfile(PS);
    const nofdw = map(w.fd, PS, C.MAP_SHARED, RW, 0, false);
    expect(native.view(nofdw).byteLength).toBe(PS);
  });
  test('faultCounter is a Uint32Array(2) over one process-wide counter', () => {
    const a = native.faultCounter();
    const b = native.faultCounter();
    expect(Object.prototype.toString.call(a)).toBe('[object Uint32Array]');
    expect(a.length).toBe(2);
    expect(a[0]).toBe(b[0]);
    const { fd } = mkfile(PS);
    const id = map(fd, PS);
    native.view(id);
    expect(native.repair(id)).toBe(0);
  });
});

// ====================================================================== > 4 GiB, sparse

describe('maps over 4 GiB (sparse file)', () => {
  const SIZE = 5 * GiB;
  // The file is made when the tests are registered, so that a filesystem without holes is a
  // visible skip (with its reason), not three passes.
  const file = path.join(tmpDir('sparse'), 'sparse5g.bin');
  let fd = -1;
  let sparseReason: string | null = null;
  try {
    fd = fs.openSync(file, 'w+');
    fs.ftruncateSync(fd, SIZE);
    const st = fs.fstatSync(fd);
    if (st.size !== SIZE) sparseReason = `ftruncate gave ${st.size} bytes`;
    else if (st.blocks * 512 > 64 * 1024 * 1024) sparseReason = `the filesystem allocated ${st.blocks * 512} bytes (not sparse)`;
  } catch (e: any) {
    sparseReason = `cannot make a 5 GiB sparse file: ${e.message}`;
  }
  afterAll(() => {
    if (fd >= 0) fs.closeSync(fd);
    try { fs.unlinkSync(file); } catch { /* gone */ }
  });
  const testSparse = (name: string, fn: () => void) => testIf(sparseReason, name, fn);

  testSparse('read, write, copy, find beyond 4 GiB', () => {
    const id = map(fd, SIZE);
    expect(native.length(id)).toBe(SIZE);
    expect(native.fdSize(id)).toBe(SIZE);
    const far = 4 * GiB + 100;
    expect(native.getByte(id, far)).toBe(0);
    native.setByte(id, far, 0xab);
    expect(native.getByte(id, far)).toBe(0xab);
    const needle = Buffer.from('needle-near-the-end');
    const at = SIZE - 1000;
    native.copyIn(id, at, needle);
    native.flush(id, 4 * GiB, GiB, C.MS_SYNC);
    const back = Buffer.alloc(needle.length);
    fs.readSync(fd, back, 0, back.length, at);
    expect(back.equals(needle)).toBe(true);
    const one = Buffer.alloc(1);
    fs.readSync(fd, one, 0, 1, far);
    expect(one[0]).toBe(0xab);
    const out = Buffer.alloc(needle.length);
    native.copyOut(id, at, needle.length, out, 0);
    expect(out.equals(needle)).toBe(true);
    expect(native.find(id, SIZE - 64 * 1024, SIZE, needle)).toBe(at);
    expect(native.rfind(id, 4 * GiB, SIZE, needle)).toBe(at);
    expect(native.findByte(id, far - 10, SIZE, 0xab)).toBe(far);
    expect(native.findByte(id, SIZE - 8192, SIZE, 0x6e)).toBe(at); // 'n'
    const step = Buffer.alloc(3);
    native.copyStep(id, at + 2, -1, 3, step);
    expect(step.toString()).toBe('een');
    native.storeStep(id, SIZE - 1, -1, 3, Buffer.from('xyz'));
    expect(native.getByte(id, SIZE - 3)).toBe(0x7a);
    native.move(id, SIZE - 100, at, needle.length);
    expect(native.find(id, SIZE - 200, SIZE, needle)).toBe(SIZE - 100);
    native.advise(id, 4 * GiB, GiB, C.MADV_RANDOM);
    if (hostMajor < 22) {
      const e = catchErr(() => native.view(id));
      expect(e).toBeInstanceOf(NativeViewError);
      expect(e.message).toMatch(/4 GiB/);
    } else {
      const u8 = new Uint8Array(native.view(id));
      expect(u8.length).toBe(SIZE);
      expect(u8[far]).toBe(0xab);
    }
  });

  testSparse('an offset beyond 4 GiB (64-bit off_t)', () => {
    const off = 4 * GiB + 4 * PS;
    const w = Buffer.from('past-4GiB');
    fs.writeSync(fd, w, 0, w.length, off + 10);
    const id = map(fd, 2 * PS, C.MAP_SHARED, RW, off);
    const out = Buffer.alloc(w.length);
    native.copyOut(id, 10, w.length, out, 0);
    expect(out.equals(w)).toBe(true);
    const id2 = map(fd, BigInt(PS), C.MAP_SHARED, RW, BigInt(off));
    expect(native.getByte(id2, 10)).toBe(w[0]);
  });

  testSparse('resize across 4 GiB', () => {
    const id = map(fd, GiB);
    native.resize(id, SIZE + PS);
    expect(native.length(id)).toBe(SIZE + PS);
    expect(fs.fstatSync(fd).size).toBe(SIZE + PS);
    native.setByte(id, SIZE + 1, 1);
    expect(native.getByte(id, SIZE + 1)).toBe(1);
    native.resize(id, SIZE);
  });
});

// The Pyodide bridge's placed mappings: pymmap's own mapping made over memory the caller owns
// (here a WebAssembly.Memory, as the bridge uses Pyodide's).
describe('placed mappings (map with a target)', () => {
  const notHere = native.backend === 'posix' ? null : 'Windows has no placed mappings (the Pyodide bridge takes its copying path there)';
  function wasmMem(pages = 64): WebAssembly.Memory {
    return new WebAssembly.Memory({ initial: pages }); // 64 KiB pages: page aligned for the host
  }

  testOn(notHere, 'the file is mapped over the target: reads and writes both ways, close gives zeroed pages back', () => {
    const { fd, data, file } = mkfile(3 * PS + 100);
    const mem = wasmMem();
    const u8 = new Uint8Array(mem.buffer);
    u8.fill(0xee, 8 * PS, 12 * PS);
    const id = native.map(fd, data.length, C.MAP_SHARED, RW, 0, true, null, 0, mem.buffer, 8 * PS);
    expect(Buffer.from(u8.subarray(8 * PS, 8 * PS + data.length)).equals(data)).toBe(true);
    u8[8 * PS + 5] = 0x41;                                    // a store through the target
    expect(fs.readFileSync(file)[5]).toBe(0x41);              // is the file's
    native.setByte(id, 6, 0x42);                              // and the mapping's own calls
    expect(u8[8 * PS + 6]).toBe(0x42);                        // see the same pages
    expect(native.fdSize(id)).toBe(data.length);
    expect(() => native.view(id)).toThrow(NativeViewError);   // no second view of them
    native.close(id);
    expect(u8.subarray(8 * PS, 12 * PS).every((b) => b === 0)).toBe(true);
    u8[8 * PS] = 1;                                           // plain memory again
    expect(fs.readFileSync(file)[0]).toBe(data[0]);
    expect(u8[12 * PS]).toBe(0);                              // the neighbour untouched
  });

  testOn(notHere, 'the collector\'s close (abandon) leaves the memory as it is', () => {
    const { fd, data } = mkfile(PS);
    const mem = wasmMem();
    const id = native.map(fd, PS, C.MAP_SHARED, RW, 0, true, null, 0, mem.buffer, 4 * PS);
    native.close(id, true);
    expect(new Uint8Array(mem.buffer)[4 * PS + 1]).toBe(data[1]);   // still the file's pages
  });

  testOn(notHere, 'resize moves it to new memory: shared maps the file there, private maps keep their stores', () => {
    const { fd, data, file } = mkfile(2 * PS);
    const mem = wasmMem();
    const u8 = new Uint8Array(mem.buffer);
    const id = native.map(fd, 2 * PS, C.MAP_SHARED, RW, 0, true, null, 0, mem.buffer, 4 * PS);
    openIds.push(id);
    native.resize(id, 3 * PS, mem.buffer, 16 * PS);
    expect(fs.statSync(file).size).toBe(3 * PS);
    expect(Buffer.from(u8.subarray(16 * PS, 18 * PS)).equals(data)).toBe(true);
    expect(u8.subarray(4 * PS, 6 * PS).every((b) => b === 0)).toBe(true);   // the old range: zeroed
    expect(native.length(id)).toBe(3 * PS);
    expect(() => native.resize(id, PS)).toThrow(/resizes to a new target/);  // it needs new memory
    const p = mkfile(PS);
    const pid = native.map(p.fd, PS, C.MAP_PRIVATE, RW, 0, true, null, 0, mem.buffer, 24 * PS);
    openIds.push(pid);
    u8[24 * PS + 3] = 0x99;                                   // a private store
    native.resize(pid, PS, mem.buffer, 28 * PS);
    expect(u8[28 * PS + 3]).toBe(0x99);                       // moved with the map
    expect(fs.readFileSync(p.file)[3]).toBe(p.data[3]);       // never the file's
  });

  testOn(notHere, 'a target that is not page aligned, outside the buffer, or an anonymous map is refused', () => {
    const { fd } = mkfile(PS);
    const mem = wasmMem(4);
    const outside = /not page aligned or outside the buffer/;
    expect(() => native.map(fd, PS, C.MAP_SHARED, RW, 0, true, null, 0, mem.buffer, 100)).toThrow(outside);
    expect(() => native.map(fd, PS, C.MAP_SHARED, RW, 0, true, null, 0, mem.buffer, 4 * 65536)).toThrow(outside);
    expect(() => native.map(fd, PS, C.MAP_SHARED, RW, 0, true, null, 0, new ArrayBuffer(8), 0)).toThrow(outside);
    expect(() => native.map(-1, PS, C.MAP_SHARED, RW, 0, true, null, 0, mem.buffer, 0)).toThrow(/needs a file and a length/);
  });
});
