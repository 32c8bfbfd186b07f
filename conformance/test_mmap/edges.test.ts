/*
 * pymmap's own tests (not upstream) for edges that bugs planted in a scratch copy got past the
 * rest of the suite (issue 13):
 *   - readline() on a line longer than the small-result limit (16 KiB: results up to that size
 *     are carved from a shared slab, longer ones take another path) must keep its newline;
 *   - CPython 3.14 accepts None for find/rfind start and end, flush size and madvise length
 *     (3.13 raises TypeError): checked against a fixed table and, live, against CPython 3.14.2
 *     as Pyodide runs it (its mmap module parses arguments with CPython's own code);
 *   - 3.15's set_name() refuses a name with a NUL character with CPython's exact message.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { moduleFor } from '../../shim/versions';
import { slice, TypeError as PyTypeError, ValueError } from '../../shim/builtins';

const { testIf, testOn } = require('../lib/skips');

const b = (s: string) => Buffer.from(s, 'latin1');
const SMALL_RESULT_LIMIT = 16 * 1024;

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-edges-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs fn and describes its outcome as Python would print it: a value, or "Type: message". */
function outcome(fn: () => unknown): string {
  try {
    const v = fn();
    return v === null || v === undefined ? 'None' : String(v);
  } catch (e: any) {
    return `${e.name}: ${e.message}`;
  }
}

// ------------------------------------------------------------------ readline past 16 KiB

describe('readline around the small-result limit (16 KiB)', () => {
  const L = SMALL_RESULT_LIMIT;
  // line lengths including the newline: below, at and above the limit, and far above it
  const lengths = [1, 255, 256, 4095, 4096, L - 1, L, L + 1, L + 2, 20000, 3 * L + 7, 70000];
  const lines = lengths.map((n, k) => Buffer.concat([Buffer.alloc(n - 1, 97 + (k % 26)), b('\n')]));
  const tail = b('last line without a newline');
  const content = Buffer.concat([...lines, tail]);

  function readAll(m: any): Buffer[] {
    const out: Buffer[] = [];
    for (;;) {
      const line = m.readline();
      if (line.length === 0) break;
      out.push(Buffer.from(line));
    }
    return out;
  }

  const expected = [...lines, tail].map((x) => `${x.length}:${x[x.length - 1]}`);
  const cases: Array<[string, (M: any) => any]> = [
    ['file map, ACCESS_WRITE', (M) => {
      const f = path.join(dir, 'lines-w.bin');
      fs.writeFileSync(f, content);
      const fd = fs.openSync(f, 'r+');
      try { return new M.mmap(fd, 0); } finally { fs.closeSync(fd); }
    }],
    ['file map, ACCESS_READ', (M) => {
      const f = path.join(dir, 'lines-r.bin');
      fs.writeFileSync(f, content);
      const fd = fs.openSync(f, 'r');
      try { return new M.mmap(fd, 0, { access: M.ACCESS_READ }); } finally { fs.closeSync(fd); }
    }],
    ['anonymous map', (M) => {
      const m = new M.mmap(-1, content.length);
      m.write(content);
      m.seek(0);
      return m;
    }],
  ];

  for (const [label, open] of cases) {
    test(`${label}: every line comes back whole, newline included, and the position follows`, () => {
      const M = moduleFor('3.13');
      const m = open(M);
      try {
        const got = readAll(m);
        expect(got.map((x) => `${x.length}:${x[x.length - 1]}`)).toEqual(expected);
        expect(Buffer.concat(got).equals(content)).toBe(true);
        expect(m.tell()).toBe(content.length);
        expect(m.readline().length).toBe(0);
      } finally {
        m.close();
      }
    });
  }

  test('a long line read after the slab is nearly full (many short lines first) keeps its newline', () => {
    const M = moduleFor('3.15');
    const short = Buffer.concat(Array.from({ length: 3000 }, (_, i) => b(`line ${i}\n`)));
    const long = Buffer.concat([Buffer.alloc(L + 100, 0x78), b('\n')]);
    const data = Buffer.concat([short, long, short, long]);
    const m = new M.mmap(-1, data.length);
    try {
      m.write(data);
      m.seek(0);
      const got = readAll(m);
      expect(got).toHaveLength(6002);
      for (const at of [3000, 6001]) {
        expect({ at, len: got[at].length, last: got[at][got[at].length - 1] }).toEqual({ at, len: L + 101, last: 10 });
      }
      expect(Buffer.concat(got).equals(data)).toBe(true);
    } finally {
      m.close();
    }
  });

  test('from the middle of a long line, and a slice of the same bytes agrees', () => {
    const M = moduleFor('3.15');
    const data = Buffer.concat([Buffer.alloc(3 * L, 0x61), b('\n'), b('x\n')]);
    const m = new M.mmap(-1, data.length);
    try {
      m.write(data);
      for (const start of [0, 1, L - 1, L, 2 * L + 5]) {
        m.seek(start);
        const line = m.readline();
        expect({ start, len: line.length, nl: line[line.length - 1] }).toEqual({ start, len: 3 * L + 1 - start, nl: 10 });
        expect(line.equals(m.__getitem__(new slice(start, 3 * L + 1)))).toBe(true);
        expect(m.tell()).toBe(3 * L + 1);
      }
    } finally {
      m.close();
    }
  });
});

