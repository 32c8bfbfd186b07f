// Deno (from npm, a devDependency): a worker's environment teardown releases what it owns.
// Deno runs a worker's finalizers after its isolate is disposed (any Node-API call there is
// fatal) and runs no cleanup hook when terminate() ends a busy worker; see binding.cc (EnvFlag,
// ThreadReaper). Issue 10, class 3.
import { spawnSync } from 'child_process';
import * as path from 'path';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { testIf } = require('../../conformance/lib/skips');

const ROOT = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(__dirname, 'fixtures', 'deno-worker-teardown.cjs');
const SHIM = path.join(ROOT, 'shim', 'lib', 'index.js');

function denoBinary(): string | null {
  try {
    return path.join(path.dirname(require.resolve(`@deno/${process.platform}-${process.arch}-glibc/package.json`)), 'deno');
  } catch {
    return null;
  }
}
const deno = process.platform === 'linux' ? denoBinary() : null;
const why = process.platform !== 'linux' ? 'the /proc checks are Linux-only'
  : deno ? null : 'the deno package (a devDependency) is not installed: npm install';

function run(mode: string): any {
  const r = spawnSync(deno!, ['run', '-A', SCRIPT, SHIM, mode], { encoding: 'utf8', timeout: 60000, env: { ...process.env, NO_COLOR: '1' } });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
  if (r.status !== 0 || !line) throw new Error(`deno ${mode}: status ${r.status} signal ${r.signal}\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(line.slice(7));
}

describe('Deno worker teardown', () => {
  for (const mode of ['exit', 'idle']) {
    testIf(why, `a worker that ${mode === 'exit' ? 'exits' : 'is terminate()d while idle'} leaves no mapping and no fd (and Deno does not panic)`, () => {
      expect(run(mode)).toEqual({ mode, during: { maps: 5, fds: 5 }, after: { maps: 0, fds: 0 } });
    }, 60000);
  }
  testIf(why, 'a worker terminate()d while running JS keeps running in Deno, and so keeps its maps (documented, not ours to free)', () => {
    expect(run('busy')).toEqual({ mode: 'busy', during: { maps: 5, fds: 5 }, after: { maps: 5, fds: 5 } });
  }, 60000);
});
