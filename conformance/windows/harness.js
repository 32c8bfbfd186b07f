/*
 * Runs the compiled ported test files (conformance/test_mmap/*.test.ts, compiled to CommonJS by
 * conformance/lib/compile.js) inside the Windows node.exe under wine, or on Bun or Deno
 * (conformance/runtimes/run.js), without jest: jest's
 * `describe` / `it` / `it.skip` are all that conformance/test_mmap/support.ts uses, so they are
 * provided here. Tests run one at a time, in file order; between tests the garbage collector
 * runs and finalizers get a turn, so maps a test left open are closed before the next test
 * (CPython's reference counting closes them at the end of the test; on Windows an open map
 * keeps its file from being deleted or truncated).
 *
 *   node.exe --expose-gc harness.js RESULTS.json SKIPS.jsonl FILE.js...
 *   bun harness.js ...; deno run -A --v8-flags=--expose-gc harness.js ...
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
/** jest's test.each(table)(name, fn): one test per row, the title's %s/%d/%i/%p/%j filled from the row. */
it.each = (table) => (name, fn, timeout) => {
  for (const row of table) {
    const args = Array.isArray(row) ? row : [row];
    let k = 0;
    const title = name.replace(/%[sdipj]/g, (m) => {
      const v = args[k++];
      return m === '%p' || m === '%j' ? JSON.stringify(v) : String(v);
    });
    it(title, () => fn(...args), timeout);
  }
};

// beforeAll / afterAll of a file run before its first test and after its last (edges.test.ts)
const hooks = new Map(); // file -> {before: [], after: []}
const hooksOf = (f) => { if (!hooks.has(f)) hooks.set(f, { before: [], after: [] }); return hooks.get(f); };

global.describe = describe;
global.it = it;
global.test = it;
global.beforeAll = (fn) => { hooksOf(currentFile).before.push(fn); };
global.afterAll = (fn) => { hooksOf(currentFile).after.push(fn); };
// jest's own expect (the `expect` package, a dependency of jest) where it can be found: the
// ported upstream files use unittest's assertions (support.ts), pymmap's own files use expect.
try { global.expect = require(require.resolve('expect', { paths: [process.cwd(), __dirname, path.resolve(process.cwd(), '..', '..', '..')] })).expect; } catch { /* not here (node.exe under wine) */ }

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

// Node and Deno: --expose-gc (global.gc); Bun: Bun.gc(true) (it has no such flag)
const gcNow = typeof global.gc === 'function' ? () => global.gc()
  : typeof Bun !== 'undefined' && typeof Bun.gc === 'function' ? () => Bun.gc(true) : null;

async function collect() {
  if (!gcNow) return;
  for (let i = 0; i < 2; i++) {
    gcNow();
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
  const lastOf = new Map(tests.map((t, i) => [t.file, i]));
  const started = new Set();
  for (const [i, t] of tests.entries()) {
    if (!started.has(t.file)) {
      started.add(t.file);
      for (const fn of (hooks.get(t.file) || { before: [] }).before) await fn();
    }
    await runOne(t, results);
    if (lastOf.get(t.file) === i) for (const fn of (hooks.get(t.file) || { after: [] }).after) await fn();
  }
  finish(results);
}

async function runOne(t, results) {
  const title = `${path.basename(t.file)} ${t.suites.join(' > ')} > ${t.name}`;
  if (t.skip) {
    results.push({ file: t.file, suites: t.suites, name: t.name, status: 'skipped', message: '', ms: 0 });
    process.stdout.write(`skip ${title}\n`);
    return;
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

function finish(results) {
  fs.writeFileSync(resultsFile, JSON.stringify({
    node: process.version,
    runtime: typeof Bun !== 'undefined' ? `Bun ${Bun.version}` : typeof Deno !== 'undefined' ? `Deno ${Deno.version.deno}` : `Node ${process.version}`,
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
