// The mmap object's methods: results, positions and exact exceptions (CPython 3.13 measurements;
// the default module is 3.15, whose semantics only differ where a test says so).
import * as fs from 'fs';
import M = require('../index');
import { moduleFor } from '../versions';
import { raises, Scratch } from './helpers';

const M13 = moduleFor('3.13');
const M12 = moduleFor('3.12');
const M8 = moduleFor('3.8');
const M7 = moduleFor('3.7');
const PS = M.PAGESIZE;
const b = (s: string) => Buffer.from(s, 'latin1');
const isNone = (v: unknown) => v === null || v === undefined;
const DATA = 'one two ones\n\nxy'; // 16 bytes

let s: Scratch;
const maps: any[] = [];
function keep<T>(m: T): T {
  maps.push(m);
  return m;
}
/** A 16-byte anonymous map holding DATA, position 0. */
function text(V: any = M): any {
  const m = keep(new V.mmap(-1, 16));
  m.write(b(DATA));
  m.seek(0);
  return m;
}
beforeAll(() => { s = new Scratch('methods'); });
afterAll(() => {
  for (const m of maps) if (!m.closed) { try { m.close(); } catch { /* exported */ } }
  s.cleanup();
});

describe('close / closed', () => {
  test('close is idempotent and returns None; closed reflects it', () => {
    const m = new M.mmap(-1, 10);
    expect(m.closed).toBe(false);
    expect(isNone(m.close())).toBe(true);
    expect(m.closed).toBe(true);
    expect(isNone(m.close())).toBe(true);
    expect(m.closed).toBe(true);
  });

  test('every other operation on a closed map: ValueError', () => {
    const m = new M.mmap(-1, 10);
    m.close();
    const closed: Array<[string, () => unknown]> = [
      ['read', () => m.read()], ['read_byte', () => m.read_byte()], ['readline', () => m.readline()],
      ['write', () => m.write(b('a'))], ['write_byte', () => m.write_byte(1)],
      ['find', () => m.find(b('a'))], ['rfind', () => m.rfind(b('a'))], ['flush', () => m.flush()],
      ['move', () => m.move(0, 0, 0)], ['resize', () => m.resize(5)], ['seek', () => m.seek(0)],
      ['tell', () => m.tell()], ['size', () => m.size()], ['madvise', () => m.madvise(0)],
      ['__enter__', () => m.__enter__()], ['__len__', () => m.__len__()],
      ['[0]', () => m.__getitem__(0)], ['[0:1]', () => m.__getitem__(new (require('../builtins').slice)(0, 1))],
      ['[0]=1', () => m.__setitem__(0, 1)], ['[0:1]=', () => m.__setitem__(new (require('../builtins').slice)(0, 1), b('a'))],
      ['__buffer__', () => m.__buffer__(0)], ['iter', () => [...m]], ['in', () => m.__contains__(b('a'))],
    ];
    for (const [, fn] of closed) raises(fn, 'ValueError', 'mmap closed or invalid');
    // these still work
    expect(m.seekable()).toBe(true);
    expect(isNone(m.__exit__(null, null, null))).toBe(true);
    expect(m.__repr__()).toBe('<mmap.mmap closed=True>');
  });
});

