#!/usr/bin/env node
/*
 * npm run test:pyodide
 *
 * The Pyodide columns of the conformance report: CPython's own Lib/test/test_mmap.py, read at
 * run time from the CPython installed on this machine, run inside each Pyodide of versions.js
 * (0.26, 0.27, 0.28, 0.29, 314, 315: npm aliases in node_modules)
 *   - with pymmap's bridge (installMmap, zero-copy: the default)        "bridge"
 *   - with the bridge's copying path (installMmap(py, {zeroCopy: false})) "copy"
 *   - with Pyodide's built-in mmap, the anchor (an emulation)           "builtin"
 * each with the test file of its own Python ($(pyenv root)/versions/3.12.<n>/lib/python3.12/
 * test/test_mmap.py for 0.26/0.27, 3.13's for 0.28/0.29; 314 and 315 take 3.13's, the newest
 * installed here; a file that is not found is skipped with a message). The only change made to
 * a test file is its module-level Emscripten skip (see harness.py). Plus, per Pyodide, the
 * checks of checks.js (host-file semantics, buffer protocol, audit, GC, strict mode) for each
 * mode and the zero-copy probe (job.js "zerocopy": must be on with the bridge).
 *
 * Writes conformance/.tmp/pyodide/results.json, which `npm run conformance` (conformance/
 * run.js) picks up as extra columns: one per (file, mode), results mapped onto the test names
 * of conformance/manifest.json (the "targets"/"rows" shape of its importTarget()).
 *
 *   node conformance/pyodide/run.js [options]
 *     --modes LIST     bridge,copy,builtin (default: all three)
 *     --pyodide LIST   0.26,0.27,0.28,0.29,314,315 (default: all)
 *     --no-checks      skip the checks of checks.js
 *     --jobs N         Pyodide instances at a time (default: 2, at most the CPU count)
 *     --out FILE       default conformance/.tmp/pyodide/results.json
 *     -k NAME          only the tests whose id contains NAME
 *     --quiet          no per-test table
 *     --runtime NAME   run the jobs on bun or deno (conformance/lib/runtimes.js) instead of
 *                      this Node: the Bun and Deno bridge columns of npm run conformance
 *
 * Needs the build: shim/lib/pyodide.js (`npm run build:ts`) and the addon (`npm run
 * build:native`); python/pymmap_bridge.py is read from the repository.
 *
 * Exit status: 0 when, with the bridge (and the copying path when run), every test that is not
 * skipped for a platform reason (Windows-only, 32-bit) passes and every check passes; 1
 * otherwise; 2 when a bridge job gave no results. The anchor's failures are expected and do not
 * count.
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const pyenv = require('../lib/pyenv');
const { PYODIDES, pyodideFor, installedVersion } = require('./versions');
const runtimes = require('../lib/runtimes');

const ROOT = path.resolve(__dirname, '..', '..');
const MANIFEST = path.join(ROOT, 'conformance', 'manifest.json');
const DEFAULT_OUT = path.join(ROOT, 'conformance', '.tmp', 'pyodide', 'results.json');
const JOB = path.join(__dirname, 'job.js');
const ALL_MODES = ['bridge', 'copy', 'builtin'];
const BRIDGE_MODES = new Set(['bridge', 'copy']);
const ALL_PYODIDES = PYODIDES.map((p) => p.key);

/** Skip reasons of test_mmap.py's decorators that mean "not this platform" (Windows-only tests,
 *  tests that need a 64-bit Python; Pyodide is 32-bit). Any other skip with the bridge counts
 *  as a failure. */
const PLATFORM_SKIPS = [
  'requires Windows',
  'trackfd only fails on Windows',
  'trackfd not present on Windows',
  'test cannot run on 32-bit systems',
];
/** Whether a skip reason is a platform's (run: a Pyodide of versions.js, with its own). */
const isPlatformSkip = (reason, run) => PLATFORM_SKIPS.includes(String(reason).trim()) ||
  !!(run && run.p.platformSkips.includes(String(reason).trim()));

