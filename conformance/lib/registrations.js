#!/usr/bin/env node
/*
 * What the ported test files register on this machine, without running a test: every
 * (suite, name) and, for the skipped ones, the reason and kind support.ts recorded. Loads the
 * files in a child process with stand-ins for jest's describe/it (the ported files use nothing
 * else at registration), so the answer comes from the same decisions jest sees.
 *
 *   node conformance/lib/registrations.js FILE...    prints the JSON list
 *   require('./registrations').registrations(files)  the same, from a test
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..', '..');

/** [{file, suite, name, skip: null | {reason, kind}}] for the given repository-relative files. */
function registrations(files) {
  const r = spawnSync(process.execPath, [__filename, ...files], {
    cwd: ROOT, encoding: 'utf8', timeout: 120000, maxBuffer: 16 * 1024 * 1024,
    env: { ...process.env, NODE_OPTIONS: '', PYMMAP_CONFORMANCE_SKIPS: '' },
  });
  if (r.status !== 0) throw new Error(`registrations.js failed (status ${r.status}, ${r.error || ''}):\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

function main(files) {
  require('./ts').registerTs();
  const side = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-reg-')), 'skips.jsonl');
  fs.writeFileSync(side, '');
  process.env.PYMMAP_CONFORMANCE_SKIPS = side;

  const tests = [];
  const suites = [];
  let current = '';
  const describe = (name, body) => { suites.push(name); try { body(); } finally { suites.pop(); } };
  const it = (name) => { tests.push({ file: current, suite: suites.join(' > '), name }); };
  it.skip = it;
  it.only = it;
  it.todo = it;
  const noop = () => undefined;
  Object.assign(globalThis, { describe, it, test: it, beforeAll: noop, afterAll: noop, beforeEach: noop, afterEach: noop });

  for (const f of files) {
    current = f;
    require(path.resolve(ROOT, f));
  }
  const { readSideChannel } = require('./verdict');
  const { skips } = readSideChannel(side);
  fs.rmSync(path.dirname(side), { recursive: true, force: true });
  const out = tests.map((t) => {
    const rec = skips.get(`${t.file}::${t.suite}::${t.name}`);
    return { ...t, skip: rec ? { reason: rec.reason, kind: rec.kind } : null };
  });
  process.stdout.write(JSON.stringify(out) + '\n');
}

module.exports = { registrations };

if (require.main === module) {
  main(process.argv.slice(2));
  // the loaded files may leave handles (temp files, the addon): the answer is complete
  process.exit(0);
}
