// Deno (from npm, a devDependency): a worker's environment teardown releases what it owns.
// Deno runs a worker's finalizers after its isolate is disposed (any Node-API call there is
// fatal) and runs no cleanup hook when terminate() ends a busy worker; see binding.cc (EnvFlag,
// ThreadReaper). Issue 10, class 3.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
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

describe('Deno imports the package', () => {
  testIf(why, 'the ES module build of a linked copy (outside node_modules), by name', () => {
    // Without "type": "commonjs" in package.json, Deno read shim/lib/index.js as ESM and the
    // .mjs face failed: "does not provide an export named 'default'" (issue 13).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-deno-esm-'));
    try {
      fs.mkdirSync(path.join(dir, 'node_modules'));
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'c', version: '1.0.0', private: true, type: 'module' }));
      fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'pymmap'));
      fs.writeFileSync(path.join(dir, 'app.mjs'), [
        "import { mmap, slice, ACCESS_READ } from 'pymmap';",
        'const m = new mmap(-1, 16);',
        "m.write(new TextEncoder().encode('hello'));",
        "console.log('RESULT ' + JSON.stringify({ s: new TextDecoder().decode(m.__getitem__(new slice(0, 5))), r: ACCESS_READ }));",
        'm.close();',
      ].join('\n'));
      const r = spawnSync(deno!, ['run', '-A', 'app.mjs'], { cwd: dir, encoding: 'utf8', timeout: 60000, env: { ...process.env, NO_COLOR: '1' } });
      const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('RESULT '));
      expect({ status: r.status, out: line ? JSON.parse(line.slice(7)) : r.stderr }).toEqual({ status: 0, out: { s: 'hello', r: 1 } });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60000);
});
