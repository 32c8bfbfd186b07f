/*
 * Skips that say why, decided when the tests are registered (never an early `return` that
 * turns a missing prerequisite into a pass).
 *
 * Three kinds of reason:
 *   - 'platform'      the test does not apply here (another OS, another Node line): a skip;
 *   - 'optout'        the user left it out on purpose (PYMMAP_HEAVY=0): a skip;
 *   - 'prerequisite'  something the test needs is missing (an interpreter, a compiler, a
 *                     download that failed): a skip on a developer's machine, a failure with
 *                     CI=true (CI must have everything).
 * A skipped test's title ends with " -- skipped: <reason>", so every reporter shows the reason;
 * the record also goes to the side channel (PYMMAP_CONFORMANCE_SKIPS) that the reporters read.
 */
'use strict';

const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');

/** CI=true (or 1): missing prerequisites fail instead of skipping. */
function onCI() {
  const v = String(process.env.CI || '').toLowerCase();
  return v === 'true' || v === '1';
}

/** Appends one record to the side channel, if there is one (support.ts uses the same file). */
function record(rec) {
  const out = process.env.PYMMAP_CONFORMANCE_SKIPS;
  if (!out) return;
  try { fs.appendFileSync(out, JSON.stringify(rec) + '\n'); } catch { /* report only */ }
}

/** The repository-relative path of the test file being registered (jest's expect state). */
function currentTestFile() {
  let p = '';
  try { p = globalThis.expect && globalThis.expect.getState().testPath; } catch { /* not in jest */ }
  return p ? path.relative(ROOT, p).split(path.sep).join('/') : '';
}

/**
 * What to do with a test whose prerequisite may be missing: {run: true} or
 * {run: false, fail: boolean, reason, kind}.
 */
function decide(reason, kind = 'prerequisite') {
  if (!reason) return { run: true };
  return { run: false, fail: kind === 'prerequisite' && onCI(), reason, kind };
}

const skippedTitle = (name, reason) => `${name} -- skipped: ${reason}`;

/**
 * Registers one jest test. `reason` null: the test runs; a string: it is skipped with that reason
 * (a failure for a missing prerequisite under CI=true). `api` is jest's `test` or `it`.
 */
function register(api, reason, kind, name, fn, timeout) {
  const d = decide(reason, kind);
  if (d.run) return api(name, fn, timeout);
  record({ type: 'skip', file: currentTestFile(), suite: '', name, reason: d.reason, kind: d.kind });
  if (d.fail) {
    return api(`${name} -- missing prerequisite`, () => {
      throw new Error(`missing prerequisite (CI=true makes this a failure): ${d.reason}`);
    });
  }
  return api.skip(skippedTitle(name, d.reason), () => undefined);
}

/** jest's `test`; under `bun test`, bun:test's (Bun gives test files their globals, not globalThis). */
const jestTest = () => globalThis.test || (typeof Bun !== 'undefined' ? require('bun:test').test : undefined);

/** test(name, fn) unless `missing` names a missing prerequisite (skip; failure with CI=true). */
function testIf(missing, name, fn, timeout) { return register(jestTest(), missing, 'prerequisite', name, fn, timeout); }
/** test(name, fn) unless `notHere` says why the test does not apply on this machine (a skip). */
function testOn(notHere, name, fn, timeout) { return register(jestTest(), notHere, 'platform', name, fn, timeout); }
/** test(name, fn) unless PYMMAP_HEAVY=0 left it out, or `missing` names a missing prerequisite. */
function testHeavy(what, missing, name, fn, timeout) {
  const heavy = require('./heavy');
  const out = heavy.optedOut(what);
  if (out) return register(jestTest(), out, 'optout', name, fn, timeout);
  return register(jestTest(), missing, 'prerequisite', name, fn, timeout);
}

/** A line for the person watching the run, without the code frame jest adds to console.* output. */
function note(msg) {
  process.stderr.write(`${msg}\n`);
}

module.exports = { onCI, decide, record, register, testIf, testOn, testHeavy, skippedTitle, currentTestFile, note };
