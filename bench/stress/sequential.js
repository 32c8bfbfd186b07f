'use strict';
// Segment child: one thread, exact checks, replayable. Episodes of ~120 random operations on
// two small files and their maps: every method with random and edge arguments, index-like
// arguments whose __index__ closes or resizes the map, truncates or regrows the file through
// another descriptor, exports or releases views, writes or seeks; writes through held views;
// truncations and regrows between calls. After every operation:
//   - the files are compared byte for byte with a model of the writes that returned success
//     (a write that raised OSError part way may or may not have landed; one that raised any
//     other Python exception must have written nothing);
//   - a read's result is compared with the file's bytes (past the end of the file: the call
//     must raise OSError, except in the last partial page, which the kernel serves);
//   - exceptions are classified (Python / ours / anything else).
// Each operation is generated as a line of JS over a small environment (seqenv.js), so an
// episode is a standalone script: findings carry it as their reproduction, and the current
// episode is kept in a trace file so a process death leaves its script behind.
//
//   node bench/stress/sequential.js '<json config>'   -> one STRESS_RESULT line
const fs = require('fs');
const path = require('path');
const { Rng, derive, SHIM, BUILTINS, Counters, emitResult, classify } = require('./common');
const { prelude } = require('./seqenv');

const cfg = JSON.parse(process.argv[2]);
const PS = 4096;
const FULL = 4 * PS;
const CAP = 16 * PS;
const NF = 2;
const EPISODE_OPS = cfg.episodeOps || 120;
const ANY = -1;

const PRELUDE = prelude(SHIM, BUILTINS);
// the saved scripts load the shim from where it will still be (the driver's snapshot is removed)
const REPLAY_PRELUDE = cfg.replayLib ? prelude(path.join(cfg.replayLib, 'index.js'), path.join(cfg.replayLib, 'builtins.js')) : PRELUDE;
// eslint-disable-next-line no-new-func
const S = new Function('require', 'process', PRELUDE + '\nreturn S;')(require, process);
S.quiet = true;
const B = S.B;
const { ACCESS_DEFAULT, ACCESS_READ, ACCESS_WRITE, ACCESS_COPY } = S.M;
const rng = new Rng(derive(cfg.seed, 'sequential'));
const C = new Counters();
const findings = [];
const findingKeys = new Map();
const stats = { episodes: 0, ops: 0, readChecks: 0, readOSErrorsInFile: 0, fileChecks: 0 };
let traceFd = cfg.traceFile ? fs.openSync(cfg.traceFile, 'w') : -1;

// ------------------------------------------------------------------ the file model

class FModel {
  constructor(init) {
    this.val = new Uint8Array(CAP);
    this.val.set(init);
    this.amb = new Map(); // offset -> Set of values, or ANY
    this.size = init.length;
    this.shrunk = false;
  }
  cands(o) {
    const s = this.amb.get(o);
    if (s === ANY) return 'any';
    return s ? [...s] : [this.val[o]];
  }
  has(o, v) {
    const s = this.amb.get(o);
    if (s === ANY) return true;
    return s ? s.has(v) : this.val[o] === v;
  }
  def(o, v) { this.val[o] = v; this.amb.delete(o); }
  maybe(o, v) {
    let s = this.amb.get(o);
    if (s === ANY) return;
    if (v === ANY) { this.amb.set(o, ANY); return; }
    if (!s) { s = new Set([this.val[o]]); this.amb.set(o, s); }
    s.add(v);
  }
  setSize(n) {
    n = Math.min(n, CAP);
    if (n < this.size) {
      // the kernel zeroes the rest of the last page and drops the others
      this.val.fill(0, n);
      for (const o of [...this.amb.keys()]) if (o >= n) this.amb.delete(o);
      this.shrunk = true;
    }
    this.size = n;
  }
  resync(actual) {
    this.size = actual.length;
    this.val.fill(0);
    this.val.set(actual.subarray(0, CAP));
    this.amb.clear();
  }
}
const roundUp = (n) => Math.ceil(n / PS) * PS;

// ------------------------------------------------------------------ episode state

let E; // {files: [path], fm: [FModel], maps: [], exports: [], trace: [], n, changed, findings}

function emitTrace(line) {
  E.trace.push(line);
  if (traceFd >= 0) fs.writeSync(traceFd, line + '\n');
}

function newEpisode() {
  stats.episodes++;
  const contents = [];
  for (let f = 0; f < NF; f++) {
    const b = Buffer.allocUnsafe(FULL);
    for (let i = 0; i < FULL; i++) b[i] = rng.chance(0.05) ? 10 : rng.int(256); // some newlines
    contents.push(b);
  }
  S.m = []; S.x = []; S.fd = []; S.fd2 = []; S.files = [];
  S.setup(contents.map((b) => b.toString('hex')));
  E = { fm: contents.map((b) => new FModel(b)), maps: [], exports: [], trace: [], n: 0, changed: false };
  if (traceFd >= 0) { fs.closeSync(traceFd); traceFd = fs.openSync(cfg.traceFile, 'w'); }
  emitTrace(`// pymmap stress: sequential segment, seed ${cfg.seed}, episode ${stats.episodes}`);
  emitTrace(REPLAY_PRELUDE.trim());
  emitTrace(`S.setup(${JSON.stringify(contents.map((b) => b.toString('hex')))});`);
}