const MODE_TITLE = {
  bridge: 'pymmap bridge',
  copy: 'pymmap bridge, copying path',
  builtin: "Pyodide's built-in mmap (anchor)",
};

// ------------------------------------------------------------------ finding the test files

const { findTestFile } = pyenv;

/** The Pyodides to run (keys of versions.js) with their test files: {runs: [{p, version, file}],
 *  missing: [why a Pyodide's columns are skipped]}. */
function findRuns(keys = ALL_PYODIDES) {
  const runs = [];
  const missing = [];
  for (const key of keys) {
    const p = pyodideFor(key);
    const version = installedVersion(p);
    if (!version) { missing.push(`Pyodide ${key}: ${p.pkg} is not installed (a devDependency: npm install)`); continue; }
    const file = findTestFile(p.testFile);
    if (!file) missing.push(`Pyodide ${key}: ${pyenv.testFileMissing(p.testFile)}; its test columns are skipped`);
    runs.push({ p, version, file });
  }
  return { runs, missing };
}

/** Why the runners cannot run (missing build or dependency), or null. */
function preflight() {
  try { require.resolve('pyodide'); } catch { return 'the pyodide package is not installed (a devDependency: npm install)'; }
  const lib = path.join(ROOT, 'shim', 'lib', 'pyodide.js');
  if (!fs.existsSync(lib)) return 'shim/lib/pyodide.js is missing: run `npm run build:ts`';
  return null;
}

/** A warning when the compiled shim is older than its source. */
function staleBuildWarning() {
  const src = path.join(ROOT, 'shim', 'pyodide.ts');
  const lib = path.join(ROOT, 'shim', 'lib', 'pyodide.js');
  try {
    if (fs.statSync(src).mtimeMs > fs.statSync(lib).mtimeMs + 1000) {
      return 'shim/lib/pyodide.js is older than shim/pyodide.ts: run `npm run build:ts`';
    }
  } catch { /* reported by preflight */ }
  return null;
}

// ------------------------------------------------------------------ jobs

/** A V8 fatal seen on Node 20 (V8 11.3) in about 1 of 7 runs of the whole Pyodide suite, always in
 *  a Pyodide 0.27 zero-copy job under load, never reproduced alone: "unreachable code" in
 *  Deoptimizer::DoComputeBuiltinContinuation. README (Pyodide, known problems) says so. */
const V8_DEOPT_FATAL = /Deoptimizer::DoComputeBuiltinContinuation/;

/** rt: the runtime the job runs on (conformance/lib/runtimes.js runtime()); default this Node.
 *  A job killed by that V8 fatal is run once more, and the result says so (v8Retry). */
async function runJob(spec, timeoutMs, rt = runtimes.runtime('node')) {
  const first = await runJobOnce(spec, timeoutMs, rt);
  const err = first.result.error;
  if (first.result.ok !== false || typeof err !== 'string' || !V8_DEOPT_FATAL.test(err)) return first;
  const second = await runJobOnce(spec, timeoutMs, rt);
  second.result.v8Retry = err.split('\n')[0];
  console.error(`[pyodide] ${spec.pyodide} ${spec.kind} [${spec.mode}]: V8 deoptimizer fatal, ran again`);
  return second;
}

function runJobOnce(spec, timeoutMs, rt) {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-pyodide-job-'));
  const out = path.join(tmpDir, 'result.json');
  return new Promise((resolve) => {
    const t0 = Date.now();
    const [bin, argv] = runtimes.command(rt, JOB, [JSON.stringify({ ...spec, out })], []);
    const child = spawn(bin, argv, {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: runtimes.env(rt),
    });
    let log = '';
    child.stdout.on('data', (d) => { log += d; });
    child.stderr.on('data', (d) => { log += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let r;
      try {
        r = JSON.parse(fs.readFileSync(out, 'utf8'));
      } catch {
        // the whole output is kept for a job that died (a crash's message comes before its
        // native stack, which is what the last lines show)
        let kept = '';
        try {
          const dir = path.join(ROOT, 'conformance', '.tmp', 'pyodide');
          fs.mkdirSync(dir, { recursive: true });
          kept = path.join(dir, `died-${spec.pyodide ?? 'job'}-${spec.mode ?? spec.kind ?? ''}-${process.pid}-${Date.now()}.log`);
          fs.writeFileSync(kept, log);
        } catch { kept = ''; }
        r = { ok: false, error: `job process ended (${signal || 'exit ' + code}) without results${kept ? ` (output: ${path.relative(ROOT, kept)})` : ''}${log ? ': ' + log.trim().split('\n').slice(-8).join('\n') : ''}` };
      }
      fs.rmSync(tmpDir, { recursive: true, force: true });
      r.seconds = Math.round((Date.now() - t0) / 100) / 10;
      resolve({ spec, result: r });
    });
  });
}