// ------------------------------------------------------------------ None arguments (3.14)

describe('None arguments: refused by 3.13, accepted by 3.14 and 3.15 where CPython accepts them', () => {
  // [the call as Python spells it, how to make it, 3.13, 3.14, 3.15]; the map holds b'abcabc'
  // at position 1. 3.13: measured on CPython 3.13.0; 3.14: CPython 3.14.2 (Pyodide), checked
  // live below; 3.15: flush(offset=0, size=-1, /, *, flags) (3.15.0rc1, measured in Pyodide 315).
  const NONE_INT = "TypeError: 'NoneType' object cannot be interpreted as an integer";
  const a = b('a');
  const CALLS: Array<[string, (m: any, M: any) => unknown, string, string, string]> = [
    ["m.find(b'a', None)", (m) => m.find(a, null), NONE_INT, '3', '3'],
    ["m.find(b'a', 0, None)", (m) => m.find(a, 0, null), NONE_INT, '0', '0'],
    ["m.find(b'a', None, None)", (m) => m.find(a, null, null), NONE_INT, '3', '3'],
    ["m.find(b'a', None, 3)", (m) => m.find(a, null, 3), NONE_INT, '3', '3'],
    ["m.rfind(b'a', None)", (m) => m.rfind(a, null), NONE_INT, '3', '3'],
    ["m.rfind(b'a', 0, None)", (m) => m.rfind(a, 0, null), NONE_INT, '3', '3'],
    ["m.rfind(b'a', None, 3)", (m) => m.rfind(a, null, 3), NONE_INT, '3', '3'],
    // 3.15.0rc1 (Pyodide 315): flush(offset=0, size=-1, /, *, flags): None is refused again
    ['m.flush(0, None)', (m) => m.flush(0, null), NONE_INT, 'None', NONE_INT],
    ['m.madvise(mmap.MADV_NORMAL, 0, None)', (m, M) => m.madvise(M.MADV_NORMAL, 0, null), NONE_INT, 'None', 'None'],
    ['m.madvise(mmap.MADV_NORMAL, None)', (m, M) => m.madvise(M.MADV_NORMAL, null), NONE_INT, NONE_INT, NONE_INT],
  ];
  // CPython 3.14.2 refuses None for flush's offset; the 3.14 gate of the shim accepts it
  // (reported with issue 13; the shim's argument tables belong to issue 12).
  const KNOWN_314: Array<[string, (m: any, M: any) => unknown, string, string, string]> = [
    ['m.flush(None)', (m) => m.flush(null), NONE_INT, NONE_INT, NONE_INT],
    ['m.flush(None, None)', (m) => m.flush(null, null), NONE_INT, NONE_INT, NONE_INT],
  ];

  function run(version: '3.13' | '3.14' | '3.15', calls: typeof CALLS): string[] {
    const M: any = moduleFor(version);
    return calls.map(([py, call]) => {
      const m = new M.mmap(-1, 8192);
      try {
        m.write(b('abcabc'));
        m.seek(1);
        return `${py} -> ${outcome(() => call(m, M))}`;
      } finally {
        m.close();
      }
    });
  }

  test.each([['3.13', 2], ['3.14', 3], ['3.15', 4]] as const)('%s', (version, col) => {
    expect(run(version, CALLS)).toEqual(CALLS.map((c) => `${c[0]} -> ${c[col]}`));
  });
  test('3.13 and 3.15: None for flush\'s offset is refused', () => {
    for (const v of ['3.13', '3.15'] as const) expect(run(v, KNOWN_314)).toEqual(KNOWN_314.map((c) => `${c[0]} -> ${NONE_INT}`));
  });
  test('3.14: None for flush\'s offset is refused as by CPython 3.14.2 (the 3.14 gate accepted it)', () => {
    expect(run('3.14', KNOWN_314)).toEqual(KNOWN_314.map((c) => `${c[0]} -> ${c[3]}`));
  });

  let pyodideMissing: string | null = null;
  try { require.resolve('pyodide'); } catch { pyodideMissing = 'the pyodide package is not installed (a devDependency: npm install)'; }
  // Pyodide does not load inside jest's module sandbox: it runs in a child process.
  testIf(pyodideMissing, 'the 3.14 column is what CPython 3.14.2 (in Pyodide) does', () => {
    const all = [...CALLS, ...KNOWN_314];
    const python = `
import json, mmap, sys
assert sys.version_info[:2] == (3, 14), sys.version
out = []
for call in json.loads(${JSON.stringify(JSON.stringify(all.map((c) => c[0])))}):
    m = mmap.mmap(-1, 8192)
    m.write(b'abcabc')
    m.seek(1)
    try:
        r = eval(call)
        out.append(call + ' -> ' + repr(r))
    except Exception as e:
        out.append(call + ' -> ' + type(e).__name__ + ': ' + str(e))
    m.close()
json.dumps(out)
`;
    const script = `require('pyodide').loadPyodide().then((py) => process.stdout.write(py.runPython(process.env.PYMMAP_PY)))`;
    const r = spawnSync(process.execPath, ['-e', script], {
      cwd: path.resolve(__dirname, '..', '..'), encoding: 'utf8', timeout: 120_000, env: { ...process.env, PYMMAP_PY: python },
    });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(r.stdout)).toEqual(all.map((c) => `${c[0]} -> ${c[3]}`));
  }, 120_000);
});

