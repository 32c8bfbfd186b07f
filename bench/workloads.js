'use strict';
// Ported-tool workloads (bench/run.js --workloads): the same program in Python
// (bench/workloads.py) and in TS with pymmap (workloadChild below), on generated files of at
// least 1 GiB, each in a fresh process, results compared between the two sides. Also the memory
// rows: peak RSS of each run (VmHWM), and anonymous / file-backed RSS at its end.
//
//   count_lines    while m.readline(): n += 1                      (text, 1 GiB)
//   grep           per line: if word in line: hits += 1            (text)
//   records        m[o:o+512] per record, struct '<IIid' unpacked  (binary records, 1 GiB)
//   random4k       m.seek(a); m.read(4096) at random a             (text)
//   stream_read1m  while chunk := m.read(1 MiB)                     (text)
//
// Files: the text file is the bench's 256 MiB text file repeated (so every line is a bench
// line), the records file is generated; both in the OS temp dir, removed at the end unless
// --keep-files.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const WORKLOADS = [
  { id: 'count_lines', label: 'count lines (readline loop)', file: 'text' },
  { id: 'grep', label: 'grep a word per line (readline + in)', file: 'text' },
  { id: 'records', label: 'parse 512-byte records (slice + unpack)', file: 'records' },
  { id: 'random4k', label: 'random 4 KiB reads (seek + read)', file: 'text' },
  { id: 'stream_read1m', label: 'stream with read(1 MiB)', file: 'text' },
];
const RECORD_SIZE = 512;
const WORD = 'kernel';

const TS_CODE = {
  count_lines: 'let n = 0;\nwhile (m.readline().length !== 0) n++;',
  grep: "const word = Buffer.from('kernel'); // Python: b'kernel' (a bytes needle, made once)\nlet hits = 0;\nfor (;;) {\n  const line = m.readline();\n  if (line.length === 0) break;\n  if (line.indexOf(word) !== -1) hits++;\n}",
  records: 'for (let o = 0; o + 512 <= size; o += 512) {\n  const rec = m.__getitem__(new slice(o, o + 512));\n  total += rec.readInt32LE(8); if (rec.readUInt32LE(4) === 3) kinds++;\n}',
  random4k: 'for (const a of idx) { m.seek(a); s += m.read(4096)[4095]; }',
  stream_read1m: 'for (;;) { const c = m.read(1 << 20); if (c.length === 0) break; total += c[c.length - 1]; }',
};

/** n offsets in [0, limit): xorshift32 from seed, the generator of cpython_bench.py and workloads.py. */
function xorshiftOffsets(n, limit, seed) {
  let x = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x % limit;
  }
  return out;
}

/** Memory of a process from /proc/<pid>/status, in KiB (this process by default; bench/memlimit.js
 *  samples its children with it): peak RSS, anonymous and file-backed RSS, current RSS. */
function procStatus(pid = 'self') {
  const out = {};
  try {
    for (const line of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
      const [k, v] = line.split(':');
      if (k === 'VmHWM' || k === 'RssAnon' || k === 'RssFile' || k === 'VmRSS') out[k] = parseInt(v, 10);
    }
  } catch { /* not Linux, or the process has exited */ }
  return out;
}