async function runPool(specs, jobs, timeoutMs, onDone, rt) {
  const results = new Array(specs.length);
  let next = 0;
  async function worker() {
    while (next < specs.length) {
      const i = next++;
      results[i] = await runJob(specs[i], timeoutMs, rt);
      if (onDone) onDone(results[i]);
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, specs.length)) }, worker));
  return results;
}

// ------------------------------------------------------------------ results

/** One harness record -> a report cell {status: pass|fail|skip, detail}. */
function cell(rec, mode, run) {
  const lastLine = (s) => {
    const lines = String(s || '').trim().split('\n').filter((l) => l.trim());
    return lines.length ? lines[lines.length - 1].trim() : '';
  };
  switch (rec.status) {
    case 'ok': return { status: 'pass', detail: '' };
    case 'skip':
      if (BRIDGE_MODES.has(mode) && !isPlatformSkip(rec.detail, run)) {
        return { status: 'fail', detail: `skipped (${rec.detail}), which is not a platform skip` };
      }
      return { status: 'skip', detail: rec.detail };
    case 'xfail': return { status: 'pass', detail: 'expected failure' };
    case 'XPASS': return { status: 'fail', detail: 'unexpected success' };
    default:
      if (run && run.p.changed && run.p.changed[rec.test]) return { status: 'skip', detail: run.p.changed[rec.test], changed: true };
      return { status: 'fail', detail: `${rec.status}: ${lastLine(rec.detail)}` };
  }
}

function targetFor(run, mode, rt) {
  const on = rt && rt.id !== 'node';
  return {
    id: `pyodide${run.p.key}-cpython${run.file.version}-${mode}${on ? `-${rt.id}` : ''}`,
    title: `Pyodide ${run.version} (Python ${run.p.python}): CPython ${run.file.cpython} test file, ${MODE_TITLE[mode]}${on ? `, on ${rt.label}` : ''}`,
    platform: 'emscripten',
    ...(on ? { runtime: rt.id } : {}),
  };
}

/**
 * Runs everything; returns the summary (also written to opts.out).
 * opts: {modes, pyodides (keys), pairs, checks (true, false or a list of "key:mode"), zeroCopy
 * (run the zero-copy probe with the bridge: default true), jobs, out (null: not written), only,
 * timeoutMs, log, runtime ('bun', 'deno'; default this Node)}
 */
