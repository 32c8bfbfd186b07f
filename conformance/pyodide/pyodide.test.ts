/*
 * The Pyodide bridge (shim/pyodide.ts + python/pymmap_bridge.py) under CPython's own
 * test_mmap.py and the checks of checks.js, through conformance/pyodide/run.js (each Pyodide
 * instance in its own process, two at a time), on the Pyodides of versions.js:
 *   - zero-copy is on with every Pyodide (0.26 ... 315): installMmap says so and a write through
 *     memoryview(m) is in the host file before the view is released;
 *   - the newest Pyodide of each Python line that has its own test file here (0.27: 3.12's file,
 *     0.29: 3.13's) and the `pyodide` devDependency (314, with 3.13's file), zero-copy: every test
 *     passes except the platform skips; 314 also on the copying path;
 *   - the semantics and strict-mode checks on 314, zero-copy and copying.
 * `npm run test:pyodide` runs every version's test file, the built-in mmap (the anchor) and the
 * checks everywhere; nothing is timed here. A Pyodide that is not installed, or a CPython whose
 * test file is not, is skipped with the reason in the title (a failure with CI=true).
 */
/* eslint-disable @typescript-eslint/no-var-requires */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const runner = require('./run.js');
const { PYODIDES } = require('./versions');
const { testIf } = require('../lib/skips');

const { runs, missing } = runner.findRuns();
const why: string | null = runner.preflight();
const JEST = PYODIDES.filter((p: any) => p.inJest).map((p: any) => p.key);
const PAIRS = [...JEST.map((k: string) => `${k}:bridge`), '314:copy'];
const CHECKS = ['314:bridge', '314:copy'];

let summary: any = null;
let runError: unknown = null;

beforeAll(async () => {
  if (why) return;
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-pyodide-jest-')), 'results.json');
  try {
    summary = await runner.runAll({ modes: ['bridge', 'copy'], pairs: PAIRS, checks: CHECKS, jobs: 2, out });
  } catch (e) {
    runError = e;
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}, 900000);

/** Why a Pyodide's tests cannot run (not installed, or its test file missing), or null. */
function missingFor(key: string, needFile: boolean): string | null {
  const run = runs.find((r: any) => r.p.key === key);
  const m = missing.find((x: string) => x.startsWith(`Pyodide ${key}:`));
  if (!run) return m ?? `Pyodide ${key} is not installed`;
  return needFile && !run.file ? m : null;
}

describe('Pyodide bridge', () => {
  it('can run (pyodide installed, shim/lib built)', () => {
    expect(why).toBeNull();
    expect(runError).toBeNull();
  });

  for (const p of PYODIDES) {
    testIf(why ?? missingFor(p.key, false), `Pyodide ${p.key} (Python ${p.python}): zero-copy is on`, () => {
      const z = summary.zeroCopy.find((x: any) => x.pyodide === p.key);
      expect(z).toBeDefined();
      expect(z.error).toBeNull();
      expect(z.python.startsWith(p.python)).toBe(true);
      expect({ zeroCopy: z.zeroCopy, seen: z.seen }).toEqual({ zeroCopy: true, seen: '.Z.' });
    });
  }

  for (const pair of PAIRS) {
    const [key, mode] = pair.split(':');
    const p = PYODIDES.find((x: any) => x.key === key);
    const name = `Pyodide ${key}, CPython ${p.testFile} test_mmap.py, ${mode === 'bridge' ? 'zero-copy' : 'copying path'}: ` +
      'every test not skipped for the platform passes';
    testIf(why ?? missingFor(key, true), name, () => {
      const c = summary.columns.find((x: any) => x.pyodide === key && x.mode === mode);
      expect(c).toBeDefined();
      expect(c.error).toBeNull();
      if (mode === 'bridge') expect(c.zeroCopy).toBe(true);
      expect(c.failures.map((f: any) => `${f.test}: ${f.detail}`)).toEqual([]);
      expect(c.counts.fail).toBe(0);
      expect(c.counts.skip).toBe(c.counts.platformSkip);
      expect(c.counts.pass).toBeGreaterThan(30);
      expect(c.unmapped).toEqual([]);
    });
  }

  for (const pair of CHECKS) {
    const [key, mode] = pair.split(':');
    testIf(why ?? missingFor(key, false), `Pyodide ${key}: semantics and strict-mode checks (${mode === 'bridge' ? 'zero-copy' : 'copying path'})`, () => {
      const k = summary.checks.find((c: any) => c.pyodide === key && c.mode === mode);
      expect(k).toBeDefined();
      expect(k.error).toBeNull();
      expect(k.checks.filter((c: any) => c.status !== 'pass').map((c: any) => `${c.name}: ${c.detail}`)).toEqual([]);
      expect(k.checks.length).toBeGreaterThanOrEqual(25);
      expect(k.checks.some((c: any) => c.name.startsWith('strict:'))).toBe(true);
    });
  }

  testIf(why, 'writes the import format of conformance/run.js', () => {
    expect(summary).toBeTruthy();
    for (const t of summary.targets) {
      expect(t).toEqual({ id: expect.any(String), title: expect.any(String), platform: 'emscripten' });
    }
    for (const r of summary.rows) {
      for (const [id, res] of Object.entries<any>(r.results)) {
        expect(summary.targets.some((t: any) => t.id === id)).toBe(true);
        expect(['pass', 'fail', 'skip']).toContain(res.status);
      }
    }
  });
});
