// Differential test: CPython's mmap (python/oracle.py under every installed CPython 3.7-3.13)
// vs the shim, on 30 generated sequences per version plus regressions/*.json.
// Budget knobs: PYMMAP_DIFF_COUNT (default 30), PYMMAP_DIFF_SEED (default 20240601).
import { probePythons } from './python';
import { generateMany } from './generator';
import { describe as describeDivergence, loadKnown } from './compare';
import { differential, loadRegressions } from './differential';

const COUNT = Number(process.env.PYMMAP_DIFF_COUNT ?? 30);
const SEED = Number(process.env.PYMMAP_DIFF_SEED ?? 20240601);

const probes = probePythons();
const known = loadKnown();
const regressions = loadRegressions();
const generated = generateMany(SEED, COUNT);

describe('differential: CPython mmap vs shim', () => {
  for (const p of probes) {
    if (!p.interpreter) {
      // eslint-disable-next-line no-console
      console.warn(`differential ${p.minor} skipped: ${p.reason}`);
      test.skip(`${p.minor}: skipped (${p.reason})`, () => undefined);
      continue;
    }
    const it = p.interpreter;
    test(`${p.minor} (CPython ${it.full}): ${regressions.length} regressions + ${COUNT} generated (seed ${SEED})`, () => {
      const res = differential([...regressions, ...generated], p.minor, it.exe, known);
      const report = res.divergences.map(describeDivergence).join('\n');
      if (res.divergences.length) {
        // eslint-disable-next-line no-console
        console.log(`${p.minor}: ${res.divergences.length} divergences\n${report}`);
      }
      expect(report).toBe('');
    }, 120_000);
  }
});
