'use strict';
// Segment child: module reloads. Three copies of the shim live in one process over the one
// addon (the shim/lib entries are deleted from require.cache before each require, as jest's
// isolateModules or a hot reload does). Operations of the copies are interleaved at random on
// their own maps and on maps of one shared file. Checked after every operation:
//   - an exception raised by copy X is a Python exception of copy X's classes (instanceof
//     X.OSError etc.), never one of another copy's classes nor a plain JS error;
//   - every read result equals the file's bytes at the time;
//   - results handed out earlier (kept, up to a few hundred) are unchanged after the other
//     copies did work (the copies must not share buffers);
//   - the files equal a model of the writes.
//   node bench/stress/reload.js '<json config>'  -> one STRESS_RESULT line
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Rng, derive, RUN_ROOT, Counters, emitResult, classify } = require('./common');

const cfg = JSON.parse(process.argv[2]);
const rng = new Rng(derive(cfg.seed, 'reload'));
const C = new Counters();
const PS = 4096;
const SIZE = 8 * PS;
const libDir = path.join(RUN_ROOT, 'shim', 'lib') + path.sep;

function loadCopy() {
  for (const k of Object.keys(require.cache)) if (k.startsWith(libDir)) delete require.cache[k];
  const mod = require(path.join(libDir, 'index.js'));
  const B = require(path.join(libDir, 'builtins.js'));
  return { mod, B };
}
const copies = [loadCopy(), loadCopy(), loadCopy()];
copies.forEach((c, i) => { c.name = 'ABC'[i]; });
const distinct = new Set(copies.map((c) => c.mod.mmap)).size === 3 && new Set(copies.map((c) => c.B.OSError)).size === 3;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-stress-reload-'));
process.on('exit', () => { try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* */ } });
// files: 0 shared by all copies; 1..3 one per copy; 4: a file that gets truncated (OSErrors)
const files = [];
for (let f = 0; f < 5; f++) {
  const p = path.join(dir, `f${f}`);
  const b = Buffer.allocUnsafe(SIZE);
  for (let i = 0; i < SIZE; i++) b[i] = rng.chance(0.03) ? 10 : rng.int(256);
  fs.writeFileSync(p, b);
  files.push({ p, fd: fs.openSync(p, 'r+'), model: Buffer.from(b) });
}

const maps = []; // {c, m, file}
const kept = []; // {buf, copy: Buffer, by}
const findings = [];
const findingCounts = {};
function finding(kind, key, detail) {
  const k = kind + '|' + key;
  findingCounts[k] = (findingCounts[k] || 0) + 1;
  if (findingCounts[k] === 1 && findings.length < 20) findings.push({ kind, key, detail, op: ops });
}
let ops = 0;

function run(c, what, fn) {
  C.op(what);
  ops++;
  try {
    return { ok: true, v: fn() };
  } catch (e) {
    const own = classify(e, c.B);
    if (own.kind === 'py') {
      C.py[own.key] = (C.py[own.key] || 0) + 1;
    } else if (own.kind === 'nonpy') {
      // whose class is it?
      const other = copies.find((o) => o !== c && e instanceof o.B.BaseException);
      const key = other ? `copy ${c.name}'s ${what} raised ${e.name} of copy ${other.name}'s classes` : own.key;
      C.nonpy[key] = (C.nonpy[key] || 0) + 1;
      finding('nonpy', key, `${what}: ${e && e.name}: ${e && e.message}`);
    } else C.user++;
    return { ok: false, e };
  }
}

function keep(buf, by) {
  if (!Buffer.isBuffer(buf) || !buf.length) return;
  kept.push({ buf, copy: Buffer.from(buf), by });
  if (kept.length > 300) kept.splice(rng.int(kept.length), 1);
}

function checkKept() {
  for (let q = 0; q < 8 && kept.length; q++) {
    const k = kept[rng.int(kept.length)];
    if (!k.buf.equals(k.copy)) {
      let d = 0;
      while (d < k.buf.length && k.buf[d] === k.copy[d]) d++;
      finding('corrupted-result', `a result of copy ${k.by} changed after other copies worked`, `byte ${d} of ${k.buf.length}: was ${k.copy[d]}, now ${k.buf[d]}`);
      kept.splice(kept.indexOf(k), 1);
    }
  }
}

