// mmap.mmap(fileno, length, flags=MAP_SHARED, prot=PROT_WRITE|PROT_READ, access=ACCESS_DEFAULT,
// offset=0, *, trackfd=True): every check in CPython's order, on Linux.
import * as fs from 'fs';
import M = require('../index');
import { moduleFor } from '../versions';
import { openFdCount, raises, Scratch } from './helpers';

const M13 = moduleFor('3.13');
const M12 = moduleFor('3.12');
const M9 = moduleFor('3.9');
const M7 = moduleFor('3.7');
const PS = M.PAGESIZE;
const RW = (M.PROT_READ as number) | (M.PROT_WRITE as number);

let s: Scratch;
let fd: number; // a 2-page regular file, read-write
let big: string;
const maps: any[] = [];
function keep<T>(m: T): T {
  maps.push(m);
  return m;
}
beforeAll(() => {
  s = new Scratch('ctor');
  big = s.file('two-pages', Buffer.alloc(2 * PS, 0x61));
  fd = s.open(big);
});
afterAll(() => {
  for (const m of maps) if (!m.closed) m.close();
  s.cleanup();
});

const repr = (m: any) => { const r = m.__repr__(); m.close(); return r; };
const r = (access: string, length: number, offset = 0) =>
  `<mmap.mmap closed=False, access=${access}, length=${length}, pos=0, offset=${offset}>`;

describe('argument conversion (first, before any semantic check)', () => {
  test('non-integers: 3.10+ messages', () => {
    raises(() => new M.mmap('x', 10), 'TypeError', "'str' object cannot be interpreted as an integer");
    raises(() => new M.mmap(null, 10), 'TypeError', "'NoneType' object cannot be interpreted as an integer");
    raises(() => new M.mmap(-1, 1.5), 'TypeError', "'float' object cannot be interpreted as an integer");
    raises(() => new M.mmap(-1, null), 'TypeError', "'NoneType' object cannot be interpreted as an integer");
    raises(() => new M.mmap(-1, '10'), 'TypeError', "'str' object cannot be interpreted as an integer");
    raises(() => new M.mmap(-1, 10, 'x'), 'TypeError', "'str' object cannot be interpreted as an integer");
    raises(() => new M.mmap(-1, 10, { flags: 1.5 }), 'TypeError', "'float' object cannot be interpreted as an integer");
    raises(() => new M.mmap(-1, 10, { offset: 1.5 }), 'TypeError', "'float' object cannot be interpreted as an integer");
    raises(() => new M.mmap(-1, 10, { offset: 'x' }), 'TypeError', "'str' object cannot be interpreted as an integer");
  });

  test('non-integers before 3.10: "i"/"l" formats say "an integer is required", "n" does not', () => {
    for (const V of [M7, M9]) {
      // fileno ("i"), flags ("i"), offset ("l")
      raises(() => new V.mmap('x', 10), 'TypeError', 'an integer is required (got type str)');
      raises(() => new V.mmap(null, 10), 'TypeError', 'an integer is required (got type NoneType)');
      raises(() => new V.mmap(-1, 10, { flags: 1.5 }), 'TypeError', 'integer argument expected, got float');
      raises(() => new V.mmap(-1, 10, null), 'TypeError', 'an integer is required (got type NoneType)');
      raises(() => new V.mmap(-1, 10, { offset: 'x' }), 'TypeError', 'an integer is required (got type str)');
      raises(() => new V.mmap(-1, 10, { offset: 1.5 }), 'TypeError', 'integer argument expected, got float');
      // length ("n"): PyNumber_Index's message, except for floats
      raises(() => new V.mmap(-1, 1.5), 'TypeError', 'integer argument expected, got float');
      raises(() => new V.mmap(-1, null), 'TypeError', "'NoneType' object cannot be interpreted as an integer");
      raises(() => new V.mmap(-1, '10'), 'TypeError', "'str' object cannot be interpreted as an integer");
    }
  });

  test('out-of-range integers', () => {
    raises(() => new M.mmap(-1, 2n ** 63n), 'OverflowError', 'Python int too large to convert to C ssize_t');
    raises(() => new M.mmap(-1, -(2n ** 63n) - 1n), 'OverflowError', 'Python int too large to convert to C ssize_t');
    raises(() => new M.mmap(-1, 10, { offset: 2n ** 63n }), 'OverflowError', 'Python int too large to convert to C long');
    raises(() => new M.mmap(-1, 10, { offset: -(2n ** 63n) - 1n }), 'OverflowError', 'Python int too large to convert to C long');
    raises(() => new M.mmap(-1, 10, { flags: 2 ** 31 }), 'OverflowError', 'signed integer is greater than maximum');
    raises(() => new M.mmap(-1, 10, { flags: -(2 ** 31) - 1 }), 'OverflowError', 'signed integer is less than minimum');
    raises(() => new M.mmap(-1, 10, { flags: 2n ** 64n }), 'OverflowError', 'Python int too large to convert to C long');
    raises(() => new M.mmap(-1, 10, { prot: 2n ** 63n }), 'OverflowError', 'Python int too large to convert to C long');
    raises(() => new M.mmap(-1, 10, { access: 2 ** 31 }), 'OverflowError', 'signed integer is greater than maximum');
    raises(() => new M.mmap(2 ** 31, 10), 'OverflowError', 'signed integer is greater than maximum');
  });

  test('conversion errors come before the semantic checks and the argument-binding errors', () => {
    // negative length, but offset does not convert
    raises(() => new M.mmap(-1, -1, { offset: 'x' }), 'TypeError', "'str' object cannot be interpreted as an integer");
    // length given twice, but fileno does not convert
    raises(() => new M.mmap('x', 10, { length: 5 }), 'TypeError', "'str' object cannot be interpreted as an integer");
    // length missing, but fileno does not convert
    raises(() => new M.mmap('x'), 'TypeError', "'str' object cannot be interpreted as an integer");
    raises(() => new M.mmap('x', 10, { tagname: 1 }), 'TypeError', "'str' object cannot be interpreted as an integer");
  });

  test('booleans and bigints are ints', () => {
    expect(repr(new M.mmap(-1, true))).toBe(r('ACCESS_DEFAULT', 1));
    expect(repr(new M.mmap(-1n, 10n, { offset: 0n }))).toBe(r('ACCESS_DEFAULT', 10));
  });
});

