/*
 * Keeps conformance/manifest.json honest:
 *   - every test of the installed CPython 3.13 Lib/test/test_mmap.py (def test_* inside a
 *     class ...Tests) and every name of the manifest's 3.14/3.15 lists has an entry;
 *   - every entry's ported files define the test (TestCase('<suite>') + testcase('<name>'));
 *   - versions, platforms and skip reasons are consistent.
 *   - the ported files register as skipped, on this platform, exactly the tests the manifest
 *     skips here: decorator skips where 'platforms' leaves this platform out, run-time skips
 *     under 'runtimeSkip' (with the same reason), nothing else.
 * The check against the installed 3.13 source is skipped (with its reason in the title; a
 * failure with CI=true) when no CPython 3.13 is found (conformance/lib/pyenv.js).
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import * as fs from 'fs';
import * as path from 'path';

const pyenv = require('./lib/pyenv');
const { registrations } = require('./lib/registrations');
const { onCI, testOn, testIf } = require('./lib/skips');

const ROOT = path.resolve(__dirname, '..');
const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, 'manifest.json'), 'utf8'));
const PLATFORMS = ['linux', 'win32'];
const PLATFORM = process.platform;

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
  const testFile313 = pyenv.findTestFile('3.13');

  testIf(testFile313 ? null : pyenv.testFileMissing('3.13'), 'has an entry for every test of the installed CPython 3.13 test_mmap.py', () => {
    const names = parsePythonTests(fs.readFileSync(testFile313.path, 'utf8'));
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

  it('lists run-time skips only for platforms a test runs on, each with its reason', () => {
    for (const e of entries) {
      for (const [plat, reason] of Object.entries<any>(e.runtimeSkip ?? {})) {
        expect({ test: key(e), plat, known: PLATFORMS.includes(plat), runs: e.platforms.includes(plat), reason: typeof reason === 'string' && reason.length > 0 })
          .toEqual({ test: key(e), plat, known: true, runs: true, reason: true });
      }
    }
  });

  // The ported files are loaded (not run) in a child process with stand-ins for describe/it:
  // what they register as skipped here must be what the manifest says is skipped here.
  testOn(PLATFORMS.includes(PLATFORM) ? null : `the manifest describes ${PLATFORMS.join(' and ')} only`,
    `the ported files skip, on ${PLATFORM}, exactly the tests the manifest skips here (with its reasons)`, () => {
      const files = [...new Set([...entries.flatMap((e) => e.ported.map((p: any) => p.file)), ...(manifest.extra?.files ?? [])])]
        // the files written with support.ts (unittest's skips); the others are plain jest
        .filter((f: string) => /from '\.\/support'/.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
      const got = registrations(files);
      const expected: string[] = [];
      for (const e of entries) {
        for (const p of e.ported) {
          if (!e.platforms.includes(PLATFORM)) expected.push(`${p.file} ${key(e)} static`);
          else if (e.runtimeSkip?.[PLATFORM]) expected.push(`${p.file} ${key(e)} runtime: ${e.runtimeSkip[PLATFORM]}`);
        }
      }
      const prerequisites = got.filter((t: any) => t.skip?.kind === 'prerequisite');
      const skipped = got.filter((t: any) => t.skip && t.skip.kind !== 'prerequisite')
        .map((t: any) => `${t.file} ${t.suite}.${t.name} ${t.skip.kind === 'static' ? 'static' : `${t.skip.kind}: ${t.skip.reason}`}`);
      expect(skipped.sort()).toEqual(expected.sort());
      // a decorator's reason is the start of the manifest's (which adds where it does run)
      for (const t of got.filter((x: any) => x.skip?.kind === 'static')) {
        const e = byKey.get(`${t.suite}.${t.name}`);
        expect({ test: `${t.suite}.${t.name}`, inManifest: String(e?.skip?.[PLATFORM] ?? '').includes(t.skip.reason) })
          .toEqual({ test: `${t.suite}.${t.name}`, inManifest: true });
      }
      // missing prerequisites of the port (not of upstream's tests) are allowed off CI only
      expect(onCI() ? prerequisites.map((t: any) => `${t.suite}.${t.name}: ${t.skip.reason}`) : []).toEqual([]);
      expect(got.length).toBeGreaterThan(entries.length);
    });
});
