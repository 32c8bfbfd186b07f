/*
 * The pass / fail / skip rules of the conformance report, for every target that runs the ported
 * files (conformance/run.js for jest on this platform, conformance/windows/run.js for the
 * harness under wine).
 *
 * One ported test, one file (portResult):
 *   - not registered by its file: fail (the file did not load, was not run, or lacks the test);
 *   - failed: fail, with the first line of the failure;
 *   - skipped: skip, with the reason and kind support.ts recorded ('static' for an upstream
 *     decorator, 'runtime' for a skip upstream raises in the body, predicted when the test is
 *     registered, 'prerequisite' for a missing prerequisite of the port);
 *   - passed: pass (a SkipTest nobody predicted is a failure in support.ts, never a pass).
 * One manifest entry, all its ported files (combine), on platform P:
 *   - any file failed: fail;
 *   - a decorator skip of a test the manifest says runs on P: fail (e.g. a missing method);
 *   - a run-time skip on P that the manifest does not list under runtimeSkip[P] with the same
 *     reason: fail (every skip is in the manifest, with its reason);
 *   - a pass in any file: pass (the other files' skips are noted);
 *   - else: skip, with the reason.
 */
'use strict';

const stripAnsi = (s) => String(s).replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');

/** The first line of a failure message (jest and the wine harness both). */
function firstLine(msg) {
  const lines = stripAnsi(msg).split('\n').map((l) => l.trim()).filter(Boolean);
  return (lines[0] || '(no message)').replace(/^Error: (?=\w+Error: )/, '');
}

/**
 * @param t      {status: 'passed'|'failed'|'skipped', message} or null when not registered
 * @param rec    the side-channel skip record of the test, or undefined
 * @param missing the detail when t is null (why it is not there)
 */
function portResult(t, rec, missing) {
  if (!t) return { status: 'fail', detail: missing };
  if (t.status === 'failed') return { status: 'fail', detail: firstLine(t.message || 'failed') };
  if (t.status === 'passed') {
    // (kept for result files of older harnesses: a run-time SkipTest reported as a pass)
    if (rec && rec.kind === 'runtime') return { status: 'skip', detail: rec.reason, kind: 'runtime' };
    return { status: 'pass', detail: '' };
  }
  return { status: 'skip', detail: rec ? rec.reason : 'skipped (no reason recorded)', kind: rec ? rec.kind : 'static' };
}

/** The manifest's reason for a run-time skip of `entry` on `platform`, or null. */
function runtimeSkipReason(entry, platform) {
  return (entry.runtimeSkip && entry.runtimeSkip[platform]) || null;
}

/** @param ports [{p: the manifest's ported entry, r: portResult}] */
function combine(entry, platform, ports) {
  const expected = (entry.platforms || []).includes(platform);
  if (!ports.length) return { status: 'fail', detail: 'no ported file run', expected };
  const tag = (p, d) => (ports.length > 1 ? `[${p.from} file] ${d}` : d);
  const fails = ports.filter(({ r }) => r.status === 'fail');
  if (fails.length) return { status: 'fail', detail: fails.map(({ p, r }) => tag(p, r.detail)).join(' / '), expected };
  const listed = runtimeSkipReason(entry, platform);
  const bad = [];
  for (const { p, r } of ports) {
    if (r.status !== 'skip' || !expected) continue;
    if (r.kind === 'static') bad.push(tag(p, `skipped (${r.detail}) but the manifest says it runs on ${platform}`));
    else if (r.kind === 'runtime' && listed !== r.detail) {
      bad.push(tag(p, `skipped at run time (${r.detail}) but the manifest lists ${listed ? `another reason (${listed})` : `no run-time skip on ${platform}`}`));
    }
  }
  if (bad.length) return { status: 'fail', detail: bad.join(' / '), expected };
  const passes = ports.filter(({ r }) => r.status === 'pass');
  if (passes.length) {
    const skipped = ports.filter(({ r }) => r.status === 'skip');
    return { status: 'pass', detail: skipped.map(({ p, r }) => `${p.from} file skipped: ${r.detail}`).join(' / '), expected };
  }
  const { p, r } = ports[0];
  return { status: 'skip', detail: tag(p, r.detail), expected, kind: r.kind };
}

/** Reads support.ts's side channel (JSON lines): {skips: Map(file::suite::name -> rec), modules: Map}. */
function readSideChannel(file, normaliseFile = (f) => f) {
  const fs = require('fs');
  const skips = new Map();
  const modules = new Map();
  if (!file || !fs.existsSync(file)) return { skips, modules };
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let rec;
    try { rec = JSON.parse(line); } catch { continue; }
    const f = normaliseFile(rec.file || '');
    if (rec.type === 'skip') skips.set(`${f}::${rec.suite}::${rec.name}`, { ...rec, file: f });
    else if (rec.type === 'meta' && rec.module) modules.set(f, rec.module);
  }
  return { skips, modules };
}

/** Counts of one column: {pass, fail, skip, total, expected, expectedFailures}. */
function count(results, platform, rows) {
  const c = { pass: 0, fail: 0, skip: 0, total: 0, expected: 0, expectedFailures: 0 };
  for (const row of rows) {
    const r = results(row);
    if (!r) continue;
    c[r.status] = (c[r.status] || 0) + 1;
    c.total++;
    if (platform && (row.platforms || []).includes(platform)) {
      c.expected++;
      if (r.status === 'fail') c.expectedFailures++;
    }
  }
  return c;
}

/**
 * portResult for the in-process harness (conformance/windows/harness.js, used for wine and for
 * Bun/Deno): the record of `file`'s test `suite` > `name` in the harness's raw results, with the
 * recorded skip of that test, or why there is none.
 */
function harnessResult(raw, skips, file, suite, name) {
  const js = file.replace(/\.ts$/, '.js');
  const t = raw.tests.find((x) => x.file === js && x.suites[0] === suite && x.name === name);
  const missing = raw.files[js] ? `test file failed to load: ${raw.files[js]}`
    : !(js in raw.files) ? `${file} was not run` : `not defined in ${file}`;
  return portResult(t ? { status: t.status, message: t.message } : null, skips.get(`${file}::${suite}::${name}`), missing);
}

module.exports = { firstLine, stripAnsi, portResult, harnessResult, combine, runtimeSkipReason, readSideChannel, count };
