// Python values in JS: bytes-like arguments, str where bytes are due, bigint integers, and
// objects converted like __index__ (valueOf / Symbol.toPrimitive / __index__), including ones
// that close the map in the middle of a call (CPython's test_mmap_closed_by_int_scenarios).
import * as fs from 'fs';
import M = require('../index');
import { slice } from '../builtins';
import { raises, Scratch } from './helpers';
import { moduleFor } from '../versions';

const b = (s: string) => Buffer.from(s, 'latin1');
const all = (m: any) => m.__getitem__(new slice(null, null)) as Buffer;

let s: Scratch;
const maps: any[] = [];
function keep<T>(m: T): T {
  maps.push(m);
  return m;
}
beforeAll(() => { s = new Scratch('values'); });
afterAll(() => {
  for (const m of maps) if (!m.closed) { try { m.close(); } catch { /* exported */ } }
  s.cleanup();
});

describe('bytes-like arguments', () => {
  const backing = new Uint8Array([0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48]).buffer;
  const inputs: Array<[string, () => unknown, string]> = [
    ['Buffer', () => b('ABCD'), 'ABCD'],
    ['Buffer slice with an offset', () => Buffer.from(backing).subarray(2, 5), 'CDE'],
    ['Uint8Array', () => new Uint8Array([0x61, 0x62]), 'ab'],
    ['Uint8Array with an offset', () => new Uint8Array(backing, 5, 3), 'FGH'],
    ['Uint8ClampedArray', () => new Uint8ClampedArray([0x7a]), 'z'],
    ['Int8Array', () => new Int8Array([-1, 0x41]), '\xffA'],
    ['Uint16Array (its bytes, native order)', () => new Uint16Array([0x4241, 0x4443]), 'ABCD'],
    ['Int32Array', () => new Int32Array([0x44434241]), 'ABCD'],
    ['Float64Array', () => new Float64Array([1]), '\0\0\0\0\0\0\xf0?'],
    ['BigInt64Array', () => new BigInt64Array([0x41n]), 'A\0\0\0\0\0\0\0'],
    ['DataView over part of a buffer', () => new DataView(backing, 1, 2), 'BC'],
    ['ArrayBuffer', () => new Uint8Array([0x78, 0x79]).buffer, 'xy'],
    ['SharedArrayBuffer', () => { const sab = new SharedArrayBuffer(2); new Uint8Array(sab).set([0x73, 0x74]); return sab; }, 'st'],
    ['empty Buffer', () => b(''), ''],
  ];

  test.each(inputs)('write(%s)', (_, make, want) => {
    const m = keep(new M.mmap(-1, 16));
    expect(m.write(make())).toBe(want.length);
    expect(m.tell()).toBe(want.length);
    expect(m.__getitem__(new slice(0, want.length))).toEqual(b(want));
  });

  test.each(inputs)('find/rfind(%s)', (_, make, want) => {
    const m = keep(new M.mmap(-1, 32));
    m.seek(7);
    m.write(b(want));
    m.seek(0);
    expect(m.find(make())).toBe(want.length ? 7 : 0);
    expect(m.rfind(make())).toBe(want.length ? 7 : 32);
  });

  test.each(inputs)('slice assignment from %s', (_, make, want) => {
    const m = keep(new M.mmap(-1, 16));
    m.__setitem__(new slice(3, 3 + want.length), make());
    expect(m.__getitem__(new slice(3, 3 + want.length))).toEqual(b(want));
    if (want.length >= 2) {
      const r = keep(new M.mmap(-1, 16));
      r.__setitem__(new slice(want.length - 1, null, -1), make()); // reversed, stepped
      expect(r.__getitem__(new slice(0, want.length))).toEqual(b([...want].reverse().join('')));
    }
  });

  test('another mmap is bytes-like (write, find, slice assignment, its own contents)', () => {
    const src = keep(new M.mmap(-1, 4));
    src.write(b('WXYZ'));
    const m = keep(new M.mmap(-1, 16));
    expect(m.write(src)).toBe(4);
    expect(m.__getitem__(new slice(0, 4))).toEqual(b('WXYZ'));
    expect(m.find(src)).toBe(-1); // from the current position (4)
    expect(m.find(src, 0)).toBe(0);
    m.__setitem__(new slice(8, 12), src);
    expect(m.rfind(src)).toBe(8);
    // a map written into itself
    m.seek(0);
    expect(m.write(m)).toBe(16);
    expect(m.__getitem__(new slice(0, 4))).toEqual(b('WXYZ'));
    // the source's position does not matter and does not move
    src.seek(2);
    m.seek(0);
    m.write(src);
    expect(src.tell()).toBe(2);
    // a read-only map is a fine source
    const ro = keep(new M.mmap(-1, 4, { prot: M.PROT_READ }));
    m.seek(0);
    expect(m.write(ro)).toBe(4);
    expect(m.__getitem__(new slice(0, 4))).toEqual(Buffer.alloc(4));
  });

  test('a closed mmap as an argument: ValueError', () => {
    const c = new M.mmap(-1, 4);
    c.close();
    const m = keep(new M.mmap(-1, 16));
    raises(() => m.write(c), 'ValueError', 'mmap closed or invalid');
    raises(() => m.find(c), 'ValueError', 'mmap closed or invalid');
    raises(() => m.__setitem__(new slice(0, 4), c), 'ValueError', 'mmap closed or invalid');
  });

  test('the argument is copied before it could change (write of a subarray of the map itself)', () => {
    const m = keep(new M.mmap(-1, 8));
    m.write(b('abcdefgh'));
    const e = m.__buffer__(0);
    m.seek(2);
    m.write(e.view.subarray(0, 6)); // overlapping: memmove semantics
    e.release();
    expect(all(m)).toEqual(b('ababcdef'));
  });
});

