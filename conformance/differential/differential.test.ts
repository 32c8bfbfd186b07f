// Differential test: CPython's mmap (python/oracle.py under every installed CPython 3.7-3.13)
// vs the shim, on the regressions (regressions/*.json), the generated sequences of a fixed seed
// (the same every run) and those of a fresh seed (new every run, printed, so that a divergence
// it finds can be replayed). And CPython 3.14 and 3.15 as Pyodide 314 and 315 compile them
// (oracle.py inside Pyodide: its built-in mmap is CPython's mmapmodule.c over Emscripten's
// emulation) vs moduleFor('3.14' / '3.15', { ssizeBits: 32 }), on the same sequences (and
// Pyodide 0.27's 3.12 and 0.29's 3.13 the same way); what the
// emulated system calls do differently is in known-divergences.json (pyodide-*). And pymmap's
// Pyodide bridge (both paths) in Pyodide 314 against the same shim.
// Budget knobs: PYMMAP_DIFF_COUNT (default 30, fixed seed), PYMMAP_DIFF_SEED (default 20240601),
// PYMMAP_DIFF_FRESH_COUNT (default 20), PYMMAP_DIFF_FRESH_SEED (default: random; set it to replay).
import { randomInt } from 'crypto';
import { probePythons, probePyodide, PYODIDE_ORACLES } from './python';
import { generateMany } from './generator';
import { describe as describeDivergence, loadKnown } from './compare';
import { differential, loadRegressions } from './differential';

const { testIf } = require('../lib/skips');

const COUNT = Number(process.env.PYMMAP_DIFF_COUNT ?? 30);
const SEED = Number(process.env.PYMMAP_DIFF_SEED ?? 20240601);
const FRESH_COUNT = Number(process.env.PYMMAP_DIFF_FRESH_COUNT ?? 20);
const FRESH_SEED = Number(process.env.PYMMAP_DIFF_FRESH_SEED ?? randomInt(1, 2 ** 31 - 1));
const REPLAY = `PYMMAP_DIFF_FRESH_SEED=${FRESH_SEED} npx jest conformance/differential ` +
  `(or: npm run fuzz -- --seed ${FRESH_SEED} --count ${FRESH_COUNT})`;

const probes = probePythons();
const known = loadKnown();
const regressions = loadRegressions();
const generated = [...generateMany(SEED, COUNT), ...generateMany(FRESH_SEED, FRESH_COUNT)];

process.stderr.write(`differential: fixed seed ${SEED} (${COUNT} sequences), fresh seed ${FRESH_SEED} (${FRESH_COUNT}); replay: ${REPLAY}\n`);

describe('differential: CPython mmap vs shim', () => {
  for (const p of [...probes, ...PYODIDE_ORACLES.map(probePyodide)]) {
    const it = p.interpreter;
    const name = `${p.minor}${it ? ` (CPython ${it.full})` : ''}: ${regressions.length} regressions + ${COUNT} generated (seed ${SEED}) ` +
      `+ ${FRESH_COUNT} generated (fresh seed ${FRESH_SEED})`;
    testIf(it ? null : p.reason, name, () => {
      const res = differential([...regressions, ...generated], p.minor, it!.exe, known);
      const report = res.divergences.map(describeDivergence).join('\n');
      expect(report ? `${res.divergences.length} divergences (replay the fresh ones: ${REPLAY})\n${report}` : '').toBe('');
    }, 120_000);
  }
  // The Pyodide bridge held against the same shim: python/oracle.py over installMmap (zero-copy
  // and its copying path) inside Pyodide 314, vs moduleFor('3.14', { ssizeBits: 32 }).
  const p314 = probePyodide(PYODIDE_ORACLES.find((o) => o.version === 'pyodide-3.14')!);
  for (const mode of ['zc', 'copy'] as const) {
    const it = p314.interpreter;
    testIf(it ? null : p314.reason, `the Pyodide bridge (${mode === 'zc' ? 'zero-copy' : 'copying path'}) in ${it ? it.full : 'Pyodide 314'}: ` +
      `the same sequences`, () => {
      process.env.PYMMAP_ORACLE_BRIDGE = mode;
      try {
        const res = differential([...regressions, ...generated], p314.minor, it!.exe, known);
        const report = res.divergences.map(describeDivergence).join('\n');
        expect(report ? `${res.divergences.length} divergences (replay the fresh ones: PYMMAP_ORACLE_BRIDGE=${mode} ${REPLAY})\n${report}` : '').toBe('');
      } finally {
        delete process.env.PYMMAP_ORACLE_BRIDGE;
      }
    }, 120_000);
  }
});
