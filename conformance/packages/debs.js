#!/usr/bin/env node
/*
 * The Debian packages of the package tests (conformance/packages/debs.json): fetched with
 * `apt-get download NAME=VERSION` (Debian's archive, the versions pinned there), checked against
 * the recorded sha256, and unpacked with `dpkg-deb -x` into one tree (nothing is installed).
 * Cached in ~/.cache/pymmap-debs ($PYMMAP_DEB_CACHE); later runs find them there and print
 * nothing. The first run prints a line per step on stderr (lines starting `[packages]`).
 *
 *   node conformance/packages/debs.js          fetch and unpack (if needed), print the tree
 *
 * ensureDebs() returns {sitePackages, debs} or {missing: reason} (the tests skip with that reason,
 * or fail with CI=true).
 */
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const MANIFEST = path.join(__dirname, 'debs.json');
const CACHE = process.env.PYMMAP_DEB_CACHE ||
  path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'pymmap-debs');

const note = (msg) => process.stderr.write(`[packages] ${msg}\n`);
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function manifest() {
  return JSON.parse(fs.readFileSync(MANIFEST, 'utf8')).debs;
}

const debFile = (d) => `${d.name}_${d.version.replace(/^\d+:/, '')}_${d.arch}.deb`;

/** Why the debs cannot be had on this machine at all, or null. */
function notPossible() {
  if (process.platform !== 'linux') return 'the packages come from Debian\'s archive (apt-get download, dpkg-deb): Linux only';
  if (!has('apt-get') || !has('dpkg-deb')) return 'apt-get and dpkg-deb are needed to fetch and unpack the Debian packages';
  return null;
}

/** The unpacked tree for the pinned set (one folder per manifest content). */
function treeDir(debs) {
  const key = crypto.createHash('sha256').update(JSON.stringify(debs)).digest('hex').slice(0, 12);
  return path.join(CACHE, `tree-${key}`);
}

function download(d, dir) {
  const spec = `${d.name}=${d.version}`;
  const r = spawnSync('apt-get', ['download', '-q', spec], { cwd: dir, encoding: 'utf8' });
  return { ok: r.status === 0, out: `${r.stdout || ''}${r.stderr || ''}`.trim() };
}

function fetchDeb(d, state) {
  const file = path.join(CACHE, debFile(d));
  if (fs.existsSync(file) && sha256(file) === d.sha256) return null;
  note(`apt-get download ${d.name}=${d.version} (${Math.round(d.size / 1024)} KiB) into ${CACHE}`);
  const tmp = fs.mkdtempSync(path.join(CACHE, 'dl-'));
  try {
    let r = download(d, tmp);
    if (!r.ok && !state.updated && isRoot()) {
      // a machine whose package lists were never fetched cannot locate anything yet
      note('apt-get update (the package lists are missing or old)');
      spawnSync('apt-get', ['update', '-q'], { stdio: 'ignore' });
      state.updated = true;
      r = download(d, tmp);
    }
    const got = fs.readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!r.ok || !got) {
      const last = r.out.split('\n').filter((l) => /^(E|W):/.test(l)).slice(-2).join(' | ') || r.out.split('\n').slice(-1)[0];
      return `apt-get download ${d.name}=${d.version} failed: ${last}`;
    }
    const sum = sha256(path.join(tmp, got));
    if (sum !== d.sha256) return `${got}: sha256 ${sum} is not the one recorded in conformance/packages/debs.json (${d.sha256})`;
    fs.renameSync(path.join(tmp, got), file);
    return null;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function withLock(dir, fn) {
  fs.mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, '.lock');
  const deadline = Date.now() + 5 * 60 * 1000;
  for (;;) {
    try { fs.mkdirSync(lock); break; } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let age = 0;
      try { age = Date.now() - fs.statSync(lock).mtimeMs; } catch { continue; }
      if (age > 5 * 60 * 1000) { fs.rmSync(lock, { recursive: true, force: true }); continue; }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      spawnSync('sleep', ['0.3']);
    }
  }
  try { return fn(); } finally { fs.rmSync(lock, { recursive: true, force: true }); }
}

/**
 * The pinned debs, fetched, checked and unpacked on first use. Returns
 * {sitePackages, tree, debs: [{name, version, arch, sha256}]} or {missing: reason}.
 */
function ensureDebs() {
  const impossible = notPossible();
  if (impossible) return { missing: impossible };
  const debs = manifest();
  const tree = treeDir(debs);
  const sitePackages = path.join(tree, 'usr', 'lib', 'python3', 'dist-packages');
  const done = path.join(tree, '.complete');
  if (fs.existsSync(done)) return { sitePackages, tree, debs };
  try {
    return withLock(CACHE, () => {
      if (fs.existsSync(done)) return { sitePackages, tree, debs };
      const state = { updated: false };
      for (const d of debs) {
        const why = fetchDeb(d, state);
        if (why) return { missing: why };
      }
      fs.rmSync(tree, { recursive: true, force: true });
      fs.mkdirSync(tree, { recursive: true });
      for (const d of debs) {
        const r = spawnSync('dpkg-deb', ['-x', path.join(CACHE, debFile(d)), tree], { encoding: 'utf8' });
        if (r.status !== 0) return { missing: `dpkg-deb -x ${debFile(d)} failed: ${(r.stderr || '').trim()}` };
      }
      fs.writeFileSync(done, debs.map((d) => `${d.name} ${d.version} ${d.sha256}`).join('\n') + '\n');
      note(`unpacked ${debs.length} packages into ${tree}`);
      return { sitePackages, tree, debs };
    });
  } catch (e) {
    return { missing: `fetching the Debian packages failed: ${e.message}` };
  }
}

module.exports = { CACHE, MANIFEST, manifest, ensureDebs, notPossible };

if (require.main === module) {
  const r = ensureDebs();
  if (r.missing) { console.error(r.missing); process.exitCode = 1; } else console.log(r.sitePackages);
}