async function runAll(opts = {}) {
  const rt = runtimes.runtime(opts.runtime || 'node');
  if (rt.skip) throw new Error(`${rt.name} cannot run here: ${rt.skip}`);
  const modes = opts.modes || ['bridge', 'copy', 'builtin'];
  const log = opts.log || (() => {});
  const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8'));
  const { runs, missing } = findRuns(opts.pyodides || ALL_PYODIDES);

  // opts.pairs (["0.29:bridge", "314:copy", ...]) picks (Pyodide, mode) test columns; default: all
  const wanted = (run, mode) => !opts.pairs || opts.pairs.includes(`${run.p.key}:${mode}`);
  const wantChecks = (run, mode) => opts.checks !== false &&
    (!Array.isArray(opts.checks) || opts.checks.includes(`${run.p.key}:${mode}`));
  const specs = [];
  for (const run of runs) {
    const pyodide = run.p.pkg;
    for (const mode of modes) {
      if (run.file && wanted(run, mode)) specs.push({ kind: 'test', pyodide, file: run.file.path, mode, only: opts.only || '', _run: run });
    }
    // the zero-copy probe: in the bridge's test job when there is one, else a job of its own
    const bridgeTest = specs.some((x) => x._run === run && x.kind === 'test' && x.mode === 'bridge');
    if (opts.zeroCopy !== false && !bridgeTest) specs.push({ kind: 'zerocopy', pyodide, mode: 'bridge', _run: run });
    for (const mode of modes) {
      if (wantChecks(run, mode)) specs.push({ kind: 'checks', pyodide, mode, strict: BRIDGE_MODES.has(mode), _run: run });
    }
  }
  const jobs = Math.max(1, Math.min(opts.jobs || 2, os.cpus().length));
  const t0 = Date.now();
  const done = await runPool(specs.map(({ _run, ...s }) => s), jobs, opts.timeoutMs || 10 * 60 * 1000, ({ spec, result }) => {
    const what = spec.kind === 'test' ? `${path.basename(path.dirname(path.dirname(spec.file)))} test_mmap.py` : spec.kind;
    log(`  Pyodide ${spec.pyodide.replace(/^pyodide-?/, '') || PYODIDES.find((p) => p.pkg === 'pyodide').key} ${what} [${spec.mode}]: ` +
      `${result.ok ? 'done' : 'FAILED TO RUN'} in ${result.seconds} s` +
      (result.ok && result.loadMs != null ? ` (Pyodide load ${result.loadMs} ms, installMmap ${result.installMs} ms)` : ''));
  }, rt);

  const targets = [];
  const rows = manifest.tests.map((e) => ({ suite: e.suite, name: e.name, results: {} }));
  const byKey = new Map(rows.map((r) => [`${r.suite}.${r.name}`, r]));
  const columns = [];
  const checks = [];
  const zeroCopy = [];
  const problems = []; // what makes the run fail
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i];
    const r = done[i].result;
    const run = spec._run;
    const pv = `Pyodide ${run.version}`;
    if (spec.kind === 'zerocopy' || (spec.kind === 'test' && spec.mode === 'bridge' && opts.zeroCopy !== false)) {
      // zero-copy: installMmap says so, and a write through memoryview(m) is in the file at once
      const entry = { pyodide: run.p.key, version: run.version, python: r.python || null, ok: r.ok, error: r.error || null,
        zeroCopy: r.zeroCopy, seen: r.seen ?? null, on: r.ok && r.zeroCopy === true && r.seen === '.Z.' };
      zeroCopy.push(entry);
      if (!entry.on) problems.push(`${pv}: zero-copy is not on (${r.ok ? `installMmap zeroCopy ${r.zeroCopy}, host file saw ${JSON.stringify(r.seen)}` : r.error})`);
      if (spec.kind === 'zerocopy') continue;
    }
    if (spec.kind === 'checks') {
      const entry = { pyodide: run.p.key, version: run.version, mode: spec.mode, ok: r.ok, error: r.error || null, zeroCopy: r.zeroCopy, checks: r.checks || [], seconds: r.seconds };
      checks.push(entry);
      if (BRIDGE_MODES.has(spec.mode)) {
        if (!r.ok) problems.push(`${pv}: checks [${spec.mode}] did not run: ${r.error}`);
        for (const c of entry.checks) if (c.status !== 'pass') problems.push(`${pv}: check [${spec.mode}] ${c.name}: ${c.detail}`);
      }
      continue;
    }
    const f = run.file;
    const target = targetFor(run, spec.mode, rt);
    const col = {
      target, pyodide: run.p.key, pyodideVersion: run.version, python: run.p.python,
      file: f, mode: spec.mode, ok: r.ok, error: r.error || null, zeroCopy: r.zeroCopy,
      loadMs: r.loadMs, installMs: r.installMs, seconds: r.seconds, mmap: r.mmap || null,
      counts: { pass: 0, fail: 0, skip: 0, platformSkip: 0 }, unmapped: [], failures: [],
    };
    columns.push(col);
    targets.push(target);
    if (!r.ok) {
      if (BRIDGE_MODES.has(spec.mode)) problems.push(`${target.title}: did not run: ${r.error}`);
      continue;
    }
    for (const rec of r.results) {
      const c = cell(rec, spec.mode, run);
      col.counts[c.status]++;
      if (c.status === 'skip' && (c.changed || isPlatformSkip(rec.detail, run))) col.counts.platformSkip++;
      if (c.status === 'fail') col.failures.push({ test: rec.test, detail: c.detail, traceback: rec.detail });
      const row = byKey.get(rec.test);
      if (row) row.results[target.id] = c;
      else col.unmapped.push(rec.test);
      if (c.status === 'fail' && BRIDGE_MODES.has(spec.mode)) problems.push(`${target.title}: ${rec.test}: ${c.detail}`);
    }
    col.total = r.results.length;
    if (!opts.only && r.results.length === 0 && BRIDGE_MODES.has(spec.mode)) problems.push(`${target.title}: no tests ran`);
  }

  const summary = {
    generated: new Date().toISOString(),
    pyodides: runs.map((run) => ({ key: run.p.key, version: run.version, python: run.p.python, file: run.file ? run.file.path : null })),
    node: process.version,
    runtime: rt.label,
    seconds: Math.round((Date.now() - t0) / 100) / 10,
    modes,
    files: runs.filter((run) => run.file).map((run) => ({ pyodide: run.p.key, version: run.file.version, cpython: run.file.cpython, path: run.file.path })),
    missing,
    platformSkips: PLATFORM_SKIPS,
    // conformance/run.js reads these two (importTarget: the "targets"/"rows" shape)
    targets,
    rows: rows.filter((r) => Object.keys(r.results).length),
    columns: columns.map(({ target, file, ...c }) => ({ id: target.id, title: target.title, version: file.version, cpython: file.cpython, ...c })),
    checks,
    zeroCopy,
    problems,
    ok: problems.length === 0,
    incomplete: columns.some((c) => BRIDGE_MODES.has(c.mode) && !c.ok) || checks.some((c) => BRIDGE_MODES.has(c.mode) && !c.ok) ||
      zeroCopy.some((z) => !z.ok),
  };
  if (opts.out !== null) {
    const out = opts.out || DEFAULT_OUT;
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, JSON.stringify(summary, null, 2) + '\n');
    summary.written = out;
  }
  return summary;
}

