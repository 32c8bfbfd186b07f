/*
 * The Windows backend, for real: native/windows/build.sh (npm run test:windows) cross-builds the
 * addon with mingw-w64 and runs the ported CPython test_mmap suite in the Windows node.exe under
 * wine. It installs wine and mingw-w64 with apt-get the first time (root, Debian), so the first
 * run takes minutes; later runs about 15 s. Its exit status is 0 only when every upstream test
 * the manifest expects on win32 passes (conformance/windows/run.js).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.join(ROOT, 'conformance', '.tmp', 'windows', 'results.json');

function why(): string | null {
  if (process.platform !== 'linux') return 'the wine build runs on Linux hosts';
  const hasWine = spawnSync('sh', ['-c', 'command -v wine'], { encoding: 'utf8' }).status === 0;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!hasWine && !root) return 'wine is not installed and installing it needs root (apt-get)';
  return null;
}

const reason = why();
if (reason) console.warn(`skipping the Windows suite: ${reason}`);

(reason ? test.skip : test)('ported test_mmap suite passes with the Windows build under wine', () => {
  const r = spawnSync('bash', [path.join(ROOT, 'native', 'windows', 'build.sh'), '--out', OUT], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, PYMMAP_SKIP_TS_BUILD: '1' },
    timeout: 25 * 60 * 1000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const tail = `${r.stdout}\n${r.stderr}`.split('\n').slice(-40).join('\n');
  expect({ status: r.status, tail }).toEqual({ status: 0, tail: expect.any(String) });
  const results = JSON.parse(fs.readFileSync(OUT, 'utf8'));
  expect(results).toBeTruthy();
}, 30 * 60 * 1000);
