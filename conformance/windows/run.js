#!/usr/bin/env node
/*
 * The Windows column of the conformance report: runs the ported CPython tests
 * (conformance/test_mmap) with the Windows build of pymmap in the real Windows node.exe under
 * wine, and writes the results in the format `node conformance/run.js --import FILE` reads.
 * Normally started by native/windows/build.sh (npm run test:windows), which builds the addon.
 *
 *   node conformance/windows/run.js --node-exe NODE.EXE --addon pymmap.node [--out FILE] [FILES...]
 *
 * What it does:
 *  1. compiles shim/*.ts, the test files and conformance/windows/*.wine.ts (pymmap's own
 *     Windows tests: faults under views, see views.wine.ts) to CommonJS with @swc/core into
 *     conformance/.tmp/windows/root/ (the same layout as the repository, so the tests' relative
 *     requires work; shim/lib/ too, for tests that start a child process), and puts the addon in
 *     root/native/prebuilds/win32-x64/ (node-gyp-build finds it there; the repository's own
 *     native/build holds the Linux build);
 *  2. runs conformance/windows/harness.js in `wine NODE.EXE --expose-gc` (output to a file:
 *     node.exe under wine cannot write to a Unix pipe);
 *  3. maps the results onto conformance/manifest.json with the rules of run.js's own column
 *     (conformance/lib/verdict.js: a decorator skip of a test the manifest says runs on win32
 *     is a failure, and so is a run-time skip the manifest does not list under runtimeSkip)
 *     and writes --out (default conformance/.tmp/windows/results.json).
 * Environment: WINEPREFIX (must be outside the repository), WINEDEBUG.
 * Exit status: 0 when every upstream test expected on win32 passed or skipped itself at run
 * time, 1 otherwise, 2 when the harness gave no results.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const TMP = path.join(ROOT, 'conformance', '.tmp', 'windows');
const OUTROOT = path.join(TMP, 'root');
const MANIFEST = path.join(ROOT, 'conformance', 'manifest.json');
const DEFAULT_FILES = [
  'conformance/test_mmap/test_mmap_313.test.ts',
  'conformance/test_mmap/test_mmap_314.test.ts',
  'conformance/test_mmap/test_mmap_315.test.ts',
  'conformance/test_mmap/sharing.test.ts',
  'conformance/windows/views.wine.ts',
];

function parseArgs(argv) {
  const o = { nodeExe: process.env.PYMMAP_NODE_EXE || '', addon: '', out: path.join(TMP, 'results.json'), files: [], timeout: 40 * 60 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--node-exe') o.nodeExe = argv[++i];
    else if (a === '--addon') o.addon = argv[++i];
    else if (a === '--out') o.out = path.resolve(argv[++i]);
    else if (a === '--timeout') o.timeout = Number(argv[++i]);
    else if (a.startsWith('--')) { console.error(`windows/run.js: unknown option ${a}`); process.exit(2); }
    else o.files.push(a);
  }
  if (!o.files.length) o.files = DEFAULT_FILES;
  if (!o.nodeExe || !fs.existsSync(o.nodeExe)) { console.error('windows/run.js: --node-exe NODE.EXE is required'); process.exit(2); }
  if (!o.addon || !fs.existsSync(o.addon)) { console.error('windows/run.js: --addon pymmap.node is required'); process.exit(2); }
  return o;
}

// ---------------------------------------------------------------- 1. compile

// conformance/lib/compile.js (shared with the Bun and Deno columns), plus pymmap's own
// Windows-only tests (conformance/windows/*.wine.ts: not jest files)
function compileTree() {
  require('../lib/compile').compileTree(OUTROOT, [[__dirname, '.wine.ts']]);
}

// ---------------------------------------------------------------- 2. run under wine

function runWine(o, rawFile, skipsFile, logFile) {
  const pre = path.join(OUTROOT, 'native', 'prebuilds', 'win32-x64');
  fs.mkdirSync(pre, { recursive: true });
  fs.copyFileSync(o.addon, path.join(pre, 'pymmap.node'));
  const jsFiles = o.files.map((f) => f.replace(/\.ts$/, '.js'));
  const log = fs.openSync(logFile, 'w');
  const t0 = Date.now();
  const r = spawnSync('wine', [o.nodeExe, '--expose-gc', 'harness.js', path.relative(OUTROOT, rawFile),
    path.relative(OUTROOT, skipsFile), ...jsFiles], {
    cwd: OUTROOT,
    stdio: ['ignore', log, log],
    env: { ...process.env, WINEDEBUG: process.env.WINEDEBUG || '-all', PYMMAP_TESTDIR: process.env.PYMMAP_WIN_TESTDIR || '' },
    timeout: o.timeout * 1000,
  });
  fs.closeSync(log);
  return { status: r.status, signal: r.signal, error: r.error, seconds: Math.round((Date.now() - t0) / 1000) };
}

// ---------------------------------------------------------------- 3. results

// The verdict rules are conformance/lib/verdict.js (shared with conformance/run.js).
const verdict = require('../lib/verdict');

const portResult = verdict.harnessResult;

function main() {
  const o = parseArgs(process.argv.slice(2));
  fs.mkdirSync(TMP, { recursive: true });
  const rawFile = path.join(TMP, 'harness-results.json');
  const skipsFile = path.join(TMP, 'skips.jsonl');
  const logFile = path.join(TMP, 'harness.log');
  for (const f of [rawFile, skipsFile]) fs.rmSync(f, { force: true });

  compileTree();
  const run = runWine(o, rawFile, skipsFile, logFile);
  const log = fs.readFileSync(logFile, 'utf8');
  process.stdout.write(log);
  if (!fs.existsSync(rawFile)) {
    console.error(`windows/run.js: the harness gave no results (wine exit ${run.status}${run.signal ? ', ' + run.signal : ''}${run.error ? ', ' + run.error.message : ''}); log: ${path.relative(ROOT, logFile)}`);
    return 2;
  }
  const raw = JSON.parse(fs.readFileSync(rawFile, 'utf8'));
  const { skips } = verdict.readSideChannel(skipsFile, (f) => f.replace(/\.js$/, '.ts'));
  const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8'));

  const target = {
    id: 'pymmap-node-win32-wine',
    title: `pymmap (Node ${raw.node}, win32 under wine)`,
    platform: 'win32',
  };
  const results = {};
  const totals = { pass: 0, fail: 0, skip: 0, expected: 0, expectedFailures: 0 };
  const rows = [];
  for (const entry of manifest.tests) {
    const expected = (entry.platforms || []).includes('win32');
    const ported = (entry.ported || []).filter((p) => o.files.includes(p.file));
    const res = verdict.combine(entry, 'win32', ported.map((p) => ({ p, r: portResult(raw, skips, p.file, entry.suite, entry.name) })));
    results[`${entry.suite}.${entry.name}`] = { status: res.status, detail: res.detail };
    totals[res.status]++;
    if (expected) {
      totals.expected++;
      if (res.status === 'fail') totals.expectedFailures++;
    }
    rows.push([`${entry.suite}.${entry.name}`, expected, res]);
  }
  // pymmap's own tests (not upstream): every test of the files that are not ported upstream files.
  const upstreamFiles = new Set(manifest.tests.flatMap((e) => (e.ported || []).map((p) => p.file.replace(/\.ts$/, '.js'))));
  const extra = raw.tests.filter((t) => !upstreamFiles.has(t.file)).map((t) => {
    const r = portResult(raw, skips, t.file.replace(/\.js$/, '.ts'), t.suites[0], t.name);
    return { file: t.file.replace(/\.js$/, '.ts'), suite: t.suites.join(' > '), name: t.name, result: r };
  });

  const out = {
    target,
    results,
    totals,
    extra,
    run: { node: raw.node, platform: raw.platform, arch: raw.arch, seconds: run.seconds, wineExit: run.status, files: o.files },
    generated: new Date().toISOString(),
  };
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(o.out, JSON.stringify(out, null, 2) + '\n');

  console.log('');
  console.log(`== ${target.title} ==`);
  const w = Math.max(...rows.map(([n]) => n.length)) + 2;
  for (const [name, expected, res] of rows) {
    const cell = `${res.status === 'fail' ? 'FAIL' : res.status}${res.detail ? ': ' + res.detail : ''}`;
    console.log(`${name.padEnd(w)}${expected ? 'win32 ' : '      '}${cell.length > 150 ? cell.slice(0, 147) + '...' : cell}`);
  }
  for (const x of extra) {
    const cell = `${x.result.status === 'fail' ? 'FAIL' : x.result.status}${x.result.detail ? ': ' + x.result.detail : ''}`;
    console.log(`(extra) ${x.suite}.${x.name}  ${cell}`);
  }
  console.log('');
  console.log(`${target.title}: ${totals.pass} pass, ${totals.fail} fail, ${totals.skip} skip of ${rows.length} upstream tests ` +
    `(${totals.expected} expected on win32, ${totals.expectedFailures} of them failing); ` +
    `extra: ${extra.filter((x) => x.result.status === 'pass').length} pass, ${extra.filter((x) => x.result.status === 'fail').length} fail; ${run.seconds} s under wine`);
  console.log(`wrote ${path.relative(ROOT, o.out)} (add the column: node conformance/run.js --import ${path.relative(ROOT, o.out)})`);
  return totals.expectedFailures + extra.filter((x) => x.result.status === 'fail').length > 0 ? 1 : 0;
}

process.exitCode = main();