function endEpisode() {
  for (const x of S.x) { try { if (x) x.release(); } catch { /* */ } }
  for (const m of S.m) { try { if (m) m.close(); } catch { /* */ } }
  for (const fd of S.fd.concat(S.fd2)) { try { fs.closeSync(fd); } catch { /* */ } }
  try { fs.rmSync(S.dir, { recursive: true, force: true }); } catch { /* */ }
}

// ------------------------------------------------------------------ findings

function finding(kind, key, detail, extraLines) {
  if (!extraLines) {
    extraLines = kind === 'nonpy' ? [`S.expect(${E.n}, 'python');`]
      : kind === 'lost-write' || kind === 'silent-read' || kind === 'semantic' ? [`S.expect(${E.n}, 'raises');`]
        : [`// ${detail.replace(/\n/g, ' ')}`];
  }
  const k = kind + '|' + key;
  const seen = findingKeys.get(k) || 0;
  findingKeys.set(k, seen + 1);
  if (seen === 0 && findings.length < 40) {
    findings.push({ kind, key, op: E.n, episode: stats.episodes, detail, script: E.trace.concat(extraLines).join('\n') + '\n' });
  }
}

// ------------------------------------------------------------------ model hooks for S.act

const mapOf = (k) => E.maps[k];

function applyWrite(map, idxs, bytes, certain) {
  // idxs: map indices; bytes: values (or ANY)
  if (map.file < 0 || map.access === ACCESS_COPY || map.access === ACCESS_READ) return;
  const fm = E.fm[map.file];
  for (let j = 0; j < idxs.length; j++) {
    const o = map.off + idxs[j];
    const v = bytes[j];
    if (o >= CAP) continue;
    if (o < fm.size) {
      if (certain && v !== ANY) fm.def(o, v);
      else fm.maybe(o, v);
    } else if (o < roundUp(fm.size)) {
      fm.maybe(o, v); // past EOF in the last page: kept or zeroed by a later regrow
      if (certain && v === ANY) fm.maybe(o, ANY);
    } else if (certain) {
      return { lost: o };
    }
  }
  return null;
}

S.hooks = (name, a, ok, err) => {
  C.op('act-' + name);
  E.acts++;
  if (!ok) {
    const c = C.err(err, B, `act ${name}(${a.join(', ')})`);
    if (c.kind === 'nonpy') finding('nonpy', c.key, `inside __index__: act ${name}(${a.join(', ')}): ${c.key}`);
  }
  switch (name) {
    case 'close': if (ok) { mapOf(a[0]).closed = true; E.changed = true; } break;
    case 'resize': {
      const map = mapOf(a[0]);
      if (ok) {
        map.len = a[1];
        if (map.file >= 0 && map.trackfd) E.fm[map.file].setSize(map.off + a[1]);
        E.changed = true;
      } else if (classify(err, B).os) {
        if (map.file >= 0) E.fm[map.file].resync(fs.readFileSync(S.files[map.file]));
        E.changed = true;
      }
      break;
    }
    case 'trunc': if (ok) { E.fm[a[0]].setSize(a[1]); E.changed = true; } break;
    case 'export': if (ok) E.exports[a[1]] = { k: a[0], off: mapOf(a[0]).off, file: mapOf(a[0]).file, access: mapOf(a[0]).access, len: S.x[a[1]].view.length, anon: mapOf(a[0]).file < 0 }; break;
    case 'release': E.exports[a[0]] = null; break;
    case 'write': {
      const map = mapOf(a[0]);
      const bytes = [...Buffer.from(a[2], 'hex')];
      const idxs = bytes.map((_, j) => a[1] + j);
      if (ok) {
        const r = applyWrite(map, idxs, bytes, true);
        if (r) finding('lost-write', 'write inside __index__ returned success past EOF', `file offset ${r.lost}`, [`// act write inside op ${E.n}: file ${map.file} offset ${r.lost} is past the end of the file`]);
      } else if (classify(err, B).os) applyWrite(map, idxs, bytes, false);
      break;
    }
    case 'seek': if (ok) E.changed = true; break;
  }
};

// ------------------------------------------------------------------ argument generators

const hex = (n) => { const b = Buffer.allocUnsafe(n); for (let i = 0; i < n; i++) b[i] = rng.int(256); return b.toString('hex'); };
const openMaps = () => E.maps.filter((m) => m && !m.closed);