function step() {
  const c = rng.pick(copies);
  const own = maps.filter((x) => x.c === c && !x.m.closed);
  const x = rng.f();
  if (!own.length || (x < 0.08 && own.length < 4)) {
    const file = rng.chance(0.5) ? 0 : rng.chance(0.8) ? 1 + copies.indexOf(c) : 4;
    const r = run(c, 'open', () => new c.mod.mmap(files[file].fd, 0));
    if (r.ok) maps.push({ c, m: r.v, file });
    return;
  }
  const mp = rng.pick(own);
  const m = mp.m;
  const F = files[mp.file];
  const len = (() => { try { return m.__len__(); } catch { return 0; } })();
  const size = fs.fstatSync(F.fd).size;
  const inFile = (a, b) => b <= size;
  switch (rng.weighted({ readslice: 6, readline: 4, read: 3, write: 6, find: 2, close: 1, error: 3, trunc: mp.file === 4 ? 2 : 0, gc: 0.3, pool: 1, drop: 0.3 })) {
    case 'readslice': {
      const a = rng.int(len), n = rng.chance(0.8) ? rng.int(300) : rng.int(20000);
      const r = run(c, 'getslice', () => m.__getitem__(new c.B.slice(a, a + n)));
      if (r.ok) {
        const want = F.model.subarray(a, Math.min(a + n, len));
        if (inFile(a, a + n) && !want.equals(r.v)) finding('wrong-read', `copy ${c.name} slice differs from the file`, `[${a}:${a + n}]`);
        keep(r.v, c.name);
      }
      break;
    }
    case 'readline': {
      run(c, 'seek', () => m.seek(rng.int(len)));
      const p = m.tell();
      const r = run(c, 'readline', () => m.readline());
      if (r.ok && inFile(p, len)) {
        let e = F.model.indexOf(10, p);
        e = e < 0 || e >= len ? len : e + 1;
        if (!F.model.subarray(p, e).equals(r.v)) finding('wrong-read', `copy ${c.name} readline differs from the file`, `at ${p}: got ${r.v.length} bytes`);
        keep(r.v, c.name);
      }
      break;
    }
    case 'read': {
      run(c, 'seek', () => m.seek(rng.int(len)));
      const p = m.tell();
      const n = rng.int(600);
      const r = run(c, 'read', () => m.read(n));
      if (r.ok && inFile(p, p + n)) {
        if (!F.model.subarray(p, Math.min(p + n, len)).equals(r.v)) finding('wrong-read', `copy ${c.name} read differs from the file`, `at ${p}`);
        keep(r.v, c.name);
      }
      break;
    }
    case 'write': {
      const a = rng.int(len), n = Math.min(len - a, 1 + rng.int(64));
      const data = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) data[i] = rng.int(256);
      const r = run(c, 'setslice', () => m.__setitem__(new c.B.slice(a, a + n), data));
      if (r.ok && a + n <= size) data.copy(F.model, a);
      else if (!r.ok && mp.file !== 4) { /* a raise before writing: nothing to model */ }
      break;
    }
    case 'find': {
      const needle = Buffer.from([rng.int(256), rng.int(256)]);
      const r = run(c, 'find', () => m.find(needle, 0));
      if (r.ok && inFile(0, len)) {
        const want = F.model.subarray(0, len).indexOf(needle);
        if (r.v !== want) finding('wrong-read', `copy ${c.name} find differs`, `${r.v} vs ${want}`);
      }
      break;
    }
    case 'close': run(c, 'close', () => m.close()); break;
    case 'error': {
      // Python exceptions of every kind, to see whose classes they are
      const e = rng.int(5);
      if (e === 0) run(c, 'read_byte-at-end', () => { m.seek(len); return m.read_byte(); });
      else if (e === 1) run(c, 'getitem-out-of-range', () => m.__getitem__(len + 5));
      else if (e === 2) run(c, 'write-readonly', () => new c.mod.mmap(F.fd, 0, { access: c.mod.ACCESS_READ }).write(Buffer.from('x')));
      else if (e === 3) run(c, 'closed-map', () => { const t = new c.mod.mmap(F.fd, PS); t.close(); return t.read(1); });
      else run(c, 'bad-offset', () => new c.mod.mmap(F.fd, PS, { offset: 123 }));
      break;
    }
    case 'trunc': {
      // file 4 shrinks under every copy's maps: reads past the end must be OSErrors of the
      // reading copy; then it grows back
      fs.ftruncateSync(F.fd, PS * rng.int(4));
      C.op('ftruncate');
      const r = run(c, 'read-truncated', () => m.__getitem__(new c.B.slice(len - 10, len)));
      if (r.ok) finding('silent-read', `copy ${c.name} read past EOF returned data`, '');
      else if (!(r.e instanceof c.B.OSError)) { /* counted by run() */ }
      fs.ftruncateSync(F.fd, SIZE);
      F.truncated = true; // the model is reloaded from the file (zeros past the shrink point)
      break;
    }
    case 'gc': if (global.gc) { global.gc(); C.op('gc'); } break;
    case 'drop': maps.splice(maps.indexOf(mp), 1); C.op('drop-unclosed'); break;
    case 'pool': {
      // many small results: every copy's slab rolls over
      for (let i = 0; i < 200; i++) {
        const a = rng.int(Math.max(1, len - 64));
        const r = run(c, 'small-read', () => m.__getitem__(new c.B.slice(a, a + 1 + rng.int(60))));
        if (r.ok && i % 20 === 0) keep(r.v, c.name);
      }
      break;
    }
  }
  checkKept();
}

const t0 = Date.now();
// file 4 is modelled by reading it back after each truncation (its contents are zeros past the
// shrink point: simpler to reload than to replay)
while (Date.now() - t0 < cfg.seconds * 1000) {
  step();
  const f4 = files[4];
  if (f4.truncated) { f4.model = fs.readFileSync(f4.p); f4.truncated = false; }
}
// ---- the files against the model
let mismatched = 0;
const fileDetail = [];
for (const [i, F] of files.entries()) {
  const actual = fs.readFileSync(F.p);
  if (!actual.equals(F.model)) {
    mismatched++;
    let d = 0;
    while (d < actual.length && actual[d] === F.model[d]) d++;
    fileDetail.push({ file: i, firstDiff: d, actual: actual[d], model: F.model[d] });
  }
}
for (const x of maps) { try { x.m.close(); } catch { /* */ } }
emitResult({
  segment: cfg.name, node: process.version, seed: cfg.seed, ms: Date.now() - t0,
  copiesDistinct: distinct, counters: C.toJSON(), findings, findingCounts,
  model: { files: files.length, mismatched, files_detail: fileDetail }, harnessErrors: [],
});