/** The TS side of one workload, in this (fresh) process. */
function workloadChild(M, slice, cfg) {
  const w = cfg.workload;
  const file = w === 'records' ? cfg.records : cfg.text;
  const fd = fs.openSync(file, 'r');
  const m = new M.mmap(fd, 0, { access: M.ACCESS_READ });
  const size = m.__len__();
  const idx = w === 'random4k' ? xorshiftOffsets(cfg.n_random, size - 4096, cfg.seed) : null;
  const now = cfg.clock === 'cpu'
    ? () => { const c = process.cpuUsage(); return (c.user + c.system) / 1e6; }
    : () => Number(process.hrtime.bigint()) / 1e9;
  const t0 = now();
  let result;
  if (w === 'count_lines') {
    let n = 0;
    while (m.readline().length !== 0) n++;
    result = n;
  } else if (w === 'grep') {
    // The needle is bytes, made once, as in the Python program (`word in line` with bytes `word`):
    // Buffer#indexOf with a string needle takes the string path, about twice the time per line.
    const word = Buffer.from(WORD, 'latin1');
    let hits = 0;
    for (;;) {
      const line = m.readline();
      if (line.length === 0) break;
      if (line.indexOf(word) !== -1) hits++;
    }
    result = hits;
  } else if (w === 'records') {
    let total = 0;
    let kinds = 0;
    for (let o = 0; o + RECORD_SIZE <= size; o += RECORD_SIZE) {
      const rec = m.__getitem__(new slice(o, o + RECORD_SIZE));
      // struct '<IIid': id, kind, value, price
      const kind = rec.readUInt32LE(4);
      total += rec.readInt32LE(8);
      if (kind === 3) kinds++;
    }
    result = total * 1000 + kinds;
  } else if (w === 'random4k') {
    let s = 0;
    for (let k = 0; k < idx.length; k++) {
      m.seek(idx[k]);
      s += m.read(4096)[4095];
    }
    result = s;
  } else if (w === 'stream_read1m') {
    let total = 0;
    for (;;) {
      const c = m.read(1 << 20);
      if (c.length === 0) break;
      total += c[c.length - 1];
    }
    result = total;
  } else {
    throw new Error(`unknown workload ${w}`);
  }
  const seconds = now() - t0;
  const status = procStatus();
  m.close();
  fs.closeSync(fd);
  return { result, seconds, status };
}

// ------------------------------------------------------------------ files

