/*
 * Keeps conformance/manifest.json honest:
 *   - every test of the installed CPython 3.13 Lib/test/test_mmap.py (def test_* inside a
 *     class ...Tests) and every name of the manifest's 3.14/3.15 lists has an entry;
 *   - every entry's ported files define the test (TestCase('<suite>') + testcase('<name>'));
 *   - versions, platforms and skip reasons are consistent.
 * The check against the installed 3.13 source is skipped, with a message, when no
 * CPython 3.13 is found under $(pyenv root)/versions/3.13.* (or ~/.pyenv).
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, 'manifest.json'), 'utf8'));
const PLATFORMS = ['linux', 'win32'];

function pyenvRoots(): string[] {
  const roots: string[] = [];
  if (process.env.PYENV_ROOT) roots.push(process.env.PYENV_ROOT);
  try {
    const r = execFileSync('pyenv', ['root'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10000 }).trim();
    if (r) roots.push(r);
  } catch { /* pyenv missing */ }
  roots.push(path.join(os.homedir(), '.pyenv'));
  return [...new Set(roots)];
}

/** The newest installed 3.13.x test_mmap.py, or null. */
function findCPython313TestFile(): string | null {
  for (const root of pyenvRoots()) {
    const versions = path.join(root, 'versions');
    let entries: string[] = [];
    try { entries = fs.readdirSync(versions); } catch { continue; }
    const found = entries.filter((v) => /^3\.13\.\d+$/.test(v))
      .sort((a, b) => Number(b.split('.')[2]) - Number(a.split('.')[2]))
      .map((v) => path.join(versions, v, 'lib', 'python3.13', 'test', 'test_mmap.py'))
      .filter((p) => fs.existsSync(p));
    if (found.length) return found[0];
  }
  return null;
}

/** Suite.test names defined by `def test_*` inside `class *Tests` of a Python test file. */
function parsePythonTests(source: string): string[] {
  const out: string[] = [];
  let cls: string | null = null;
  for (const line of source.split('\n')) {
    const c = /^class\s+(\w+)\s*[(:]/.exec(line);
    if (c) { cls = c[1].endsWith('Tests') ? c[1] : null; continue; }
    if (/^\S/.test(line)) { if (!/^(#|@|$)/.test(line)) cls = null; continue; }
    const d = /^ {4}def\s+(test_\w+)\s*\(/.exec(line);
    if (d && cls) out.push(`${cls}.${d[1]}`);
  }
  return out;
}

/** Suite.test names a ported jest file defines (TestCase('Suite', ...) / testcase('test_x', ...)). */
function parsePortedTests(file: string): Set<string> {
  const src = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const out = new Set<string>();
  const re = /\b(TestCase|describe|testcase|it|test)\s*\(\s*(['"`])([^'"`]+)\2/g;
  let suite = '';
  for (let m = re.exec(src); m; m = re.exec(src)) {
    if (m[1] === 'TestCase' || m[1] === 'describe') suite = m[3];
    else if (m[3].startsWith('test_')) out.add(`${suite}.${m[3]}`);
  }
  return out;
}

const entries: any[] = manifest.tests;
const key = (e: any) => `${e.suite}.${e.name}`;
const byKey = new Map(entries.map((e) => [key(e), e]));

describe('manifest', () => {
  const testFile313 = findCPython313TestFile();
  const itWith313 = testFile313 ? it : it.skip;
  if (!testFile313) {
    // eslint-disable-next-line no-console
    console.warn('manifest.test: no CPython 3.13 found under $(pyenv root)/versions/3.13.* or ~/.pyenv; ' +
      'the check against the installed test_mmap.py is skipped.');
  }

  itWith313('has an entry for every test of the installed CPython 3.13 test_mmap.py', () => {
    const names = parsePythonTests(fs.readFileSync(testFile313!, 'utf8'));
    expect(names.length).toBeGreaterThan(0);
    const missing = names.filter((n) => !byKey.has(n));
    expect(missing).toEqual([]);
    // and its 3.13 list is that file's list
    expect([...manifest.upstream['3.13'].tests].sort()).toEqual([...names].sort());
  });

  it('has an entry for every name of its 3.13/3.14/3.15 lists', () => {
    for (const v of ['3.13', '3.14', '3.15']) {
      const list: string[] = manifest.upstream[v].tests;
      expect(list.length).toBeGreaterThan(0);
      expect(list.filter((n) => !byKey.has(n))).toEqual([]);
      expect(new Set(list).size).toBe(list.length);
    }
  });

  it('3.14/3.15 lists follow from the previous list, added and removed', () => {
    for (const [prev, v] of [['3.13', '3.14'], ['3.14', '3.15']]) {
      const u = manifest.upstream[v];
      const names = (l: string[]) => l.map((n) => n.split('.')[1]);
      const expected = names(manifest.upstream[prev].tests).filter((n: string) => !u.removed.includes(n)).concat(u.added);
      expect(names(u.tests).sort()).toEqual(expected.sort());
    }
  });

  it('lists, for every entry, exactly the versions whose list has it', () => {
    for (const e of entries) {
      const want = ['3.13', '3.14', '3.15'].filter((v) => manifest.upstream[v].tests.includes(key(e)));
      expect({ test: key(e), versions: e.versions }).toEqual({ test: key(e), versions: want });
    }
    expect(new Set(entries.map(key)).size).toBe(entries.length);
  });

  it('names only tests that the ported files define', () => {
    const cache = new Map<string, Set<string>>();
    const undefinedTests: string[] = [];
    for (const e of entries) {
      expect(e.ported.length).toBeGreaterThan(0);
      for (const p of e.ported) {
        if (!cache.has(p.file)) {
          expect(fs.existsSync(path.join(ROOT, p.file))).toBe(true);
          cache.set(p.file, parsePortedTests(p.file));
        }
        if (!cache.get(p.file)!.has(key(e))) undefinedTests.push(`${key(e)} in ${p.file}`);
        expect(e.versions).toContain(p.from);
      }
    }
    expect(undefinedTests).toEqual([]);
  });

  it('gives a reason for every platform a test does not run on', () => {
    for (const e of entries) {
      for (const plat of PLATFORMS) {
        if (!e.platforms.includes(plat)) {
          expect({ test: key(e), platform: plat, reason: typeof e.skip?.[plat] === 'string' && e.skip[plat].length > 0 })
            .toEqual({ test: key(e), platform: plat, reason: true });
        } else {
          expect({ test: key(e), platform: plat, skip: e.skip?.[plat] }).toEqual({ test: key(e), platform: plat, skip: undefined });
        }
      }
    }
  });

  it('names extra (non-upstream) test files that exist', () => {
    for (const f of manifest.extra?.files ?? []) expect(fs.existsSync(path.join(ROOT, f))).toBe(true);
  });
});