/** An action for __index__: [code, description] */
function genAction(k) {
  let map = k >= 0 ? E.maps[k] : null;
  if (!map) {
    // a constructor argument: act on some other map, if any
    map = rng.pick(openMaps()) || null;
    k = map ? map.k : -1;
  }
  let kind = rng.weighted({ close: 3, resize: 3, trunc: 4, export: 2, release: 1, write: 3, seek: 2, boom: 1 });
  if (!map && kind !== 'trunc' && kind !== 'release') kind = 'boom';
  switch (kind) {
    case 'close': return `S.act('close', ${k})`;
    case 'resize': return `S.act('resize', ${k}, ${Math.min(CAP - map.off, rng.chance(0.5) ? rng.range(1, 2 * PS) : PS * rng.range(1, 6))})`;
    case 'trunc': return `S.act('trunc', ${map && map.file >= 0 ? map.file : rng.int(NF)}, ${rng.chance(0.6) ? rng.int(FULL) : FULL})`;
    case 'export': { const j = E.exports.length; E.exports.push(null); return `S.act('export', ${k}, ${j})`; }
    case 'release': { const js = E.exports.map((x, j) => [x, j]).filter(([x]) => x); return js.length ? `S.act('release', ${rng.pick(js)[1]})` : `S.act('boom')`; }
    case 'write': {
      const len = map ? map.len : 0;
      if (len < 1) return `S.act('boom')`;
      const i = rng.int(len);
      return `S.act('write', ${k}, ${i}, '${hex(Math.min(len - i, 1 + rng.int(16)))}')`;
    }
    case 'seek': return `S.act('seek', ${k}, ${rng.int((map ? map.len : 0) + 1)})`;
    default: return `S.act('boom')`;
  }
}

/** An index argument with value v: [code, value-as-passed] */
function ix(v, k) {
  const x = rng.f();
  if (x < 0.62) return [String(v), v];
  if (x < 0.7) return [`${v}n`, v];
  if (x < 0.73) return [`S.ix(${v})`, v];
  if (x < 0.75) return [`S.ix(1.5)`, NaN];
  return [`S.ix(${v}, () => ${genAction(k)})`, v];
}

/** an index near the interesting spots of a sequence of length len */
function anIndex(len) {
  const x = rng.f();
  if (x < 0.7) return rng.int(len + 1);
  if (x < 0.85) return -1 - rng.int(len + 2);
  if (x < 0.95) return len + rng.int(3 * PS);
  return rng.pick([2 ** 53 - 1, -(2 ** 53 - 1), 2 ** 31, -(2 ** 31)]);
}

// ------------------------------------------------------------------ Python semantics used by the checks

function adjust(len, start, stop, step) {
  // PySlice_AdjustIndices
  if (start === null) start = step < 0 ? Infinity : 0;
  if (stop === null) stop = step < 0 ? -Infinity : Infinity;
  if (start < 0) { start += len; if (start < 0) start = step < 0 ? -1 : 0; } else if (start >= len) start = step < 0 ? len - 1 : len;
  if (stop < 0) { stop += len; if (stop < 0) stop = step < 0 ? -1 : 0; } else if (stop >= len) stop = step < 0 ? len - 1 : len;
  let n = 0;
  if (step < 0) { if (stop < start) n = Math.floor((start - stop - 1) / -step) + 1; } else if (start < stop) n = Math.floor((stop - start - 1) / step) + 1;
  const idxs = [];
  for (let j = 0; j < n; j++) idxs.push(start + j * step);
  return idxs;
}

/** What reading map index i gives, from the file as it is: a byte, 'wild' (last page past
 *  EOF: the kernel's business) or 'fault' (a page past EOF: must raise OSError). */
function contentOf(map, actual) {
  return (i) => {
    const o = map.off + i;
    if (o < actual.length) return actual[o];
    if (o < roundUp(actual.length)) return 'wild';
    return 'fault';
  };
}

// ------------------------------------------------------------------ operations