describe('find / rfind', () => {
  test('start defaults to the current position, end to the length', () => {
    const m = text();
    expect(m.find(b('one'))).toBe(0);
    m.seek(1);
    expect(m.find(b('one'))).toBe(8);
    expect(m.tell()).toBe(1); // find does not move
    m.seek(3);
    expect(m.rfind(b('one'))).toBe(8);
    m.seek(15);
    expect(m.rfind(b('y'))).toBe(15);
    m.seek(16);
    expect(m.find(b('y'))).toBe(-1);
    expect(m.rfind(b('y'))).toBe(-1);
  });

  test('negative start/end count from the end and are clamped', () => {
    const m = text();
    expect(m.find(b('one'), -8)).toBe(8);
    expect(m.rfind(b('one'), -8)).toBe(8);
    expect(m.find(b('one'), -100)).toBe(0);
    expect(m.find(b('one'), 0, -5)).toBe(0);
    expect(m.find(b('ones'), 0, -5)).toBe(-1);
    expect(m.rfind(b('one'), 0, 11)).toBe(8);
    expect(m.rfind(b('one'), 0, 10)).toBe(0);
    expect(m.find(b('one'), 5, 2)).toBe(-1);
    expect(m.find(b(DATA), 0)).toBe(0);
    expect(m.find(b(DATA + 'z'), 0)).toBe(-1);
    expect(m.find(b('y'), 0, 1000)).toBe(15);
  });

  test('empty needle: the clamped start (rfind: end); -1 when end < start', () => {
    const m = text();
    m.seek(3);
    expect(m.find(b(''))).toBe(3);
    expect(m.find(b(''), 100)).toBe(16);
    expect(m.find(b(''), 16, 16)).toBe(16);
    expect(m.find(b(''), 5, 3)).toBe(-1);
    m.seek(0);
    expect(m.rfind(b(''))).toBe(16);
    expect(m.rfind(b(''), 3, 5)).toBe(5);
  });

  test('non-bytes needles and bad indices', () => {
    const m = text();
    raises(() => m.find('one'), 'TypeError', "a bytes-like object is required, not 'str'");
    raises(() => m.rfind('one'), 'TypeError', "a bytes-like object is required, not 'str'");
    raises(() => m.find(111), 'TypeError', "a bytes-like object is required, not 'int'");
    raises(() => m.find(null), 'TypeError', "a bytes-like object is required, not 'NoneType'");
    raises(() => m.find([1]), 'TypeError', "a bytes-like object is required, not 'list'");
    raises(() => m.find(b('a'), 'x'), 'TypeError', "'str' object cannot be interpreted as an integer");
    raises(() => m.find(b('a'), 1.5), 'TypeError', "'float' object cannot be interpreted as an integer");
    raises(() => m.find(b('one'), 1, 2n ** 70n), 'OverflowError', 'Python int too large to convert to C ssize_t');
    raises(() => m.find(b('one'), -(2n ** 70n)), 'OverflowError', 'Python int too large to convert to C ssize_t');
  });

  test('None for start/end: TypeError up to 3.14, accepted in 3.15', () => {
    const m13 = text(M13);
    raises(() => m13.find(b('one'), null), 'TypeError', "'NoneType' object cannot be interpreted as an integer");
    raises(() => m13.find(b('one'), 0, null), 'TypeError', "'NoneType' object cannot be interpreted as an integer");
    const m = text();
    m.seek(1);
    expect(m.find(b('one'), null)).toBe(8);
    expect(m.find(b('one'), 0, null)).toBe(0);
    expect(m.rfind(b('one'), null, null)).toBe(8);
  });
});

