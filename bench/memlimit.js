'use strict';
// Streaming a file four times larger than the page cache's share (bench/run.js --memlimit):
// each run is a fresh process in a fresh memory cgroup whose limit is a quarter of the file, so
// the file's pages cannot all stay cached (the kernel reclaims them as the loop goes), and the
// file is evicted from the page cache before the run. A process whose own memory grew with the
// file would be killed by the cgroup's OOM killer; one that completes kept its memory bounded.
// Measured from outside the process (the same for CPython and pymmap): peak RSS (VmHWM), peak
// anonymous RSS (RssAnon sampled every 10 ms), the cgroup's peak charge, how often the limit was
// hit, and the wall time of the loop (the workload's own clock).
//
//   node bench/memlimit.js '<json>'   one run: {exe, args, limit, file, evictWith} -> JSON on stdout
//
// Needs a memory cgroup this user may create children in (cgroup v1's memory hierarchy, or v2
// with the memory controller delegated to this process's cgroup); findMemoryCgroup() says why
// not where there is none, and run.js then leaves the section out with that reason.
const fs = require('fs');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const { procStatus } = require('./workloads');

/** {kind: 'v1'|'v2', dir} for a memory cgroup we can make children in, or {error}. */
function findMemoryCgroup() {
  let lines;
  try {
    lines = fs.readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n');
  } catch (e) {
    return { error: `no /proc/self/cgroup (${e.code || e.message})` };
  }
  const candidates = [];
  for (const line of lines) {
    const [, controllers, rel] = line.split(/:(.*?):/);
    if (controllers === undefined) continue;
    if (controllers.split(',').includes('memory')) {
      candidates.push({ kind: 'v1', dir: path.join('/sys/fs/cgroup/memory', rel), limitFile: 'memory.limit_in_bytes' });
    } else if (controllers === '') {
      for (const mount of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
        const dir = path.join(mount, rel);
        let ctl = '';
        try {
          ctl = fs.readFileSync(path.join(dir, 'cgroup.subtree_control'), 'utf8');
        } catch {
          continue;
        }
        // v2: children get the memory controller only if this cgroup delegates it
        if (ctl.split(/\s+/).includes('memory')) candidates.push({ kind: 'v2', dir, limitFile: 'memory.max' });
      }
    }
  }
  const reasons = [];
  for (const c of candidates) {
    const probe = path.join(c.dir, `pymmap-probe-${process.pid}`);
    try {
      fs.mkdirSync(probe);
      let why = null;
      if (!fs.existsSync(path.join(probe, c.limitFile))) {
        why = `no ${c.limitFile} in a child`;
      } else {
        // a process must be able to move itself in (as every run's does)
        const r = spawnSync('sh', ['-c', 'echo $$ > "$1/cgroup.procs"', 'sh', probe], { encoding: 'utf8' });
        if (r.status !== 0) why = `cannot move a process into a child: ${(r.stderr || '').trim() || `exit ${r.status}`}`;
      }
      rmdirSoon(probe);
      if (why === null) return { kind: c.kind, dir: c.dir };
      reasons.push(`${c.dir}: ${why}`);
    } catch (e) {
      reasons.push(`${c.dir}: ${e.code || e.message}`);
    }
  }
  if (!candidates.length) return { error: 'no memory cgroup (v1 memory hierarchy, or v2 with memory delegated) for this process' };
  return { error: `cannot make a child memory cgroup (${reasons.join('; ')})` };
}

/** rmdir of a cgroup whose last process has just exited (the kernel may still count it briefly). */
function rmdirSoon(dir) {
  for (let i = 0; ; i++) {
    try {
      fs.rmdirSync(dir);
      return;
    } catch (e) {
      if (e.code !== 'EBUSY' || i >= 50) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

function readNum(file) {
  try {
    const s = fs.readFileSync(file, 'utf8').trim();
    return s === 'max' ? Infinity : Number(s);
  } catch {
    return NaN;
  }
}

function readKeyed(file) {
  const out = {};
  try {
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const [k, v] = line.trim().split(/\s+/);
      if (k) out[k] = Number(v);
    }
  } catch { /* absent */ }
  return out;
}

/** Drops the file's pages from the page cache (posix_fadvise DONTNEED, through a Python). */
function evict(python, file) {
  const r = spawnSync(python, ['-c',
    'import os, sys\nfd = os.open(sys.argv[1], os.O_RDONLY)\nos.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)\nos.close(fd)', file],
  { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`evicting ${file}: ${(r.stderr || '').trim()}`);
}

/** One run of exe args in a fresh child cgroup limited to `limit` bytes. */
async function runLimited({ exe, args, limit, file, evictWith }) {
  const cg = findMemoryCgroup();
  if (cg.error) throw new Error(cg.error);
  const dir = path.join(cg.dir, `pymmap-bench-${process.pid}`);
  fs.mkdirSync(dir);
  try {
    if (cg.kind === 'v1') {
      fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(limit));
    } else {
      fs.writeFileSync(path.join(dir, 'memory.max'), String(limit));
      try {
        fs.writeFileSync(path.join(dir, 'memory.swap.max'), '0');
      } catch { /* no swap accounting */ }
    }
    evict(evictWith, file);
    // sh moves itself into the cgroup, then becomes the workload (same pid: the samples below
    // are the workload's)
    const child = spawn('sh', ['-c', 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"', 'sh', dir, exe, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    let peakAnon = 0;
    let peakRss = 0;
    let hwm = 0;
    const sample = () => {
      const s = procStatus(child.pid);
      if (s.RssAnon > peakAnon) peakAnon = s.RssAnon;
      if (s.VmRSS > peakRss) peakRss = s.VmRSS;
      if (s.VmHWM > hwm) hwm = s.VmHWM;
    };
    const timer = setInterval(sample, 10);
    const [code, signal] = await new Promise((resolve) => child.on('close', (c, s) => resolve([c, s])));
    clearInterval(timer);
    const v1 = cg.kind === 'v1';
    const events = v1 ? readKeyed(path.join(dir, 'memory.oom_control')) : readKeyed(path.join(dir, 'memory.events'));
    const out = {
      code, signal,
      limit,
      cgroup_peak: v1 ? readNum(path.join(dir, 'memory.max_usage_in_bytes')) : readNum(path.join(dir, 'memory.peak')),
      limit_hits: v1 ? readNum(path.join(dir, 'memory.failcnt')) : (events.max ?? NaN),
      oom_kills: events.oom_kill ?? NaN,
      peak_anon_kib: peakAnon,
      peak_rss_kib: peakRss,
      stderr: stderr.trim().split('\n').slice(-3).join(' | '),
    };
    try {
      Object.assign(out, { child: JSON.parse(stdout) });
    } catch {
      out.child = null;
    }
    // VmHWM from the last sample can miss the very end; the child's own final status has it
    if (out.child && out.child.status && out.child.status.VmHWM > hwm) hwm = out.child.status.VmHWM;
    out.vmhwm_kib = hwm;
    return out;
  } finally {
    // the process is gone: its page cache charges move to the parent with the directory
    rmdirSoon(dir);
  }
}

module.exports = { findMemoryCgroup };

if (require.main === module) {
  runLimited(JSON.parse(process.argv[2])).then(
    (r) => console.log(JSON.stringify(r)),
    (e) => {
      console.error(e.message);
      process.exit(1);
    },
  );
}
