#!/usr/bin/env node
/*
 * The Bun and Deno columns of the conformance report: the ported CPython tests
 * (conformance/test_mmap: the 3.13, 3.14 and 3.15 files) and pymmap's own sharing and edge tests,
 * run on Bun or Deno (pinned devDependencies, conformance/lib/runtimes.js) with the same
 * test bodies as under jest, and written in the format `node conformance/run.js --import FILE`
 * reads. Normally started by `npm run conformance`.
 *
 *   node conformance/runtimes/run.js --runtime bun|deno [--out FILE] [FILES...]
 *
 * What it does:
 *  1. compiles shim/*.ts and the test files to CommonJS (conformance/lib/compile.js) into
 *     conformance/.tmp/<runtime>/root/ and puts the addon built for this machine
 *     (native/build/Release/pymmap.node, the binary Node uses: one Node-API build for all) in
 *     its native/build/Release/;
 *  2. runs conformance/windows/harness.js there on the runtime (`bun harness.js ...`, `deno run
 *     -A --v8-flags=--expose-gc harness.js ...`): describe/it as jest has them, one test at a
 *     time, a garbage collection between tests;
 *  3. maps the results onto conformance/manifest.json with the rules of run.js's own column
 *     (conformance/lib/verdict.js, this platform's expectations) and writes --out (default
 *     conformance/.tmp/<runtime>/results.json).
 * Exit status: 0 when every upstream test expected on this platform passed or skipped as the
 * manifest says, and every own test passed; 1 otherwise; 2 when the harness gave no results or
 * the runtime is missing.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const runtimes = require('../lib/runtimes');
const verdict = require('../lib/verdict');

const ROOT = path.resolve(__dirname, '..', '..');
const MANIFEST = path.join(ROOT, 'conformance', 'manifest.json');
const PLATFORM = process.platform;
const DEFAULT_FILES = [
  'conformance/test_mmap/test_mmap_313.test.ts',
  'conformance/test_mmap/test_mmap_314.test.ts',
  'conformance/test_mmap/test_mmap_315.test.ts',
  'conformance/test_mmap/sharing.test.ts',
  'conformance/test_mmap/edges.test.ts',
];

function parseArgs(argv) {
  const o = { runtime: '', out: '', files: [], timeout: 20 * 60 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runtime') o.runtime = argv[++i];
    else if (a === '--out') o.out = path.resolve(argv[++i]);
    else if (a === '--timeout') o.timeout = Number(argv[++i]);
    else if (a.startsWith('--')) { console.error(`runtimes/run.js: unknown option ${a}`); process.exit(2); }
    else o.files.push(a);
  }
  if (!['bun', 'deno'].includes(o.runtime)) { console.error('runtimes/run.js: --runtime bun|deno is required'); process.exit(2); }
  if (!o.files.length) o.files = DEFAULT_FILES;
  return o;
}

const portResult = verdict.harnessResult;

function main() {
  const o = parseArgs(process.argv.slice(2));
  const rt = runtimes.runtime(o.runtime);
  if (rt.skip) { console.error(`runtimes/run.js: ${rt.name} cannot run here: ${rt.skip}`); return 2; }
  const TMP = path.join(ROOT, 'conformance', '.tmp', rt.id);
  const OUTROOT = path.join(TMP, 'root');
  const out = o.out || path.join(TMP, 'results.json');
  fs.mkdirSync(TMP, { recursive: true });
  const rawFile = path.join(TMP, 'harness-results.json');
  const skipsFile = path.join(TMP, 'skips.jsonl');
  for (const f of [rawFile, skipsFile]) fs.rmSync(f, { force: true });

  // 1. compile, and the addon where node-gyp-build looks for it
  require('../lib/compile').compileTree(OUTROOT);
  const addon = path.join(ROOT, 'native', 'build', 'Release', 'pymmap.node');
  if (!fs.existsSync(addon)) { console.error(`runtimes/run.js: ${path.relative(ROOT, addon)} missing: npm run build:native`); return 2; }
  fs.mkdirSync(path.join(OUTROOT, 'native', 'build', 'Release'), { recursive: true });
  fs.copyFileSync(addon, path.join(OUTROOT, 'native', 'build', 'Release', 'pymmap.node'));

  // 2. run
  const jsFiles = o.files.map((f) => f.replace(/\.ts$/, '.js'));
  const [bin, argv] = runtimes.command(rt, 'harness.js', [path.relative(OUTROOT, rawFile), path.relative(OUTROOT, skipsFile), ...jsFiles]);
  const t0 = Date.now();
  const r = spawnSync(bin, argv, { cwd: OUTROOT, stdio: 'inherit', env: runtimes.env(rt, { ...process.env, NODE_OPTIONS: '' }), timeout: o.timeout * 1000 });
  const seconds = Math.round((Date.now() - t0) / 1000);
  if (!fs.existsSync(rawFile)) {
    console.error(`runtimes/run.js: the harness gave no results on ${rt.label} (exit ${r.status}${r.signal ? ', ' + r.signal : ''}${r.error ? ', ' + r.error.message : ''})`);
    return 2;
  }

  // 3. results
  const raw = JSON.parse(fs.readFileSync(rawFile, 'utf8'));
  const { skips } = verdict.readSideChannel(skipsFile, (f) => f.replace(/\.js$/, '.ts'));
  const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8'));
  const target = { id: `pymmap-${rt.id}-${PLATFORM}`, title: `pymmap, ${rt.label}, ${PLATFORM}`, platform: PLATFORM, runtime: rt.id };
  const results = {};
  const totals = { pass: 0, fail: 0, skip: 0, expected: 0, expectedFailures: 0 };
  const rows = [];
  for (const entry of manifest.tests) {
    const expected = (entry.platforms || []).includes(PLATFORM);
    const ported = (entry.ported || []).filter((p) => o.files.includes(p.file));
    const res = verdict.combine(entry, PLATFORM, ported.map((p) => ({ p, r: portResult(raw, skips, p.file, entry.suite, entry.name) })));
    results[`${entry.suite}.${entry.name}`] = { status: res.status, detail: res.detail };
    totals[res.status]++;
    if (expected) {
      totals.expected++;
      if (res.status === 'fail') totals.expectedFailures++;
    }
    rows.push([`${entry.suite}.${entry.name}`, res]);
  }
  // pymmap's own tests (not upstream): every test of the files that are not ported upstream files
  const upstreamFiles = new Set(manifest.tests.flatMap((e) => (e.ported || []).map((p) => p.file.replace(/\.ts$/, '.js'))));
  const extra = raw.tests.filter((x) => !upstreamFiles.has(x.file)).map((x) => ({
    file: x.file.replace(/\.js$/, '.ts'), suite: x.suites.join(' > '), name: x.name,
    result: portResult(raw, skips, x.file.replace(/\.js$/, '.ts'), x.suites[0], x.name),
  }));
  for (const [f, err] of Object.entries(raw.files)) {
    if (err && !upstreamFiles.has(f)) extra.push({ file: f.replace(/\.js$/, '.ts'), suite: '', name: '(file)', result: { status: 'fail', detail: `test file failed to load: ${err}` } });
  }
  const extraTotals = { pass: 0, fail: 0, skip: 0, total: extra.length };
  for (const x of extra) extraTotals[x.result.status]++;

  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({
    target, results, totals, extra, extraTotals,
    run: { runtime: raw.runtime || rt.label, node: raw.node, platform: raw.platform, arch: raw.arch, seconds, exit: r.status, files: o.files },
    generated: new Date().toISOString(),
  }, null, 2) + '\n');

  console.log('');
  for (const [name, res] of rows) if (res.status === 'fail') console.log(`FAIL ${name}: ${res.detail}`);
  for (const x of extra) if (x.result.status === 'fail') console.log(`FAIL (own) ${x.file} ${x.suite} > ${x.name}: ${x.result.detail}`);
  console.log(`${target.title}: upstream ${totals.pass} pass, ${totals.fail} fail, ${totals.skip} skip of ${rows.length} ` +
    `(${totals.expected} expected on ${PLATFORM}, ${totals.expectedFailures} of them failing); own ${extraTotals.pass} pass, ` +
    `${extraTotals.fail} fail, ${extraTotals.skip} skip; ${seconds} s`);
  console.log(`wrote ${path.relative(ROOT, out)}`);
  return totals.expectedFailures + extraTotals.fail > 0 ? 1 : 0;
}

process.exitCode = main();
