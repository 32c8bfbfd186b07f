'use strict';
// A worker thread of the concurrent segments (bench/stress/concurrent.js): maps and closes
// random files, reads and writes them through every path (methods, slices, exported views,
// views transferred between threads), with index-like arguments whose __index__ closes,
// resizes or writes the map in the middle of the call. Every write to a shared file is logged
// BEFORE the call (with its start time) into a SharedArrayBuffer, and finished after it, so a
// worker that is terminated mid-call leaves a "maybe" event behind, never a missing one.
//
// Byte ownership: byte o of every file is written by slot floor(o / STRIPE) % NW only, so the
// writes of one byte are ordered by one thread's program order; truncations (another process)
// and resizes (any worker) are the only concurrent writers, and the model (model.js) takes
// their intervals into account.
//
// Immediate checks: size changes publish an epoch (odd while in progress); a write or a read of
// the worker's own bytes whose whole window saw no size change is compared with the file at once
// (verifyWrite, verifyRead): that catches losses that a later write would hide from the final
// comparison. Findings carry the map's recent history.
const fs = require('fs');
const { parentPort, workerData, receiveMessageOnPort } = require('worker_threads');
const { SHIM, BUILTINS, Rng, dataBytes, dataByte, makeClock, Boom, Counters } = require('./common');
const { WRITE, MOVE, SETSIZE, OK, MAYBE } = require('./model');

const W = workerData;
const mod = require(SHIM);
const B = require(BUILTINS);
const { mmap, ACCESS_DEFAULT, ACCESS_READ, ACCESS_WRITE, ACCESS_COPY } = mod;
const { slice } = B;
const now = makeClock(W.base);
const rng = new Rng(W.seed);
const C = new Counters();
const PS = W.PS, STRIPE = W.STRIPE, NW = W.NW, CAP = W.CAP;
const opts = W.opts;
const VOID = 3;

// ------------------------------------------------------------------ the event log
const LOG = new Float64Array(W.logSab);
const LOGN = new Int32Array(W.logCountSab);
const F = 10; // fields: kind file start step count seed t0 t1 status size
const LOGCAP = Math.floor(LOG.length / F);
let logFull = false;
function logBegin(kind, file, start, step, count, seed, size = 0) {
  const i = Atomics.load(LOGN, 0);
  if (i >= LOGCAP) { logFull = true; return -1; }
  const b = i * F;
  LOG[b] = kind; LOG[b + 1] = file; LOG[b + 2] = start; LOG[b + 3] = step; LOG[b + 4] = count;
  LOG[b + 5] = seed; LOG[b + 6] = now(); LOG[b + 7] = 0; LOG[b + 8] = 0; LOG[b + 9] = size;
  Atomics.store(LOGN, 0, i + 1);
  return i;
}
function logEnd(i, status) {
  if (i < 0) return;
  LOG[i * F + 7] = now();
  LOG[i * F + 8] = status;
}
/** status of a call from its outcome */
function statusOf(r) {
  if (r.ok) return OK;
  if (r.c.kind === 'py' && !r.c.os) return VOID;   // raised before touching memory
  if (r.c.kind === 'user') return VOID;            // our __index__ threw during conversion
  return MAYBE;                                    // OSError part way, or a bug
}

const ctl = new Int32Array(W.ctlSab);
const fds = W.files.map((p) => fs.openSync(p, 'r+'));
const maps = [];       // {m, file, access, off, len, faults, sessions: [], anon}
const received = [];   // buffers received from other threads: {u8, file, off, shared}
const stale = [];      // quiescent-phase findings
let quiescentOSErrors = 0;

// ------------------------------------------------------------------ immediate checks
// Size changes bump an epoch (odd while in progress): the truncator's in a file it pwrites,
// the workers' resizes in shared memory. A write or read whose window [before the call, after
// reading the file back] saw no size change must agree with the file at once: the bytes are
// this worker's own, so nobody else could have changed them.
const EPOCH_FD = W.epochFile ? fs.openSync(W.epochFile, 'r') : -1;
const RZ = new Int32Array(W.resizeEpochSab);
const ebuf = Buffer.alloc(4);
function epochs() {
  let t = 0;
  if (EPOCH_FD >= 0) { fs.readSync(EPOCH_FD, ebuf, 0, 4, 0); t = ebuf.readUInt32LE(0); }
  return [t, Atomics.load(RZ, 0)];
}
const clean = (a, b) => a[0] === b[0] && a[1] === b[1] && a[0] % 2 === 0 && a[1] % 2 === 0;
const roundUp = (n) => Math.ceil(n / PS) * PS;
const findings = [];
const findingCounts = Object.create(null);
function finding(kind, key, detail, map) {
  const k = kind + '|' + key;
  findingCounts[k] = (findingCounts[k] || 0) + 1;
  if (findingCounts[k] === 1 && findings.length < 20) {
    findings.push({ kind, key, detail: `${detail} at ${(now() / 1000).toFixed(3)}ms`, history: map && map.hist ? map.hist.slice() : undefined });
  }
}

