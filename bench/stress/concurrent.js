'use strict';
// Segment child: worker threads mapping/closing/reading/writing shared files (worker.js),
// another process truncating and regrowing them (truncator.js), workers terminated at random
// moments, optionally views transferred between threads. Then a quiet phase, and the final
// contents of every file compared with the interval model of every write (model.js).
//
//   node bench/stress/concurrent.js '<json config>'
// Prints one STRESS_RESULT line.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { Worker, MessageChannel } = require('worker_threads');
const { Rng, derive, dataBytes, Counters, emitResult, makeClock } = require('./common');
const { evaluate, WRITE, MOVE, SETSIZE, OK, MAYBE } = require('./model');

const cfg = JSON.parse(process.argv[2]);
const PS = 4096;
const NSHARED = cfg.files || 6;
const NW0 = cfg.workers || 3;
// six shared files (every worker maps them; the truncator process truncates them) and one
// private file per worker slot (only that slot maps it; resize() truncates it). resize() is
// kept off the shared files: on some machines a thread's ftruncate leaves other CPUs able to
// store to pages past the new end without a fault (stale TLB entries; reproduced without
// pymmap by bench/stress/platform_probe.c), which no library can turn into an OSError.
const NFILES = NSHARED + NW0;
const FULL = PS * 16;
const CAP = PS * 24;
const STRIPE = 512;
const NW = cfg.workers || 3;
const LOG_EVENTS = 250000;
const F = 10;

