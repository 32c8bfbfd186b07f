#!/usr/bin/env node
/*
 * python/oracle.py inside Pyodide: its mmap is CPython's own Modules/mmapmodule.c compiled for
 * wasm32 over Emscripten's emulated mmap (no fork there: oracle.py runs each sequence in
 * process). The oracle's files are in a host temporary directory mounted with NODEFS.
 *
 *   node conformance/differential/pyodide-oracle.js PACKAGE < input.json > output.json
 *
 * PACKAGE: an installed Pyodide (the `pyodide` devDependency, or an alias such as pyodide-315).
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

const ORACLE = path.resolve(__dirname, '..', '..', 'python', 'oracle.py');

async function main() {
  const pkg = process.argv[2] || 'pyodide';
  const input = fs.readFileSync(0, 'utf8');
  const { loadPyodide } = require(pkg);
  const out = [];
  const py = await loadPyodide({ stdout: (s) => out.push(s), stderr: (s) => process.stderr.write(s + '\n') });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-pyodide-oracle-'));
  try {
    py.FS.mkdirTree('/hosttmp');
    py.FS.mount(py.FS.filesystems.NODEFS, { root: tmp }, '/hosttmp');
    // PYMMAP_ORACLE_BRIDGE=zc|copy: the oracle's `import mmap` is pymmap's bridge (zero-copy or
    // its copying path) instead of Pyodide's built-in: the bridge held against the host's pymmap
    const bridge = process.env.PYMMAP_ORACLE_BRIDGE;
    if (bridge) {
      require(path.resolve(__dirname, '..', '..', 'shim', 'lib', 'pyodide.js')).installMmap(py, { zeroCopy: bridge !== 'copy' });
    }
    py.FS.writeFile('/input.json', input);
    py.FS.writeFile('/oracle.py', fs.readFileSync(ORACLE, 'utf8'));
    const g = py.toPy({ __name__: 'oracle' });
    py.runPython(`
import os, sys, tempfile
os.environ['TMPDIR'] = '/hosttmp'
tempfile.tempdir = '/hosttmp'
exec(compile(open('/oracle.py').read(), '/oracle.py', 'exec'), globals())
import io
_buf = io.StringIO()
_stdout, sys.stdout = sys.stdout, _buf
try:
    main(['oracle.py', '/input.json'])
finally:
    sys.stdout = _stdout
OUT = _buf.getvalue()
`, { globals: g });
    const text = g.get('OUT');
    g.destroy();
    // (a pipe takes large writes asynchronously: exit only once they are flushed)
    await new Promise((resolve, reject) => process.stdout.write(text, (e) => (e ? reject(e) : resolve())));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e) => { console.error(e && e.stack ? e.stack : e); process.exit(2); });
