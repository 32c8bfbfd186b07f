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

// A heavy target (conformance/lib/heavy.js): the toolchain is installed when the test is
// registered, with progress on stderr; PYMMAP_HEAVY=0 leaves it out; where it cannot be had the
// test is skipped with the reason in its title (a failure with CI=true).
const heavy = require('../lib/heavy');
const { testHeavy } = require('../lib/skips');
const missing: string | null = heavy.optedOut('windows') ? null : heavy.ensureWindows();

testHeavy('windows', missing, 'ported test_mmap suite passes with the Windows build under wine', () => {
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