describe('argument binding', () => {
  test('missing required arguments', () => {
    raises(() => new (M.mmap as any)(), 'TypeError', "function missing required argument 'fileno' (pos 1)");
    raises(() => new M.mmap(-1), 'TypeError', "function missing required argument 'length' (pos 2)");
    raises(() => new M.mmap({ fileno: -1 } as any), 'TypeError', "function missing required argument 'length' (pos 2)");
    raises(() => new M.mmap(-1, { tagname: 1 }), 'TypeError', "function missing required argument 'length' (pos 2)");
  });

  test('argument given by name and position (checked before unknown keywords)', () => {
    raises(() => new M.mmap(-1, 10, { length: 5 }), 'TypeError',
      "argument for function given by name ('length') and position (2)");
    raises(() => new M.mmap(-1, 10, { length: 5, zzz: 1 }), 'TypeError',
      "argument for function given by name ('length') and position (2)");
    raises(() => new M12.mmap(-1, 10, { length: 5 }), 'TypeError',
      "argument for function given by name ('length') and position (2)");
  });

  test('keyword arguments via a trailing object', () => {
    expect(repr(new M.mmap({ fileno: -1, length: 10 } as any))).toBe(r('ACCESS_DEFAULT', 10));
    expect(repr(new M.mmap({ fileno: fd, length: 10, flags: M.MAP_SHARED, prot: M.PROT_READ, access: 0, offset: PS } as any)))
      .toBe(r('ACCESS_READ', 10, PS));
    expect(repr(new M.mmap(fd, 10, { access: M.ACCESS_WRITE, offset: PS }))).toBe(r('ACCESS_WRITE', 10, PS));
    expect(repr(new M.mmap(fd, 10, M.MAP_SHARED, { prot: M.PROT_WRITE }))).toBe(r('ACCESS_WRITE', 10));
    // an empty keyword object is no keywords
    expect(repr(new M.mmap(-1, 10, {}))).toBe(r('ACCESS_DEFAULT', 10));
  });

  test('unknown keywords', () => {
    raises(() => new M.mmap(-1, 10, { tagname: 'x' }), 'TypeError', "this function got an unexpected keyword argument 'tagname'");
    raises(() => new M.mmap(-1, 10, { zzz: 1, aaa: 2 }), 'TypeError', "this function got an unexpected keyword argument 'zzz'");
    raises(() => new M13.mmap(-1, 10, { tagname: 'x' }), 'TypeError', "this function got an unexpected keyword argument 'tagname'");
    raises(() => new M12.mmap(-1, 10, { tagname: 'x' }), 'TypeError', "'tagname' is an invalid keyword argument for this function");
    raises(() => new M12.mmap(-1, 10, { zzz: 1, aaa: 2 }), 'TypeError', "'zzz' is an invalid keyword argument for this function");
    raises(() => new M7.mmap(-1, 10, { tagname: 'x' }), 'TypeError', "'tagname' is an invalid keyword argument for this function");
    // trackfd is a keyword from 3.13 only
    raises(() => new M12.mmap(-1, 10, { trackfd: false }), 'TypeError', "'trackfd' is an invalid keyword argument for this function");
  });

  test('too many positional arguments', () => {
    raises(() => new M.mmap(-1, 10, M.MAP_SHARED, RW, 0, 0, false), 'TypeError',
      'function takes at most 6 positional arguments (7 given)');
    raises(() => new M13.mmap(-1, 10, M.MAP_SHARED, RW, 0, 0, 0), 'TypeError',
      'function takes at most 6 positional arguments (7 given)');
    raises(() => new M12.mmap(-1, 10, M.MAP_SHARED, RW, 0, 0, 0), 'TypeError',
      'function takes at most 6 arguments (7 given)');
    raises(() => new M7.mmap(-1, 10, M.MAP_SHARED, RW, 0, 0, 0), 'TypeError',
      'function takes at most 6 arguments (7 given)');
  });

  test('too many arguments counting keywords (checked first)', () => {
    const kw = { flags: 1, prot: 3, access: 0, offset: 0, tagname: 1, other: 2 };
    raises(() => new M13.mmap(-1, 10, kw), 'TypeError', 'function takes at most 7 arguments (8 given)');
    raises(() => new M.mmap(-1, 10, kw), 'TypeError', 'function takes at most 7 arguments (8 given)');
    raises(() => new M12.mmap(-1, 10, kw), 'TypeError', 'function takes at most 6 arguments (8 given)');
    // six positionals and one keyword: 7 > 6 before 3.13; within the 7 parameters from 3.13
    raises(() => new M12.mmap(-1, 10, 1, 3, 0, 0, { tagname: 1 }), 'TypeError', 'function takes at most 6 arguments (7 given)');
    raises(() => new M13.mmap(-1, 10, 1, 3, 0, 0, { tagname: 1 }), 'TypeError',
      "this function got an unexpected keyword argument 'tagname'");
  });
});