/** The bytes of write log entry li must be in the file now (no size change since e1). */
function verifyWrite(li, map, e1, desc) {
  const b = li * F;
  const start = LOG[b + 2], step = LOG[b + 3], count = LOG[b + 4], seed = LOG[b + 5];
  const last = start + (count - 1) * step;
  const lo = Math.min(start, last), hi = Math.max(start, last) + 1;
  const fd = fds[map.file];
  const size = fs.fstatSync(fd).size;
  const buf = Buffer.alloc(hi - lo);
  fs.readSync(fd, buf, 0, hi - lo, lo);
  if (!clean(e1, epochs())) { C.op('verify-write-skipped'); return; }
  C.op('verify-write');
  for (let k = 0; k < count; k++) {
    const o = start + k * step;
    const v = dataByte(seed, k);
    if (o >= size) {
      if (o >= roundUp(size)) {
        // what the map says now, for the report: a page past EOF must fault
        const i = o - map.off;
        const again = attempt('diag-read', map, () => map.m.__getitem__(i));
        const again2 = attempt('diag-write', map, () => map.m.__setitem__(i, 7));
        const again3 = attempt('diag-read', map, () => map.m.__getitem__(i));
        // one-page anonymous mappings next to this file's mappings are zero pages patched in
        let patched = 0;
        try {
          const lines = fs.readFileSync('/proc/self/maps', 'utf8').split('\n');
          for (let q = 0; q < lines.length; q++) {
            const [range, , , , inode] = lines[q].split(/\s+/);
            if (!range || inode !== '0') continue;
            const [a, b] = range.split('-').map((h) => parseInt(h, 16));
            if (b - a !== PS) continue;
            if ((lines[q - 1] || '').endsWith(W.files[map.file]) || (lines[q + 1] || '').endsWith(W.files[map.file])) patched++;
          }
        } catch { /* no /proc */ }
        const diag = `then m[${i}] -> ${again.ok ? again.v : again.c.key}; m[${i}] = 7 -> ${again2.ok ? 'ok' : again2.c.key}; m[${i}] -> ${again3.ok ? again3.v : again3.c.key}; the write put ${v}; file size now ${fs.fstatSync(fd).size}; one-page anonymous mappings next to this file's: ${patched}`;
        finding('lost-write', `${desc} returned success into a page past the end of the file`, `${desc} ${mapDesc(map)}: file offset ${o}, file size ${size}; ${diag}`, map);
        return;
      }
      continue;
    }
    if (buf[o - lo] !== v) {
      // what the map and a fresh look at the file say now
      const i = o - map.off;
      const viaMap = attempt('diag-read', map, () => map.m.__getitem__(i));
      const b1 = Buffer.alloc(1);
      fs.readSync(fd, b1, 0, 1, o);
      let fresh = 'n/a';
      try { const m2 = new mmap(fd, 0); fresh = m2.__getitem__(o); m2.close(); } catch (e) { fresh = e.name; }
      const diag = `then: the map reads ${viaMap.ok ? viaMap.v : viaMap.c.key}, pread ${b1[0]}, a fresh map ${fresh}; file size ${fs.fstatSync(fd).size}; epochs ${e1} -> ${epochs()}`;
      finding('lost-write', `${desc} returned success but the file does not have the bytes`, `${desc} ${mapDesc(map)}: file offset ${o} has ${buf[o - lo]}, the write put ${v} (file size ${size}; no truncation or resize during the call); ${diag}`, map);
      return;
    }
  }
}