describe('flush', () => {
  let fm: any;
  beforeAll(() => {
    fm = keep(new M.mmap(s.fd('flush', Buffer.alloc(4 * PS)), 0));
  });

  test('ranges and return value', () => {
    const m = keep(new M.mmap(-1, 16));
    expect(isNone(m.flush())).toBe(true);
    expect(isNone(m.flush(0, 16))).toBe(true);
    expect(isNone(m.flush(0, 0))).toBe(true);
    for (const [o, n] of [[0, 17], [-1, 1], [0, -2], [PS, 1], [17, 0]]) {
      raises(() => m.flush(o, n), 'ValueError', 'flush values out of range');
    }
    raises(() => m.flush(PS), 'ValueError', 'flush values out of range');
    raises(() => m.flush(0, 2n ** 63n), 'OverflowError', 'Python int too large to convert to C ssize_t');
    raises(() => m.flush(-(2n ** 63n), 2), 'ValueError', 'flush values out of range');
    raises(() => m.flush('x'), 'TypeError', "'str' object cannot be interpreted as an integer");
    // msync needs a page-aligned address
    const e = raises(() => m.flush(1, 1), 'OSError', '[Errno 22] Invalid argument');
    expect(e.errno).toBe(22);
  });

  test('flushed data reaches the file', () => {
    fm.__setitem__(0, 0x41);
    fm.__setitem__(PS, 0x42);
    expect(isNone(fm.flush(0, PS))).toBe(true);
    expect(isNone(fm.flush(PS, PS))).toBe(true);
    const fd = fs.openSync(`${s.dir}/flush`, 'r');
    const head = Buffer.alloc(PS + 1);
    fs.readSync(fd, head, 0, PS + 1, 0);
    fs.closeSync(fd);
    expect([head[0], head[PS]]).toEqual([0x41, 0x42]);
  });

  test('offset alone: ValueError up to 3.14 (size defaults to len); 3.15 flushes to the end', () => {
    const m13 = keep(new M13.mmap(-1, 16));
    raises(() => m13.flush(4), 'ValueError', 'flush values out of range');
    raises(() => m13.flush(0, -1), 'ValueError', 'flush values out of range');
    // 3.15 (test_flush_parameters): flush(PAGESIZE), flush(PAGESIZE, PAGESIZE), keyword-only flags
    expect(isNone(fm.flush(PS))).toBe(true);
    expect(isNone(fm.flush(PS, PS))).toBe(true);
    expect(isNone(fm.flush(0, PS, { flags: M.MS_SYNC }))).toBe(true);
    expect(isNone(fm.flush({ flags: M.MS_ASYNC }))).toBe(true);
    expect(isNone(fm.flush(2 * PS, { flags: M.MS_INVALIDATE }))).toBe(true);
    expect(isNone(fm.flush(0, PS, { flags: (M.MS_ASYNC as number) | (M.MS_INVALIDATE as number) }))).toBe(true);
    raises(() => fm.flush(5 * PS), 'ValueError', 'flush values out of range');
  });

  test('READ and COPY maps: nothing to flush, returns None (0 on 3.7)', () => {
    const fd = s.fd('flush-ro', Buffer.alloc(PS));
    const r = keep(new M.mmap(fd, 0, { access: M.ACCESS_READ }));
    const c = keep(new M.mmap(fd, 0, { access: M.ACCESS_COPY }));
    expect(isNone(r.flush())).toBe(true);
    expect(isNone(c.flush(1, 1))).toBe(true); // no msync, so no EINVAL either
    raises(() => c.flush(0, PS + 1), 'ValueError', 'flush values out of range');
    expect(keep(new M7.mmap(fd, 0, { access: M.ACCESS_READ })).flush()).toBe(0);
    expect(keep(new M7.mmap(fd, 0, { access: M.ACCESS_COPY })).flush()).toBe(0);
    expect(keep(new M7.mmap(-1, 16)).flush()).toBe(0);
    expect(isNone(keep(new M8.mmap(-1, 16)).flush())).toBe(true);
  });
});