/** Builds one operation: {code, kind, k, apply(ok, result, err, before)} */
function genOp() {
  const open = openMaps();
  const w = {
    open: open.length < 4 ? 8 : 0.5,
    close: open.length ? 2 : 0,
    write: open.length ? 30 : 0,
    read: open.length ? 24 : 0,
    resize: open.length ? 4 : 0,
    move: open.length ? 3 : 0,
    flush: open.length ? 2 : 0,
    trunc: 6,
    export: open.length ? 4 : 0,
    view: E.exports.some((x) => x) ? 8 : 0,
    release: E.exports.some((x) => x) ? 3 : 0,
    odd: open.length ? 2 : 0,
  };
  const kind = rng.weighted(w);
  const map = rng.pick(open);
  const k = map ? map.k : -1;
  const mk = `S.m[${k}]`;
  switch (kind) {
    case 'open': {
      const nk = E.maps.length;
      E.maps.push(null);
      const anon = rng.chance(0.1);
      const f = rng.int(NF);
      const access = rng.pick([ACCESS_DEFAULT, ACCESS_DEFAULT, ACCESS_WRITE, ACCESS_WRITE, ACCESS_READ, ACCESS_COPY]);
      const size = E.fm[f].size;
      const off = rng.chance(0.7) ? 0 : PS * rng.int(Math.floor(size / PS) + 1);
      const len = anon ? PS * rng.range(1, 4) : rng.chance(0.5) ? 0 : rng.range(1, Math.max(1, size - off + (rng.chance(0.1) ? PS : 0)));
      const [lc] = ix(len, -1);
      const [oc] = ix(off, -1);
      const trackfd = !anon && rng.chance(0.05) ? ', trackfd: false' : '';
      const code = anon ? `S.m[${nk}] = new S.mmap(-1, ${lc})` : `S.m[${nk}] = new S.mmap(S.fd[${f}], ${lc}, {access: ${access}, offset: ${oc}${trackfd}})`;
      return {
        code, kind: 'open', k: nk, apply(ok) {
          if (!ok) return;
          const m = S.m[nk];
          E.maps[nk] = { k: nk, file: anon ? -1 : f, off: anon ? 0 : off, len: m.__len__(), pos: 0, access: anon ? ACCESS_DEFAULT : access, closed: false, trackfd: !trackfd };
        },
      };
    }
    case 'close': return { code: `${mk}.close()`, kind: 'close', k };
    case 'trunc': {
      const f = rng.int(NF);
      const x = rng.f();
      const size = x < 0.4 ? rng.int(FULL) : x < 0.6 ? PS * rng.int(5) : x < 0.9 ? FULL : rng.range(FULL, CAP);
      return { code: `S.act('trunc', ${f}, ${size})`, kind: 'trunc', k: -1 };
    }
    case 'export': {
      const j = E.exports.length;
      E.exports.push(null);
      return { code: `S.act('export', ${k}, ${j})`, kind: 'export', k };
    }
    case 'release': {
      const js = E.exports.map((x, j) => [x, j]).filter(([x]) => x);
      const [, j] = rng.pick(js);
      return { code: `S.act('release', ${j})`, kind: 'release', k: -1, apply(ok) { if (ok) E.exports[j] = null; } };
    }
    case 'view': {
      const js = E.exports.map((x, j) => [x, j]).filter(([x]) => x && x.len > 0);
      if (!js.length) return null;
      const [x, j] = rng.pick(js);
      const xm = E.maps[x.k];
      if (rng.chance(0.35)) {
        const i = rng.int(x.len);
        return { code: `S.x[${j}].view[${i}]`, kind: 'view-read', k: -1 };
      }
      const i = rng.int(x.len);
      const n = Math.min(x.len - i, 1 + rng.int(32));
      const h = hex(n);
      return {
        code: `S.x[${j}].view.set(S.b('${h}'), ${i})`, kind: 'view-write', k: -1, apply(ok) {
          if (!ok || x.anon || x.access === ACCESS_READ || x.access === ACCESS_COPY || xm.closed) return;
          // a store through a view is certain only where the file never shrank in this
          // episode (a page that faulted earlier may still be a zero page until the next call)
          const fm = E.fm[x.file];
          const bytes = [...Buffer.from(h, 'hex')];
          const idxs = bytes.map((_, q) => i + q);
          applyWrite(xm, idxs, bytes, !fm.shrunk && idxs.every((q) => x.off + q < fm.size));
        },
      };
    }
    case 'write': return genWrite(map);
    case 'read': return genRead(map);
    case 'resize': {
      let n = rng.chance(0.1) ? anIndex(map.len) : rng.chance(0.5) ? rng.range(1, 2 * PS) : PS * rng.range(1, 7);
      if (n > CAP - map.off) n = rng.chance(0.5) ? CAP - map.off : -1; // no file past CAP
      const [c, v] = ix(n, k);
      return {
        code: `${mk}.resize(${c})`, kind: 'resize', k, apply(ok, r, err) {
          if (ok) {
            map.len = v;
            if (map.file >= 0 && map.trackfd && (map.access === ACCESS_DEFAULT || map.access === ACCESS_WRITE)) E.fm[map.file].setSize(map.off + v);
          } else if (classify(err, B).os && map.file >= 0) {
            E.fm[map.file].resync(fs.readFileSync(S.files[map.file]));
          }
        },
      };
    }
    case 'move': {
      const len = map.len;
      const cnt = rng.int(Math.min(len + 2, 200));
      const d = rng.chance(0.9) ? rng.int(Math.max(1, len - cnt + 1)) : anIndex(len);
      const s = rng.chance(0.9) ? rng.int(Math.max(1, len - cnt + 1)) : anIndex(len);
      const [dc] = ix(d, k), [sc] = ix(s, k), [cc] = ix(cnt, k);
      return {
        code: `${mk}.move(${dc}, ${sc}, ${cc})`, kind: 'move', k, apply(ok, r, err, before) {
          if (map.file < 0 || map.access === ACCESS_COPY || map.access === ACCESS_READ) return;
          const fm = E.fm[map.file];
          const idxs = [], vals = [];
          for (let q = 0; q < cnt; q++) {
            idxs.push(d + q);
            const so = map.off + s + q;
            vals.push(E.changed || E.acts || !before.fm[map.file] || fm.amb.has(so) || so >= fm.size ? ANY : before.fm[map.file][so]);
          }
          if (ok) {
            const lost = applyWrite(map, idxs, vals, true);
            if (lost) finding('lost-write', 'move returned success past EOF', `file offset ${lost.lost}`, [`S.expectPastEof(${E.n}, ${map.file}, ${lost.lost}, ${map.k}, ${lost.lost - map.off});`]);
          } else if (classify(err, B).os) applyWrite(map, idxs, vals.map(() => ANY), false);
        },
      };
    }
    case 'flush': {
      const o = rng.chance(0.7) ? PS * rng.int(Math.floor(map.len / PS) + 1) : anIndex(map.len);
      const [oc] = ix(o, k), [sc] = ix(rng.int(map.len + 1), k);
      return { code: rng.chance(0.3) ? `${mk}.flush()` : `${mk}.flush(${oc}, ${sc})`, kind: 'flush', k };
    }
    case 'odd': {
      const other = rng.pick(openMaps());
      const x = rng.int(6);
      const code = x === 0 ? `${mk}.write(S.m[${other.k}])`
        : x === 1 ? `${mk}.__setitem__(S.sl(0, S.m[${other.k}].__len__()), S.m[${other.k}])`
          : x === 2 ? `${mk}.find(S.m[${other.k}])`
            : x === 3 ? `${mk}.madvise(${rng.pick([S.M.MADV_NORMAL, S.M.MADV_DONTNEED, S.M.MADV_WILLNEED, S.M.MADV_RANDOM])}, ${ix(PS * rng.int(3), k)[0]}, ${ix(rng.int(map.len + 1), k)[0]})`
              : x === 4 ? `${mk}.seek(${ix(anIndex(map.len), k)[0]}, ${rng.int(4)})`
                : `${mk}.__getitem__(S.sl(${ix(anIndex(map.len), k)[0]}, null, ${ix(rng.pick([-1, -3, 2, 0]), k)[0]}))`;
      return {
        code, kind: 'odd', k, apply(ok, r, err) {
          // writes whose data is a map: any value within reach
          if ((x === 0 || x === 1) && map.file >= 0 && (map.access === ACCESS_DEFAULT || map.access === ACCESS_WRITE)) {
            const fm = E.fm[map.file];
            for (let o = map.off; o < Math.min(CAP, map.off + Math.max(map.len, 0)); o++) if (o < roundUp(fm.size)) fm.maybe(o, ANY);
          }
        },
      };
    }
  }
  return null;
}