describe('semantic checks, in order', () => {
  test('negative length, then negative offset', () => {
    raises(() => new M.mmap(-1, -1), 'OverflowError', 'memory mapped length must be positive');
    raises(() => new M.mmap(-1, -1, { offset: -1 }), 'OverflowError', 'memory mapped length must be positive');
    raises(() => new M.mmap(fd, 10, { offset: -1 }), 'OverflowError', 'memory mapped offset must be positive');
    // the offset check precedes the access/flags check
    raises(() => new M.mmap(-1, 10, M.MAP_PRIVATE, { access: M.ACCESS_READ, offset: -1 }), 'OverflowError',
      'memory mapped offset must be positive');
  });

  test('access together with flags or prot', () => {
    raises(() => new M.mmap(fd, 10, { flags: M.MAP_PRIVATE, access: M.ACCESS_READ }), 'ValueError',
      "mmap can't specify both access and flags, prot.");
    raises(() => new M.mmap(fd, 10, { prot: M.PROT_READ, access: M.ACCESS_READ }), 'ValueError',
      "mmap can't specify both access and flags, prot.");
    // precedes the access validity check
    raises(() => new M.mmap(-1, 10, { flags: M.MAP_PRIVATE, access: 4 }), 'ValueError',
      "mmap can't specify both access and flags, prot.");
    // the values are compared: the defaults passed explicitly are fine
    expect(repr(new M.mmap(fd, 10, { flags: M.MAP_SHARED, prot: RW, access: M.ACCESS_READ }))).toBe(r('ACCESS_READ', 10));
  });

  test('invalid access', () => {
    raises(() => new M.mmap(fd, 10, { access: 4 }), 'ValueError', 'mmap invalid access parameter.');
    raises(() => new M.mmap(fd, 10, { access: -1 }), 'ValueError', 'mmap invalid access parameter.');
    raises(() => new M.mmap(-1, 10, M.MAP_SHARED, RW, 4), 'ValueError', 'mmap invalid access parameter.');
  });

  test('access derived from prot (and flags=MAP_PRIVATE stays ACCESS_DEFAULT)', () => {
    expect(repr(new M.mmap(fd, 10, { prot: M.PROT_READ }))).toBe(r('ACCESS_READ', 10));
    expect(repr(new M.mmap(fd, 10, { prot: M.PROT_WRITE }))).toBe(r('ACCESS_WRITE', 10));
    expect(repr(new M.mmap(-1, 10, { prot: 0 }))).toBe(r('ACCESS_READ', 10));
    expect(repr(new M.mmap(-1, 10, { prot: (M.PROT_READ as number) | (M.PROT_EXEC as number) }))).toBe(r('ACCESS_READ', 10));
    expect(repr(new M.mmap(fd, 10, { flags: M.MAP_PRIVATE }))).toBe(r('ACCESS_DEFAULT', 10));
    expect(repr(new M.mmap(fd, 10, { access: M.ACCESS_COPY }))).toBe(r('ACCESS_COPY', 10));
    expect(repr(new M.mmap(fd, 10, { access: M.ACCESS_WRITE }))).toBe(r('ACCESS_WRITE', 10));
    // a derived ACCESS_READ is read-only
    const m = keep(new M.mmap(fd, 10, { prot: M.PROT_READ }));
    raises(() => m.write(Buffer.from('a')), 'TypeError', "mmap can't modify a readonly memory map.");
    const x = keep(new M.mmap(fd, 10, { prot: (M.PROT_READ as number) | (M.PROT_EXEC as number) }));
    raises(() => x.write(Buffer.from('a')), 'TypeError', "mmap can't modify a readonly memory map.");
  });
});

