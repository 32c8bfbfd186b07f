/*
 * The Pyodide bridge (shim/pyodide.ts + python/pymmap_bridge.py) under CPython's own
 * test_mmap.py and the checks of checks.js, through conformance/pyodide/run.js (each Pyodide
 * instance in its own process, two at a time):
 *   - the 3.13 and 3.11 test files (read from $(pyenv root)) with the bridge in zero-copy mode,
 *     and with the copying path: every test passes except the platform skips
 *     (Windows-only, 32-bit);
 *   - the semantics and strict-mode checks, zero-copy and copying.
 * The built-in mmap (the anchor) is not run here (`npm run test:pyodide` runs it), and nothing
 * is timed (timings are in bench/pyodide.js). A CPython version whose test file is not
 * installed is skipped with the reason in the title (a failure with CI=true).
 */
/* eslint-disable @typescript-eslint/no-var-requires */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const runner = require('./run.js');
const { testIf } = require('../lib/skips');

const { files, missing } = runner.findTestFiles(['3.13', '3.11']);
const why: string | null = runner.preflight();
const PAIRS = ['3.13:bridge', '3.11:bridge', '3.13:copy', '3.11:copy'];

let summary: any = null;
let runError: unknown = null;

beforeAll(async () => {
  if (why) return;
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-pyodide-jest-')), 'results.json');
  try {
    summary = await runner.runAll({ modes: ['bridge', 'copy'], pairs: PAIRS, jobs: 2, out });
  } catch (e) {
    runError = e;
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}, 600000);

function column(version: string, mode: string): any {
  return summary.columns.find((c: any) => c.version === version && c.mode === mode);
}

describe('Pyodide bridge', () => {
  it('can run (pyodide installed, shim/lib built)', () => {
    expect(why).toBeNull();
    expect(runError).toBeNull();
  });

  for (const v of ['3.13', '3.11']) {
    const file = files.find((f: any) => f.version === v);
    const noFile = file ? null : missing.find((m: string) => m.startsWith(`CPython ${v}:`));
    for (const mode of ['bridge', 'copy']) {
      if (!PAIRS.includes(`${v}:${mode}`)) continue;
      const name = `CPython ${v} test_mmap.py, ${mode === 'bridge' ? 'zero-copy' : 'copying path'}: ` +
        'every test not skipped for the platform passes';
      testIf(why ?? noFile, name, () => {
        const c = column(v, mode);
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
  }

  for (const mode of ['bridge', 'copy']) {
    testIf(why, `semantics and strict-mode checks (${mode === 'bridge' ? 'zero-copy' : 'copying path'})`, () => {
      const k = summary.checks.find((c: any) => c.mode === mode);
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
