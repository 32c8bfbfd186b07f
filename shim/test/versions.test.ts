// Version gates: moduleFor('3.7') ... moduleFor('3.15') each behave like that Python's mmap.
// The public names of the module and of the mmap class are compared with the real
// interpreters (3.7-3.13) found under $(pyenv root)/versions.
import { execFileSync } from 'child_process';
import { defaultVersion, moduleFor, versions } from '../versions';
import M = require('../index');
import { OSError } from '../builtins';
import { findPythons, raises } from './helpers';

const isNone = (v: unknown) => v === null || v === undefined;
const minor = (v: string) => Number(v.split('.')[1]);
const maps: any[] = [];
function keep<T>(m: T): T {
  maps.push(m);
  return m;
}
afterAll(() => { for (const m of maps) if (!m.closed) m.close(); });

/** JS-only members every class has (or the shim adds for JS callers), not Python attributes. */
const JS_ONLY = new Set(['constructor', 'toString', 'length']);

/** Public method/getter names of a class, own and inherited; a name defined as undefined on a
 *  subclass hides the base class's method (that is how a version lacks a method). */
function classNames(cls: any): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (let p = cls.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const n of Object.getOwnPropertyNames(p)) {
      if (seen.has(n)) continue;
      seen.add(n);
      const d = Object.getOwnPropertyDescriptor(p, n)!;
      if (n.startsWith('_') || JS_ONLY.has(n)) continue;
      if ('value' in d && d.value === undefined) continue;
      if (typeof d.value === 'function' || d.get) out.push(n);
    }
  }
  return out.sort();
}
const moduleNames = (mod: object) => Object.keys(mod).filter((n) => !n.startsWith('_')).sort();

describe('the default module', () => {
  test('is the newest version', () => {
    expect(defaultVersion).toBe('3.15');
    expect(versions).toEqual(['3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14', '3.15']);
    expect(moduleFor(defaultVersion)).toBe(M);
    expect(moduleFor('3.12')).toBe(moduleFor('3.12')); // cached
    expect(() => moduleFor('3.6')).toThrow(RangeError);
    expect(() => moduleFor('2.7')).toThrow(/unsupported Python version "2.7"/);
  });

  test('3.15 additions: MS_* constants; 3.14 has none of them', () => {
    expect([M.MS_ASYNC, M.MS_INVALIDATE, M.MS_SYNC]).toEqual([1, 2, 4]);
    expect(moduleFor('3.14').MS_SYNC).toBeUndefined();
  });
});

