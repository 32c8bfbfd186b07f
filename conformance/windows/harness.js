/*
 * Runs the compiled ported test files (conformance/test_mmap/*.test.ts, compiled to CommonJS by
 * conformance/windows/run.js) inside the Windows node.exe under wine, without jest: jest's
 * `describe` / `it` / `it.skip` are all that conformance/test_mmap/support.ts uses, so they are
 * provided here. Tests run one at a time, in file order; between tests the garbage collector
 * runs and finalizers get a turn, so maps a test left open are closed before the next test
 * (CPython's reference counting closes them at the end of the test; on Windows an open map
 * keeps its file from being deleted or truncated).
 *
 *   node.exe --expose-gc harness.js RESULTS.json SKIPS.jsonl FILE.js...
 *
 * RESULTS.json: {"node", "platform", "files": {file: error|null}, "tests": [{file, suites,
 * name, status: passed|failed|skipped, message, ms}]}; SKIPS.jsonl is support.ts's side channel
 * (static and run-time skips). Progress goes to stdout (the caller sends it to a file: under
 * wine, node.exe cannot write to a Unix pipe).
 */
'use strict';

const fs = require('fs');
const path = require('path');

const [resultsFile, skipsFile, ...files] = process.argv.slice(2);
process.env.PYMMAP_CONFORMANCE_SKIPS = path.resolve(skipsFile);
fs.writeFileSync(process.env.PYMMAP_CONFORMANCE_SKIPS, '');

const tests = [];
const suites = [];
let currentFile = '';

function describe(name, body) {
  suites.push(name);
  try {
    body();
  } finally {
    suites.pop();
  }
}

function it(name, fn) {
  tests.push({ file: currentFile, suites: [...suites], name, fn, skip: false });
}
it.skip = (name) => {
  tests.push({ file: currentFile, suites: [...suites], name, fn: null, skip: true });
};
it.only = it;
it.todo = it.skip;

global.describe = describe;
global.it = it;
global.test = it;

const fileErrors = {};

function firstLine(e) {
  if (e && typeof e === 'object' && 'message' in e) {
    const msg = String(e.message).split('\n')[0];
    return e.name ? `${e.name}: ${msg}` : msg;
  }
  return String(e).split('\n')[0];
}

function tick() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function collect() {
  if (typeof global.gc !== 'function') return;
  for (let i = 0; i < 2; i++) {
    global.gc();
    await tick();
  }
}

async function main() {
  for (const f of files) {
    currentFile = f;
    try {
      require(path.resolve(f));
      fileErrors[f] = null;
    } catch (e) {
      fileErrors[f] = firstLine(e);
      process.stdout.write(`ERROR loading ${f}: ${e && e.stack ? e.stack : e}\n`);
    }
  }
  const results = [];
  for (const t of tests) {
    const title = `${path.basename(t.file)} ${t.suites.join(' > ')} > ${t.name}`;
    if (t.skip) {
      results.push({ file: t.file, suites: t.suites, name: t.name, status: 'skipped', message: '', ms: 0 });
      process.stdout.write(`skip ${title}\n`);
      continue;
    }
    const t0 = Date.now();
    let status = 'passed';
    let message = '';
    try {
      await t.fn();
    } catch (e) {
      status = 'failed';
      message = firstLine(e);
      process.stdout.write(`${e && e.stack ? e.stack : e}\n`);
    }
    const ms = Date.now() - t0;
    results.push({ file: t.file, suites: t.suites, name: t.name, status, message, ms });
    process.stdout.write(`${status === 'passed' ? 'pass' : 'FAIL'} ${title} (${ms} ms)${message ? ': ' + message : ''}\n`);
    await collect();
  }
  fs.writeFileSync(resultsFile, JSON.stringify({
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    files: fileErrors,
    tests: results,
  }, null, 2) + '\n');
  process.stdout.write(`harness: ${results.filter((r) => r.status === 'passed').length} passed, ` +
    `${results.filter((r) => r.status === 'failed').length} failed, ` +
    `${results.filter((r) => r.status === 'skipped').length} skipped\n`);
}

main().then(() => process.exit(0), (e) => {
  process.stdout.write(`harness crashed: ${e && e.stack ? e.stack : e}\n`);
  process.exit(2);
});