/** A read of this worker's own bytes must equal the file (or raise OSError). */
function verifyRead(map) {
  if (map.closed || map.anon || map.access === ACCESS_COPY) return;
  const rr = ownRange(map.off, map.off + map.len, 256);
  if (!rr) return;
  const e1 = epochs();
  const i = rr.fo - map.off;
  const r = attempt('verify-read', map, () => (rng.chance(0.5) ? map.m.__getitem__(new slice(i, i + rr.n)) : (map.m.seek(i), map.m.read(rr.n))));
  const fd = fds[map.file];
  const size = fs.fstatSync(fd).size;
  const buf = Buffer.alloc(rr.n);
  fs.readSync(fd, buf, 0, rr.n, rr.fo);
  if (!clean(e1, epochs())) { C.op('verify-read-skipped'); return; }
  if (!r.ok) { if (r.c.os && rr.fo + rr.n <= size) C.op('verify-read-oserror-inside-file'); return; }
  for (let k = 0; k < rr.n && k < r.v.length; k++) {
    const o = rr.fo + k;
    if (o >= size) {
      if (o >= roundUp(size)) {
        const again = attempt('diag-read', map, () => map.m.__getitem__(o - map.off));
        finding('silent-read', 'read of a page past the end of the file returned data instead of raising OSError', `${mapDesc(map)} file offset ${o}, file size ${size}: read ${r.v[k]}; read again: ${again.ok ? again.v : again.c.key}; file size now ${fs.fstatSync(fd).size}; epochs ${e1} -> ${epochs()}`, map);
        return;
      }
      continue;
    }
    if (r.v[k] !== buf[k]) {
      const b1 = Buffer.alloc(1);
      fs.readSync(fd, b1, 0, 1, o);
      const again = attempt('diag-read', map, () => map.m.__getitem__(o - map.off));
      C.notes.push(`wrong-read diag: file offset ${o}: the map now reads ${again.ok ? again.v : again.c.key}, pread ${b1[0]}`);
      finding('wrong-read', 'read returned other bytes than the file has', `${mapDesc(map)} file offset ${o}: read ${r.v[k]}, the file has ${buf[k]} (no truncation or resize during the call)`, map);
      return;
    }
  }
}

function owns(o) { return Math.floor(o / STRIPE) % NW === W.slot; }

/** A range [fo, fo+n) of file offsets this slot owns inside [lo, hi). */
function ownRange(lo, hi, maxN) {
  if (hi <= lo) return null;
  const s0 = Math.floor(lo / STRIPE), s1 = Math.floor((hi - 1) / STRIPE);
  const mine = [];
  for (let s = s0; s <= s1 && mine.length < 64; s++) if (s % NW === W.slot) mine.push(s);
  if (!mine.length) return null;
  const s = rng.pick(mine);
  const a0 = Math.max(lo, s * STRIPE), a1 = Math.min(hi, (s + 1) * STRIPE);
  const fo = rng.range(a0, a1 - 1);
  const n = 1 + rng.int(Math.min(maxN, a1 - fo));
  return { fo, n };
}

/** The map's recent history (kinds and outcomes), attached to findings. */
function hist(map, what) {
  if (!map || !map.hist) return;
  map.hist.push(`${(now() / 1000).toFixed(3)}ms ${what}`);
  if (map.hist.length > 40) map.hist.shift();
}

function attempt(kind, map, fn, desc) {
  C.op(kind);
  try {
    const v = fn();
    hist(map, kind);
    return { ok: true, v };
  } catch (e) {
    const c = C.err(e, B, typeof desc === 'function' ? desc() : `${kind} ${mapDesc(map)}`);
    if (c.os && c.code === 'EFAULT' && map) map.faults++;
    hist(map, `${kind}: ${c.key}`);
    return { ok: false, c, e };
  }
}

function mapDesc(map) {
  if (!map) return '';
  return `[${map.anon ? 'anon' : 'file' + map.file} access=${map.access} off=${map.off} len=${map.len}]`;
}

function refresh(map) {
  if (map.m.closed) { map.closed = true; return; }
  try { map.len = map.m.__len__(); } catch { map.closed = true; }
}

// ------------------------------------------------------------------ index-like arguments

class Idx {
  constructor(v, fn) { this.v = v; this.fn = fn; }
  __index__() { if (this.fn) { const f = this.fn; this.fn = null; f(); } return this.v; }
}
class ValueOfIdx {
  constructor(v, fn) { this.v = v; this.fn = fn; }
  valueOf() { if (this.fn) { const f = this.fn; this.fn = null; f(); } return this.v; }
}

let depth = 0;
/** v as an int, a bigint, or an object whose __index__ may act on `map` first. */
/** keepPos: the call uses the position after its conversions (write_byte): no reads then. */
function ix(v, map, keepPos = false) {
  const x = rng.f();
  if (x < 0.6 || depth > 0) return v;
  if (x < 0.7) return BigInt(v);
  if (!opts.reentrant || x < 0.78) return rng.chance(0.8) ? new Idx(v) : new ValueOfIdx(v);
  const action = rng.weighted({ close: 2, resize: opts.resize ? 2 : 0, write: 3, flush: 1, export: 2, boom: 1, read: keepPos ? 0 : 1, other: 1 });
  const target = map && !map.closed ? map : rng.pick(maps.filter((mm) => !mm.closed));
  const fn = () => {
    depth++;
    try {
      C.op('reentrant-' + action);
      if (action === 'boom') throw new Boom();
      if (!target) return;
      if (action === 'close') closeMap(target, true);
      else if (action === 'resize') doResize(target);
      else if (action === 'write') doWrite(target, 'slice');
      else if (action === 'flush') attempt('flush', target, () => target.m.flush());
      else if (action === 'export') startSession(target);
      else if (action === 'read') attempt('read_byte', target, () => target.m.read_byte());
      else if (action === 'other') {
        const other = rng.pick(maps.filter((mm) => mm !== target && !mm.closed));
        if (other) doWrite(other, 'slice');
      }
    } finally {
      depth--;
    }
  };
  return rng.chance(0.85) ? new Idx(v, fn) : new ValueOfIdx(v, fn);
}