// ------------------------------------------------------------------ set_name (3.15)

describe('3.15 set_name(): a name with a NUL character', () => {
  const notLinux = process.platform === 'linux' ? null : 'set_name exists on Linux only';
  testOn(notLinux, 'ValueError: embedded null character, before the length and anonymous-map checks', () => {
    const M: any = moduleFor('3.15');
    const anon = new M.mmap(-1, 4096);
    const f = path.join(dir, 'named.bin');
    fs.writeFileSync(f, Buffer.alloc(4096));
    const fd = fs.openSync(f, 'r+');
    const file = new M.mmap(fd, 0);
    fs.closeSync(fd);
    try {
      const cases: Array<[any, string]> = [
        [anon, 'a\0b'], [anon, '\0'], [anon, 'tail\0'], [anon, `${'x'.repeat(80)}\0`], [file, 'a\0b'],
      ];
      for (const [m, name] of cases) {
        let err: any = null;
        try { m.set_name(name); } catch (e) { err = e; }
        expect({ name, type: err?.constructor, message: err?.message }).toEqual({ name, type: ValueError, message: 'embedded null character' });
      }
      // the neighbours keep their own messages
      expect(outcome(() => anon.set_name('x'.repeat(68)))).toBe('ValueError: name is too long');
      expect(outcome(() => file.set_name('ok'))).toBe('ValueError: Cannot set annotation on non-anonymous mappings');
      expect(outcome(() => anon.set_name(5))).toBe('TypeError: set_name() argument must be str, not int');
      expect(anon.set_name('fine')).toBeNull();
      expect(() => anon.set_name(5)).toThrow(PyTypeError);
    } finally {
      anon.close();
      file.close();
    }
  });
  test('3.14 has no set_name', () => {
    const M: any = moduleFor('3.14');
    const m = new M.mmap(-1, 4096);
    try {
      expect(typeof m.set_name).not.toBe('function');
    } finally {
      m.close();
    }
  });
});
