#!/usr/bin/env node
/*
 * Two processes writing to one file while Python holds a buffer export (issue 11, item 3: the
 * copying path loses nothing). Run by conformance/pyodide/copyback.test.ts, one process per
 * mode:
 *
 *   node conformance/pyodide/copyback.js --mode copy|bridge --python /path/to/python3 [--rounds N]
 *
 * This process loads Pyodide (from node_modules), mounts a host temporary directory (NODEFS),
 * installs pymmap's bridge (this repository's build: shim/lib/pyodide.js and the addon) with
 * the copying path (`copy`: installMmap(py, { zeroCopy: false })) or zero-copy (`bridge`), and
 * starts the CPython peer (copyback_peer.py: CPython's own mmap on the same host file). Then
 * copyback_scenario.py runs inside Pyodide: interleaved writes of both sides while a
 * memoryview of Python's map is held, each side waiting for the other's acknowledgement
 * (command and answer files, replaced whole; every wait polls with a deadline). The scenario
 * keeps a model of every write and compares the whole file with it at the end.
 *
 * Prints one line of JSON: {ok, mode, zeroCopy, pyodide, python, report} or {ok: false, error}.
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const DEADLINE_MS = 60000;                 // one acknowledgement, either side
const SIZE = 3 * 1024 * 1024 + 4097;       // three 1 MiB comparison ranges and a ragged tail

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Polls `fn` (every millisecond) until it returns a value other than undefined; throws
 *  `what` when `ms` pass first. */
function pollSync(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what} (no answer within ${ms} ms)`);
    Atomics.wait(sleeper, 0, 0, 1);
  }
}

function readJson(file) {
  try { return JSON.parse(fs.readFileSync(file, 'utf8')); } catch { return undefined; }
}

function writeWhole(file, text) {
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
}

async function main() {
  const mode = arg('mode', 'copy');
  const python = arg('python', null);
  const rounds = Number(arg('rounds', '3'));
  if (!python) throw new Error('--python is required');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-copyback-'));
  let peer = null;
  let peerExit = null;
  const log = path.join(dir, 'peer.log');
  try {
    const shared = path.join(dir, 'shared.bin');
    const init = Buffer.alloc(SIZE);
    for (let i = 0; i < SIZE; i++) init[i] = (i * 131 + (i >> 12)) & 0xff;
    fs.writeFileSync(shared, init);
    const cmd = path.join(dir, 'cmd.json');
    const ack = path.join(dir, 'ack.json');

    const { loadPyodide } = require('pyodide');
    const py = await loadPyodide();
    py.FS.mkdirTree('/h');
    py.FS.mount(py.FS.filesystems.NODEFS, { root: dir }, '/h');
    const { installMmap } = require(path.join(ROOT, 'shim', 'lib', 'pyodide.js'));
    const info = installMmap(py, { zeroCopy: mode === 'copy' ? false : undefined });
    if (mode === 'bridge' && !info.zeroCopy) throw new Error('zero-copy is not available (npm run build:native?)');

    const logFd = fs.openSync(log, 'w');
    peer = spawn(python, [path.join(__dirname, 'copyback_peer.py'), shared, cmd, ack, String(DEADLINE_MS / 1000)],
      { stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    peer.on('exit', (code, signal) => { peerExit = signal || code; });
    let seq = 0;
    const answered = (n) => () => {
      const a = readJson(ack);
      return a && a.seq === n ? a : undefined;
    };
    const ready = pollSync(answered(0), DEADLINE_MS, 'the CPython peer did not start');
    py.registerJsModule('_peer', {
      ask(json) {
        seq += 1;
        const c = JSON.parse(json);
        c.seq = seq;
        writeWhole(cmd, JSON.stringify(c));
        return JSON.stringify(pollSync(answered(seq), DEADLINE_MS, `the CPython peer did not acknowledge command ${seq}`));
      },
    });
    py.globals.set('PATH', '/h/shared.bin');
    py.globals.set('ROUNDS', rounds);
    const report = JSON.parse(py.runPython(fs.readFileSync(path.join(__dirname, 'copyback_scenario.py'), 'utf8')));
    // the file as the host sees it, independently of Python's reading of it
    report.host_sha256 = require('crypto').createHash('sha256').update(fs.readFileSync(shared)).digest('hex');
    return { ok: true, mode, zeroCopy: info.zeroCopy, pyodide: py.version, python, peerPid: ready.pid, report };
  } catch (e) {
    let peerLog = '';
    try { peerLog = fs.readFileSync(log, 'utf8').trim().split('\n').slice(-8).join('\n'); } catch { /* none */ }
    const msg = String(e && e.message ? e.message : e).trim().split('\n').slice(-12).join('\n');
    return { ok: false, mode, error: msg, peerExit, peerLog };
  } finally {
    if (peer && peerExit === null) peer.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then((r) => {
  process.stdout.write(`${JSON.stringify(r)}\n`);
  process.exit(0);
}, (e) => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: String(e && e.stack ? e.stack : e) })}\n`);
  process.exit(2);
});
