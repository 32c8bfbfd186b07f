#!/usr/bin/env node
/*
 * npm run test:packages
 *
 * Real pure-Python packages that use mmap, from Debian's archive (debs.json, fetched by
 * debs.js), run on real inputs (inputs.js) under CPython with CPython's own mmap and inside
 * Pyodide with pymmap's bridge, zero-copy and copying path; every output is compared. See
 * README.md in this folder. The jest test (packages.test.ts) calls runAll() and asserts.
 *
 *   node conformance/packages/run.js [--modes bridge,copy,builtin] [--only pefile_pe,...] [--json FILE]
 *
 * Prints one row per workload: CPython's time, and per Pyodide mode `same` or `DIFFERS` (the
 * first differing path) with its time. "builtin" (Pyodide's own mmap, an emulation) is
 * informative only. Exit status 0 when every bridge mode matches CPython on every workload.
 */
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const pyenv = require('../lib/pyenv');
const { ensureDebs } = require('./debs');
const { makeInputs } = require('./inputs');

const ROOT = path.resolve(__dirname, '..', '..');
const DRIVER = path.join(__dirname, 'driver.py');
const JOB = path.join(__dirname, 'job.js');
/** The CPython the outputs are compared with: the newest here (Pyodide 314 is Python 3.14). */
const CPYTHON = '3.13';

/** Why the Pyodide side cannot run (missing dependency or build), or null. */
function preflight() {
  try { require.resolve('pyodide'); } catch { return 'the pyodide package is not installed (a devDependency: npm install)'; }
  if (!fs.existsSync(path.join(ROOT, 'shim', 'lib', 'pyodide.js'))) return 'shim/lib/pyodide.js is missing: run `npm run build:ts`';
  return null;
}

