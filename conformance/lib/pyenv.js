/*
 * Where the CPython interpreters and their test files are: one lookup for every test and script
 * (the differential, the manifest check, the Pyodide runner, the native and shim tests).
 *
 * Order of search for CPython X.Y:
 *   1. $PYMMAP_PYTHON_X_Y (an explicit interpreter path);
 *   2. the newest patch release under $PYENV_ROOT/versions, $(pyenv root)/versions and
 *      ~/.pyenv/versions (X.Y.Z directories);
 *   3. pythonX.Y on PATH (findPython only: it runs the interpreter to check what it is).
 * Nothing here installs anything.
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');

/** The CPython minor versions that have an mmap module worth comparing with (3.7 ... 3.13). */
const MINORS = ['3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13'];

let rootsCache = null;

/** The pyenv roots, most specific first, without duplicates. */
function pyenvRoots() {
  if (rootsCache) return rootsCache;
  const roots = [];
  if (process.env.PYENV_ROOT) roots.push(process.env.PYENV_ROOT);
  try {
    const r = execFileSync('pyenv', ['root'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10000 }).trim();
    if (r) roots.push(r);
  } catch { /* no pyenv on PATH */ }
  roots.push(path.join(os.homedir(), '.pyenv'));
  rootsCache = [...new Set(roots)];
  return rootsCache;
}

const envVar = (minor) => `PYMMAP_PYTHON_${minor.replace('.', '_')}`;

/** Installed X.Y.Z directories for one minor version, newest patch first: [{full, dir}]. */
function installed(minor) {
  const re = new RegExp(`^${minor.replace('.', '\\.')}\\.(\\d+)$`);
  const out = [];
  for (const root of pyenvRoots()) {
    let names = [];
    try { names = fs.readdirSync(path.join(root, 'versions')); } catch { continue; }
    for (const n of names) if (re.test(n)) out.push({ full: n, patch: Number(re.exec(n)[1]), dir: path.join(root, 'versions', n) });
  }
  return out.sort((a, b) => b.patch - a.patch).map(({ full, dir }) => ({ full, dir }));
}

/** Where this module looked, for skip reasons. */
function searched(minor) {
  return `$${envVar(minor)}, ${pyenvRoots().map((r) => `${r}/versions/${minor}.*`).join(', ')}`;
}

/**
 * The interpreter of CPython X.Y by path only (no process started): the explicit variable, else
 * the newest pyenv install. {minor, full, exe} or null.
 */
function pythonPath(minor) {
  const explicit = process.env[envVar(minor)];
  if (explicit && fs.existsSync(explicit)) return { minor, full: null, exe: explicit };
  for (const v of installed(minor)) {
    const exe = path.join(v.dir, 'bin', 'python3');
    if (fs.existsSync(exe)) return { minor, full: v.full, exe };
  }
  return null;
}

function checkInterpreter(exe, minor) {
  const r = spawnSync(exe, ['-c', 'import sys, mmap; print("%d.%d.%d" % sys.version_info[:3], sys.implementation.name)'],
    { encoding: 'utf8', timeout: 20000 });
  if (r.status !== 0) return null;
  const [full, impl] = r.stdout.trim().split(/\s+/);
  if (impl !== 'cpython' || !full.startsWith(minor + '.')) return null;
  return { minor, full, exe };
}

/**
 * A checked CPython X.Y interpreter (it runs, is CPython, has mmap): {minor, interpreter:
 * {minor, full, exe}} or {minor, reason}.
 */
function findPython(minor) {
  const candidates = [];
  if (process.env[envVar(minor)]) candidates.push(process.env[envVar(minor)]);
  for (const v of installed(minor)) candidates.push(path.join(v.dir, 'bin', 'python3'));
  candidates.push(`python${minor}`);
  for (const exe of candidates) {
    if (exe.includes('/') && !fs.existsSync(exe)) continue;
    const it = checkInterpreter(exe, minor);
    if (it) return { minor, interpreter: it };
  }
  return { minor, reason: `no CPython ${minor} found (${searched(minor)}, python${minor} on PATH)` };
}

/** findPython for every minor version. */
function findPythons(minors = MINORS) {
  return minors.map(findPython);
}

/**
 * CPython X.Y's own Lib/test/test_mmap.py (with its test/support package), newest patch first:
 * {version, cpython, path} or null.
 */
function findTestFile(minor) {
  for (const v of installed(minor)) {
    const p = path.join(v.dir, 'lib', `python${minor}`, 'test', 'test_mmap.py');
    if (fs.existsSync(p) && fs.existsSync(path.join(path.dirname(p), 'support', '__init__.py'))) {
      return { version: minor, cpython: v.full, path: p };
    }
  }
  return null;
}

/** The skip reason when findTestFile(minor) is null. */
function testFileMissing(minor) {
  return `no CPython ${minor} test_mmap.py found (${pyenvRoots().map((r) => `${r}/versions/${minor}.*/lib/python${minor}/test/`).join(', ')})`;
}

module.exports = { MINORS, pyenvRoots, installed, pythonPath, findPython, findPythons, findTestFile, testFileMissing, searched };
