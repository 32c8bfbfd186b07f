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
 * kind "zerocopy": installMmap(py) and a write through memoryview(m) of a file map that the
 *   host file shows before the view is released (only the zero-copy path does that).
 * Optional: "only" (substring of test ids), "pymmap" (the compiled shim/lib/pyodide.js to use;
 *   default: this repository's build), "pyodide" (the package to load: "pyodide-0.29";
 *   default "pyodide").
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
    if (spec.mode === 'bridge') zeroCopyProbe(py, r); // (the zero-copy probe, on the same instance)
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
    if (c.zeroCopyOnly && mode !== 'bridge') continue;
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
      // A wasm out-of-bounds load in a fresh one-page module: the engine's trap (its signal
      // handler), as a string; 'no trap' if the load returned.
      wasmTrap: () => {
        // (module (memory 1) (func (export "f") (result i32) (i32.load (i32.const 70000))))
        const bytes = Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 3, 2, 1, 0,
          5, 3, 1, 0, 1, 7, 5, 1, 1, 102, 0, 0, 10, 11, 1, 9, 0, 65, 240, 162, 4, 40, 2, 0, 11);
        const f = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f;
        try { f(); return 'no trap'; } catch (e) { return e instanceof WebAssembly.RuntimeError ? 'RuntimeError' : String(e); }
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

/** Whether maps of NODEFS files take the zero-copy path: installMmap says so, and a byte
 *  written through memoryview(m) is in the host file before the view is released (the
 *  copying path writes an export back on release; the built-in never before flush). */
async function runZeroCopyJob(py, spec, r) {
  // (not install(): a bridge without zero-copy is what this job reports, not an error)
  const info = spec.mode === 'builtin' ? null
    : require(spec.pymmap || DEFAULT_PYMMAP).installMmap(py, spec.mode === 'copy' ? { zeroCopy: false } : {});
  r.zeroCopy = info ? info.zeroCopy : null;
  zeroCopyProbe(py, r);
}

/** The probe of runZeroCopyJob in an instance where mmap is installed: r.seen is what the host
 *  file holds at the written place while the view is unreleased ('.Z.' with zero-copy). */
function zeroCopyProbe(py, r) {
  const tmp = mountTmp(py, '/zc', 'pymmap-pyodide-zc-');
  const g = py.toPy({ _read: () => fs.readFileSync(path.join(tmp, 'f.bin')).subarray(4096, 4099).toString('latin1') });
  try {
    fs.writeFileSync(path.join(tmp, 'f.bin'), Buffer.alloc(8192, 0x2e));
    r.seen = py.runPython(`
import mmap
with open('/zc/f.bin', 'r+b') as f:
    m = mmap.mmap(f.fileno(), 0)
mv = memoryview(m)
mv[4097] = ord('Z')
seen = _read()
mv.release()
m.close()
seen`, { globals: g });
    r.python = py.runPython('import sys; sys.version.split()[0]');
  } finally {
    g.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function main() {
  const spec = JSON.parse(process.argv[2]);
  const r = { ok: false, kind: spec.kind, mode: spec.mode, file: spec.file || null };
  const output = [];
  try {
    const { loadPyodide } = require(spec.pyodide || 'pyodide');
    const t = performance.now();
    const py = await loadPyodide({ stdout: (s) => output.push(s), stderr: (s) => output.push(s) });
    r.loadMs = Math.round(performance.now() - t);
    r.pyodide = py.version;
    if (spec.kind === 'test') await runTest(py, spec, r);
    else if (spec.kind === 'checks') await runCheckJob(py, spec, r);
    else if (spec.kind === 'zerocopy') await runZeroCopyJob(py, spec, r);
    else throw new Error(`unknown job kind ${spec.kind}`);
    r.ok = true;
  } catch (e) {
    r.error = String(e && e.message ? e.message : e).trim().split('\n').slice(-12).join('\n');
  }
  r.output = output.slice(-40);
  fs.writeFileSync(spec.out, JSON.stringify(r));
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(2); });
