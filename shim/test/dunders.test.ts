// Sequence, context-manager, repr, pickling and buffer protocols of the mmap object.
import * as fs from 'fs';
import M = require('../index');
import { slice } from '../builtins';
import { moduleFor } from '../versions';
import { raises, Scratch } from './helpers';

const M13 = moduleFor('3.13');
const M7 = moduleFor('3.7');
const PS = M.PAGESIZE;
const b = (s: string) => Buffer.from(s, 'latin1');
const isNone = (v: unknown) => v === null || v === undefined;
const HEX = '0123456789abcdef';

let s: Scratch;
const maps: any[] = [];
function keep<T>(m: T): T {
  maps.push(m);
  return m;
}
function hex(V: any = M): any {
  const m = keep(new V.mmap(-1, 16));
  m.write(b(HEX));
  m.seek(0);
  return m;
}
beforeAll(() => { s = new Scratch('dunders'); });
afterAll(() => {
  for (const m of maps) if (!m.closed) { try { m.close(); } catch { /* exported */ } }
  s.cleanup();
});

describe('__getitem__', () => {
  test('ints and negative ints', () => {
    const m = hex();
    expect(m.__getitem__(0)).toBe(0x30);
    expect(m.__getitem__(15)).toBe(0x66);
    expect(m.__getitem__(-1)).toBe(0x66);
    expect(m.__getitem__(-16)).toBe(0x30);
    expect(m.__getitem__(true)).toBe(0x31);
    expect(m.__getitem__(3n)).toBe(0x33);
    raises(() => m.__getitem__(16), 'IndexError', 'mmap index out of range');
    raises(() => m.__getitem__(-17), 'IndexError', 'mmap index out of range');
    raises(() => m.__getitem__(2n ** 70n), 'IndexError', "cannot fit 'int' into an index-sized integer");
    raises(() => m.__getitem__(-(2n ** 70n)), 'IndexError', "cannot fit 'int' into an index-sized integer");
    for (const bad of ['a', 1.0 + 0.5, null, b('a'), [1]]) {
      raises(() => m.__getitem__(bad), 'TypeError', 'mmap indices must be integers');
    }
    expect(m.tell()).toBe(0);
    const hi = keep(new M.mmap(-1, 1));
    hi.__setitem__(0, 200);
    expect(hi.__getitem__(0)).toBe(200);
  });

  test('slices with steps', () => {
    const m = hex();
    const g = (...a: unknown[]) => m.__getitem__(new (slice as any)(...a)).toString('latin1');
    expect(g(1, 10, 3)).toBe('147');
    expect(g(10, 1, -3)).toBe('a74');
    expect(g(-3, null)).toBe('def');
    expect(g(null, -3)).toBe('0123456789abc');
    expect(g(-100, 100)).toBe(HEX);
    expect(g(100, null)).toBe('');
    expect(g(null, null, -2)).toBe('fdb97531');
    expect(g(null, null, 2)).toBe('02468ace');
    expect(g(5, 5)).toBe('');
    expect(g(5, 2)).toBe('');
    expect(g(5)).toBe('01234'); // slice(stop)
    expect(g(-1, -17, -1)).toBe('fedcba9876543210');
    expect(g(2n ** 70n, null, -1)).toBe('fedcba9876543210');
    expect(g(null, null, 2n ** 70n)).toBe('0');
    expect(g(null, null, -(2n ** 70n))).toBe('f');
    expect(g(true, 3)).toBe('12');
    expect(Buffer.isBuffer(m.__getitem__(new slice(0, 4)))).toBe(true);
    raises(() => g(null, null, 0), 'ValueError', 'slice step cannot be zero');
    raises(() => g('a', 1), 'TypeError', 'slice indices must be integers or have an __index__ method' /* 3.15 (the default module); 3.14 and before say 'or None or' */);
    raises(() => g(null, null, 1.5), 'TypeError', 'slice indices must be integers or have an __index__ method' /* 3.15 (the default module); 3.14 and before say 'or None or' */);
  });

  test('the result is a copy', () => {
    const m = hex();
    const got = m.__getitem__(new slice(0, 4)) as Buffer;
    m.__setitem__(0, 0x5a);
    expect(got.toString()).toBe('0123');
  });
});