// ------------------------------------------------------------------ printing

function renderSummary(s, { table = true } = {}) {
  const out = [];
  const short = (c) => {
    if (!c) return '-';
    if (c.status === 'pass') return c.detail ? `pass (${c.detail})` : 'pass';
    if (c.status === 'skip') return `skip: ${c.detail}`;
    return `FAIL: ${c.detail}`;
  };
  out.push(`Pyodide (${s.runtime && !s.runtime.startsWith('Node') ? s.runtime : `node ${s.node}`}): CPython's test_mmap.py with pymmap's bridge and the built-in mmap`);
  for (const p of s.pyodides) out.push(`  Pyodide ${p.version} (Python ${p.python}): ${p.file || 'no test file'}`);
  for (const m of s.missing) out.push(`  SKIPPED: ${m}`);
  if (table && s.columns.length) {
    const names = s.rows.map((r) => `${r.suite}.${r.name}`);
    const w = Math.max(...names.map((n) => n.length)) + 2;
    const cw = 34;
    const head = s.columns.map((c) => `${c.pyodide}/${c.cpython} ${c.mode}`.padEnd(cw)).join('');
    out.push('');
    out.push(''.padEnd(w) + head);
    for (const r of s.rows) {
      const cells = s.columns.map((c) => {
        let t = short(r.results[c.id]);
        if (t.length > cw - 2) t = t.slice(0, cw - 5) + '...';
        return t.padEnd(cw);
      }).join('');
      out.push(`${r.suite}.${r.name}`.padEnd(w) + cells);
    }
  }
  out.push('');
  for (const c of s.columns) {
    if (!c.ok) { out.push(`${c.title}: DID NOT RUN: ${c.error}`); continue; }
    out.push(`${c.title}: ${c.counts.pass} pass, ${c.counts.fail} fail, ${c.counts.skip} skip (${c.counts.platformSkip} for the platform or the file's version) of ${c.total}` +
      (BRIDGE_MODES.has(c.mode) ? '' : ' [anchor: failures expected]') +
      (c.unmapped.length ? `; not in manifest.json: ${c.unmapped.join(', ')}` : ''));
    if (!BRIDGE_MODES.has(c.mode)) for (const f of c.failures) out.push(`    ${f.test}: ${f.detail}`);
  }
  for (const z of s.zeroCopy) {
    out.push(`Pyodide ${z.version}: zero-copy ${z.on ? 'on' : `NOT ON (${z.error || `zeroCopy ${z.zeroCopy}, file saw ${JSON.stringify(z.seen)}`})`}`);
  }
  for (const k of s.checks) {
    if (!k.ok) { out.push(`Pyodide ${k.version} checks [${k.mode}]: DID NOT RUN: ${k.error}`); continue; }
    const pass = k.checks.filter((c) => c.status === 'pass').length;
    out.push(`Pyodide ${k.version} checks [${k.mode}]: ${pass} pass, ${k.checks.length - pass} fail of ${k.checks.length}` +
      (BRIDGE_MODES.has(k.mode) ? '' : ' [anchor: failures expected]'));
    if (!BRIDGE_MODES.has(k.mode)) for (const c of k.checks) if (c.status !== 'pass') out.push(`    ${c.name}: ${c.detail}`);
  }
  if (s.problems.length) {
    out.push('');
    out.push('FAILURES (bridge):');
    for (const p of s.problems) out.push(`  ${p}`);
  }
  return out.join('\n');
}

