#!/usr/bin/env node
// Builds (or finds) the native addon. Used by `npm install` and `npm run build:native`.
//  - Installed from the npm tarball: the prebuilt binary in native/prebuilds/ loads, nothing
//    is compiled (no compiler needed).
//  - In a clone: compiles with node-gyp against the headers of the Node that runs this script
//    (it never downloads headers: the machines here reach no host but the npm registry).
//    Quiet: two lines on success, node-gyp's whole output on failure.
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const here = __dirname;
const force = process.argv.includes('--force');

function loads() {
  try {
    require('node-gyp-build')(here);
    return true;
  } catch (e) {
    return false;
  }
}

if (!force && loads()) process.exit(0);

function nodeGypScript() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  try { candidates.push(require.resolve('node-gyp/bin/node-gyp.js')); } catch (e) { /* none */ }
  if (process.env.npm_execpath) {
    candidates.push(path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  candidates.push(path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => c && fs.existsSync(c));
}

// The headers of the running Node: <prefix>/include/node (Debian's /usr, official tarballs).
function nodeDir() {
  if (process.env.npm_config_nodedir && fs.existsSync(path.join(process.env.npm_config_nodedir, 'include', 'node', 'node_api.h'))) {
    return process.env.npm_config_nodedir;
  }
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  return null;
}

const gyp = nodeGypScript();
if (!gyp) {
  console.error('pymmap: node-gyp not found (it ships with npm); cannot build the native addon');
  process.exit(1);
}
const args = [gyp, 'rebuild', '--directory', here];
const dir = nodeDir();
if (dir) args.push(`--nodedir=${dir}`);
else console.warn('pymmap: no Node headers next to this node; node-gyp will try its own cache');
// node-gyp says about 45 lines of "gyp info" on success: its output is kept and shown only when
// the build fails (or with PYMMAP_VERBOSE_BUILD=1).
const verbose = /^(1|true|yes)$/i.test(process.env.PYMMAP_VERBOSE_BUILD || '');
const t0 = Date.now();
if (!verbose) process.stderr.write('pymmap: building the native addon (node-gyp, about a minute) ...\n');
const r = spawnSync(process.execPath, args, verbose ? { stdio: 'inherit' } : { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const output = verbose ? '' : `${r.stdout || ''}${r.stderr || ''}`;
if (r.status !== 0) {
  if (output) process.stderr.write(output.endsWith('\n') ? output : `${output}\n`);
  console.error(`pymmap: native build failed (node-gyp exit ${r.status}${r.error ? `, ${r.error.message}` : ''}); the output above is node-gyp's`);
  process.exit(r.status || 1);
}
if (!loads()) {
  if (output) process.stderr.write(output);
  console.error('pymmap: the addon was built but does not load');
  process.exit(1);
}
if (!verbose) process.stderr.write(`pymmap: native addon built in ${Math.round((Date.now() - t0) / 1000)} s (PYMMAP_VERBOSE_BUILD=1 shows node-gyp's output)\n`);
