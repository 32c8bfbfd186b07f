'use strict';
// The other process: truncates and regrows the segment's files at random moments (a shrink to
// a random length, aligned or not, held for a few milliseconds, then a regrow), logging each
// ftruncate with its interval on the shared clock. Stops when the stop file appears: then
// regrows every file to its full size one last time (so the final size is certain), writes its
// log and exits.
const fs = require('fs');
const { Rng, makeClock, sleepMs } = require('./common');

const cfg = JSON.parse(process.argv[2]);
const now = makeClock(cfg.base);
const rng = new Rng(cfg.seed);
const fds = cfg.files.map((p) => fs.openSync(p, 'r+'));
const log = [];
const errors = [];

// the epoch (odd while a size change is in progress) lets the workers check their calls at once
const epochFd = fs.openSync(cfg.epochFile, 'r+');
const ebuf = Buffer.alloc(4);
let epoch = 0;
function bump() {
  epoch++;
  ebuf.writeUInt32LE(epoch, 0);
  fs.writeSync(epochFd, ebuf, 0, 4, 0);
}

function setSize(file, size) {
  bump();
  const t0 = now();
  let ok = true;
  try {
    fs.ftruncateSync(fds[file], size);
  } catch (e) {
    ok = false;
    errors.push(String(e.message));
  }
  log.push({ file, size, t0, t1: now(), ok });
  bump();
}

const deadline = Date.now() + cfg.maxMs;
let cycles = 0;
while (!fs.existsSync(cfg.stopFile) && Date.now() < deadline) {
  const file = rng.int(fds.length);
  const x = rng.f();
  const L = x < 0.45 ? rng.int(cfg.FULL) : x < 0.7 ? cfg.PS * rng.int(Math.floor(cfg.FULL / cfg.PS))
    : x < 0.85 ? cfg.FULL - rng.range(1, cfg.PS) : 0;
  setSize(file, L);
  if (rng.chance(0.2)) { sleepMs(rng.int(4)); setSize(file, Math.floor(L / 2)); }
  sleepMs(rng.int(12));
  setSize(file, rng.chance(0.9) ? cfg.FULL : rng.range(cfg.FULL, cfg.CAP));
  sleepMs(rng.int(cfg.pauseMs));
  cycles++;
}
for (let f = 0; f < fds.length; f++) setSize(f, cfg.FULL);
fs.writeFileSync(cfg.logFile, JSON.stringify({ log, cycles, errors: errors.slice(0, 10), errorCount: errors.length }));