function genWrite(map) {
  const k = map.k, mk = `S.m[${k}]`, len = map.len;
  const how = rng.weighted({ write: 8, slice: 8, step: 3, item: 5, byte: 4 });
  if (how === 'write') {
    const n = rng.chance(0.9) ? rng.int(Math.max(0, len - map.pos) + 1) : rng.int(64) + 1;
    const h = hex(Math.min(n, 4096));
    return {
      code: `${mk}.write(S.b('${h}'))`, kind: 'write', k, apply(ok, r, err, before) {
        const bytes = [...Buffer.from(h, 'hex')];
        const idxs = bytes.map((_, q) => before.pos + q);
        settleWrite(map, ok, err, [idxs], bytes, 'write');
      },
    };
  }
  if (how === 'slice' || how === 'step') {
    const a = rng.chance(0.85) ? rng.int(len + 1) : anIndex(len);
    const step = how === 'slice' ? (rng.chance(0.8) ? null : 1) : rng.pick([2, 3, 5, -1, -2, -7, 4096]);
    const b = rng.chance(0.8) ? (step !== null && step < 0 ? rng.int(Math.max(1, a)) - 1 : a + rng.int(256)) : rng.chance(0.5) ? null : anIndex(len);
    const aa = rng.chance(0.1) ? null : a;
    const idx0 = adjust(len, aa, b, step === null ? 1 : step);
    const n = rng.chance(0.92) ? idx0.length : idx0.length + rng.pick([-1, 1]);
    const h = hex(Math.max(0, n));
    const [ac, av] = aa === null ? ['null', null] : ix(aa, k);
    const [bc, bv] = b === null ? ['null', null] : ix(b, k);
    const [sc, sv] = step === null ? ['null', null] : ix(step, k);
    return {
      code: `${mk}.__setitem__(S.sl(${ac}, ${bc}, ${sc}), S.b('${h}'))`, kind: how === 'slice' ? 'setslice' : 'setstep', k,
      apply(ok, r, err, before) {
        const bytes = [...Buffer.from(h, 'hex')];
        const st = sv === null ? 1 : sv;
        const lens = [...new Set([before.len, map.len])];
        const interps = lens.map((L) => adjust(L, av, bv, st)).filter((ii) => ii.length === bytes.length);
        settleWrite(map, ok, err, interps, bytes, 'slice');
      },
    };
  }
  if (how === 'item') {
    const i = rng.chance(0.85) ? rng.int(len) : anIndex(len);
    const v = rng.chance(0.95) ? rng.int(256) : rng.pick([256, -1, 1000]);
    const [ic, iv] = ix(i, k), [vc, vv] = ix(v, k);
    return {
      code: `${mk}.__setitem__(${ic}, ${vc})`, kind: 'setitem', k, apply(ok, r, err, before) {
        const interps = [...new Set([before.len, map.len])].map((L) => [iv < 0 ? iv + L : iv]);
        // CPython does not check the index again after the value's __index__ ran (issue 10,
        // class 6): an index the shrunk map no longer covers is a dropped store, as in CPython
        // (which writes past the map), not a lost write.
        const covered = interps.filter(([i]) => i >= 0 && i < map.len);
        if (ok && !map.closed && covered.length === 0) return;
        settleWrite(map, ok, err, ok ? covered : interps, [vv], 'setitem');
      },
    };
  }
  const v = rng.chance(0.95) ? rng.int(256) : rng.pick([256, -1]);
  const [vc, vv] = ix(v, k);
  return {
    code: `${mk}.write_byte(${vc})`, kind: 'write_byte', k, apply(ok, r, err, before) {
      settleWrite(map, ok, err, [...new Set([before.pos, E.posAfterConv ?? before.pos])].map((p) => [p]), [vv], 'write_byte');
    },
  };
}