describe('regular files: length and offset against the file size', () => {
  test('empty file', () => {
    const efd = s.fd('empty');
    raises(() => new M.mmap(efd, 0), 'ValueError', 'cannot mmap an empty file');
    raises(() => new M.mmap(efd, 5), 'ValueError', 'mmap length is greater than file size');
    raises(() => new M.mmap(efd, 0, { access: M.ACCESS_READ }), 'ValueError', 'cannot mmap an empty file');
  });

  test('length 0 maps the rest of the file from offset', () => {
    expect(repr(new M.mmap(fd, 0))).toBe(r('ACCESS_DEFAULT', 2 * PS));
    expect(repr(new M.mmap(fd, 0, { offset: PS }))).toBe(r('ACCESS_DEFAULT', PS, PS));
    raises(() => new M.mmap(fd, 0, { offset: 2 * PS }), 'ValueError', 'mmap offset is greater than file size');
    raises(() => new M.mmap(fd, 0, { offset: 4 * PS }), 'ValueError', 'mmap offset is greater than file size');
  });

  test('length beyond the end of the file', () => {
    raises(() => new M.mmap(fd, 2 * PS + 1), 'ValueError', 'mmap length is greater than file size');
    raises(() => new M.mmap(fd, 10, { offset: 4 * PS }), 'ValueError', 'mmap length is greater than file size');
    raises(() => new M.mmap(fd, PS + 1, { offset: PS }), 'ValueError', 'mmap length is greater than file size');
    expect(repr(new M.mmap(fd, PS, { offset: PS }))).toBe(r('ACCESS_DEFAULT', PS, PS));
  });

  test('argument checks precede the file size checks', () => {
    const efd = s.fd('empty2');
    raises(() => new M.mmap(efd, 0, { access: 9 }), 'ValueError', 'mmap invalid access parameter.');
    raises(() => new M.mmap(efd, -1), 'OverflowError', 'memory mapped length must be positive');
  });

  test('unaligned offset and zero-length anonymous maps fail in mmap(2) with EINVAL', () => {
    const e = raises(() => new M.mmap(fd, 10, { offset: 1 }), 'OSError', '[Errno 22] Invalid argument');
    expect(e.errno).toBe(22);
    expect(e.code).toBe('EINVAL');
    raises(() => new M.mmap(-1, 0), 'OSError', '[Errno 22] Invalid argument');
    raises(() => new M.mmap(-1, 10, { offset: 1 }), 'OSError', '[Errno 22] Invalid argument');
    // an aligned offset on an anonymous map is accepted and reported
    expect(repr(new M.mmap(-1, 10, { offset: PS }))).toBe(r('ACCESS_DEFAULT', 10, PS));
  });
});