describe('gates', () => {
  test('flush returns 0 on 3.7 and None from 3.8', () => {
    for (const v of versions) {
      const r = keep(new (moduleFor(v).mmap)(-1, 16)).flush();
      if (v === '3.7') expect(r).toBe(0);
      else expect(isNone(r)).toBe(true);
    }
  });

  test('seek returns None before 3.13, the new position from 3.13', () => {
    for (const v of versions) {
      const m = keep(new (moduleFor(v).mmap)(-1, 16));
      const r = m.seek(3);
      if (minor(v) < 13) expect(isNone(r)).toBe(true);
      else expect(r).toBe(3);
      expect(m.tell()).toBe(3);
    }
  });

  test('repr: <mmap.mmap object at 0x...> before 3.9, fields from 3.9', () => {
    for (const v of versions) {
      const r = keep(new (moduleFor(v).mmap)(-1, 16)).__repr__();
      if (minor(v) < 9) expect(r).toMatch(/^<mmap\.mmap object at 0x[0-9a-f]+>$/);
      else expect(r).toBe('<mmap.mmap closed=False, access=ACCESS_DEFAULT, length=16, pos=0, offset=0>');
    }
  });

  test('integer messages before and after 3.10', () => {
    for (const v of versions) {
      const m = keep(new (moduleFor(v).mmap)(-1, 16));
      if (minor(v) < 10) {
        raises(() => m.write_byte('x'), 'TypeError', 'an integer is required (got type str)');
        raises(() => m.write_byte(1.5), 'TypeError', 'integer argument expected, got float');
        raises(() => m.seek(1.5), 'TypeError', 'integer argument expected, got float');
      } else {
        raises(() => m.write_byte('x'), 'TypeError', "'str' object cannot be interpreted as an integer");
        raises(() => m.write_byte(1.5), 'TypeError', "'float' object cannot be interpreted as an integer");
        raises(() => m.seek(1.5), 'TypeError', "'float' object cannot be interpreted as an integer");
      }
    }
  });

  test('trackfd and the new argument messages from 3.13', () => {
    for (const v of versions) {
      const V = moduleFor(v);
      if (minor(v) < 13) {
        raises(() => new V.mmap(-1, 10, { trackfd: false }), 'TypeError', "'trackfd' is an invalid keyword argument for this function");
        raises(() => new V.mmap(-1, 10, 1, 3, 0, 0, 0), 'TypeError', 'function takes at most 6 arguments (7 given)');
        raises(() => new V.mmap(-1, 10, { x: 1 }), 'TypeError', "'x' is an invalid keyword argument for this function");
      } else {
        const m = keep(new V.mmap(-1, 10, { trackfd: false }));
        raises(() => m.resize(5), 'ValueError', "mmap can't resize with trackfd=False.");
        raises(() => new V.mmap(-1, 10, 1, 3, 0, 0, 0), 'TypeError', 'function takes at most 6 positional arguments (7 given)');
        raises(() => new V.mmap(-1, 10, { x: 1 }), 'TypeError', "this function got an unexpected keyword argument 'x'");
      }
    }
  });

  test('madvise and MADV_* absent in 3.7', () => {
    const m7 = keep(new (moduleFor('3.7').mmap)(-1, 16));
    expect(m7.madvise).toBeUndefined();
    expect(moduleFor('3.7').MADV_NORMAL).toBeUndefined();
    for (const v of versions.filter((x) => x !== '3.7')) {
      expect(typeof keep(new (moduleFor(v).mmap)(-1, 16)).madvise).toBe('function');
      expect(moduleFor(v).MADV_NORMAL).toBe(0);
    }
  });

  test('seekable absent before 3.13', () => {
    for (const v of versions) {
      const m = keep(new (moduleFor(v).mmap)(-1, 16));
      if (minor(v) < 13) expect(m.seekable).toBeUndefined();
      else expect(m.seekable()).toBe(true);
    }
  });

  test('size() of an anonymous map: EBADF up to 3.14, len in 3.15', () => {
    for (const v of versions) {
      const m = keep(new (moduleFor(v).mmap)(-1, 16));
      if (minor(v) < 15) raises(() => m.size(), 'OSError', '[Errno 9] Bad file descriptor');
      else expect(m.size()).toBe(16);
    }
  });

  test('shared anonymous growth: allowed up to 3.13 (the map grows), refused from 3.14', () => {
    for (const v of versions) {
      const V = moduleFor(v);
      const m = keep(new V.mmap(-1, V.PAGESIZE));
      if (minor(v) < 14) {
        // CPython lets it "succeed" (touching the new pages would SIGBUS: we do not)
        expect(isNone(m.resize(2 * V.PAGESIZE))).toBe(true);
        expect(m.__len__()).toBe(2 * V.PAGESIZE);
      } else {
        raises(() => m.resize(2 * V.PAGESIZE), 'ValueError', "mmap: can't expand a shared anonymous mapping on Linux");
      }
    }
  });

  test('constants by version', () => {
    const since: Record<string, number> = { MAP_POPULATE: 10, MAP_STACK: 11, MAP_NORESERVE: 13, MAP_32BIT: 13, MADV_FREE: 8 };
    for (const v of versions) {
      const V = moduleFor(v);
      for (const [name, first] of Object.entries(since)) {
        if (minor(v) < first) expect(V[name]).toBeUndefined();
        else expect(typeof V[name]).toBe('number');
      }
      expect([V.ACCESS_DEFAULT, V.ACCESS_READ, V.ACCESS_WRITE, V.ACCESS_COPY]).toEqual([0, 1, 2, 3]);
      expect(V.PAGESIZE).toBe(4096);
      expect(V.ALLOCATIONGRANULARITY).toBe(4096);
      expect(V.error).toBe(OSError);
    }
  });
});

describe('public names against the real interpreters', () => {
  const pythons = findPythons();
  const SCRIPT = 'import json, mmap; print(json.dumps({"module": [n for n in dir(mmap) if not n.startswith("_")], ' +
    '"cls": [n for n in dir(mmap.mmap) if not n.startswith("_")]}))';
  for (const [v, exe] of pythons) {
    const name = exe ? `Python ${v} (${exe})` : `Python ${v} -- skipped: no $(pyenv root)/versions/${v}.*/bin/python3 found`;
    (exe ? test : test.skip)(name, () => {
      const got = JSON.parse(execFileSync(exe!, ['-c', SCRIPT], { encoding: 'utf8', timeout: 30000 }));
      const V = moduleFor(v);
      expect(moduleNames(V)).toEqual([...got.module].sort());
      expect(classNames(V.mmap)).toEqual([...got.cls].sort());
    });
  }
});