/** A write op's effect: interps = the index lists it may have written (CPython's, and, when
 *  __index__ changed the map, the one with the old length/position). */
function settleWrite(map, ok, err, interps, bytes, what) {
  if (map.file < 0 || map.access === ACCESS_COPY || map.access === ACCESS_READ) return;
  if (!ok) {
    if (classify(err, B).os) for (const ii of interps) applyWrite(map, ii, bytes, false);
    return;
  }
  if (map.closed) {
    finding('semantic', `${what} returned success on a map closed by __index__`, '');
    return;
  }
  if (!interps.length) {
    finding('semantic', `${what} returned success though no reading of its arguments fits the data length`, '');
    return;
  }
  const distinct = [...new Set(interps.map((ii) => ii.join(',')))];
  const certain = distinct.length === 1;
  for (const ii of interps) {
    const lost = applyWrite(map, ii, bytes, certain);
    if (lost) finding('lost-write', `${what} returned success past EOF`, `file offset ${lost.lost} (file size ${E.fm[map.file].size})`, [`S.expectPastEof(${E.n}, ${map.file}, ${lost.lost}, ${map.k}, ${lost.lost - map.off});`]);
  }
}

function genRead(map) {
  const k = map.k, mk = `S.m[${k}]`, len = map.len;
  const how = rng.weighted({ read: 5, read_byte: 3, readline: 3, getitem: 5, getslice: 5, find: 3, rfind: 2, contains: 1, size: 1, seek: 4 });
  const check = (fn) => ({ check: fn });
  switch (how) {
    case 'seek': {
      const p = rng.chance(0.85) ? rng.int(len + 1) : anIndex(len);
      const [pc] = ix(p, k);
      return { code: `${mk}.seek(${pc})`, kind: 'seek', k };
    }
    case 'read': {
      const n = rng.chance(0.2) ? null : rng.chance(0.1) ? -1 : rng.int(2 * PS);
      const [nc, nv] = n === null ? ['', null] : ix(n, k);
      return {
        code: `${mk}.read(${nc})`, kind: 'read', k, ...check((before) => {
          const p = before.pos;
          const rem = Math.max(0, before.len - p);
          const cnt = nv === null || nv < 0 ? rem : Math.min(nv, rem);
          const ii = [];
          for (let q = 0; q < cnt; q++) ii.push(p + q);
          return { idxs: ii };
        }),
      };
    }
    case 'read_byte': return { code: `${mk}.read_byte()`, kind: 'read_byte', k, ...check((b) => (b.pos < b.len ? { idxs: [b.pos], single: true } : null)) };
    case 'readline': return { code: `${mk}.readline()`, kind: 'readline', k, ...check((b, content) => {
      const ii = [];
      for (let i = b.pos; i < b.len; i++) {
        const c = content(i);
        ii.push(i);
        if (c === 'wild') return null; // cannot tell where the line ends
        if (c === 'fault' || c === 10) break;
      }
      return { idxs: ii };
    }) };
    case 'getitem': {
      const i = rng.chance(0.85) ? rng.int(len + 1) - (rng.chance(0.3) ? len : 0) : anIndex(len);
      const [ic, iv] = ix(i, k);
      return { code: `${mk}.__getitem__(${ic})`, kind: 'getitem', k, ...check((b) => {
        const j = iv < 0 ? iv + b.len : iv;
        return j >= 0 && j < b.len ? { idxs: [j], single: true } : null;
      }) };
    }
    case 'getslice': {
      const a = rng.chance(0.85) ? rng.int(len + 1) : anIndex(len);
      const e = rng.chance(0.8) ? a + rng.int(3 * PS) : anIndex(len);
      const st = rng.chance(0.7) ? null : rng.pick([1, 2, 3, -1, -5, 4097]);
      const [ac, av] = ix(a, k), [ec, ev] = ix(e, k);
      const [sc, sv] = st === null ? ['null', null] : ix(st, k);
      return { code: `${mk}.__getitem__(S.sl(${ac}, ${ec}, ${sc}))`, kind: 'getslice', k, ...check((b) => ({ idxs: adjust(b.len, av, ev, sv === null ? 1 : sv) })) };
    }
    case 'find': case 'rfind': {
      const sub = hex(rng.range(0, 3));
      const s = rng.chance(0.7) ? null : anIndex(len);
      const e = s === null || rng.chance(0.5) ? null : anIndex(len);
      const args = [`S.b('${sub}')`];
      let sv = null, ev = null;
      if (s !== null) { const [c, v] = ix(s, k); args.push(c); sv = v; }
      if (e !== null) { const [c, v] = ix(e, k); args.push(c); ev = v; }
      return { code: `${mk}.${how}(${args.join(', ')})`, kind: how, k, ...check((b, content) => {
        let start = sv === null ? b.pos : sv, end = ev === null ? b.len : ev;
        const size = b.len;
        if (start < 0) { start += size; if (start < 0) start = 0; } else if (start > size) start = size;
        if (end < 0) { end += size; if (end < 0) end = 0; } else if (end > size) end = size;
        const ii = [];
        for (let i = start; i < end; i++) ii.push(i);
        return { idxs: ii, find: { sub: Buffer.from(sub, 'hex'), start, end, reverse: how === 'rfind' } };
      }) };
    }
    case 'contains': return { code: `${mk}.__contains__(S.b('${hex(1)}'))`, kind: 'contains', k };
    default: return { code: `${mk}.size()`, kind: 'size', k };
  }
}