describe('madvise', () => {
  test('results and range checks', () => {
    const m = keep(new M.mmap(-1, 2 * PS));
    expect(isNone(m.madvise(M.MADV_NORMAL))).toBe(true);
    expect(isNone(m.madvise(M.MADV_NORMAL, 0, 16))).toBe(true);
    expect(isNone(m.madvise(M.MADV_NORMAL, PS, 100 * PS))).toBe(true); // length clamped
    raises(() => m.madvise(M.MADV_NORMAL, 2 * PS), 'ValueError', 'madvise start out of bounds');
    raises(() => m.madvise(M.MADV_NORMAL, -1), 'ValueError', 'madvise start out of bounds');
    raises(() => m.madvise(M.MADV_NORMAL, 0, -1), 'ValueError', 'madvise length invalid');
    raises(() => m.madvise(M.MADV_NORMAL, PS, 2n ** 63n - 1n), 'OverflowError',
      'madvise length too large');
    raises(() => m.madvise(M.MADV_NORMAL, PS, 'x'), 'TypeError', "'str' object cannot be interpreted as an integer");
    raises(() => m.madvise('x'), 'TypeError', "'str' object cannot be interpreted as an integer");
    raises(() => keep(new M13.mmap(-1, 16)).madvise(2 ** 31), 'OverflowError', 'signed integer is greater than maximum');
    raises(() => m.madvise(M.MADV_NORMAL, 2n ** 63n), 'OverflowError', 'Python int too large to convert to C ssize_t');
    const e = raises(() => m.madvise(M.MADV_NORMAL, 1), 'OSError', '[Errno 22] Invalid argument');
    expect(e.code).toBe('EINVAL');
    raises(() => m.madvise(12345), 'OSError', '[Errno 22] Invalid argument');
  });

  test('MADV_DONTNEED on a shared anonymous map keeps the data', () => {
    const m = keep(new M.mmap(-1, 2 * PS));
    m.__setitem__(0, 5);
    m.madvise(M.MADV_DONTNEED);
    expect(m.__getitem__(0)).toBe(5);
  });

  test('None for length: TypeError up to 3.14, accepted in 3.15', () => {
    const m13 = keep(new M13.mmap(-1, PS));
    raises(() => m13.madvise(M.MADV_NORMAL, 0, null), 'TypeError', "'NoneType' object cannot be interpreted as an integer");
    const m = keep(new M.mmap(-1, PS));
    expect(isNone(m.madvise(M.MADV_NORMAL, 0, null))).toBe(true);
  });

  test('absent in 3.7', () => {
    expect((keep(new M7.mmap(-1, 16)) as any).madvise).toBeUndefined();
  });
});

describe('move', () => {
  test('overlapping moves (memmove) and bounds', () => {
    const m = keep(new M.mmap(-1, 16));
    m.__setitem__(new (require('../builtins').slice)(null, null), b('0123456789abcdef'));
    expect(isNone(m.move(2, 0, 8))).toBe(true);
    expect(m.__getitem__(new (require('../builtins').slice)(null, null))).toEqual(b('0101234567abcdef'));
    m.__setitem__(new (require('../builtins').slice)(null, null), b('0123456789abcdef'));
    m.move(0, 2, 8);
    expect(m.__getitem__(new (require('../builtins').slice)(null, null))).toEqual(b('2345678989abcdef'));
    expect(m.tell()).toBe(0);
    for (const args of [[-1, 0, 1], [0, -1, 1], [0, 0, -1], [10, 0, 7], [0, 10, 7], [17, 0, 0], [2 ** 62, 0, 1]]) {
      raises(() => m.move(...args), 'ValueError', 'source, destination, or count out of range');
    }
    raises(() => m.move(0, 0, 2n ** 63n - 1n), 'ValueError', 'source, destination, or count out of range');
    expect(isNone(m.move(16, 16, 0))).toBe(true);
    expect(isNone(m.move(16, 0, 0))).toBe(true);
    raises(() => m.move('x', 0, 0), 'TypeError', "'str' object cannot be interpreted as an integer");
    raises(() => m.move(1.5, 0, 0), 'TypeError', "'float' object cannot be interpreted as an integer");
  });

  test('read-only check comes before the range check', () => {
    const ro = keep(new M.mmap(-1, 16, { prot: M.PROT_READ }));
    raises(() => ro.move(0, 1, 1), 'TypeError', "mmap can't modify a readonly memory map.");
    raises(() => ro.move(-1, 0, 100), 'TypeError', "mmap can't modify a readonly memory map.");
  });
});