describe('str where bytes are due', () => {
  test('TypeError naming str', () => {
    const m = keep(new M.mmap(-1, 16));
    const msg = "a bytes-like object is required, not 'str'";
    raises(() => m.write('abc'), 'TypeError', msg);
    raises(() => m.write(''), 'TypeError', msg);
    raises(() => m.find('a'), 'TypeError', msg);
    raises(() => m.rfind('a'), 'TypeError', msg);
    raises(() => m.__setitem__(new slice(0, 3), 'abc'), 'TypeError', msg);
    raises(() => m.__setitem__(new slice(0, 1), 'abcdef'), 'TypeError', msg);
    expect(m.__contains__('\0')).toBe(false);
    expect(m.tell()).toBe(0);
    expect(all(m)).toEqual(Buffer.alloc(16));
  });

  test('other non-buffers are named by their Python type', () => {
    const m = keep(new M.mmap(-1, 16));
    const cases: Array<[unknown, string]> = [
      [1, 'int'], [1n, 'int'], [1.5, 'float'], [true, 'bool'], [null, 'NoneType'], [[1, 2], 'list'],
    ];
    for (const [v, t] of cases) raises(() => m.write(v), 'TypeError', `a bytes-like object is required, not '${t}'`);
    class Thing {}
    raises(() => m.write(new Thing()), 'TypeError', "a bytes-like object is required, not 'Thing'");
  });
});

describe('integers: numbers, bigints, booleans', () => {
  test('bigint everywhere an int is due', () => {
    const m = keep(new M.mmap(-1, 16n, { flags: M.MAP_PRIVATE }));
    expect(m.__len__()).toBe(16);
    m.write(b('0123456789abcdef'));
    expect(m.seek(2n)).toBe(2);
    expect(m.read(3n)).toEqual(b('234'));
    expect(m.__getitem__(3n)).toBe(0x33);
    expect(m.__getitem__(-1n)).toBe(0x66);
    expect(m.__getitem__(new slice(1n, 10n, 3n))).toEqual(b('147'));
    m.seek(0n, 0n);
    m.write_byte(65n);
    expect(m.__getitem__(0)).toBe(65);
    m.__setitem__(1n, 66n);
    expect(m.__getitem__(1)).toBe(66);
    m.move(2n, 0n, 2n);
    expect(m.__getitem__(new slice(0, 4))).toEqual(b('ABAB'));
    expect(m.find(b('AB'), 1n, 16n)).toBe(2);
    expect(m.rfind(b('AB'), 0n, -1n)).toBe(2);
    m.madvise(BigInt(M.MADV_NORMAL as number), 0n, 16n);
    m.flush(0n, 16n);
    m.resize(20n);
    expect(m.__len__()).toBe(20);
    // results are plain numbers
    expect(typeof m.tell()).toBe('number');
    expect(typeof m.find(b('A'))).toBe('number');
  });

  test('booleans are ints', () => {
    const m = keep(new M.mmap(-1, 4));
    m.write(b('wxyz'));
    expect(m.__getitem__(true)).toBe(0x78);
    expect(m.__getitem__(false)).toBe(0x77);
    expect(m.seek(true)).toBe(1);
    expect(m.seek(false, true)).toBe(1);
    m.seek(0);
    expect(m.read(true)).toEqual(b('w'));
    m.__setitem__(0, true);
    expect(m.__getitem__(0)).toBe(1);
  });

  test('non-integral numbers are floats', () => {
    const m = keep(new M.mmap(-1, 4));
    raises(() => m.seek(0.5), 'TypeError', "'float' object cannot be interpreted as an integer");
    raises(() => m.seek(NaN), 'TypeError', "'float' object cannot be interpreted as an integer");
    raises(() => m.seek(Infinity), 'TypeError', "'float' object cannot be interpreted as an integer");
    raises(() => m.__getitem__(0.5), 'TypeError', 'mmap indices must be integers');
    raises(() => m.read(0.5), 'TypeError', "argument should be integer or None, not 'float'");
  });
});

