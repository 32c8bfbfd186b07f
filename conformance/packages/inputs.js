/*
 * The inputs of the package workloads, made in a fresh folder `data` for each run:
 *   data/pe/{x64,ia32,arm64}/7za.exe   the Windows builds of 7-Zip shipped in the npm package
 *                                      7zip-bin (a pinned devDependency): PE32+, PE32, ARM64;
 *   data/repo                          a git repository made here with `git`: 12 revisions of
 *                                      real Python sources (the unpacked debs' own files) and
 *                                      of a 1 MB binary, repacked after revision 8 (one pack
 *                                      with delta chains), again after 10 (a second pack),
 *                                      and 11-12 left as loose objects;
 *   data/corpus                        the text the full-text index is built from (the same
 *                                      Python sources).
 * makeInputs() returns {dir, missing} (missing: why an input could not be made, or null).
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const PE_ARCHES = ['x64', 'ia32', 'arm64'];

/** The sources committed to the repository (relative to dist-packages): about 250 KB. */
const REPO_SOURCES = [
  'smmap/mman.py', 'smmap/util.py', 'gitdb/pack.py', 'gitdb/stream.py', 'gitdb/fun.py',
  'dulwich/pack.py', 'whoosh/filedb/compound.py',
];

/** The sources the full-text index is built from: about 150 KB. */
const CORPUS = [
  'smmap/mman.py', 'smmap/util.py', 'smmap/buf.py', 'gitdb/pack.py', 'gitdb/stream.py', 'gitdb/fun.py',
  'gitdb/util.py', 'whoosh/filedb/compound.py',
];

function sevenZipDir() {
  try {
    return path.dirname(require.resolve('7zip-bin/package.json'));
  } catch {
    return null;
  }
}

function git(cwd, args, env) {
  const r = spawnSync('git', args, { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${(r.stderr || r.stdout || '').trim()}`);
  return r.stdout;
}

/** Revision k of a text: some lines dropped, some changed, a few added (deterministic). */
function revise(text, k, salt) {
  const lines = text.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const h = (i * 31 + k * 17 + salt * 7) % 211;
    if (h === 0) continue; // dropped
    if (h === 1) out.push(`${lines[i]}  # rev ${k}`);
    else out.push(lines[i]);
    if (h === 2 && k % 3 === 0) out.push(`# added in revision ${k} after line ${i}`);
  }
  return out.join('\n');
}

function makeRepo(dir, sitePackages, exe) {
  const repo = path.join(dir, 'repo');
  fs.mkdirSync(repo, { recursive: true });
  const home = path.join(dir, '.githome');
  fs.mkdirSync(home, { recursive: true });
  const env = {
    PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C',
    GIT_AUTHOR_NAME: 'pymmap', GIT_AUTHOR_EMAIL: 'pymmap@example.invalid',
    GIT_COMMITTER_NAME: 'pymmap', GIT_COMMITTER_EMAIL: 'pymmap@example.invalid',
  };
  git(repo, ['init', '-q', '-b', 'main'], env);
  git(repo, ['config', 'gc.auto', '0'], env);
  git(repo, ['config', 'core.autocrlf', 'false'], env);
  const texts = REPO_SOURCES.map((s) => fs.readFileSync(path.join(sitePackages, s), 'utf8'));
  const bin = fs.readFileSync(exe);
  for (let k = 1; k <= 12; k++) {
    REPO_SOURCES.forEach((s, j) => {
      const p = path.join(repo, 'src', s);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, revise(texts[j], k, j));
    });
    if (k === 1 || k === 6 || k === 10) {
      const b = Buffer.from(bin);
      for (let i = 0; i < 64; i++) b[(i * 16411 + k * 977) % b.length] ^= k; // a few patched bytes
      fs.mkdirSync(path.join(repo, 'bin'), { recursive: true });
      fs.writeFileSync(path.join(repo, 'bin', '7za.exe'), b);
    }
    fs.writeFileSync(path.join(repo, 'NOTES'), `revision ${k}\n`.repeat(k));
    git(repo, ['add', '-A'], env);
    const date = `${1700000000 + k * 3600} +0000`;
    git(repo, ['commit', '-q', '-m', `revision ${k}\n\nmade by conformance/packages/inputs.js`],
      { ...env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
    if (k === 8) git(repo, ['repack', '-q', '-a', '-d', '-f', '--depth=20', '--window=20'], env);
    if (k === 10) git(repo, ['repack', '-q', '-d'], env);
  }
  git(repo, ['tag', 'v1', 'HEAD~6'], env);
  return repo;
}

/**
 * Makes the inputs in `dir` from the unpacked debs (`sitePackages`). Returns {missing} with the
 * reason a prerequisite is missing (7zip-bin, git), or {missing: null}.
 */
function makeInputs(dir, sitePackages) {
  const sz = sevenZipDir();
  if (!sz) return { missing: 'the npm package 7zip-bin (a devDependency) is not installed: npm install' };
  if (spawnSync('git', ['--version']).status !== 0) return { missing: 'git is not installed (the git repository input is made with it)' };
  for (const a of PE_ARCHES) {
    const to = path.join(dir, 'pe', a);
    fs.mkdirSync(to, { recursive: true });
    fs.copyFileSync(path.join(sz, 'win', a, '7za.exe'), path.join(to, '7za.exe'));
  }
  makeRepo(dir, sitePackages, path.join(sz, 'win', 'arm64', '7za.exe'));
  const corpus = path.join(dir, 'corpus');
  for (const s of CORPUS) {
    const to = path.join(corpus, s);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(path.join(sitePackages, s), to);
  }
  return { missing: null };
}

module.exports = { makeInputs, PE_ARCHES, REPO_SOURCES, CORPUS, sevenZipDir };