function parseArgs(argv) {
  const o = { modes: ['bridge', 'copy', 'builtin'], pyodides: ALL_PYODIDES, checks: true, jobs: 2, out: DEFAULT_OUT, only: '', quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--modes') o.modes = argv[++i].split(',').filter(Boolean);
    else if (a === '--pyodide') o.pyodides = argv[++i].split(',').filter(Boolean);
    else if (a === '--no-checks') o.checks = false;
    else if (a === '--jobs') o.jobs = Number(argv[++i]);
    else if (a === '--out') o.out = path.resolve(argv[++i]);
    else if (a === '-k') o.only = argv[++i];
    else if (a === '--quiet') o.quiet = true;
    else if (a === '--runtime') o.runtime = argv[++i];
    else if (a === '-h' || a === '--help') o.help = true;
    else throw new Error(`unknown option ${a}`);
  }
  for (const m of o.modes) if (!ALL_MODES.includes(m)) throw new Error(`unknown mode ${m} (${ALL_MODES.join(', ')})`);
  for (const k of o.pyodides) pyodideFor(k); // (throws for an unknown one)
  return o;
}

async function main() {
  let o;
  try { o = parseArgs(process.argv.slice(2)); } catch (e) { console.error(`pyodide/run.js: ${e.message}`); return 2; }
  if (o.help) {
    console.log(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 39).join('\n'));
    return 0;
  }
  const why = preflight();
  if (why) { console.error(`pyodide/run.js: ${why}`); return 2; }
  const stale = staleBuildWarning();
  if (stale) console.warn(`pyodide/run.js: warning: ${stale}`);
  console.log(`pyodide/run.js: modes ${o.modes.join(', ')}; ${o.jobs} at a time`);
  const s = await runAll({ ...o, log: (l) => console.log(l) });
  console.log('');
  console.log(renderSummary(s, { table: !o.quiet }));
  console.log('');
  console.log(`wrote ${path.relative(ROOT, s.written)} (${s.columns.length} columns for npm run conformance) in ${s.seconds} s`);
  if (s.incomplete) return 2;
  return s.ok ? 0 : 1;
}

module.exports = { runAll, renderSummary, findRuns, findTestFile, preflight, isPlatformSkip, PLATFORM_SKIPS, PYODIDES };

if (require.main === module) {
  main().then((code) => { process.exitCode = code; }, (e) => { console.error(e); process.exitCode = 2; });
}