function bytesArg(buf) {
  switch (rng.int(6)) {
    case 0: return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    case 1: return new DataView(buf.buffer, buf.byteOffset, buf.length);
    case 2: return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
    case 3: { const s = new Uint8Array(new SharedArrayBuffer(buf.length)); s.set(buf); return s; }
    default: return buf;
  }
}

// ------------------------------------------------------------------ operations

function openMap() {
  const anon = rng.chance(0.12);
  const access = rng.pick([ACCESS_DEFAULT, ACCESS_DEFAULT, ACCESS_DEFAULT, ACCESS_WRITE, ACCESS_WRITE, ACCESS_READ, ACCESS_COPY]);
  let file = -1, fd = -1, off = 0, length, size = 0, tmpFd = -1;
  if (anon) {
    length = PS * rng.range(1, 8);
  } else {
    // a shared file, or this slot's private one (the only one resize() may truncate)
    file = rng.chance(0.25) ? W.shared + W.slot : rng.int(W.shared);
    fd = fds[file];
    if (rng.chance(0.15)) fd = tmpFd = fs.openSync(W.files[file], access === ACCESS_READ && rng.chance(0.5) ? 'r' : 'r+');
    try { size = fs.fstatSync(fd).size; } catch { size = 0; }
    off = PS * rng.int(Math.min(4, Math.floor(size / PS) + 1));
    const room = size - off;
    const x = rng.f();
    length = x < 0.5 || room <= 0 ? 0 : x < 0.95 ? rng.range(1, room) : room + rng.range(1, PS);
  }
  const kw = {};
  if (!anon) {
    kw.access = access;
    if (off || rng.chance(0.3)) kw.offset = ix(off, null);
    if (rng.chance(0.05)) kw.trackfd = false;
  }
  const r = attempt('open', null, () => new mmap(fd, ix(length, null), kw),
    () => `new mmap(${anon ? -1 : 'fd of file' + file}, ${length}, {access: ${kw.access}, offset: ${off}}) [size ${size}]`);
  if (tmpFd >= 0) fs.closeSync(tmpFd);
  if (!r.ok) return;
  const m = r.v;
  const map = { m, file, access: anon ? ACCESS_DEFAULT : access, off, len: 0, faults: 0, sessions: [], anon, closed: false, trackfd: kw.trackfd !== false, hist: [] };
  hist(map, `opened: file ${file} offset ${off} length ${length} access ${access} (file size ${size})`);
  refresh(map);
  maps.push(map);
}

function closeMap(map, reentrant) {
  if (!reentrant && map.sessions.length && rng.chance(0.8)) finishSessions(map);
  const r = attempt('close', map, () => map.m.close());
  if (r.ok) map.closed = true;
}