describe('read / read_byte / readline', () => {
  test('read: omitted, None and negative read to the end; n is clamped', () => {
    const m = text();
    expect(m.read(0)).toEqual(b(''));
    expect(m.tell()).toBe(0);
    expect(m.read(3)).toEqual(b('one'));
    expect(m.tell()).toBe(3);
    m.seek(10);
    expect(m.read(100)).toEqual(b('es\n\nxy'));
    expect(m.tell()).toBe(16);
    expect(m.read()).toEqual(b(''));
    for (const n of [undefined, null, -1, -5, -(2 ** 40)]) {
      m.seek(0);
      expect(n === undefined ? m.read() : m.read(n)).toEqual(b(DATA));
      expect(m.tell()).toBe(16);
    }
    m.seek(14);
    expect(m.read()).toEqual(b('xy'));
    m.seek(0);
    expect(m.read(true)).toEqual(b('o'));
    m.seek(0);
    expect(m.read(2n ** 62n)).toEqual(b(DATA));
  });

  test('read: bad arguments', () => {
    const m = text();
    raises(() => m.read('x'), 'TypeError', "argument should be integer or None, not 'str'");
    raises(() => m.read(1.5), 'TypeError', "argument should be integer or None, not 'float'");
    raises(() => m.read([1]), 'TypeError', "argument should be integer or None, not 'list'");
    raises(() => m.read(2n ** 70n), 'OverflowError', "cannot fit 'int' into an index-sized integer");
    raises(() => m.read(-(2n ** 70n)), 'OverflowError', "cannot fit 'int' into an index-sized integer");
  });

  test('read_byte returns an int and advances', () => {
    const m = text();
    expect(m.read_byte()).toBe(0x6f);
    expect(m.tell()).toBe(1);
    m.seek(14);
    expect([m.read_byte(), m.read_byte(), m.tell()]).toEqual([0x78, 0x79, 16]);
    raises(() => m.read_byte(), 'ValueError', 'read byte out of range');
    expect(m.tell()).toBe(16);
    const hi = keep(new M.mmap(-1, 1));
    hi.__setitem__(0, 0xff);
    expect(hi.read_byte()).toBe(255); // unsigned
  });

  test('readline includes the newline; at the end returns b""', () => {
    const m = text();
    const lines = [];
    for (let i = 0; i < 5; i++) lines.push(m.readline());
    expect(lines).toEqual([b('one two ones\n'), b('\n'), b('xy'), b(''), b('')]);
    expect(m.tell()).toBe(16);
  });
});