// ------------------------------------------------------------------ running one operation

function runOp(op) {
  E.n++;
  stats.ops++;
  const line = `S.op(${E.n}, () => (${op.code}));`;
  emitTrace(line);
  C.op(op.kind);
  const map = op.k >= 0 ? E.maps[op.k] : null;
  const before = map ? { len: map.len, pos: map.pos, fm: {} } : { fm: {} };
  if (op.kind === 'move') for (let f = 0; f < NF; f++) before.fm[f] = E.fm[f].val.slice();
  E.changed = false;
  E.acts = 0;
  E.posAfterConv = undefined;
  let ok = true, r, err;
  // eslint-disable-next-line no-new-func
  const fn = new Function('S', `return (${op.code});`);
  try {
    r = fn(S);
  } catch (e) {
    ok = false;
    err = e;
  }
  // the map's state as the shim sees it now
  for (const m of E.maps) {
    if (!m || m.closed) continue;
    const o = S.m[m.k];
    if (o.closed) { m.closed = true; continue; }
    try { m.len = o.__len__(); m.pos = o.tell(); } catch { /* */ }
  }
  if (!ok) {
    const c = C.err(err, B, op.code);
    if (c.kind === 'nonpy') finding('nonpy', c.key, `${op.code}: ${c.key}\n${String(err && err.stack).split('\n').slice(0, 4).join('\n')}`);
  }
  if (op.kind === 'write_byte' && E.changed && map) E.posAfterConv = ok ? map.pos - 1 : map.pos;
  if (op.apply) op.apply(ok, r, err, before);
  // ---- reads against the file
  if (op.check && map && !E.changed && map.file >= 0 && map.access !== ACCESS_COPY) {
    const actual = fs.readFileSync(S.files[map.file]);
    const content = contentOf(map, actual);
    const exp = op.check(before, content);
    if (exp) checkRead(op, exp, content, ok, r, err, map);
  }
  // ---- the files against the model
  stats.fileChecks++;
  for (let f = 0; f < NF; f++) {
    const actual = fs.readFileSync(S.files[f]);
    const fm = E.fm[f];
    let bad = -1;
    if (actual.length !== fm.size) bad = -2;
    else for (let o = 0; o < actual.length; o++) if (!fm.has(o, actual[o])) { bad = o; break; }
    if (bad !== -1) {
      if (bad === -2) {
        finding('mismatch', `file size differs from the model after ${op.kind}`, `file ${f} is ${actual.length} bytes, model ${fm.size}`);
      } else {
        const cands = fm.cands(bad);
        finding('mismatch', `file contents differ from the model after ${op.kind}`, `file ${f} offset ${bad}: ${actual[bad]}, model ${JSON.stringify(cands)}`,
          cands === 'any' ? [] : [`S.expectBytes(${f}, ${bad}, ${JSON.stringify(cands)});`]);
      }
      fm.resync(actual);
    }
  }
}