/** A write through a method, logged around the call. */
function doWrite(map, how) {
  if (map.closed) return;
  const logged = !map.anon && (map.access === ACCESS_DEFAULT || map.access === ACCESS_WRITE);
  const e1 = logged && depth === 0 && rng.chance(0.35) ? epochs() : null;
  // own bytes inside the map (anonymous maps: anywhere)
  const rr = map.anon ? (map.len ? { fo: rng.int(map.len), n: 1 + rng.int(Math.min(64, map.len)) } : null)
    : ownRange(map.off, map.off + map.len, rng.chance(0.1) ? 2048 : 64);
  if (!rr) return;
  let { fo, n } = rr;
  if (map.anon && fo + n > map.len) n = map.len - fo;
  const i = fo - (map.anon ? 0 : map.off);
  const seed = rng.u32() & 0x7fffffff;
  const file = map.file;
  if (how === undefined) how = rng.weighted({ write: 10, slice: 8, step: 3, item: 4, byte: 3 });
  const m = map.m;
  if (opts.injectLoss && logged && depth === 0 && rng.chance(opts.injectLoss)) {
    // self-test of the checker: a write that "returned success" but never happened
    logEnd(logBegin(WRITE, file, fo, 1, n, seed), OK);
    C.op('injected-lost-write');
    return;
  }
  let r, li = -1;
  switch (how) {
    case 'write': {
      const s = attempt('seek', map, () => m.seek(ix(i, map)));
      if (!s.ok || map.closed) return;
      let p;
      try { p = m.tell(); } catch { return; }
      if (p !== i) return;
      const data = dataBytes(seed, n);
      if (logged) li = logBegin(WRITE, file, fo, 1, n, seed);
      r = attempt('write', map, () => m.write(bytesArg(data)), () => `write(${n} bytes) at ${i} ${mapDesc(map)}`);
      break;
    }
    case 'slice': {
      const data = dataBytes(seed, n);
      if (logged) li = logBegin(WRITE, file, fo, 1, n, seed);
      r = attempt('setslice', map, () => m.__setitem__(new slice(ix(i, map), ix(i + n, map)), bytesArg(data)),
        () => `m[${i}:${i + n}] = ${n} bytes ${mapDesc(map)}`);
      break;
    }
    case 'step': {
      const step = rng.range(2, 7);
      const cnt = Math.max(1, Math.floor((n - 1) / step) + 1);
      const data = dataBytes(seed, cnt);
      if (rng.chance(0.5)) {
        if (logged) li = logBegin(WRITE, file, fo, step, cnt, seed);
        r = attempt('setstep', map, () => m.__setitem__(new slice(ix(i, map), i + (cnt - 1) * step + 1, ix(step, map)), data),
          () => `m[${i}:${i + (cnt - 1) * step + 1}:${step}] = ${cnt} bytes ${mapDesc(map)}`);
      } else {
        const last = i + (cnt - 1) * step;
        if (logged) li = logBegin(WRITE, file, fo + (cnt - 1) * step, -step, cnt, seed);
        r = attempt('setstep', map, () => m.__setitem__(new slice(last, i >= 1 ? i - 1 : null, ix(-step, map)), data),
          () => `m[${last}:${i >= 1 ? i - 1 : 'None'}:${-step}] = ${cnt} bytes ${mapDesc(map)}`);
      }
      break;
    }
    case 'item': {
      const v = dataByte(seed, 0);
      if (logged) li = logBegin(WRITE, file, fo, 1, 1, seed);
      r = attempt('setitem', map, () => m.__setitem__(ix(i, map), ix(v, map)), () => `m[${i}] = ${v} ${mapDesc(map)}`);
      break;
    }
    case 'byte': {
      const s = attempt('seek', map, () => m.seek(i));
      if (!s.ok) return;
      const v = dataByte(seed, 0);
      if (logged) li = logBegin(WRITE, file, fo, 1, 1, seed);
      r = attempt('write_byte', map, () => m.write_byte(ix(v, map, true)), () => `write_byte(${v}) at ${i} ${mapDesc(map)}`);
      break;
    }
  }
  logEnd(li, statusOf(r));
  if (e1 && r && r.ok && li >= 0) verifyWrite(li, map, e1, how === 'write' ? 'write()' : how === 'byte' ? 'write_byte()' : how === 'item' ? 'm[i] = v' : 'm[a:b:c] = data');
  refresh(map);
}

function doMove(map) {
  if (map.closed || map.len < 2) return;
  const logged = !map.anon && (map.access === ACCESS_DEFAULT || map.access === ACCESS_WRITE);
  const rr = map.anon ? { fo: rng.int(map.len), n: 1 + rng.int(Math.min(64, map.len)) } : ownRange(map.off, map.off + map.len, 128);
  if (!rr) return;
  // src and dest both inside the same owned stripe (dest is modelled as "any value")
  const base = map.anon ? 0 : map.off;
  const stripeLo = map.anon ? 0 : Math.max(map.off, Math.floor(rr.fo / STRIPE) * STRIPE);
  const stripeHi = map.anon ? map.len : Math.min(map.off + map.len, (Math.floor(rr.fo / STRIPE) + 1) * STRIPE);
  const cnt = Math.min(rr.n, stripeHi - rr.fo);
  const src = rng.range(stripeLo, stripeHi - cnt);
  const li = logged ? logBegin(MOVE, map.file, rr.fo, 1, cnt, 0) : -1;
  const r = attempt('move', map, () => map.m.move(ix(rr.fo - base, map), src - base, ix(cnt, map)));
  logEnd(li, statusOf(r));
  refresh(map);
}

function doResize(map) {
  if (map.closed) return;
  if (!opts.resize && !map.anon) return;
  if (!map.anon && map.file !== W.shared + W.slot) return; // shared files: only the truncator process
  const newLen = map.anon ? PS * rng.range(1, 8) : rng.range(Math.max(1, PS), CAP - map.off);
  const logged = !map.anon && (map.access === ACCESS_DEFAULT || map.access === ACCESS_WRITE) && map.trackfd;
  const li = logged ? logBegin(SETSIZE, map.file, 0, 0, 0, 0, map.off + newLen) : -1;
  Atomics.add(RZ, 0, 1);
  const r = attempt('resize', map, () => map.m.resize(ix(newLen, map)), () => `resize(${newLen}) ${mapDesc(map)}`);
  Atomics.add(RZ, 0, 1);
  logEnd(li, statusOf(r));
  refresh(map);
}