describe('__setitem__ / __delitem__', () => {
  test('ints', () => {
    const m = hex();
    expect(isNone(m.__setitem__(-1, 0x46))).toBe(true);
    expect(m.__getitem__(15)).toBe(0x46);
    m.__setitem__(0, true);
    expect(m.__getitem__(0)).toBe(1);
    m.__setitem__(1n, 255n);
    expect(m.__getitem__(1)).toBe(255);
    raises(() => m.__setitem__(0, 256), 'ValueError', 'mmap item value must be in range(0, 256)');
    raises(() => m.__setitem__(0, -1), 'ValueError', 'mmap item value must be in range(0, 256)');
    for (const bad of [b('a'), 'a', 1.5, null]) {
      raises(() => m.__setitem__(0, bad), 'TypeError', 'mmap item value must be an int');
    }
    raises(() => m.__setitem__(0, -(2n ** 70n)), 'TypeError', "cannot fit 'int' into an index-sized integer");
    raises(() => m.__setitem__(16, 1), 'IndexError', 'mmap index out of range');
    raises(() => m.__setitem__(-17, 1), 'IndexError', 'mmap index out of range');
    raises(() => m.__setitem__(2n ** 70n, 1), 'IndexError', "cannot fit 'int' into an index-sized integer");
    // the index is checked before the value
    raises(() => m.__setitem__(100, 'a'), 'IndexError', 'mmap index out of range');
    raises(() => m.__setitem__('a', 1), 'TypeError', 'mmap indices must be integer');
    raises(() => m.__setitem__(null, 1), 'TypeError', 'mmap indices must be integer');
    raises(() => m.__setitem__('a', 'a'), 'TypeError', 'mmap indices must be integer');
  });

  test('slices with steps and exact-length assignment', () => {
    const m = hex();
    const all = () => m.__getitem__(new slice(null, null)).toString('latin1');
    m.__setitem__(new slice(1, 10, 3), b('XYZ'));
    expect(all()).toBe('0X23Y56Z89abcdef');
    m.__setitem__(new slice(10, 1, -3), b('uvw'));
    expect(all()).toBe('0X23w56v89ubcdef');
    m.__setitem__(new slice(null, null, -1), Buffer.from([...Array(16).keys()]));
    expect([...m.__getitem__(new slice(null, null))]).toEqual([15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(isNone(m.__setitem__(new slice(5, 5), b('')))).toBe(true);
    m.__setitem__(new slice(100, null), b(''));
    raises(() => m.__setitem__(new slice(5, 5), b('a')), 'IndexError', 'mmap slice assignment is wrong size');
    raises(() => m.__setitem__(new slice(0, 2), b('abc')), 'IndexError', 'mmap slice assignment is wrong size');
    raises(() => m.__setitem__(new slice(null, null, 2), b('a')), 'IndexError', 'mmap slice assignment is wrong size');
    raises(() => m.__setitem__(new slice(0, 2), 'ab'), 'TypeError', "a bytes-like object is required, not 'str'");
    raises(() => m.__setitem__(new slice(0, 2), [1, 2]), 'TypeError', "a bytes-like object is required, not 'list'");
    raises(() => m.__setitem__(new slice(0, 1), null), 'TypeError', "a bytes-like object is required, not 'NoneType'");
    raises(() => m.__setitem__(new slice(0, 2), 5), 'TypeError', "a bytes-like object is required, not 'int'");
    // step zero is found before the value is looked at
    raises(() => m.__setitem__(new slice(null, null, 0), 'str'), 'ValueError', 'slice step cannot be zero');
    raises(() => m.__setitem__(new slice('a', 1), b('x')), 'TypeError',
      'slice indices must be integers or have an __index__ method' /* 3.15 (the default module); 3.14 and before say 'or None or' */);
    m.__setitem__(new slice(0, 2), new Uint8Array([0x61, 0x62]));
    expect(m.__getitem__(new slice(0, 2))).toEqual(b('ab'));
  });

  test('deletion is refused, after the index check', () => {
    const m = hex();
    raises(() => m.__delitem__(0), 'TypeError', "mmap doesn't support item deletion");
    raises(() => m.__delitem__(100), 'IndexError', 'mmap index out of range');
    raises(() => m.__delitem__(-17), 'IndexError', 'mmap index out of range');
    raises(() => m.__delitem__(new slice(0, 2)), 'TypeError', "mmap object doesn't support slice deletion");
    raises(() => m.__delitem__(new slice(0, 0)), 'TypeError', "mmap object doesn't support slice deletion");
    raises(() => m.__delitem__(new slice(null, null, 0)), 'ValueError', 'slice step cannot be zero');
    raises(() => m.__delitem__('a'), 'TypeError', 'mmap indices must be integer');
    raises(() => m.__delitem__(null), 'TypeError', 'mmap indices must be integer');
  });

  test('read-only maps: TypeError first', () => {
    const ro = keep(new M.mmap(-1, 10, { prot: M.PROT_READ }));
    const msg = "mmap can't modify a readonly memory map.";
    raises(() => ro.__setitem__(0, 1), 'TypeError', msg);
    raises(() => ro.__setitem__(100, 'x'), 'TypeError', msg);
    raises(() => ro.__setitem__(new slice(0, 1), b('a')), 'TypeError', msg);
    raises(() => ro.__setitem__(new slice(0, 1), b('ab')), 'TypeError', msg);
    raises(() => ro.__delitem__(0), 'TypeError', msg);
  });
});

describe('__len__, __iter__, Symbol.iterator, __contains__', () => {
  test('__len__ follows resize', () => {
    const m = keep(new M.mmap(-1, 10, { flags: M.MAP_PRIVATE }));
    expect(m.__len__()).toBe(10);
    m.resize(5);
    expect(m.__len__()).toBe(5);
  });

  test('iteration yields 1-byte Buffers', () => {
    const m = keep(new M.mmap(-1, 3));
    m.write(b('abc'));
    const it = m.__iter__();
    const first = it.next();
    expect(first.done).toBe(false);
    expect(Buffer.isBuffer(first.value)).toBe(true);
    expect(first.value).toEqual(b('a'));
    expect([...it]).toEqual([b('b'), b('c')]);
    expect(it.next().done).toBe(true);
    expect(it.next().done).toBe(true);
    expect([...m]).toEqual([b('a'), b('b'), b('c')]);
    const seen: Buffer[] = [];
    for (const x of m) seen.push(x);
    expect(seen.map((x) => x.toString())).toEqual(['a', 'b', 'c']);
    expect(typeof (m as any)[Symbol.iterator]).toBe('function');
    expect([...keep(new M.mmap(-1, 3))]).toEqual([b('\0'), b('\0'), b('\0')]);
  });

  test('iteration sees the live contents and stops on a closed map', () => {
    const m = new M.mmap(-1, 3);
    const it = m.__iter__();
    m.__setitem__(0, 0x41);
    expect(it.next().value).toEqual(b('A'));
    m.close();
    raises(() => it.next(), 'ValueError', 'mmap closed or invalid');
  });

  test('__contains__ compares single bytes like the iteration fallback', () => {
    const m = hex();
    expect(m.__contains__(b('a'))).toBe(true);
    expect(m.__contains__(b('Q'))).toBe(false);
    expect(m.__contains__(b(''))).toBe(false);
    expect(m.__contains__(b('ab'))).toBe(false);
    expect(m.__contains__('a')).toBe(false);
    expect(m.__contains__(0x61)).toBe(false);
    expect(m.__contains__(new Uint8Array([0x61]))).toBe(true); // bytearray == bytes
    expect(m.__contains__(new DataView(new Uint8Array([0x61]).buffer))).toBe(true); // memoryview == bytes
    expect(keep(new M.mmap(-1, 2)).__contains__(b('\0'))).toBe(true);
    // a 1-byte mmap compares by identity with bytes, so it is never "in" another map
    const one = keep(new M.mmap(-1, 1));
    one.__setitem__(0, 0x61);
    expect(m.__contains__(one)).toBe(false);
  });
});

describe('__enter__ / __exit__ / Symbol.dispose', () => {
  test('enter returns the map; exit closes it and returns None', () => {
    const m = new M.mmap(-1, 4);
    expect(m.__enter__()).toBe(m);
    expect(isNone(m.__exit__(null, null, null))).toBe(true);
    expect(m.closed).toBe(true);
    // exit works on a closed map, enter does not
    expect(isNone(m.__exit__(null, null, null))).toBe(true);
    raises(() => m.__enter__(), 'ValueError', 'mmap closed or invalid');
  });

  test('exit with an exception does not swallow it (returns None)', () => {
    const m = new M.mmap(-1, 4);
    expect(isNone(m.__exit__(M.error, new M.error('x'), null))).toBe(true);
    expect(m.closed).toBe(true);
  });

  test('exit with a live export raises BufferError', () => {
    const m = keep(new M.mmap(-1, 4));
    const e = m.__buffer__(0);
    raises(() => m.__exit__(null, null, null), 'BufferError', 'cannot close exported pointers exist');
    e.release();
    m.__exit__(null, null, null);
    expect(m.closed).toBe(true);
  });

  test('__exit__ takes any number of positional arguments up to 3.13 (METH_VARARGS)', () => {
    expect(isNone(keep(new M13.mmap(-1, 4)).__exit__())).toBe(true);
    expect(isNone(keep(new M13.mmap(-1, 4)).__exit__(1, 2))).toBe(true);
  });

  test('Symbol.dispose closes', () => {
    const m = new M.mmap(-1, 4);
    (m as any)[Symbol.dispose]();
    expect(m.closed).toBe(true);
  });
});

describe('__repr__ / toString', () => {
  test('open and closed', () => {
    const fd = s.fd('repr', Buffer.alloc(2 * PS));
    const m = keep(new M.mmap(fd, 10, { offset: PS, access: M.ACCESS_WRITE }));
    m.seek(3);
    const want = `<mmap.mmap closed=False, access=ACCESS_WRITE, length=10, pos=3, offset=${PS}>`;
    expect(m.__repr__()).toBe(want);
    expect(String(m)).toBe(want);
    expect(m.toString()).toBe(want);
    expect(`${m}`).toBe(want);
    m.close();
    expect(m.__repr__()).toBe('<mmap.mmap closed=True>');
    expect(String(m)).toBe('<mmap.mmap closed=True>');
  });

  test('every access name', () => {
    const fd = s.fd('repr2', Buffer.alloc(PS));
    const names = ['ACCESS_DEFAULT', 'ACCESS_READ', 'ACCESS_WRITE', 'ACCESS_COPY'];
    for (let a = 0; a < 4; a++) {
      const m = keep(new M.mmap(fd, 0, { access: a }));
      expect(m.__repr__()).toBe(`<mmap.mmap closed=False, access=${names[a]}, length=${PS}, pos=0, offset=0>`);
    }
  });

  test('subclasses show their own name', () => {
    class S extends M.mmap {}
    const m = new S(-1, 4);
    expect(m.__repr__()).toBe('<S closed=False, access=ACCESS_DEFAULT, length=4, pos=0, offset=0>');
    m.close();
    expect(m.__repr__()).toBe('<S closed=True>');
  });

  test('before 3.9: <mmap.mmap object at 0x...>, open or closed', () => {
    for (const v of ['3.7', '3.8']) {
      const m = new (moduleFor(v).mmap)(-1, 4);
      expect(m.__repr__()).toMatch(/^<mmap\.mmap object at 0x[0-9a-f]+>$/);
      const open = m.__repr__();
      m.close();
      expect(m.__repr__()).toBe(open);
    }
    expect(keep(new (moduleFor('3.9').mmap)(-1, 4)).__repr__())
      .toBe('<mmap.mmap closed=False, access=ACCESS_DEFAULT, length=4, pos=0, offset=0>');
  });
});

describe('__reduce_ex__ (pickling)', () => {
  test('protocols 2+: TypeError naming mmap.mmap (also when closed)', () => {
    const m = keep(new M.mmap(-1, 4));
    raises(() => m.__reduce_ex__(2), 'TypeError', "cannot pickle 'mmap.mmap' object");
    raises(() => m.__reduce_ex__(5), 'TypeError', "cannot pickle 'mmap.mmap' object");
    raises(() => keep(new M7.mmap(-1, 4)).__reduce_ex__(2), 'TypeError', "can't pickle mmap.mmap objects");
    const c = new M.mmap(-1, 4);
    c.close();
    raises(() => c.__reduce_ex__(2), 'TypeError', "cannot pickle 'mmap.mmap' object");
  });

  test('protocols 0 and 1 go through copyreg, which names the class by __name__', () => {
    const m = keep(new M.mmap(-1, 4));
    raises(() => m.__reduce_ex__(0), 'TypeError', "cannot pickle 'mmap' object");
    raises(() => m.__reduce_ex__(1), 'TypeError', "cannot pickle 'mmap' object");
    raises(() => keep(new M7.mmap(-1, 4)).__reduce_ex__(0), 'TypeError', "can't pickle mmap objects");
  });

  test('the protocol is converted first', () => {
    raises(() => keep(new M.mmap(-1, 4)).__reduce_ex__('x'), 'TypeError', "'str' object cannot be interpreted as an integer");
  });
});

describe('__buffer__ / __release_buffer__ (memoryview)', () => {
  test('live exports block close and resize; released exports do not', () => {
    const m = keep(new M.mmap(-1, PS, { flags: M.MAP_PRIVATE }));
    const e1 = m.__buffer__(0);
    const e2 = m.__buffer__(0);
    expect(e1.view).toBeInstanceOf(Uint8Array);
    expect(e1.view.length).toBe(PS);
    expect(e1.readonly).toBe(false);
    raises(() => m.close(), 'BufferError', 'cannot close exported pointers exist');
    raises(() => m.resize(10), 'BufferError', "mmap can't resize with extant buffers exported.");
    expect(m.closed).toBe(false);
    e1.release();
    expect(e1.released).toBe(true);
    e1.release(); // idempotent
    raises(() => m.close(), 'BufferError', 'cannot close exported pointers exist');
    expect(isNone(m.__release_buffer__(e2))).toBe(true);
    m.resize(10);
    expect(m.__len__()).toBe(10);
    m.close();
    expect(m.closed).toBe(true);
  });

  test('the view is live both ways on a writable map', () => {
    const m = keep(new M.mmap(-1, 8));
    const e = m.__buffer__(0);
    m.__setitem__(0, 7);
    expect(e.view[0]).toBe(7);
    e.view[1] = 9;
    expect(m.__getitem__(1)).toBe(9);
    e.release();
  });

  test('writes through the view of a file map reach the file; ACCESS_COPY does not', () => {
    const p = s.file('buf', Buffer.alloc(PS, 0x2e));
    const fd = s.open(p);
    const m = keep(new M.mmap(fd, 0));
    const e = m.__buffer__(1); // PyBUF_WRITABLE
    e.view.set(b('hello'), 0);
    m.__release_buffer__(e);
    m.flush();
    expect(fs.readFileSync(p).subarray(0, 6).toString()).toBe('hello.');
    const c = keep(new M.mmap(fd, 0, { access: M.ACCESS_COPY }));
    const ce = c.__buffer__(1);
    ce.view.set(b('HELLO'), 0);
    expect(c.__getitem__(new slice(0, 5))).toEqual(b('HELLO'));
    ce.release();
    c.flush();
    expect(fs.readFileSync(p).subarray(0, 5).toString()).toBe('hello');
  });

  test('read-only maps: writable requests fail, others are read-only', () => {
    const ro = keep(new M.mmap(-1, 4, { prot: M.PROT_READ }));
    raises(() => ro.__buffer__(1), 'BufferError', 'Object is not writable.');
    const e = ro.__buffer__(0);
    expect(e.readonly).toBe(true);
    expect(e.view.length).toBe(4);
    raises(() => ro.close(), 'BufferError', 'cannot close exported pointers exist');
    e.release();
    ro.close();
  });

  test('closed map and non-int flags', () => {
    const c = new M.mmap(-1, 4);
    c.close();
    raises(() => c.__buffer__(0), 'ValueError', 'mmap closed or invalid');
    raises(() => keep(new M.mmap(-1, 4)).__buffer__('x'), 'TypeError', "'str' object cannot be interpreted as an integer");
  });

  test('flags beyond a C int', () => {
    raises(() => keep(new M.mmap(-1, 4)).__buffer__(2 ** 31), 'OverflowError', 'buffer flags too large');
  });

  test('flags are required', () => {
    // 3.12-3.13: wrap_buffer's message; 3.14+ (Pyodide's 3.14.2): the slot wrapper names itself.
    raises(() => (keep(new (moduleFor('3.13').mmap)(-1, 4)) as any).__buffer__(), 'TypeError', ' expected 1 argument, got 0');
    raises(() => (keep(new M.mmap(-1, 4)) as any).__buffer__(), 'TypeError', '__buffer__ expected 1 argument, got 0');
  });

  test('absent before 3.12', () => {
    const m = keep(new (moduleFor('3.11').mmap)(-1, 4));
    expect((m as any).__buffer__).toBeUndefined();
    expect((m as any).__release_buffer__).toBeUndefined();
    expect(typeof keep(new (moduleFor('3.12').mmap)(-1, 4)).__buffer__).toBe('function');
  });
});
