#!/usr/bin/env node
/*
 * One Pyodide instance doing one job of conformance/pyodide/run.js, in its own process (a
 * crash or a leak of one job cannot touch the others):
 *
 *   node conformance/pyodide/job.js '{"kind": "test", "file": ".../test_mmap.py", "mode": "bridge", "out": "r.json"}'
 *   node conformance/pyodide/job.js '{"kind": "checks", "mode": "copy", "strict": true, "out": "r.json"}'
 *
 * kind "test": CPython's test_mmap.py with harness.py (the CPython tree's Lib/test/ mounted
 *   for test.support, the working directory a NODEFS mount of a host temporary directory).
 * kind "checks": the checks of checks.js (and, with "strict", installMmap(py, {strict: true})
 *   then the strict checks).
 * mode: "bridge" (installMmap, zero-copy: the default, and it must be available), "copy"
 *   (installMmap(py, { zeroCopy: false })), "builtin" (Pyodide's own mmap, the anchor).
 * Optional: "only" (substring of test ids), "pymmap" (the compiled shim/lib/pyodide.js to use;
 *   default: this repository's build).
 *
 * Writes {ok, error?, loadMs, installMs, runMs, zeroCopy, mmap, results | checks} to "out".
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { PRELUDE, SEMANTICS, STRICT } = require('./checks');

const ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_PYMMAP = path.join(ROOT, 'shim', 'lib', 'pyodide.js');

function mountTmp(py, at, prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  py.FS.mkdirTree(at);
  py.FS.mount(py.FS.filesystems.NODEFS, { root: dir }, at);
  return dir;
}

/** installMmap for `mode`; null for the built-in mmap. */
function install(py, spec, strict) {
  if (spec.mode === 'builtin') return null;
  const { installMmap } = require(spec.pymmap || DEFAULT_PYMMAP);
  const info = installMmap(py, { strict, zeroCopy: spec.mode === 'copy' ? false : undefined });
  if (spec.mode === 'bridge' && !info.zeroCopy) {
    throw new Error('zero-copy is not available (a native addon without mapFixed? run `npm run build:native`)');
  }
  return info;
}

async function runTest(py, spec, r) {
  const supportDir = path.dirname(spec.file); // .../lib/python3.X/test
  py.FS.mkdirTree('/cpython/test');
  py.FS.mount(py.FS.filesystems.NODEFS, { root: supportDir }, '/cpython/test');
  const tmp = mountTmp(py, '/work', 'pymmap-pyodide-test-');
  try {
    let t = performance.now();
    const info = install(py, spec, false);
    r.installMs = Math.round(performance.now() - t);
    r.zeroCopy = info ? info.zeroCopy : null;
    const g = py.globals;
    g.set('TEST_SRC', fs.readFileSync(spec.file, 'utf8'));
    g.set('TEST_NAME', path.basename(spec.file));
    g.set('SUPPORT', '/cpython/test');
    g.set('WORKDIR', '/work');
    g.set('ONLY', spec.only || '');
    t = performance.now();
    const out = await py.runPythonAsync(fs.readFileSync(path.join(__dirname, 'harness.py'), 'utf8'));
    r.runMs = Math.round(performance.now() - t);
    const res = JSON.parse(out);
    r.mmap = res.mmap;
    r.results = res.results;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Another process reading the first n bytes of a file (as latin1). */
function otherProcessRead(file, n) {
  const code = 'const [f, n] = process.argv.slice(-2); const b = Buffer.alloc(Number(n)); ' +
    "const fd = require('fs').openSync(f, 'r'); const k = require('fs').readSync(fd, b, 0, b.length, 0); " +
    "process.stdout.write(b.subarray(0, k).toString('latin1'));";
  return execFileSync(process.execPath, ['-e', code, file, String(n)], { encoding: 'latin1' });
}

function runChecks(py, list, mode, out) {
  for (const c of list) {
    if (c.bridgeOnly && mode === 'builtin') continue;
    if (c.copyOnly && mode !== 'copy') continue;
    const ns = py.runPython('_fresh_ns()');
    ns.set('MODE', mode);
    const t = performance.now();
    let status;
    let detail = '';
    try {
      const v = py.runPython(c.code, { globals: ns });
      if (v === true) status = 'pass';
      else {
        status = 'fail';
        detail = v && typeof v.toString === 'function' ? String(v.toString()) : String(v);
        if (v && typeof v.destroy === 'function') v.destroy();
      }
    } catch (e) {
      status = 'fail';
      const lines = String(e && e.message ? e.message : e).trim().split('\n');
      detail = lines[lines.length - 1];
    } finally {
      ns.destroy();
    }
    out.push({ name: c.name, status, detail, ms: Math.round(performance.now() - t) });
  }
}

async function runCheckJob(py, spec, r) {
  const tmp = mountTmp(py, '/h', 'pymmap-pyodide-checks-');
  try {
    py.registerJsModule('_host', {
      otherProcessRead: (name, n) => otherProcessRead(path.join(tmp, name), n),
      truncate: (name, n) => fs.truncateSync(path.join(tmp, name), n),
      write: (name, off, s) => {
        const fd = fs.openSync(path.join(tmp, name), 'r+');
        try { fs.writeSync(fd, Buffer.from(s, 'latin1'), 0, s.length, off); } finally { fs.closeSync(fd); }
      },
    });
    const t = performance.now();
    const info = install(py, spec, false);
    r.installMs = Math.round(performance.now() - t);
    r.zeroCopy = info ? info.zeroCopy : null;
    py.globals.set('_PRELUDE', PRELUDE);
    py.runPython(`
def _fresh_ns():
    ns = {'__name__': '__check__'}
    exec(_PRELUDE, ns)
    return ns
`);
    r.checks = [];
    const t1 = performance.now();
    runChecks(py, SEMANTICS, spec.mode, r.checks);
    if (spec.strict && spec.mode !== 'builtin') {
      install(py, spec, true); // a second installMmap replaces the module
      runChecks(py, STRICT, spec.mode, r.checks);
    }
    r.runMs = Math.round(performance.now() - t1);
    r.mmap = py.runPython('import mmap as _m; repr(_m)');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function main() {
  const spec = JSON.parse(process.argv[2]);
  const r = { ok: false, kind: spec.kind, mode: spec.mode, file: spec.file || null };
  const output = [];
  try {
    const { loadPyodide } = require('pyodide');
    const t = performance.now();
    const py = await loadPyodide({ stdout: (s) => output.push(s), stderr: (s) => output.push(s) });
    r.loadMs = Math.round(performance.now() - t);
    r.pyodide = py.version;
    if (spec.kind === 'test') await runTest(py, spec, r);
    else if (spec.kind === 'checks') await runCheckJob(py, spec, r);
    else throw new Error(`unknown job kind ${spec.kind}`);
    r.ok = true;
  } catch (e) {
    r.error = String(e && e.message ? e.message : e).trim().split('\n').slice(-12).join('\n');
  }
  r.output = output.slice(-40);
  fs.writeFileSync(spec.out, JSON.stringify(r));
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(2); });