function doRead(map) {
  if (map.closed) return;
  const m = map.m, len = map.len;
  const i = rng.int(len + 2);
  switch (rng.weighted({ read: 4, read_byte: 2, readline: 2, getitem: 3, getslice: 3, getstep: 1, find: 2, rfind: 1, contains: 1, size: 1, iter: 1, flush: 2, madvise: 1 })) {
    case 'read': attempt('seek', map, () => m.seek(Math.min(i, len))); attempt('read', map, () => m.read(ix(rng.int(512), map))); break;
    case 'read_byte': attempt('seek', map, () => m.seek(Math.min(i, len))); attempt('read_byte', map, () => m.read_byte()); break;
    case 'readline': attempt('seek', map, () => m.seek(Math.min(i, len))); attempt('readline', map, () => m.readline()); break;
    case 'getitem': attempt('getitem', map, () => m.__getitem__(ix(rng.chance(0.2) ? -1 - rng.int(len + 1) : i, map))); break;
    case 'getslice': attempt('getslice', map, () => m.__getitem__(new slice(ix(i, map), ix(i + rng.int(4096), map)))); break;
    case 'getstep': attempt('getstep', map, () => m.__getitem__(new slice(ix(len, map), null, ix(-rng.range(1, 9), map)))); break;
    case 'find': attempt('find', map, () => m.find(Buffer.from([rng.int(256), rng.int(256)]), ix(i, map), ix(len, map))); break;
    case 'rfind': attempt('rfind', map, () => m.rfind(Buffer.from([rng.int(256)]), ix(0, map))); break;
    case 'contains': attempt('contains', map, () => m.__contains__(Buffer.from([rng.int(256)]))); break;
    case 'size': attempt('size', map, () => m.size()); break;
    case 'iter': attempt('iter', map, () => { let k = 0; for (const b of m) { if (++k > 16) break; } }); break;
    case 'flush': {
      const o = rng.chance(0.7) ? PS * rng.int(Math.floor(len / PS) + 1) : rng.int(len + 1);
      attempt('flush', map, () => (rng.chance(0.3) ? m.flush() : m.flush(ix(o, map), ix(Math.max(0, Math.min(len - o, rng.int(3 * PS))), map))));
      break;
    }
    case 'madvise': {
      const opt = rng.pick([mod.MADV_NORMAL, mod.MADV_RANDOM, mod.MADV_SEQUENTIAL, mod.MADV_WILLNEED, mod.MADV_DONTNEED].filter((x) => x !== undefined));
      attempt('madvise', map, () => m.madvise(opt, ix(PS * rng.int(Math.max(1, Math.floor(len / PS))), map), ix(rng.int(len + 1), map)));
      break;
    }
  }
  refresh(map);
}

// ------------------------------------------------------------------ exported views

function startSession(map) {
  if (map.closed) return;
  const r = attempt('export', map, () => map.m.__buffer__(rng.chance(0.5) ? 1 : 0));
  if (!r.ok) return;
  const ex = r.v;
  const shared = !map.anon && (map.access === ACCESS_DEFAULT || map.access === ACCESS_WRITE);
  map.sessions.push({ ex, u8: ex.view, events: [], faults0: map.faults, shared, transferred: false });
  hist(map, `export held (${ex.view.length} bytes)`);
}

/** Writes and reads through a held export (or its transferred buffer). */
function viewOp(map) {
  const s = rng.pick(map.sessions);
  const u8 = s.u8;
  if (!u8 || u8.length === 0) return;
  if (opts.transfer && !s.transferred && rng.chance(0.05) && typeof u8.buffer.transfer === 'function') {
    // ArrayBuffer.prototype.transfer: the memory moves to a new buffer; the map keeps working
    // through copies; the export's view is detached.
    // (a plain JS call: V8's refusals are not pymmap errors)
    let r;
    try {
      r = { ok: true, v: u8.buffer.transfer() };
      C.op('view-transfer');
    } catch (e) {
      r = { ok: false };
      C.op('view-transfer-refused-by-v8');
      if (!C.notes.some((n) => n.startsWith('transfer refused'))) C.notes.push(`transfer refused by V8 for an export of ${mapDesc(map)}: ${e.name}: ${e.message}`);
    }
    if (r.ok) {
      s.u8 = new Uint8Array(r.v, u8.byteOffset, u8.length);
      s.transferred = true;
      if (opts.xfer && rng.chance(0.5)) {
        // send it to another thread; this session no longer touches it
        sendAway(map, s);
      }
    }
    return;
  }
  if (rng.chance(0.55)) {
    const rr = map.anon ? { fo: rng.int(u8.length), n: 1 } : ownRange(map.off, map.off + u8.length, 64);
    if (!rr) return;
    const i = rr.fo - (map.anon ? 0 : map.off);
    const n = Math.min(rr.n, u8.length - i);
    const seed = rng.u32() & 0x7fffffff;
    const data = dataBytes(seed, n);
    const li = s.shared ? logBegin(WRITE, map.file, rr.fo, 1, n, seed) : -1;
    if (li >= 0) s.events.push(li);
    C.op('view-write');
    if (n === 1) u8[i] = data[0];
    else u8.set(data, i);
    hist(map, `view-write at index ${i} (${n})`);
  } else {
    C.op('view-read');
    const i = rng.int(u8.length);
    let x = 0;
    const e = Math.min(u8.length, i + rng.int(8192));
    hist(map, `view-read of indices ${i}..${e}`);
    for (let k = i; k < e; k += 64) x ^= u8[k];
    if (x === 1234) C.op('view-read-rare');
  }
}

