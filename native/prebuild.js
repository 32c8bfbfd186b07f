#!/usr/bin/env node
// Packs a prebuilt binary into native/prebuilds/<platform>-<arch>/ (run by `npm pack` through
// prepack). Offline: it builds against the headers of the running Node (Node-API 8, so the one
// binary loads on Node 20, 22 and 24) and never downloads anything. node-gyp-build loads it.
'use strict';
const fs = require('fs');
const path = require('path');
const prebuildify = require('prebuildify');

const here = __dirname;
const prefix = path.resolve(path.dirname(process.execPath), '..');
const nodedir = process.env.npm_config_nodedir || (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);

function nodeGypBin() {
  const candidates = [];
  if (process.env.npm_execpath) candidates.push(path.join(path.dirname(process.env.npm_execpath), 'node-gyp-bin', 'node-gyp'));
  candidates.push(path.join(prefix, 'lib', 'node_modules', 'npm', 'bin', 'node-gyp-bin', 'node-gyp'));
  return candidates.find((c) => fs.existsSync(c));
}

// prebuildify hands node-gyp a copy of process.env (its `env` option is overwritten).
if (nodedir) process.env.npm_config_nodedir = nodedir;
prebuildify({
  cwd: here,
  napi: true,
  strip: true,
  name: 'pymmap',
  targets: [{ runtime: 'node', target: process.versions.node }],
  nodeGyp: process.env.PREBUILD_NODE_GYP || nodeGypBin() || 'node-gyp',
  quiet: !process.env.PYMMAP_VERBOSE,
}, (err) => {
  if (err) {
    console.error('pymmap: prebuild failed:', err.message);
    process.exit(1);
  }
  console.log('pymmap: prebuilt', fs.readdirSync(path.join(here, 'prebuilds')).join(', '));
});