describe('write / write_byte', () => {
  test('write returns the count and advances; all or nothing', () => {
    const m = text();
    expect(m.write(b('ONE'))).toBe(3);
    expect(m.tell()).toBe(3);
    expect(m.__getitem__(new (require('../builtins').slice)(0, 4))).toEqual(b('ONE '));
    m.seek(14);
    raises(() => m.write(b('abc')), 'ValueError', 'data out of range');
    expect(m.tell()).toBe(14);
    expect(m.__getitem__(new (require('../builtins').slice)(14, null))).toEqual(b('xy'));
    expect(m.write(b('XY'))).toBe(2);
    expect(m.tell()).toBe(16);
    expect(m.write(b(''))).toBe(0);
    raises(() => m.write(b('x')), 'ValueError', 'data out of range');
  });

  test('write: type errors, read-only maps', () => {
    const m = text();
    raises(() => m.write('abc'), 'TypeError', "a bytes-like object is required, not 'str'");
    raises(() => m.write(5), 'TypeError', "a bytes-like object is required, not 'int'");
    const ro = keep(new M.mmap(-1, 4, { prot: M.PROT_READ }));
    raises(() => ro.write(b('a')), 'TypeError', "mmap can't modify a readonly memory map.");
    raises(() => ro.write(b('toolong')), 'TypeError', "mmap can't modify a readonly memory map.");
    // the argument's type is checked before the read-only state
    raises(() => ro.write('a'), 'TypeError', "a bytes-like object is required, not 'str'");
  });

  test('write_byte: range messages, end of map, read-only', () => {
    const m = text();
    expect(isNone(m.write_byte(0x4f))).toBe(true);
    expect(m.tell()).toBe(1);
    expect(m.__getitem__(0)).toBe(0x4f);
    m.seek(0);
    m.write_byte(255);
    expect(m.__getitem__(0)).toBe(255);
    raises(() => m.write_byte(256), 'OverflowError', 'unsigned byte integer is greater than maximum');
    raises(() => m.write_byte(-1), 'OverflowError', 'unsigned byte integer is less than minimum');
    raises(() => m.write_byte(-129), 'OverflowError', 'unsigned byte integer is less than minimum');
    raises(() => m.write_byte(2n ** 63n), 'OverflowError', 'Python int too large to convert to C long');
    raises(() => m.write_byte(2n ** 64n), 'OverflowError', 'Python int too large to convert to C long');
    raises(() => m.write_byte(b('a')), 'TypeError', "'bytes' object cannot be interpreted as an integer");
    raises(() => m.write_byte(1.0 + 0.5), 'TypeError', "'float' object cannot be interpreted as an integer");
    raises(() => m.write_byte('x'), 'TypeError', "'str' object cannot be interpreted as an integer");
    raises(() => m.write_byte(null), 'TypeError', "'NoneType' object cannot be interpreted as an integer");
    expect(m.tell()).toBe(1);
    m.seek(16);
    raises(() => m.write_byte(1), 'ValueError', 'write byte out of range');
    const ro = keep(new M.mmap(-1, 4, { prot: M.PROT_READ }));
    raises(() => ro.write_byte(1), 'TypeError', "mmap can't modify a readonly memory map.");
    raises(() => ro.write_byte(300), 'OverflowError', 'unsigned byte integer is greater than maximum');
  });

  test('write_byte before 3.10: old integer messages', () => {
    const m = text(moduleFor('3.9'));
    raises(() => m.write_byte(b('a')), 'TypeError', 'an integer is required (got type bytes)');
    raises(() => m.write_byte(1.5), 'TypeError', 'integer argument expected, got float');
    raises(() => m.write_byte(null), 'TypeError', 'an integer is required (got type NoneType)');
  });
});

describe('seek / tell / seekable', () => {
  test('whence 0, 1, 2; seeking to len is fine; returns the new position (3.13+)', () => {
    const m = keep(new M.mmap(-1, 16));
    expect(m.seek(0)).toBe(0);
    expect(m.seek(5)).toBe(5);
    expect(m.seek(-2, 1)).toBe(3);
    expect(m.tell()).toBe(3);
    expect(m.seek(2, 1)).toBe(5);
    expect(m.seek(-1, 2)).toBe(15);
    expect(m.seek(0, 2)).toBe(16);
    expect(m.seek(-16, 2)).toBe(0);
    expect(m.seek(16)).toBe(16);
    expect(m.tell()).toBe(16);
  });

  test('out of range and unknown whence; position unchanged on error', () => {
    const m = keep(new M.mmap(-1, 16));
    m.seek(3);
    for (const args of [[-1], [17], [-4, 1], [14, 1], [1, 2], [-17, 2], [2n ** 63n - 1n, 1], [2n ** 63n - 1n, 2]]) {
      raises(() => m.seek(...args), 'ValueError', 'seek out of range');
    }
    raises(() => m.seek(0, 3), 'ValueError', 'unknown seek type');
    raises(() => m.seek(0, -1), 'ValueError', 'unknown seek type');
    expect(m.tell()).toBe(3);
    raises(() => m.seek(2n ** 63n), 'OverflowError', 'Python int too large to convert to C ssize_t');
    raises(() => m.seek(1.5), 'TypeError', "'float' object cannot be interpreted as an integer");
    raises(() => m.seek(null), 'TypeError', "'NoneType' object cannot be interpreted as an integer");
    raises(() => m.seek(0, 1.5), 'TypeError', "'float' object cannot be interpreted as an integer");
  });

  test('3.13: whence is a C int', () => {
    const m = keep(new M13.mmap(-1, 16));
    raises(() => m.seek(0, 2 ** 31), 'OverflowError', 'signed integer is greater than maximum');
    raises(() => m.seek(0, 'x'), 'TypeError', "'str' object cannot be interpreted as an integer");
  });

  test('before 3.13 seek returns None', () => {
    const m = keep(new M12.mmap(-1, 16));
    expect(isNone(m.seek(5))).toBe(true);
    expect(m.tell()).toBe(5);
    expect(isNone(m.seek(0, 2))).toBe(true);
    expect(m.tell()).toBe(16);
  });

  test('seekable() is True, even when closed', () => {
    const m = new M.mmap(-1, 4);
    expect(m.seekable()).toBe(true);
    m.close();
    expect(m.seekable()).toBe(true);
  });
});