function ensureWorkloadFiles(baseText, gib, log) {
  const dir = os.tmpdir();
  const size = Math.round(gib * 1024) * 1024 * 1024;
  const text = path.join(dir, `pymmap-workload-text-${size}.txt`);
  const records = path.join(dir, `pymmap-workload-records-${size}.bin`);
  const sizeOf = (f) => { try { return fs.statSync(f).size; } catch { return -1; } };
  if (sizeOf(text) !== size) {
    const t0 = Date.now();
    const src = fs.readFileSync(baseText);
    if (size % src.length !== 0) throw new Error('workload size must be a multiple of the bench file');
    const fd = fs.openSync(text + '.tmp', 'w');
    for (let k = 0; k < size / src.length; k++) fs.writeSync(fd, src);
    fs.closeSync(fd);
    fs.renameSync(text + '.tmp', text);
    log(`generated ${text} (${(size / 2 ** 30).toFixed(1)} GiB) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  if (sizeOf(records) !== size) {
    const t0 = Date.now();
    const chunk = Buffer.alloc(64 << 20);
    const per = chunk.length / RECORD_SIZE;
    const fd = fs.openSync(records + '.tmp', 'w');
    let id = 0;
    let x = 0x9e3779b9 >>> 0;
    for (let done = 0; done < size; done += chunk.length) {
      for (let r = 0; r < per; r++, id++) {
        x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
        const o = r * RECORD_SIZE;
        chunk.writeUInt32LE(id >>> 0, o);
        chunk.writeUInt32LE(x % 7, o + 4); // kind
        chunk.writeInt32LE((x >>> 7) % 100000 - 50000, o + 8); // value
        chunk.writeDoubleLE(((x >>> 3) % 1000000) / 100, o + 12); // price
        chunk.fill(id & 0xff, o + 20, o + RECORD_SIZE);
      }
      fs.writeSync(fd, chunk);
    }
    fs.closeSync(fd);
    fs.renameSync(records + '.tmp', records);
    log(`generated ${records} (${(size / 2 ** 30).toFixed(1)} GiB of ${RECORD_SIZE}-byte records) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  return { text, records, size };
}

// ------------------------------------------------------------------ running

/**
 * Runs every workload `repeats` times with each CPython (exe list) and each JS runtime
 * ({key, label, exe}; the host Node first), each run in a fresh process. childArgs(payload)
 * gives the argv of a JS workload child (run.js --workload-child ...).
 */
function runWorkloads({ files, pythons, runtimes, repeats, childArgs, log, only, clock }) {
  const cfg = { text: files.text, records: files.records, record_size: RECORD_SIZE,
    n_random: 500000, seed: 0x2545f491, word: WORD, clock: clock || 'wall' };
  const raw = {}; // raw[impl][workload] = [{result, seconds, status}]
  const wls = only ? WORKLOADS.filter((w) => only.includes(w.id)) : WORKLOADS;
  const push = (impl, w, v) => { ((raw[impl] ||= {})[w] ||= []).push(v); };
  for (let r = 0; r < repeats; r++) {
    log(`workloads: repeat ${r + 1}/${repeats}`);
    for (const w of wls) {
      const payload = { ...cfg, workload: w.id };
      for (const p of pythons) {
        const res = spawnSync(p.exe, [path.join(__dirname, 'workloads.py'), JSON.stringify(payload)],
          { encoding: 'utf8', maxBuffer: 16 << 20 });
        if (res.status !== 0) throw new Error(`${p.label} ${w.id}: ${(res.stderr || '').trim().split('\n').slice(-2).join(' | ')}`);
        push(p.label, w.id, JSON.parse(res.stdout));
      }
      for (const rt of runtimes) {
        const res = spawnSync(rt.exe, childArgs(payload), { encoding: 'utf8', maxBuffer: 16 << 20 });
        if (res.status !== 0) {
          log(`${rt.label} ${w.id}: exited ${res.status}: ${(res.stderr || '').trim().split('\n').slice(-2).join(' | ')}`);
          push(rt.key, w.id, { result: null, seconds: NaN, status: {}, error: true });
          continue;
        }
        push(rt.key, w.id, JSON.parse(res.stdout));
      }
    }
  }
  return { config: cfg, workloads: wls, raw };
}

function median(xs) {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** Rows: per workload, medians of seconds and memory per impl, ratios to the faster CPython. */
function summarize(wres, pyLabels, runtimes) {
  const rows = [];
  for (const w of wres.workloads) {
    const row = { id: w.id, label: w.label, seconds: {}, ratio: {}, ratio_range: {}, vmhwm_mib: {},
      rss_anon_mib: {}, result_ok: true, results: {} };
    const all = [...pyLabels, ...runtimes.map((r) => r.key)];
    for (const impl of all) {
      const runs = (wres.raw[impl] || {})[w.id] || [];
      row.seconds[impl] = median(runs.map((x) => x.seconds));
      row.vmhwm_mib[impl] = median(runs.map((x) => (x.status && x.status.VmHWM) / 1024));
      row.rss_anon_mib[impl] = median(runs.map((x) => (x.status && x.status.RssAnon) / 1024));
      row.results[impl] = runs.length ? runs[0].result : null;
    }
    const ref = pyLabels.length ? row.results[pyLabels[0]] : null;
    for (const impl of all) if (row.results[impl] !== ref) row.result_ok = false;
    for (const rt of runtimes) {
      const mine = ((wres.raw[rt.key] || {})[w.id] || []).map((x) => x.seconds);
      const per = pyLabels.map((p) => {
        const theirs = ((wres.raw[p] || {})[w.id] || []).map((x) => x.seconds);
        const rs = mine.map((t, i) => theirs[i] / t).filter(Number.isFinite); // > 1: pymmap faster
        return rs.length ? [median(rs), Math.min(...rs), Math.max(...rs)] : [NaN, NaN, NaN];
      });
      let worst = [NaN, NaN, NaN];
      for (const x of per) if (!(worst[0] <= x[0])) worst = x;
      row.ratio[rt.key] = worst[0];
      row.ratio_range[rt.key] = [worst[1], worst[2]];
    }
    rows.push(row);
  }
  return rows;
}

function cleanup(files, log) {
  for (const f of [files.text, files.records]) {
    try { fs.unlinkSync(f); log(`removed ${f}`); } catch { /* gone */ }
  }
}

module.exports = { procStatus, xorshiftOffsets, WORKLOADS, TS_CODE, RECORD_SIZE, WORD, workloadChild, ensureWorkloadFiles, runWorkloads, summarize, cleanup };
