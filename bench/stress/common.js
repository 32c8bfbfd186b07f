'use strict';
// Shared pieces of the stress campaign (bench/stress.js): seeded PRNG, deterministic write
// data, the shared clock, the error classifier, counters and the result line.
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
// The driver runs every segment on a snapshot of shim/lib and the addon (others may rebuild
// them in the checkout during the run); run by hand, a segment uses the checkout.
const RUN_ROOT = process.env.PYMMAP_STRESS_ROOT || ROOT;
const SHIM = path.join(RUN_ROOT, 'shim', 'lib', 'index.js');
const BUILTINS = path.join(RUN_ROOT, 'shim', 'lib', 'builtins.js');

// ------------------------------------------------------------------ PRNG (sfc32, seeded by splitmix32)

function splitmix32(a) {
  return function next() {
    a = (a + 0x9e3779b9) | 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

class Rng {
  constructor(seed) {
    const sm = splitmix32(seed >>> 0);
    this.a = sm(); this.b = sm(); this.c = sm(); this.d = sm();
    for (let i = 0; i < 12; i++) this.u32();
  }
  u32() {
    let { a, b, c, d } = this;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    this.a = a; this.b = b; this.c = c; this.d = d;
    return t >>> 0;
  }
  /** float in [0, 1) */
  f() { return this.u32() / 4294967296; }
  /** integer in [0, n) */
  int(n) { return n <= 0 ? 0 : Math.floor(this.f() * n); }
  /** integer in [lo, hi] */
  range(lo, hi) { return hi < lo ? lo : lo + this.int(hi - lo + 1); }
  chance(p) { return this.f() < p; }
  pick(arr) { return arr[this.int(arr.length)]; }
  /** picks a key of {key: weight} */
  weighted(w) {
    let total = 0;
    for (const k in w) total += w[k];
    let x = this.f() * total;
    for (const k in w) {
      x -= w[k];
      if (x < 0) return k;
    }
    return Object.keys(w)[0];
  }
}

/** A derived 31-bit seed (segment i of seed s, worker j of a segment, ...). */
function derive(seed, ...parts) {
  let h = (seed >>> 0) ^ 0x5bd1e995;
  for (const p of parts) {
    const s = String(p);
    for (let i = 0; i < s.length; i++) {
      h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
    }
    h = splitmix32(h)();
  }
  return h & 0x7fffffff;
}

// ------------------------------------------------------------------ write data

function h32(x) {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}
/** Byte k of the data whose seed is `seed`: every write's bytes are a function of its seed, so
 *  the log needs no copy of them. */
function dataByte(seed, k) {
  return h32((seed ^ Math.imul(k + 1, 0x9e3779b1)) >>> 0) & 255;
}
function dataBytes(seed, n) {
  const b = Buffer.allocUnsafe(n);
  for (let k = 0; k < n; k++) b[k] = dataByte(seed, k);
  return b;
}

// ------------------------------------------------------------------ clock

/** Microseconds since BASE on CLOCK_MONOTONIC (process.hrtime), which every process and thread
 *  of the machine shares: events of the workers and of the truncator process are comparable. */
function makeClock(baseNs) {
  const base = BigInt(baseNs);
  return () => Number(process.hrtime.bigint() - base) / 1000;
}

// ------------------------------------------------------------------ error classification

/**
 * What an exception is:
 *  - 'user': thrown by our own callbacks (Boom) and passed through, as Python does;
 *  - 'py': a Python exception of this copy of the shim (key: its type; OSErrors with the code);
 *  - 'nonpy': anything else: a plain JS error, a SystemError ("pymmap native error"), or a
 *    Python exception of ANOTHER copy of the shim (module reloads must not mix).
 */
class Boom extends Error {
  constructor(msg = 'boom from __index__') { super(msg); this.name = 'Boom'; this.__boom = true; }
}

function classify(e, B) {
  if (e && e.__boom) return { kind: 'user', key: 'Boom (our own exception, passed through)' };
  if (B && e instanceof B.BaseException) {
    const name = e.name;
    if (name === 'SystemError') return { kind: 'nonpy', key: `SystemError: ${e.message}` };
    if (e instanceof B.OSError) return { kind: 'py', key: `${name}${e.code ? ':' + e.code : e.errno != null ? ':' + e.errno : ''}`, os: true, code: e.code };
    return { kind: 'py', key: name };
  }
  if (e && e[Symbol.for('pymmap.pyMro')]) {
    return { kind: 'nonpy', key: `${e.name} of another copy of the shim: ${e.message}` };
  }
  const ctor = e && e.constructor && e.constructor.name;
  return { kind: 'nonpy', key: `${ctor || typeof e}: ${e && e.message !== undefined ? e.message : String(e)}` };
}

// ------------------------------------------------------------------ counters

class Counters {
  constructor() {
    this.ops = Object.create(null);       // operation kind -> count
    this.py = Object.create(null);        // Python exception type -> count
    this.user = 0;                        // our own exceptions passed through
    this.nonpy = Object.create(null);     // key -> count
    this.nonpyExamples = [];              // first few: {key, op, stack}
    this.notes = [];
  }
  op(kind, n = 1) { this.ops[kind] = (this.ops[kind] || 0) + n; }
  err(e, B, opDesc) {
    const c = classify(e, B);
    if (c.kind === 'user') this.user++;
    else if (c.kind === 'py') this.py[c.key] = (this.py[c.key] || 0) + 1;
    else {
      this.nonpy[c.key] = (this.nonpy[c.key] || 0) + 1;
      if (this.nonpyExamples.length < 20 && this.nonpy[c.key] === 1) {
        this.nonpyExamples.push({ key: c.key, op: opDesc || '', stack: String(e && e.stack || '').split('\n').slice(0, 6).join('\n') });
      }
    }
    return c;
  }
  merge(o) {
    for (const k in o.ops) this.ops[k] = (this.ops[k] || 0) + o.ops[k];
    for (const k in o.py) this.py[k] = (this.py[k] || 0) + o.py[k];
    this.user += o.user || 0;
    for (const k in o.nonpy) {
      this.nonpy[k] = (this.nonpy[k] || 0) + o.nonpy[k];
    }
    for (const ex of o.nonpyExamples || []) {
      if (this.nonpyExamples.length < 20 && !this.nonpyExamples.some((x) => x.key === ex.key)) this.nonpyExamples.push(ex);
    }
    for (const n of o.notes || []) this.notes.push(n);
  }
  toJSON() {
    return { ops: this.ops, py: this.py, user: this.user, nonpy: this.nonpy, nonpyExamples: this.nonpyExamples, notes: this.notes };
  }
  static from(o) {
    const c = new Counters();
    c.merge(o);
    return c;
  }
}

function sum(obj) {
  let s = 0;
  for (const k in obj) s += obj[k];
  return s;
}

/** The one line a segment child prints for the driver. */
function emitResult(r) {
  process.stdout.write('STRESS_RESULT ' + JSON.stringify(r) + '\n');
}

/** Sleeps synchronously (the truncator and workers run tight loops). */
const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms) {
  if (ms > 0) Atomics.wait(sleepCell, 0, 0, ms);
}

module.exports = {
  ROOT, RUN_ROOT, SHIM, BUILTINS, Rng, derive, h32, dataByte, dataBytes, makeClock, Boom, classify, Counters, sum, emitResult, sleepMs,
};