function checkRead(op, exp, content, ok, r, err, map) {
  stats.readChecks++;
  const { idxs } = exp;
  const faults = idxs.some((i) => content(i) === 'fault');
  if (!ok) {
    const c = classify(err, B);
    if (c.os && !faults) stats.readOSErrorsInFile++;
    return;
  }
  if (exp.find) {
    // find stops at its first match, so it may legitimately never touch pages past EOF;
    // rfind starts from the end. Unknown bytes (last page past EOF) before a match: no check.
    const { sub, start, end, reverse } = exp.find;
    if (sub.length === 0 || end - start < sub.length) {
      // nothing to scan: no page is touched
      const want = end - start < sub.length ? -1 : reverse ? end : start;
      if (r !== want) finding('wrong-read', `${op.kind} result differs`, `${op.code} gave ${r}, expected ${want} ${mapDesc(map)}`);
      return;
    }
    const cs = idxs.map((i) => content(i));
    if (reverse) {
      if (faults) finding('silent-read', `rfind over pages past the end of the file returned instead of raising OSError`, `${op.code} gave ${r} ${mapDesc(map)}`, [`S.expectPastEof(${E.n}, ${map.file}, ${map.off + idxs[cs.indexOf('fault')]}, ${map.k}, ${idxs[cs.indexOf('fault')]});`]);
      else if (!cs.includes('wild')) {
        const at = Buffer.from(cs).lastIndexOf(sub);
        const want = at < 0 ? -1 : at + start;
        if (r !== want) finding('wrong-read', `rfind result differs from the file`, `${op.code} gave ${r}, the file says ${want} ${mapDesc(map)}`);
      }
      return;
    }
    // the first match whose bytes are all known, if no unknown byte comes before it
    let want = null;
    for (let p = 0; p + sub.length <= cs.length; p++) {
      let unknown = false, match = true;
      for (let q = 0; q < sub.length; q++) {
        const c = cs[p + q];
        if (c === 'wild' || c === 'fault') { unknown = true; break; }
        if (c !== sub[q]) { match = false; break; }
      }
      if (unknown) break;
      if (match) { want = p + start; break; }
    }
    if (want === null) {
      const firstFault = cs.indexOf('fault');
      if (faults && !cs.slice(0, firstFault).includes('wild')) {
        finding('silent-read', `find that had to scan pages past the end of the file returned instead of raising OSError`, `${op.code} gave ${r} ${mapDesc(map)}`, [`S.expectPastEof(${E.n}, ${map.file}, ${map.off + idxs[firstFault]}, ${map.k}, ${idxs[firstFault]});`]);
      } else if (!faults && !cs.includes('wild') && r !== -1) {
        finding('wrong-read', `find result differs from the file`, `${op.code} gave ${r}, the file says -1 ${mapDesc(map)}`);
      }
      return;
    }
    if (r !== want) finding('wrong-read', `find result differs from the file`, `${op.code} gave ${r}, the file says ${want} ${mapDesc(map)}`);
    return;
  }
  if (faults) {
    const fo = map.off + idxs.find((i) => content(i) === 'fault');
    finding('silent-read', `${op.kind} past the end of the file returned data instead of raising OSError`, `${op.code} ${mapDesc(map)} indices ${idxs[0]}..${idxs[idxs.length - 1]}`, [`S.expectPastEof(${E.n}, ${map.file}, ${fo}, ${map.k}, ${fo - map.off});`]);
    return;
  }
  const got = exp.single ? [r] : [...r];
  if (got.length !== idxs.length) {
    finding('wrong-read', `${op.kind} returned ${got.length} bytes, expected ${idxs.length}`, `${op.code} ${mapDesc(map)}`);
    return;
  }
  for (let q = 0; q < idxs.length; q++) {
    const c = content(idxs[q]);
    if (c !== 'wild' && c !== got[q]) {
      finding('wrong-read', `${op.kind} returned bytes that differ from the file`, `${op.code}: map index ${idxs[q]} (file offset ${map.off + idxs[q]}) read ${got[q]}, file has ${c} ${mapDesc(map)}`);
      return;
    }
  }
}

function mapDesc(m) {
  return `[map ${m.k}: file ${m.file} access ${m.access} offset ${m.off} len ${m.len}]`;
}

// ------------------------------------------------------------------ main

const t0 = Date.now();
const end = t0 + cfg.seconds * 1000;
while (Date.now() < end) {
  newEpisode();
  for (let q = 0; q < EPISODE_OPS && Date.now() < end; q++) {
    const op = genOp();
    if (op) runOp(op);
  }
  endEpisode();
}
if (traceFd >= 0) { fs.closeSync(traceFd); fs.rmSync(cfg.traceFile, { force: true }); }
emitResult({
  segment: cfg.name, node: process.version, seed: cfg.seed, ms: Date.now() - t0, stats,
  counters: C.toJSON(), findings, findingCounts: Object.fromEntries(findingKeys), harnessErrors: [],
});