/** Ends a session: a call that checks the fault counter, then release. Its writes count as
 *  certain only if no OSError was seen on the map meanwhile. */
function finishSession(map, s) {
  let status = OK;
  if (!map.closed && map.len > 0) {
    const chk = attempt('view-check', map, () => map.m.__getitem__(0));
    if (!chk.ok) status = MAYBE;
  } else status = MAYBE;
  if (map.faults !== s.faults0) status = MAYBE;
  // after a transfer the map no longer watches the fault counter for this memory (it copies):
  // with truncation going on, a store into a truncated page is lost without a trace
  if (s.transferred && opts.truncation) status = MAYBE;
  for (const li of s.events) logEnd(li, status);
  s.events = [];
  attempt('release', map, () => s.ex.release());
  s.u8 = null;
  map.sessions.splice(map.sessions.indexOf(s), 1);
}
function finishSessions(map) {
  while (map.sessions.length) finishSession(map, map.sessions[0]);
}

// ------------------------------------------------------------------ views between threads

let port = W.port || null;
function sendAway(map, s) {
  // the session's view writes so far are settled by a check first
  const ab = s.u8.buffer;
  const msg = { ab, byteOffset: s.u8.byteOffset, length: s.u8.length, file: map.file, off: map.off, shared: s.shared && !map.anon, from: W.slot };
  try {
    port.postMessage(msg, [ab]);
    C.op('xfer-send');
    s.u8 = new Uint8Array(0);
  } catch (e) {
    C.notes.push(`postMessage of a transferred view failed: ${e.name}: ${e.message}`);
  }
}
function pollReceived() {
  if (!port) return;
  for (let k = 0; k < 4; k++) {
    const r = receiveMessageOnPort(port);
    if (!r) break;
    const m = r.message;
    C.op('xfer-receive');
    received.push({ u8: new Uint8Array(m.ab, m.byteOffset, m.length), file: m.file, off: m.off, shared: m.shared });
    if (received.length > 6) received.shift();
  }
}
function receivedOp() {
  const rb = rng.pick(received);
  const u8 = rb.u8;
  if (!u8.length) return;
  if (rng.chance(0.1) && opts.xfer) {
    // pass it on (or drop it: the collector unmaps it once its map is closed)
    received.splice(received.indexOf(rb), 1);
    if (rng.chance(0.5)) {
      try {
        port.postMessage({ ab: u8.buffer, byteOffset: u8.byteOffset, length: u8.length, file: rb.file, off: rb.off, shared: rb.shared, from: W.slot }, [u8.buffer]);
        C.op('xfer-forward');
      } catch (e) { C.notes.push(`forward failed: ${e.name}: ${e.message}`); }
    }
    return;
  }
  if (rng.chance(0.6) && rb.shared) {
    // no truncation in segments with cross-thread views: the memory stays the file's pages
    const rr = ownRange(rb.off, rb.off + u8.length, 64);
    if (!rr) return;
    const i = rr.fo - rb.off;
    const n = Math.min(rr.n, u8.length - i);
    const seed = rng.u32() & 0x7fffffff;
    const data = dataBytes(seed, n);
    const li = logBegin(WRITE, rb.file, rr.fo, 1, n, seed);
    C.op('xfer-write');
    u8.set(data, i);
    logEnd(li, opts.truncation ? MAYBE : OK);
  } else {
    C.op('xfer-read');
    let x = 0;
    for (let k = 0; k < u8.length; k += 512) x ^= u8[k];
    if (x === 4321) C.op('xfer-read-rare');
  }
}

// ------------------------------------------------------------------ main loop