/** {relative path: sha256} of every file under `dir`. */
function digestTree(dir) {
  const out = {};
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out[path.relative(dir, p)] = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** Runs `cmd args`; resolves {code, signal, stdout, stderr}. */
function run(cmd, args, opts, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => { stderr += String(e); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

async function runCPython(exe, site, data, only) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-packages-cpython-'));
  try {
    const t = Date.now();
    const r = await run(exe, ['-B', '-W', 'ignore', DRIVER, site, data, work, only || ''],
      { cwd: __dirname, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } }, 300000);
    if (r.code !== 0) return { error: `CPython exited ${r.code ?? r.signal}: ${r.stderr.trim().split('\n').slice(-5).join(' | ')}` };
    return { ...JSON.parse(r.stdout), ms: Date.now() - t };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function runPyodide(mode, site, data, only) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-packages-job-'));
  const out = path.join(dir, 'result.json');
  try {
    const t = Date.now();
    const r = await run(process.execPath, [JOB, JSON.stringify({ mode, site, data, out, only })], { cwd: ROOT }, 400000);
    let res;
    try { res = JSON.parse(fs.readFileSync(out, 'utf8')); } catch {
      return { mode, error: `the job gave no result (exit ${r.code ?? r.signal}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}` };
    }
    if (!res.ok) return { mode, error: res.error, output: res.output };
    return { mode, zeroCopy: res.zeroCopy, pyodide: res.pyodide, python: res.python, loadMs: res.loadMs, runMs: res.runMs,
      cpuMs: res.cpuMs, ms: Date.now() - t, results: res.results.results, seconds: res.results.seconds };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Everything the test needs, or the reason it cannot run:
 * {missing} or {debs, cpython: {version, results, seconds}, pyodide: {mode: {...}}, anchor?,
 * inputFiles, inputsChanged} (the input files whose bytes the runs changed: none expected).
 * `anchor`: workload names to run also with Pyodide's built-in mmap (one more job).
 */
async function runAll({ modes = ['bridge', 'copy'], only = '', anchor = '' } = {}) {
  const why = preflight();
  if (why) return { missing: why };
  const py = pyenv.findPython(CPYTHON);
  if (!py.interpreter) return { missing: py.reason };
  const debs = ensureDebs();
  if (debs.missing) return { missing: debs.missing };
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-packages-data-'));
  try {
    const made = makeInputs(data, debs.sitePackages);
    if (made.missing) return { missing: made.missing };
    const before = digestTree(data);
    const [cpython, ...jobs] = await Promise.all([
      runCPython(py.interpreter.exe, debs.sitePackages, data, only),
      ...modes.map((m) => runPyodide(m, debs.sitePackages, data, only)),
      ...(anchor ? [runPyodide('builtin', debs.sitePackages, data, anchor)] : []),
    ]);
    const pyodide = {};
    for (const j of jobs.slice(0, modes.length)) pyodide[j.mode] = j;
    const out = { debs: debs.debs, cpython: { version: py.interpreter.full, ...cpython }, pyodide };
    if (anchor) out.anchor = jobs[modes.length];
    // the inputs are only read (through read-only and private maps among others)
    const after = digestTree(data);
    out.inputsChanged = Object.keys({ ...before, ...after }).filter((f) => before[f] !== after[f]).sort();
    out.inputFiles = Object.keys(before).length;
    return out;
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
}

/** The first path where two JSON values differ, or null. */
function firstDifference(a, b, at = '') {
  if (JSON.stringify(a) === JSON.stringify(b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) {
      const d = firstDifference(a[k], b[k], `${at}/${k}`);
      if (d) return d;
    }
  }
  const show = (v) => { const s = JSON.stringify(v); return s === undefined ? 'missing' : s.length > 120 ? `${s.slice(0, 117)}...` : s; };
  return `${at || '/'}: CPython ${show(a)}, Pyodide ${show(b)}`;
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (name, def) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : def; };
  const modes = opt('--modes', 'bridge,copy').split(',');
  const r = await runAll({ modes, only: opt('--only', '') });
  if (r.missing) { console.error(`cannot run: ${r.missing}`); process.exitCode = 2; return; }
  if (opt('--json')) fs.writeFileSync(opt('--json'), JSON.stringify(r, null, 1));
  console.log(`debs: ${r.debs.map((d) => `${d.name} ${d.version}`).join(', ')}`);
  if (r.cpython.error) { console.error(`CPython ${r.cpython.version}: ${r.cpython.error}`); process.exitCode = 1; return; }
  const head = ['workload', `CPython ${r.cpython.version}`, ...modes.map((m) => {
    const j = r.pyodide[m];
    return `${m}${j.python ? ` (Pyodide ${j.pyodide}, Python ${j.python}${m === 'bridge' ? `, zeroCopy ${j.zeroCopy}` : ''})` : ''}`;
  })];
  console.log(head.join(' | '));
  let bad = false;
  for (const w of Object.keys(r.cpython.results)) {
    const cells = [w, `${r.cpython.seconds[w]} s${r.cpython.results[w].result.error ? ` ERROR ${r.cpython.results[w].result.error}` : ''}`];
    for (const m of modes) {
      const j = r.pyodide[m];
      if (j.error) { cells.push(`job failed: ${j.error}`); if (m !== 'builtin') bad = true; continue; }
      const d = firstDifference(r.cpython.results[w], j.results[w]);
      if (d && m !== 'builtin') bad = true;
      cells.push(`${d ? `DIFFERS ${d}` : 'same'} (${j.seconds[w]} s)`);
    }
    console.log(cells.join(' | '));
  }
  console.log(`wall: CPython ${(r.cpython.ms / 1000).toFixed(1)} s; ${modes.map((m) => r.pyodide[m].error ? `${m} failed` :
    `${m} ${(r.pyodide[m].ms / 1000).toFixed(1)} s (load ${(r.pyodide[m].loadMs / 1000).toFixed(1)} s, CPU ${(r.pyodide[m].cpuMs / 1000).toFixed(1)} s)`).join('; ')}`);
  process.exitCode = bad ? 1 : 0;
}

module.exports = { runAll, preflight, firstDifference, CPYTHON };

if (require.main === module) main().catch((e) => { console.error(e); process.exitCode = 2; });
