#!/usr/bin/env node
/*
 * One Pyodide instance running the package workloads (driver.py) in one mode, in its own
 * process (conformance/packages/run.js starts one per mode):
 *
 *   node conformance/packages/job.js '{"mode": "bridge", "site": "...", "data": "...", "out": "r.json"}'
 *
 * mode: "bridge" (installMmap(pyodide): zero-copy, which must be available), "copy"
 *   (installMmap(pyodide, {zeroCopy: false})), "builtin" (Pyodide's own mmap, informative).
 * NODEFS mounts: the unpacked debs' dist-packages at /debs, the inputs at /data, this folder
 * (driver.py, workloads/) at /pkgtest, and a fresh host temporary folder at /work, so every
 * file the packages map is a host file. Optional: "only" (workload names, comma-separated),
 * "pymmap" (the compiled shim/lib/pyodide.js to use; default: this repository's build).
 *
 * Writes {ok, error?, mode, zeroCopy, pyodide, python, loadMs, runMs, cpuMs, results, output} to "out".
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const DEFAULT_PYMMAP = path.join(ROOT, 'shim', 'lib', 'pyodide.js');

function mount(py, hostDir, at) {
  py.FS.mkdirTree(at);
  py.FS.mount(py.FS.filesystems.NODEFS, { root: hostDir }, at);
}

async function main() {
  const spec = JSON.parse(process.argv[2]);
  const r = { ok: false, mode: spec.mode };
  const output = [];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-packages-pyodide-'));
  try {
    const { loadPyodide } = require('pyodide');
    let t = performance.now();
    const py = await loadPyodide({ stdout: (s) => output.push(s), stderr: (s) => output.push(s) });
    r.loadMs = Math.round(performance.now() - t);
    r.pyodide = py.version;
    mount(py, spec.site, '/debs');
    mount(py, spec.data, '/data');
    mount(py, __dirname, '/pkgtest');
    mount(py, work, '/work');
    r.zeroCopy = null;
    if (spec.mode !== 'builtin') {
      const { installMmap } = require(spec.pymmap || DEFAULT_PYMMAP);
      const info = installMmap(py, { zeroCopy: spec.mode === 'copy' ? false : undefined });
      r.zeroCopy = info.zeroCopy;
      if (spec.mode === 'bridge' && !info.zeroCopy) {
        throw new Error('zero-copy is not available (a native addon without mapFixed? run `npm run build:native`)');
      }
    }
    py.globals.set('ONLY', spec.only || '');
    // the driver's debugging switch (every map in the summary), as under CPython
    if (process.env.PYMMAP_PACKAGES_ALL_MAPS) py.runPython(`import os; os.environ['PYMMAP_PACKAGES_ALL_MAPS'] = '1'`);
    t = performance.now();
    const json = py.runPython(`
import sys, warnings
sys.dont_write_bytecode = True          # leave the cached debs as they were unpacked
warnings.simplefilter('ignore')         # old packages' SyntaxWarnings, as python -W ignore
sys.path.insert(0, '/pkgtest')
import driver
driver.run('/debs', '/data', '/work', ONLY)
`);
    r.runMs = Math.round(performance.now() - t);
    r.python = py.runPython('import sys; sys.version.split()[0]');
    r.mmap = py.runPython('import mmap; repr(mmap.mmap)');
    r.results = JSON.parse(json);
    r.ok = true;
  } catch (e) {
    r.error = String(e && e.message ? e.message : e).trim().split('\n').slice(-12).join('\n');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const cpu = process.cpuUsage();
  r.cpuMs = Math.round((cpu.user + cpu.system) / 1000); // for the person reading: the machine may be busy
  r.output = output.slice(-40);
  fs.writeFileSync(spec.out, JSON.stringify(r));
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(2); });