const rng = new Rng(derive(cfg.seed, 'main'));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pymmap-stress-${cfg.name}-`));
const base = process.hrtime.bigint().toString();
const now = makeClock(base);
const counters = new Counters();
const result = {
  segment: cfg.name, node: process.version, seed: cfg.seed, ms: 0,
  workers: NW, files: NFILES, sharedFiles: NSHARED, fileSize: FULL, terminations: 0, harnessErrors: [],
};

function cleanup() {
  try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
}
process.on('exit', cleanup);

const files = [];
const initial = [];
for (let f = 0; f < NFILES; f++) {
  const p = path.join(dir, `f${f}.bin`);
  const data = dataBytes(derive(cfg.seed, 'file', f), FULL);
  fs.writeFileSync(p, data);
  files.push(p);
  initial.push(data);
}

const ctlSab = new SharedArrayBuffer(16);
const ctl = new Int32Array(ctlSab);
const logs = []; // {sab, countSab, slot, terminatedAt: number|null}
const slots = new Array(NW).fill(null); // {worker, port, log, gen, exited}
const quiescent = [];
const findings = [];
const findingCounts = {};
const epochFile = path.join(dir, 'epoch');
fs.writeFileSync(epochFile, Buffer.alloc(8));
const resizeEpochSab = new SharedArrayBuffer(4);
let generation = 0;

function spawnWorker(slot) {
  const log = { sab: new SharedArrayBuffer(LOG_EVENTS * F * 8), countSab: new SharedArrayBuffer(4), slot, terminatedAt: null };
  logs.push(log);
  const gen = generation++;
  let port = null, mainPort = null;
  if (cfg.xfer) {
    const ch = new MessageChannel();
    port = ch.port2;
    mainPort = ch.port1;
  }
  const w = new Worker(path.join(__dirname, 'worker.js'), {
    workerData: {
      slot, seed: derive(cfg.seed, 'worker', slot, gen), files, shared: NSHARED, PS, STRIPE, NW, CAP, base,
      logSab: log.sab, logCountSab: log.countSab, ctlSab, port, epochFile, resizeEpochSab,
      opts: { resize: !!cfg.resize, reentrant: !!cfg.reentrant, transfer: !!cfg.transfer, xfer: !!cfg.xfer, truncation: !!cfg.truncation, injectLoss: cfg.injectLoss || 0 },
    },
    transferList: port ? [port] : [],
    stdout: false, stderr: false,
  });
  const s = { worker: w, port: mainPort, log, gen, exited: false, quiet: false };
  slots[slot] = s;
  w.on('message', (m) => {
    if (m.type === 'counters') {
      counters.merge(m.c);
      for (const [k, n] of Object.entries(m.findingCounts || {})) findingCounts[k] = (findingCounts[k] || 0) + n;
      for (const f of m.findings || []) if (!findings.some((x) => x.kind === f.kind && x.key === f.key) && findings.length < 30) findings.push({ ...f, worker: slot });
    }
    else if (m.type === 'quiescent') { quiescent.push(m); s.quiet = true; }
  });
  w.on('error', (e) => {
    result.harnessErrors.push(`worker ${slot}: uncaught ${e && e.name}: ${e && e.message}\n${String(e && e.stack).split('\n').slice(0, 5).join('\n')}`);
  });
  w.on('exit', () => { s.exited = true; });
  if (mainPort) {
    mainPort.on('message', (m) => relay(slot, m));
  }
  return s;
}

/** A view transferred by one worker goes on to another (the main thread only relays). */
function relay(from, m) {
  const others = slots.filter((s, i) => s && i !== from && !s.exited && s.port);
  if (!others.length) return;
  const to = rng.pick(others);
  try {
    to.port.postMessage(m, [m.ab]);
    counters.op('xfer-relay');
  } catch (e) {
    counters.notes.push(`relay failed: ${e.name}: ${e.message}`);
  }
}

async function terminateOne() {
  const live = slots.map((s, i) => [s, i]).filter(([s]) => s && !s.exited);
  if (!live.length) return;
  const [s, slot] = rng.pick(live);
  await s.worker.terminate();
  s.log.terminatedAt = now();
  s.exited = true;
  if (s.port) s.port.close();
  result.terminations++;
  counters.op('worker-terminate');
  spawnWorker(slot);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const t0 = Date.now();
  for (let s = 0; s < NW; s++) spawnWorker(s);
  let trunc = null, truncExit = null;
  const stopFile = path.join(dir, 'stop'), truncLog = path.join(dir, 'trunc.json');
  if (cfg.truncation) {
    trunc = spawn(process.execPath, [path.join(__dirname, 'truncator.js'), JSON.stringify({
      files: files.slice(0, NSHARED), FULL, CAP, PS, seed: derive(cfg.seed, 'truncator'), base, stopFile, logFile: truncLog, epochFile,
      pauseMs: cfg.pauseMs || 25, maxMs: cfg.seconds * 1000 + 30000,
    })], { stdio: ['ignore', 'inherit', 'inherit'] });
    truncExit = new Promise((res) => trunc.on('exit', (code, signal) => res({ code, signal })));
  }
  // ---- run
  const end = t0 + cfg.seconds * 1000;
  let nextKill = Date.now() + 1000 + rng.int(3000);
  while (Date.now() < end) {
    await sleep(50);
    if (cfg.terminate && Date.now() >= nextKill) {
      await terminateOne();
      nextKill = Date.now() + 1000 + rng.int(3000);
    }
  }
  // ---- phase 1: workers stop and settle their views
  Atomics.store(ctl, 0, 1);
  const liveCount = () => slots.filter((s) => !s.exited).length;
  const waitUntil = async (pred, ms) => {
    const lim = Date.now() + ms;
    while (!pred() && Date.now() < lim) await sleep(10);
    return pred();
  };
  if (!await waitUntil(() => Atomics.load(ctl, 1) >= liveCount(), 20000)) {
    result.harnessErrors.push(`workers did not stop within 20 s (${Atomics.load(ctl, 1)} of ${liveCount()})`);
  }
  // ---- the truncator's last regrow
  if (trunc) {
    fs.writeFileSync(stopFile, '');
    const ex = await truncExit;
    if (ex.signal || ex.code !== 0) result.harnessErrors.push(`truncator exited ${ex.code} ${ex.signal}`);
  }
  // ---- phase 2: quiescent checks, then the workers close everything and exit
  Atomics.store(ctl, 0, 2);
  Atomics.notify(ctl, 0);
  if (!await waitUntil(() => Atomics.load(ctl, 2) >= liveCount(), 20000)) {
    result.harnessErrors.push(`workers did not finish the quiet reads within 20 s (${Atomics.load(ctl, 2)} of ${liveCount()})`);
  }
  Atomics.store(ctl, 0, 3);
  Atomics.notify(ctl, 0);
  if (!await waitUntil(() => slots.every((s) => s.exited), 20000)) {
    result.harnessErrors.push('workers did not exit within 20 s of the quiet phase');
    for (const s of slots) if (!s.exited) await s.worker.terminate();
  }
  result.ms = Date.now() - t0;

  // ---- collect the events
  const events = Array.from({ length: NFILES }, () => []);
  let nEvents = 0, nMaybe = 0, nPending = 0;
  for (const log of logs) {
    const L = new Float64Array(log.sab);
    const n = new Int32Array(log.countSab)[0];
    for (let i = 0; i < n; i++) {
      const b = i * F;
      let status = L[b + 8];
      let t1 = L[b + 7];
      if (status === 3) continue; // raised before touching anything
      if (status === 0) {
        nPending++;
        status = MAYBE;
        t1 = log.terminatedAt !== null ? log.terminatedAt : Infinity;
      }
      if (status === MAYBE) nMaybe++;
      nEvents++;
      const kind = L[b];
      const e = { kind, start: L[b + 2], step: L[b + 3], count: L[b + 4], seed: L[b + 5], t0: L[b + 6], t1, status, size: L[b + 9], who: `w${log.slot}` };
      events[L[b + 1]].push(e);
    }
  }
  let truncOps = 0;
  if (trunc) {
    const tl = JSON.parse(fs.readFileSync(truncLog, 'utf8'));
    for (const z of tl.log) {
      if (!z.ok) continue;
      truncOps++;
      events[z.file].push({ kind: SETSIZE, size: z.size, start: 0, step: 0, count: 0, seed: 0, t0: z.t0, t1: z.t1, status: OK, who: 'truncator' });
    }
    result.truncatorCycles = tl.cycles;
    if (tl.errorCount) result.harnessErrors.push(`truncator: ${tl.errorCount} ftruncate errors: ${tl.errors[0]}`);
    counters.op('truncator-ftruncate', truncOps);
  }
  // ---- the model
  const fileResults = [];
  for (let f = 0; f < NFILES; f++) {
    const actual = fs.readFileSync(files[f]);
    const r = evaluate({ full: FULL, cap: CAP, ps: PS, initial: initial[f] }, events[f], actual);
    r.file = f;
    r.events = events[f].length;
    fileResults.push(r);
  }
  result.counters = counters.toJSON();
  result.model = {
    events: nEvents, maybe: nMaybe, pendingAtTermination: nPending,
    files: fileResults.map((r) => ({ file: r.file, ok: r.ok, events: r.events, size: r.size, sizeOk: r.sizeOk, sizeCands: r.sizeCands, firstDiff: r.firstDiff, diffCount: r.diffCount, ambiguous: r.ambiguous, detail: r.detail })),
    mismatched: fileResults.filter((r) => !r.ok).length,
  };
  result.stale = [].concat(...quiescent.map((q) => q.stale));
  result.quiescentOSErrors = quiescent.reduce((a, q) => a + q.quiescentOSErrors, 0);
  result.log = { writesAndSizes: nEvents };
  result.findings = findings;
  result.findingCounts = findingCounts;
  emitResult(result);
}

main().catch((e) => {
  result.harnessErrors.push(`segment main: ${e && e.stack}`);
  result.counters = counters.toJSON();
  emitResult(result);
  process.exitCode = 2;
});
