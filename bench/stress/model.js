'use strict';
// The interval model of one file: what its final contents may be, given every write and every
// size change that happened to it, each with the interval [t0, t1] of the call (a shared
// monotonic clock, microseconds), from any thread or process.
//
// Each byte (and the file size) is a register. An event either certainly took effect
// ("mandatory": the call returned success) or maybe did ("optional": it raised an OSError part
// way, or its thread was terminated during it). An event E can be the last one to have written a
// byte unless some mandatory event F on that byte certainly came after it (F.t0 > E.t1 + MARGIN).
// So the byte's candidate values are: the values of every event E on it with E.t1 + MARGIN >=
// T*, where T* is the latest start of a mandatory event on the byte; plus the initial value if no
// mandatory event touched it. Nothing here assumes an order between overlapping calls.
//
// Events:
//   WRITE   bytes start + k*step (k < count) get dataByte(seed, k)
//   MOVE    bytes start..start+count-1 get values we do not model (any value is accepted)
//   SETSIZE the file becomes `size` long: every byte at or past `size` reads 0 afterwards
//           (a later regrow fills zeros; bytes past the end are 0 in the model)
//
// One kernel liberty is modelled: a store through a mapping into the last, partial page of a
// file that was truncated to L (offsets [L, roundup(L))) does not fault; it lands in the page
// cache past EOF, and whether a later regrow shows it or zeros is up to the filesystem. So a
// write that may have happened while such a shrink was in force may also have left 0.
const { dataByte } = require('./common');

const WRITE = 1, MOVE = 2, SETSIZE = 3;
const OK = 1, MAYBE = 2;
const MARGIN = 50; // us: slack for clock reads around the memory effect
const ANY = -1;

/**
 * @param {object} f  {full, cap, ps, initial: Buffer (length full)}
 * @param {Array} events  [{kind, start, step, count, seed, size, t0, t1, status, who}] (status OK or MAYBE)
 * @param {Buffer} actual  the file's final contents
 * @returns {{ok, sizeOk, size, sizeCands, firstDiff, diffCount, ambiguous, detail}}
 */