describe('objects converted like __index__', () => {
  const kinds: Array<[string, (n: unknown) => object]> = [
    ['__index__', (n) => ({ __index__: () => n, __proto__: Object.create(null) } as any)],
    ['__index__ on a plain object literal', (n) => ({ __index__: () => n })],
    ['valueOf on a plain object literal', (n) => ({ valueOf: () => n })],
    ['valueOf', (n) => new (class Idx { valueOf() { return n; } })()],
    ['Symbol.toPrimitive', (n) => new (class Prim { [Symbol.toPrimitive]() { return n; } })()],
  ];

  test.each(kinds)('%s: accepted wherever an int is due', (_, mk) => {
    const m = keep(new M.mmap(-1, mk(16) as any, { flags: M.MAP_PRIVATE }));
    expect(m.__len__()).toBe(16);
    m.write(b('0123456789abcdef'));
    expect(m.seek(mk(2))).toBe(2);
    expect(m.read(mk(3))).toEqual(b('234'));
    expect(m.__getitem__(mk(-1))).toBe(0x66);
    expect(m.__getitem__(new slice(mk(1), mk(10), mk(3)))).toEqual(b('147'));
    m.seek(0);
    m.write_byte(mk(65));
    m.__setitem__(mk(1), mk(66));
    expect(m.__getitem__(new slice(0, 2))).toEqual(b('AB'));
    expect(m.find(b('AB'), mk(0), mk(16))).toBe(0);
    m.move(mk(2), mk(0), mk(2));
    expect(m.__getitem__(new slice(0, 4))).toEqual(b('ABAB'));
    m.resize(mk(8));
    expect(m.__len__()).toBe(8);
  });

  test.each(kinds)('%s returning a non-int: TypeError', (_, mk) => {
    const m = keep(new M.mmap(-1, 4));
    raises(() => m.seek(mk(1.5)), 'TypeError', '__index__ returned non-int (type float)');
    raises(() => m.__getitem__(mk(1.5)), 'TypeError', '__index__ returned non-int (type float)');
    raises(() => m.read(mk(1.5)), 'TypeError', '__index__ returned non-int (type float)');
    raises(() => m.write_byte(mk('x')), 'TypeError', '__index__ returned non-int (type str)');
    raises(() => m.__setitem__(0, mk(1.5)), 'TypeError', '__index__ returned non-int (type float)');
    raises(() => m.__getitem__(new slice(mk(1.5), 2)), 'TypeError', '__index__ returned non-int (type float)');
    raises(() => new M.mmap(-1, mk(1.5)), 'TypeError', '__index__ returned non-int (type float)');
  });

  test('a huge __index__ result overflows like a huge int (the message names the argument\'s type)', () => {
    const big = { __index__: () => 2n ** 70n, __proto__: Object.create(null) } as any;
    const m = keep(new M.mmap(-1, 4));
    // (PyNumber_AsSsize_t names Py_TYPE(item): this object's, 'object' to pymmap)
    raises(() => m.__getitem__(big), 'IndexError', "cannot fit 'object' into an index-sized integer");
    raises(() => m.seek(big), 'OverflowError', 'Python int too large to convert to C ssize_t');
  });

  test('objects without any of them are not ints', () => {
    class X {}
    const m = keep(new M.mmap(-1, 4));
    raises(() => m.seek(new X()), 'TypeError', "'X' object cannot be interpreted as an integer");
    raises(() => m.__getitem__(new X()), 'TypeError', 'mmap indices must be integers');
    raises(() => m.read(new X()), 'TypeError', "argument should be integer or None, not 'X'");
    raises(() => m.move({}, 0, 0), 'TypeError', "'dict' object cannot be interpreted as an integer");
  });
});