function step() {
  for (let k = maps.length - 1; k >= 0; k--) if (maps[k].closed) maps.splice(k, 1);
  pollReceived();
  const open = maps.filter((mm) => !mm.closed);
  const withSessions = open.filter((mm) => mm.sessions.length);
  const w = {
    open: open.length < 4 ? 6 : 0.3,
    close: open.length ? 2 : 0,
    write: open.length ? 28 : 0,
    read: open.length ? 22 : 0,
    move: open.length ? 1 : 0,
    resize: open.length ? (opts.resize ? 3 : 0.2) : 0,
    export: open.length ? 2 : 0,
    view: withSessions.length ? 10 : 0,
    finish: withSessions.length ? 2 : 0,
    received: received.length ? 4 : 0,
    verifyRead: open.length ? 4 : 0,
    drop: open.length ? 0.4 : 0,
    gc: typeof global.gc === 'function' ? 0.05 : 0,
  };
  const k = rng.weighted(w);
  const map = k === 'view' || k === 'finish' ? rng.pick(withSessions) : rng.pick(open);
  switch (k) {
    case 'open': openMap(); break;
    case 'close': closeMap(map, false); break;
    case 'write': doWrite(map); break;
    case 'read': doRead(map); break;
    case 'move': doMove(map); break;
    case 'resize': doResize(map); break;
    case 'export': if (map.sessions.length < 2) startSession(map); break;
    case 'view': viewOp(map); break;
    case 'finish': finishSession(map, rng.pick(map.sessions)); break;
    case 'received': receivedOp(); break;
    case 'verifyRead': verifyRead(map); break;
    case 'drop':
      // forget the map without closing it: the collector's finalizer closes it later
      if (!map.sessions.length) { map.closed = true; C.op('drop-unclosed'); }
      break;
    case 'gc': global.gc(); C.op('gc'); break;
  }
}

let lastPost = Date.now();
function postCounters(final) {
  parentPort.postMessage({ type: 'counters', slot: W.slot, c: C.toJSON(), final: !!final, findings: findings.splice(0), findingCounts: { ...findingCounts } });
  for (const k in findingCounts) delete findingCounts[k];
  C.ops = Object.create(null); C.py = Object.create(null); C.user = 0; C.nonpy = Object.create(null); C.nonpyExamples = []; C.notes = [];
}

while (Atomics.load(ctl, 0) === 0 && !logFull) {
  step();
  if (Date.now() - lastPost > 250) { postCounters(false); lastPost = Date.now(); }
}
if (logFull) C.notes.push(`worker ${W.slot}: event log full, stopped early`);

// ---- phase 1: settle every held view, then wait for the truncator's last regrow
for (const map of maps) if (!map.closed) finishSessions(map);
received.length = 0;
Atomics.add(ctl, 1, 1);
Atomics.notify(ctl, 1);
while (Atomics.load(ctl, 0) < 2) Atomics.wait(ctl, 0, Atomics.load(ctl, 0), 50);

// ---- phase 2: quiet files; every open map of a shared file must read the file's bytes (or
// raise OSError). All workers read before any writes its marker (phase 3).
const fileSize = (map) => { try { return fs.fstatSync(fds[map.file]).size; } catch { return 0; } };
const quiet = maps.filter((map) => !map.closed && !map.anon && map.access !== ACCESS_COPY);
for (const map of quiet) {
  const n = Math.min(map.len, fileSize(map) - map.off);
  if (n <= 0) continue;
  const r = attempt('quiescent-read', map, () => map.m.__getitem__(new slice(0, n)));
  if (r.ok) {
    const want = Buffer.alloc(n);
    fs.readSync(fds[map.file], want, 0, n, map.off);
    if (!want.equals(r.v)) {
      let d = 0;
      while (d < n && want[d] === r.v[d]) d++;
      stale.push({ file: map.file, mapOffset: map.off, mapLen: map.len, access: map.access, fileOffset: map.off + d, got: r.v[d], want: want[d] });
    }
  } else if (r.c.os) quiescentOSErrors++;
}
Atomics.add(ctl, 2, 1);
while (Atomics.load(ctl, 0) < 3) Atomics.wait(ctl, 0, Atomics.load(ctl, 0), 50);
// ---- phase 3: a write through every writable map must reach the file (logged: the model checks)
for (const map of quiet) {
  if (map.closed || !(map.access === ACCESS_DEFAULT || map.access === ACCESS_WRITE)) continue;
  const n = Math.min(map.len, fileSize(map) - map.off);
  const rr = n > 0 ? ownRange(map.off, map.off + n, 32) : null;
  if (!rr) continue;
  const seed = rng.u32() & 0x7fffffff;
  const li = logBegin(WRITE, map.file, rr.fo, 1, rr.n, seed);
  const w = attempt('quiescent-write', map, () => map.m.__setitem__(new slice(rr.fo - map.off, rr.fo - map.off + rr.n), dataBytes(seed, rr.n)));
  logEnd(li, statusOf(w));
}
for (const map of maps) if (!map.closed) attempt('close', map, () => map.m.close());
parentPort.postMessage({ type: 'quiescent', slot: W.slot, stale, quiescentOSErrors });
postCounters(true);
if (port) port.close();