function evaluate(f, events, actual) {
  const { full, cap, ps, initial } = f;
  const T = new Float64Array(cap).fill(-Infinity);
  // -------- pass 1: T*[o]
  const sizeStart = new Float64Array(cap + 1).fill(-Infinity); // mandatory SETSIZE: latest t0 per size
  const sizeEnd = new Float64Array(cap + 1).fill(-Infinity);   // any SETSIZE: latest t1 per size
  let tSize = -Infinity;
  const sets = [];
  for (const e of events) {
    if (e.kind === SETSIZE) {
      const L = Math.min(e.size, cap);
      sets.push(e);
      if (e.status === OK) {
        if (e.t0 > sizeStart[L]) sizeStart[L] = e.t0;
        if (e.t0 > tSize) tSize = e.t0;
      }
      if (e.t1 > sizeEnd[L]) sizeEnd[L] = e.t1;
    } else if (e.status === OK) {
      for (let k = 0; k < e.count; k++) {
        const o = e.start + k * e.step;
        if (o >= 0 && o < cap && e.t0 > T[o]) T[o] = e.t0;
      }
    }
  }
  // a SETSIZE to L touches every byte >= L: prefix maxima over L
  const Zend = new Float64Array(cap);
  {
    let ms = -Infinity, me = -Infinity;
    for (let o = 0; o < cap; o++) {
      if (sizeStart[o] > ms) ms = sizeStart[o];
      if (sizeEnd[o] > me) me = sizeEnd[o];
      if (ms > T[o]) T[o] = ms;
      Zend[o] = me;
    }
  }
  // -------- tail windows: shrinks to an unaligned L, and until when they may have been in force
  sets.sort((a, b) => a.t0 - b.t0);
  const tails = new Map(); // page -> [{L, t0, wend}]
  for (let i = 0; i < sets.length; i++) {
    const z = sets[i];
    const L = z.size;
    if (L % ps === 0 || L >= cap) continue;
    let wend = Infinity;
    for (let j = i + 1; j < sets.length; j++) {
      const g = sets[j];
      if (g.status === OK && g.t0 > z.t1 + MARGIN) { wend = g.t1; break; }
    }
    const page = Math.floor(L / ps);
    if (!tails.has(page)) tails.set(page, []);
    tails.get(page).push({ L, t0: z.t0, wend });
  }
  const inTailWindow = (o, e) => {
    const list = tails.get(Math.floor(o / ps));
    if (!list) return false;
    for (const z of list) {
      if (z.L <= o && z.t0 <= e.t1 + MARGIN && z.wend + MARGIN >= e.t0) return true;
    }
    return false;
  };
  // -------- pass 2: candidates
  // one value per byte in `one` (or -2: none yet), more in `many` (Set, or ANY)
  const one = new Int16Array(cap).fill(-2);
  const many = new Map();
  const add = (o, v) => {
    if (one[o] === -2) { one[o] = v; return; }
    if (one[o] === v) return;
    let s = many.get(o);
    if (s === ANY) return;
    if (v === ANY) { many.set(o, ANY); return; }
    if (!s) { s = new Set([one[o]]); many.set(o, s); }
    s.add(v);
  };
  for (const e of events) {
    if (e.kind === SETSIZE) continue;
    for (let k = 0; k < e.count; k++) {
      const o = e.start + k * e.step;
      if (o < 0 || o >= cap) continue;
      if (e.t1 + MARGIN < T[o]) continue;
      if (e.kind === MOVE) add(o, ANY);
      else {
        add(o, dataByte(e.seed, k));
        if (inTailWindow(o, e)) add(o, 0);
      }
    }
  }
  for (let o = 0; o < cap; o++) {
    if (Zend[o] + MARGIN >= T[o] && Zend[o] > -Infinity) add(o, 0);
    if (T[o] === -Infinity) add(o, o < full ? initial[o] : 0);
  }
  // -------- size
  const sizeCands = new Set();
  for (const z of sets) if (z.t1 + MARGIN >= tSize) sizeCands.add(z.size);
  if (tSize === -Infinity) sizeCands.add(full);
  // -------- compare
  const has = (o, v) => {
    if (one[o] === v || one[o] === ANY) return true;
    const s = many.get(o);
    return s === ANY || (s !== undefined && s.has(v));
  };
  const size = actual.length;
  const sizeOk = sizeCands.has(size);
  let firstDiff = -1, diffCount = 0;
  const n = Math.min(size, cap);
  for (let o = 0; o < n; o++) {
    if (!has(o, actual[o])) {
      if (firstDiff < 0) firstDiff = o;
      diffCount++;
    }
  }
  let ambiguous = 0;
  for (const [, s] of many) if (s === ANY || s.size > 1) ambiguous++;
  const r = { ok: sizeOk && diffCount === 0 && size <= cap, sizeOk, size, sizeCands: [...sizeCands].slice(0, 8), firstDiff, diffCount, ambiguous };
  if (firstDiff >= 0) {
    const o = firstDiff;
    const s = many.get(o);
    r.detail = {
      offset: o,
      actual: actual[o],
      candidates: s === ANY || one[o] === ANY ? 'any' : s ? [...s] : [one[o]],
      tStar: T[o],
      // the events on this byte, latest first: enough to tell a model bug from a pymmap bug
      events: events.filter((e) => {
        if (e.kind === SETSIZE) return e.size <= o;
        for (let k = 0; k < e.count; k++) if (e.start + k * e.step === o) return true;
        return false;
      }).sort((a, b) => b.t0 - a.t0).slice(0, 8).map((e) => {
        const d = { kind: ['', 'write', 'move', 'setsize'][e.kind], who: e.who, status: e.status === OK ? 'ok' : 'maybe', t0: +e.t0.toFixed(1), t1: +e.t1.toFixed(1) };
        if (e.kind === SETSIZE) d.size = e.size;
        else {
          const k = (o - e.start) / e.step;
          d.value = e.kind === WRITE ? dataByte(e.seed, k) : 'any';
          d.range = `${e.start}+${e.step}*${e.count}`;
        }
        if (e.note) d.note = e.note;
        return d;
      }),
    };
  }
  return r;
}

module.exports = { evaluate, WRITE, MOVE, SETSIZE, OK, MAYBE, MARGIN };