describe('file descriptors', () => {
  test('bad fd', () => {
    for (const bad of [-2, 9999]) {
      const e = raises(() => new M.mmap(bad, 10), 'OSError', '[Errno 9] Bad file descriptor');
      expect(e.errno).toBe(9);
      expect(e.strerror).toBe('Bad file descriptor');
      expect(e.code).toBe('EBADF');
      expect(e.args).toEqual([9, 'Bad file descriptor']);
    }
    raises(() => new M.mmap(9999, 0), 'OSError', '[Errno 9] Bad file descriptor');
    raises(() => new M.mmap(9999, 10, { access: M.ACCESS_READ }), 'OSError', '[Errno 9] Bad file descriptor');
  });

  test('read-only fd: default and ACCESS_WRITE -> PermissionError; READ, COPY, prot=READ, MAP_PRIVATE work', () => {
    const ro = s.open(big, 'r');
    const e = raises(() => new M.mmap(ro, 10), 'PermissionError', '[Errno 13] Permission denied');
    expect(e).toBeInstanceOf(M.error);
    expect(e.errno).toBe(13);
    expect(e.strerror).toBe('Permission denied');
    expect(e.args).toEqual([13, 'Permission denied']);
    raises(() => new M.mmap(ro, 10, { access: M.ACCESS_WRITE }), 'PermissionError', '[Errno 13] Permission denied');
    expect(repr(new M.mmap(ro, 10, { access: M.ACCESS_READ }))).toBe(r('ACCESS_READ', 10));
    expect(repr(new M.mmap(ro, 10, { access: M.ACCESS_COPY }))).toBe(r('ACCESS_COPY', 10));
    expect(repr(new M.mmap(ro, 10, { prot: M.PROT_READ }))).toBe(r('ACCESS_READ', 10));
    expect(repr(new M.mmap(ro, 10, { flags: M.MAP_PRIVATE }))).toBe(r('ACCESS_DEFAULT', 10));
    // writes to a copy-on-write map of a read-only fd stay private
    const c = keep(new M.mmap(ro, 10, { access: M.ACCESS_COPY }));
    c.__setitem__(0, 65);
    expect(c.__getitem__(0)).toBe(65);
    expect(fs.readFileSync(big)[0]).toBe(0x61);
  });

  test('write-only fd -> PermissionError even for ACCESS_READ', () => {
    const wo = s.open(big, fs.constants.O_WRONLY);
    raises(() => new M.mmap(wo, 10), 'PermissionError', '[Errno 13] Permission denied');
    raises(() => new M.mmap(wo, 10, { access: M.ACCESS_READ }), 'PermissionError', '[Errno 13] Permission denied');
  });

  test('pipes and directories are not regular files: no size checks, mmap(2) refuses', () => {
    const [rd] = pipe();
    raises(() => new M.mmap(rd, 10), 'PermissionError', '[Errno 13] Permission denied');
    raises(() => new M.mmap(rd, 0), 'OSError', '[Errno 22] Invalid argument');
    const e = raises(() => new M.mmap(rd, 10, { access: M.ACCESS_READ }), 'OSError', '[Errno 19] No such device');
    expect(e.code).toBe('ENODEV');
    const dfd = s.open(s.dir, 'r');
    raises(() => new M.mmap(dfd, 10), 'PermissionError', '[Errno 13] Permission denied');
    raises(() => new M.mmap(dfd, 0), 'OSError', '[Errno 22] Invalid argument');
  });

  test('/dev/zero and /dev/null', () => {
    const z = s.open('/dev/zero', 'r+');
    const m = keep(new M.mmap(z, 10));
    expect(m.__repr__()).toBe(r('ACCESS_DEFAULT', 10));
    expect(m.read()).toEqual(Buffer.alloc(10));
    expect(repr(new M.mmap(z, 10, { flags: M.MAP_PRIVATE }))).toBe(r('ACCESS_DEFAULT', 10));
    raises(() => new M.mmap(z, 0), 'OSError', '[Errno 22] Invalid argument');
    const n = s.open('/dev/null', 'r+');
    raises(() => new M.mmap(n, 0), 'OSError', '[Errno 22] Invalid argument');
  });

  test('the fd is duplicated: the map outlives the caller closing it', () => {
    const p = s.file('dup', Buffer.alloc(PS, 0x62));
    const f = s.open(p);
    const before = openFdCount();
    const m = keep(new M.mmap(f, 0));
    expect(openFdCount()).toBe(before + 1);
    s.close(f);
    expect(m.size()).toBe(PS);
    m.resize(2 * PS);
    expect(fs.statSync(p).size).toBe(2 * PS);
    expect(m.size()).toBe(2 * PS);
    m.close();
    expect(openFdCount()).toBe(before - 1);
  });

  test('trackfd=False: no dup; size() and resize() refuse', () => {
    const before = openFdCount();
    const m = keep(new M.mmap(fd, 10, { trackfd: false }));
    expect(openFdCount()).toBe(before);
    expect(m.__repr__()).toBe(r('ACCESS_DEFAULT', 10));
    // 3.15 (CPython main sources): ValueError; 3.13 (measured): fstat(-1) -> EBADF
    raises(() => m.size(), 'ValueError', "can't get size with trackfd=False");
    raises(() => m.resize(5), 'ValueError', "mmap can't resize with trackfd=False.");
    const m13 = keep(new M13.mmap(fd, 10, { trackfd: false }));
    raises(() => m13.size(), 'OSError', '[Errno 9] Bad file descriptor');
    raises(() => m13.resize(5), 'ValueError', "mmap can't resize with trackfd=False.");
    // the map stays usable after the fd is gone
    const p = s.file('notrack', 'hello');
    const f = s.open(p);
    const t = keep(new M.mmap(f, 0, { trackfd: false }));
    s.close(f);
    expect(t.read()).toEqual(Buffer.from('hello'));
    t.__setitem__(0, 0x48);
    t.flush();
    t.close();
    expect(fs.readFileSync(p, 'latin1')).toBe('Hello');
  });

  test('trackfd takes any Python truth value', () => {
    for (const falsy of [0, '', [], null, false, 0n, {} /* an empty dict */]) {
      const m = keep(new M.mmap(fd, 10, { trackfd: falsy }));
      raises(() => m.resize(5), 'ValueError', "mmap can't resize with trackfd=False.");
    }
    for (const truthy of ['x', 1, [0], true, { a: 1 } /* a dict */]) {
      const m = keep(new M.mmap(fd, 10, { trackfd: truthy }));
      expect(m.size()).toBe(2 * PS);
    }
  });

  test('trackfd=False on an anonymous map', () => {
    const a = keep(new M.mmap(-1, 10, { trackfd: false }));
    raises(() => a.resize(5), 'ValueError', "mmap can't resize with trackfd=False.");
    // 3.15 sources: fd == -1 and not trackfd -> ValueError; 3.13 measured: EBADF
    raises(() => a.size(), 'ValueError', "can't get size with trackfd=False");
    const a13 = keep(new M13.mmap(-1, 10, { trackfd: false }));
    raises(() => a13.size(), 'OSError', '[Errno 9] Bad file descriptor');
  });
});

function pipe(): [number, number] {
  // Node has no pipe(2): the read end of a FIFO (opened non-blocking) is the same kind of fd.
  const p = `${s.dir}/fifo-${Math.random().toString(16).slice(2)}`;
  require('child_process').execFileSync('mkfifo', [p]);
  const f = s.open(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  return [f, f];
}
