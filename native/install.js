#!/usr/bin/env node
// Builds (or finds) the native addon. Used by `npm install` and `npm run build:native`.
//  - Installed from the npm tarball: the prebuilt binary in native/prebuilds/ loads, nothing
//    is compiled (no compiler needed).
//  - In a clone: compiles with node-gyp against the headers of the Node that runs this script
//    (it never downloads headers: the machines here reach no host but the npm registry).
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
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
if (r.status !== 0) {
  console.error(`pymmap: native build failed (node-gyp exit ${r.status})`);
  process.exit(r.status || 1);
}
if (!loads()) {
  console.error('pymmap: the addon was built but does not load');
  process.exit(1);
}
