// Packaging: `npm pack` carries the prebuilt binary (prepack runs native/prebuild.js), and the
// tarball installs and works with no C++ compiler at hand.
//
// npm pack runs in a copy of the repository (node_modules symlinked) so that its prepack
// (tsc, prebuildify) never rewrites shim/lib or native/prebuilds under the feet of whoever works
// in the checkout.
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cleanupTmp, ROOT, tmpDir } from './helpers';

const { note } = require('../../conformance/lib/skips');

jest.setTimeout(600000);

const COMPILERS = /^(g\+\+|gcc|cc|c\+\+|c89|c99|cpp|clang|clang\+\+|clang-\d+|clang\+\+-\d+|make|gmake|cmake|ninja|ld|as|x86_64-linux-gnu-.*)(-\d+)?$/;
const timings: Record<string, number> = {};
let work: string;
let tarball = '';
let packFiles: string[] = [];
let env: NodeJS.ProcessEnv;
let freshPackError: string | null = null;

/** An environment without npm's own variables (npm test sets many) and with a compiler-free PATH. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'NODE_OPTIONS' && k !== 'INIT_CWD') out[k] = v;
  return { ...out, ...extra };
}

function sh(cmd: string, args: string[], cwd: string, e: NodeJS.ProcessEnv, label: string): SpawnSyncReturns<string> {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd, env: e, encoding: 'utf8', timeout: 500000, maxBuffer: 64 * 1024 * 1024 });
  timings[label] = Date.now() - t0;
  return r;
}

function fail(label: string, r: SpawnSyncReturns<string>): never {
  throw new Error(`${label} failed (status ${r.status}, signal ${r.signal}, ${r.error?.message ?? ''})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}

beforeAll(() => {
  work = tmpDir('pack');
  // ---- a copy of the repository, without build outputs
  const src = path.join(work, 'src');
  const excluded = new Set(['node_modules', '.git', '.tmp', 'native/build', 'native/prebuilds', 'shim/lib', 'bench/out']);
  fs.cpSync(ROOT, src, {
    recursive: true,
    filter: (p) => {
      const rel = path.relative(ROOT, p).split(path.sep).join('/');
      return !excluded.has(rel) && !rel.endsWith('.tgz');
    },
  });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(src, 'node_modules'), 'dir');

  // ---- npm pack (prepack: build:ts + native/prebuild.js), first as from a fresh clone (no
  // native build yet); if that fails, again with the checkout's native/build copied in
  const out = path.join(work, 'out');
  fs.mkdirSync(out);
  let pack = sh('npm', ['pack', '--json', '--pack-destination', out, '--loglevel=error'], src, cleanEnv(), 'npm pack (no native build)');
  if (pack.status !== 0) {
    freshPackError = (pack.stderr || pack.stdout).trim().split('\n').filter((l) => /Error|error/.test(l)).slice(0, 4).join(' | ');
    fs.cpSync(path.join(ROOT, 'native', 'build'), path.join(src, 'native', 'build'), { recursive: true });
    pack = sh('npm', ['pack', '--json', '--pack-destination', out, '--loglevel=error'], src, cleanEnv(), 'npm pack (with native/build)');
  }
  if (pack.status !== 0) fail('npm pack', pack);
  const json = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('[')));
  tarball = path.join(out, json[0].filename);
  packFiles = json[0].files.map((f: { path: string }) => f.path);

  // ---- a PATH with everything of /usr/bin and /bin except compilers and make
  const bin = path.join(work, 'bin');
  fs.mkdirSync(bin);
  for (const d of ['/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    if (!fs.existsSync(d)) continue;
    for (const name of fs.readdirSync(d)) {
      if (COMPILERS.test(name) || fs.existsSync(path.join(bin, name))) continue;
      fs.symlinkSync(path.join(d, name), path.join(bin, name));
    }
  }
  if (!fs.existsSync(path.join(bin, 'node'))) fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  env = cleanEnv({ PATH: bin, CXX: '/bin/false', CC: '/bin/false', CXX_target: '/bin/false', CC_target: '/bin/false', MAKE: '/bin/false' });
});

afterAll(() => {
  note(`package test timings (ms): ${JSON.stringify(timings)}`);
  cleanupTmp();
});

test('npm pack works in a fresh clone (before any native build)', () => {
  // BUG (package.json "prepack"): build:ts runs shim/esm.js, which loads shim/lib/native.js and
  // so the addon, before native/prebuild.js has built anything: in a clone where the addon was
  // never built, npm pack fails with "No native build was found".
  expect(freshPackError).toBeNull();
});

test('npm pack carries native/prebuilds/linux-x64/*.node and the compiled shim, not build outputs or tests', () => {
  expect(packFiles).toEqual(expect.arrayContaining([
    'package.json', 'LICENSE', 'shim/lib/index.js', 'shim/lib/native.js', 'native/install.js', 'native/binding.gyp', 'native/src/binding.cc',
  ]));
  const prebuilt = packFiles.filter((f) => /^native\/prebuilds\/linux-x64\/[^/]+\.node$/.test(f));
  expect(prebuilt.length).toBeGreaterThanOrEqual(1);
  expect(packFiles.filter((f) => f.startsWith('native/build/') || f.startsWith('native/test/') || f.startsWith('node_modules/'))).toEqual([]);
});

test('the tarball installs without a compiler and require("pymmap") maps a file', () => {
  // the compiler really is gone from this environment
  for (const c of ['g++', 'cc', 'gcc', 'make', 'c++']) {
    const found = spawnSync('sh', ['-c', `command -v ${c}`], { env, encoding: 'utf8' });
    expect([c, found.status !== 0, found.stdout.trim()]).toEqual([c, true, '']);
  }
  const app = path.join(work, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  let r = sh('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], app, env, 'npm install --offline');
  if (r.status !== 0) {
    // the dependency (node-gyp-build) was not in the local cache
    note(`package test: npm install --offline failed, retrying with --prefer-offline: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
    r = sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], app, env, 'npm install --prefer-offline');
  }
  if (r.status !== 0) fail('npm install', r);
  const pkg = path.join(app, 'node_modules', 'pymmap');
  expect(fs.existsSync(path.join(pkg, 'native', 'build'))).toBe(false); // nothing was compiled

  const script = `
    const fs = require('fs'), path = require('path');
    const mm = require('pymmap');
    const f = path.join(${JSON.stringify(app)}, 'data.bin');
    fs.writeFileSync(f, Buffer.from('hello from a mapped file'));
    const fd = fs.openSync(f, 'r+');
    const m = new mm.mmap(fd, 0);
    const out = { size: m.size(), read: m.read(5).toString(), find: m.find(Buffer.from('mapped')) };
    m.seek(0); m.write(Buffer.from('HELLO')); m.flush(); m.close(); fs.closeSync(fd);
    out.file = fs.readFileSync(f, 'utf8');
    out.binary = require('node-gyp-build').resolve(path.join(path.dirname(require.resolve('pymmap/package.json')), 'native'));
    // the raw addon is not a public way in (issue 10, class 9)
    try { require('pymmap/native'); out.native = 'exported'; } catch (e) { out.native = e.code; }
    console.log(JSON.stringify(out));
  `;
  const run = sh(process.execPath, ['-e', script], app, env, 'require pymmap');
  if (run.status !== 0) fail('require("pymmap")', run);
  const got = JSON.parse(run.stdout.trim().split('\n').pop()!);
  expect(got).toEqual({
    size: 24, read: 'hello', find: 13, file: 'HELLO from a mapped file',
    binary: expect.stringMatching(/node_modules\/pymmap\/native\/prebuilds\/linux-x64\/[^/]+\.node$/), native: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
  });
});