describe('a conversion that closes the map mid-call (gh-103987)', () => {
  let p: string;
  beforeAll(() => { p = s.file('closer', Buffer.alloc(100, 0x31)); });

  function ctx(access: number, mod: any = M): [any, () => object] {
    const fd = fs.openSync(p, 'r+');
    const m = new mod.mmap(fd, 100, { access });
    fs.closeSync(fd);
    const X = () => ({ valueOf() { m.close(); return 10; } });
    return [m, X];
  }
  const CLOSED = 'mmap closed or invalid';
  const reads: Array<[string, (m: any, X: () => object) => unknown]> = [
    ['m[X()]', (m, X) => m.__getitem__(X())],
    ['m[X():20]', (m, X) => m.__getitem__(new slice(X(), 20))],
    ['m[X():20:2]', (m, X) => m.__getitem__(new slice(X(), 20, 2))],
    ['m[20:X():-2]', (m, X) => m.__getitem__(new slice(20, X(), -2))],
    ['m.read(X())', (m, X) => m.read(X())],
    ['m.find(b"1", 1, X())', (m, X) => m.find(b('1'), 1, X())],
    ['m.find(b"1", X())', (m, X) => m.find(b('1'), X())],
    ['m.rfind(b"1", 1, X())', (m, X) => m.rfind(b('1'), 1, X())],
    ['m.madvise(0, X())', (m, X) => m.madvise(0, X())],
    ['m.madvise(0, 0, X())', (m, X) => m.madvise(0, 0, X())],
  ];
  const writes: Array<[string, (m: any, X: () => object) => unknown]> = [
    ['m[X():20] = b"1"*10', (m, X) => m.__setitem__(new slice(X(), 20), Buffer.alloc(10, 0x31))],
    ['m[X():20:2] = b"1"*5', (m, X) => m.__setitem__(new slice(X(), 20, 2), Buffer.alloc(5, 0x31))],
    ['m[20:X():-2] = b"1"*5', (m, X) => m.__setitem__(new slice(20, X(), -2), Buffer.alloc(5, 0x31))],
    ['m[X()] = 1', (m, X) => m.__setitem__(X(), 1)],
    ['m[1] = X()', (m, X) => m.__setitem__(1, X())],
    ['m.move(1, 2, X())', (m, X) => m.move(1, 2, X())],
    ['m.write_byte(X())', (m, X) => m.write_byte(X())],
  ];
  const ACCESS = [['READ', 1], ['WRITE', 2], ['COPY', 3], ['DEFAULT', 0]] as const;

  for (const [an, a] of ACCESS) {
    test.each(reads)(`ACCESS_${an}: %s`, (_, call) => {
      const [m, X] = ctx(a);
      raises(() => call(m, X), 'ValueError', CLOSED);
      expect(m.closed).toBe(true);
    });
  }
  for (const [an, a] of ACCESS.filter(([, a]) => a !== 1)) {
    test.each(writes)(`ACCESS_${an}: %s`, (_, call) => {
      const [m, X] = ctx(a);
      raises(() => call(m, X), 'ValueError', CLOSED);
    });
  }
  // 3.13: the arguments are parsed, then is_writable refuses the read-only map; 3.14 (Argument
  // Clinic): the body's CHECK_VALID comes first and finds the map closed (CPython 3.14.2 and
  // 3.15.0rc1 in Pyodide; m.__setitem__ checks writability before converting in every version)
  const writesAfterConversion = writes.filter(([n]) => n.startsWith('m.move') || n.startsWith('m.write_byte'));
  test.each(writes.filter((w) => !writesAfterConversion.includes(w)))('ACCESS_READ: %s is refused as read-only before converting', (_, call) => {
    const [m, X] = ctx(1);
    raises(() => call(m, X), 'TypeError', "mmap can't modify a readonly memory map.");
    if (!m.closed) m.close();
  });
  test.each(writesAfterConversion)('ACCESS_READ: %s: 3.13 refuses it as read-only after converting', (_, call) => {
    const [m, X] = ctx(1, moduleFor('3.13'));
    raises(() => call(m, X), 'TypeError', "mmap can't modify a readonly memory map.");
    if (!m.closed) m.close();
  });
  test.each(writesAfterConversion)('ACCESS_READ: %s: 3.14 and later find the map closed after converting', (_, call) => {
    const [m, X] = ctx(1);
    raises(() => call(m, X), 'ValueError', CLOSED);
  });
});
