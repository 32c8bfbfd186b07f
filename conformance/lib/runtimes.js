/*
 * The JS runtimes pymmap is tested on besides the host's Node: Bun and Deno, both pinned
 * devDependencies from npm (package.json), whose npm packages carry their binaries
 * (node_modules/bun/bin/bun.exe, node_modules/@deno/<platform>-<arch>-glibc/deno).
 *
 * runtime(id) -> {id, name, bin, version, label, skip, kind}: the binary and its version, or why
 * it cannot run here (skip: a reason; kind: 'platform' or 'prerequisite', as in skips.js).
 * command(rt, script, args) -> [bin, argv]: how to run a CommonJS script on that runtime with
 * garbage collection at hand (Node, Deno: --expose-gc, global.gc; Bun has no such flag and
 * collects with Bun.gc(true): native/test/fixtures/lib.js gc()). Deno runs with -A (the addon
 * needs --allow-ffi, --allow-read, --allow-env; the tests need the rest).
 * selected() is the runtime named by PYMMAP_RUNTIME (node, bun, deno; default node): the crash
 * matrix (native/test/crash.test.ts) runs its child processes on it.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const NAMES = { node: 'Node', bun: 'Bun', deno: 'Deno' };

function resolvePkg(name) {
  try { return path.dirname(require.resolve(`${name}/package.json`, { paths: [ROOT] })); } catch { return null; }
}

function binaryOf(id) {
  if (id === 'node') return { bin: process.execPath };
  if (id === 'bun') {
    const dir = resolvePkg('bun');
    const bin = dir && path.join(dir, 'bin', 'bun.exe');
    if (bin && fs.existsSync(bin)) return { bin };
    return { skip: 'the bun package (a devDependency) is not installed: npm ci', kind: 'prerequisite' };
  }
  if (id === 'deno') {
    if (process.platform !== 'linux') return { skip: `the deno devDependency is tested on Linux only (this is ${process.platform})`, kind: 'platform' };
    const dir = resolvePkg(`@deno/${process.platform}-${process.arch}-glibc`);
    const bin = dir && path.join(dir, 'deno');
    if (bin && fs.existsSync(bin)) return { bin };
    return { skip: 'the deno package (a devDependency) is not installed: npm ci', kind: 'prerequisite' };
  }
  throw new Error(`unknown runtime ${id} (node, bun, deno)`);
}

const cache = new Map();
/** {id, name, bin, version, label, skip, kind} for 'node', 'bun' or 'deno' (decided once). */
function runtime(id) {
  if (cache.has(id)) return cache.get(id);
  const b = binaryOf(id);
  const rt = { id, name: NAMES[id], bin: b.bin || '', version: '', label: NAMES[id], skip: b.skip || null, kind: b.kind || null };
  if (rt.bin && id === 'node') rt.version = process.version.slice(1);
  else if (rt.bin) {
    const r = spawnSync(rt.bin, ['--version'], { encoding: 'utf8', timeout: 30000, env: { ...process.env, NO_COLOR: '1' } });
    const m = /(\d+\.\d+\.\d+)/.exec(r.stdout || '');
    if (m) rt.version = m[1];
    else { rt.skip = `${rt.bin} --version failed: ${(r.stderr || String(r.error || r.status)).trim().split('\n')[0]}`; rt.kind = 'prerequisite'; }
  }
  rt.label = rt.version ? `${rt.name} ${rt.version}` : rt.name;
  cache.set(id, rt);
  return rt;
}

/** [bin, argv] running `script args` on rt with GC at hand; `nodeFlags` go to Node only. */
function command(rt, script, args = [], nodeFlags = ['--expose-gc']) {
  if (rt.id === 'bun') return [rt.bin, [script, ...args]];
  if (rt.id === 'deno') return [rt.bin, ['run', '-A', '--v8-flags=--expose-gc', script, ...args]];
  return [rt.bin || process.execPath, [...nodeFlags, script, ...args]];
}

/** Environment for a child on rt (Deno: no colours in its messages). */
function env(rt, base = process.env) {
  return rt.id === 'deno' ? { ...base, NO_COLOR: '1' } : base;
}

/** The runtime named by PYMMAP_RUNTIME (default node). */
function selected() {
  return runtime((process.env.PYMMAP_RUNTIME || 'node').toLowerCase());
}

module.exports = { runtime, command, env, selected, NAMES };