describe('size', () => {
  test('file maps: the size of the file, not of the map', () => {
    const fd = s.fd('size', Buffer.alloc(2 * PS));
    const m = keep(new M.mmap(fd, 10));
    expect(m.size()).toBe(2 * PS);
    expect(m.__len__()).toBe(10);
    const off = keep(new M.mmap(fd, 10, { offset: PS }));
    expect(off.size()).toBe(2 * PS);
    fs.ftruncateSync(fd, 3 * PS);
    expect(m.size()).toBe(3 * PS);
    const ro = keep(new M.mmap(fd, 10, { access: M.ACCESS_READ }));
    expect(ro.size()).toBe(3 * PS);
  });

  test('anonymous maps: len in 3.15, EBADF before', () => {
    const m = keep(new M.mmap(-1, 100));
    expect(m.size()).toBe(100);
    const m13 = keep(new M13.mmap(-1, 100));
    const e = raises(() => m13.size(), 'OSError', '[Errno 9] Bad file descriptor');
    expect(e.errno).toBe(9);
  });
});

describe('resize', () => {
  test('file map: truncates/extends the file; size() and len follow', () => {
    const p = s.file('resize', Buffer.alloc(2 * PS, 0x61));
    const fd = s.open(p);
    const m = keep(new M.mmap(fd, PS));
    expect(isNone(m.resize(3 * PS))).toBe(true);
    expect([m.__len__(), m.size(), fs.statSync(p).size]).toEqual([3 * PS, 3 * PS, 3 * PS]);
    expect(m.__getitem__(3 * PS - 1)).toBe(0);
    expect(m.__getitem__(PS)).toBe(0x61);
    m.resize(100);
    expect([m.__len__(), m.size(), fs.statSync(p).size]).toEqual([100, 100, 100]);
    raises(() => m.__getitem__(100), 'IndexError', 'mmap index out of range');
  });

  test('file map with an offset: the file becomes offset + newsize', () => {
    const p = s.file('resize-off', Buffer.alloc(2 * PS));
    const fd = s.open(p);
    const m = keep(new M.mmap(fd, PS, { offset: PS }));
    m.resize(100);
    expect([m.__len__(), fs.statSync(p).size, m.size()]).toEqual([100, PS + 100, PS + 100]);
  });

  test('private anonymous maps grow and shrink', () => {
    const m = keep(new M.mmap(-1, PS, { flags: M.MAP_PRIVATE }));
    m.__setitem__(0, 7);
    m.resize(2 * PS);
    expect(m.__len__()).toBe(2 * PS);
    expect([m.__getitem__(0), m.__getitem__(2 * PS - 1)]).toEqual([7, 0]);
    m.resize(10);
    expect(m.__len__()).toBe(10);
    raises(() => m.resize(-1), 'ValueError', 'new size out of range');
    raises(() => m.resize(2n ** 63n - 1n), 'OSError', '[Errno 22] Invalid argument');
    raises(() => m.resize(2n ** 63n), 'OverflowError', 'Python int too large to convert to C ssize_t');
    raises(() => m.resize('x'), 'TypeError', "'str' object cannot be interpreted as an integer");
  });

  test('shared anonymous maps: shrinking works, growing is refused (3.14+; older versions SIGBUS later)', () => {
    const m = keep(new M.mmap(-1, 2 * PS));
    raises(() => m.resize(3 * PS), 'ValueError', "mmap: can't expand a shared anonymous mapping on Linux");
    expect(m.__len__()).toBe(2 * PS);
    m.resize(PS);
    expect(m.__len__()).toBe(PS);
    raises(() => m.resize(PS + 1), 'ValueError', "mmap: can't expand a shared anonymous mapping on Linux");
    // same size is not growth
    expect(isNone(m.resize(PS))).toBe(true);
    const m14 = keep(new (moduleFor('3.14').mmap)(-1, PS));
    raises(() => m14.resize(2 * PS), 'ValueError', "mmap: can't expand a shared anonymous mapping on Linux");
  });

  test('position is not clamped after shrinking', () => {
    const m = keep(new M.mmap(-1, 2 * PS, { flags: M.MAP_PRIVATE }));
    m.seek(PS + 10);
    m.resize(PS);
    expect(m.tell()).toBe(PS + 10);
    expect(m.read()).toEqual(b(''));
    expect(m.readline()).toEqual(b(''));
    raises(() => m.read_byte(), 'ValueError', 'read byte out of range');
    raises(() => m.write(b('')), 'ValueError', 'data out of range');
    raises(() => m.write_byte(1), 'ValueError', 'write byte out of range');
    raises(() => m.seek(0, 1), 'ValueError', 'seek out of range');
    expect(m.find(b('\0'))).toBe(-1);
    expect(m.__repr__()).toBe(`<mmap.mmap closed=False, access=ACCESS_DEFAULT, length=${PS}, pos=${PS + 10}, offset=0>`);
  });

  test('READ and COPY maps cannot be resized; order of checks', () => {
    const fd = s.fd('resize-ro', Buffer.alloc(PS));
    const r = keep(new M.mmap(fd, 0, { access: M.ACCESS_READ }));
    const c = keep(new M.mmap(fd, 0, { access: M.ACCESS_COPY }));
    raises(() => r.resize(5), 'TypeError', "mmap can't resize a readonly or copy-on-write memory map.");
    raises(() => c.resize(5), 'TypeError', "mmap can't resize a readonly or copy-on-write memory map.");
    // read-only before the range check
    raises(() => r.resize(-1), 'TypeError', "mmap can't resize a readonly or copy-on-write memory map.");
    // exports before trackfd before read-only
    const t = keep(new M.mmap(fd, 0, { access: M.ACCESS_READ, trackfd: false }));
    raises(() => t.resize(5), 'ValueError', "mmap can't resize with trackfd=False.");
    const e = t.__buffer__(0);
    raises(() => t.resize(5), 'BufferError', "mmap can't resize with extant buffers exported.");
    e.release();
    // a private file mapping (flags=MAP_PRIVATE, ACCESS_DEFAULT) can be resized
    const pm = keep(new M.mmap(fd, 10, { flags: M.MAP_PRIVATE }));
    expect(isNone(pm.resize(20))).toBe(true);
    expect(pm.__len__()).toBe(20);
  });

  test('resize(0): mremap refuses (EINVAL) and the map keeps its length; a file is truncated first', () => {
    const a = keep(new M.mmap(-1, PS, { flags: M.MAP_PRIVATE }));
    raises(() => a.resize(0), 'OSError', '[Errno 22] Invalid argument');
    expect(a.__len__()).toBe(PS);
    const sh = keep(new M.mmap(-1, PS));
    raises(() => sh.resize(0), 'OSError', '[Errno 22] Invalid argument');
    expect(sh.__len__()).toBe(PS);
    const p = s.file('resize0', Buffer.alloc(PS));
    const f = keep(new M.mmap(s.open(p), 0));
    raises(() => f.resize(0), 'OSError', '[Errno 22] Invalid argument');
    expect(f.__len__()).toBe(PS);
    expect(fs.statSync(p).size).toBe(0);
  });
});
