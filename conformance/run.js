#!/usr/bin/env node
/*
 * npm run conformance
 *
 * Runs the jest port of CPython's test_mmap.py (conformance/test_mmap) and reports one
 * row per upstream test of conformance/manifest.json: pass / fail (first line of the
 * failure) / skip (reason), grouped by suite, with totals. The same report is written
 * to conformance/REPORT.md and, machine-readable, to conformance/REPORT.json.
 *
 * The table has one column per "target". This run fills the first one,
 * "pymmap (Node, <platform>)". Other targets (CPython's own test file in Pyodide,
 * Windows under wine, ...) add columns by handing in their results:
 *     node conformance/run.js --import results-of-another-target.json
 * where the file is {"target": {"id", "title", "platform"},
 *                    "results": {"MmapTests.test_basic": {"status": "pass"|"fail"|"skip", "detail": "..."}}}
 * (the "targets"/"results" shape of REPORT.json is accepted too).
 *
 * It also runs the other targets and adds their columns: CPython's own test_mmap.py inside
 * Pyodide with the bridge and with Pyodide's built-in mmap (conformance/pyodide/run.js), and the
 * Windows build under wine (native/windows/build.sh; where wine is installed or can be, as root).
 *
 * Options:
 *   --no-run          report from the last runs (conformance/.tmp/) without running anything
 *   --no-pyodide      do not run the Pyodide columns (their last results are still shown)
 *   --no-windows      do not run the Windows column (its last results are still shown)
 *   --import FILE     add the columns of another target (repeatable)
 *   -- ARGS           passed on to jest (e.g. -- -t test_basic)
 *
 * Exit status: 0 when every test that should run on this platform passed (skips by
 * run-time SkipTest are fine); 1 when one failed, was missing, or was skipped by a
 * decorator although the manifest says it runs here; 2 when jest gave no results.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const CONF = __dirname;
const TMP = path.join(CONF, '.tmp');
const MANIFEST = path.join(CONF, 'manifest.json');
const JEST_JSON = path.join(TMP, 'jest-results.json');
const SKIPS = path.join(TMP, 'skips.jsonl');
const REPORT_MD = path.join(CONF, 'REPORT.md');
const REPORT_JSON = path.join(CONF, 'REPORT.json');

const PLATFORM = process.platform === 'win32' ? 'win32' : process.platform;
const SELF_TARGET = { id: `pymmap-node-${PLATFORM}`, title: `pymmap (Node, ${PLATFORM})`, platform: PLATFORM };

function parseArgs(argv) {
  const opts = { run: true, imports: [], jestArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { opts.jestArgs = argv.slice(i + 1); break; }
    if (a === '--no-run') opts.run = false;
    else if (a === '--no-pyodide') opts.noPyodide = true;
    else if (a === '--no-windows') opts.noWindows = true;
    else if (a === '--import') opts.imports.push(argv[++i]);
    else if (a.startsWith('--import=')) opts.imports.push(a.slice('--import='.length));
    else if (a === '-h' || a === '--help') { opts.help = true; }
    else { console.error(`run.js: unknown option ${a}`); process.exit(2); }
  }
  return opts;
}

const rel = (p) => path.relative(ROOT, p).split(path.sep).join('/');
const stripAnsi = (s) => String(s).replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');

function firstLine(msg) {
  const lines = stripAnsi(msg).split('\n').map((l) => l.trim()).filter(Boolean);
  // jest prefixes some messages with "thrown: ..." or an empty "Error:" line
  return (lines[0] || '(no message)').replace(/^Error: (?=\w+Error: )/, '');
}

function jestBin() {
  const js = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  if (fs.existsSync(js)) return js;
  return path.join(ROOT, 'node_modules', '.bin', 'jest');
}

function runJest(jestPaths, extra) {
  fs.mkdirSync(TMP, { recursive: true });
  for (const f of [JEST_JSON, SKIPS]) { try { fs.unlinkSync(f); } catch { /* absent */ } }
  fs.writeFileSync(SKIPS, '');
  const args = [
    '--expose-gc', jestBin(),
    '--config', path.join(CONF, 'jest.config.js'),
    '--runInBand',
    '--json', `--outputFile=${JEST_JSON}`,
    ...jestPaths,
    ...extra,
  ];
  const r = spawnSync(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, PYMMAP_CONFORMANCE_SKIPS: SKIPS },
  });
  if (r.error) throw r.error;
  return r.status;
}

function loadJestResults() {
  if (!fs.existsSync(JEST_JSON)) return null;
  const data = JSON.parse(fs.readFileSync(JEST_JSON, 'utf8'));
  const byKey = new Map();
  const fileErrors = new Map();
  const files = new Set();
  for (const tr of data.testResults || []) {
    const file = rel(tr.name);
    files.add(file);
    if (tr.status === 'failed' && (!tr.assertionResults || tr.assertionResults.length === 0 || tr.testExecError)) {
      fileErrors.set(file, firstLine(tr.message || (tr.testExecError && tr.testExecError.message) || 'test file failed to run'));
    }
    for (const a of tr.assertionResults || []) {
      const key = `${file}::${(a.ancestorTitles || []).join(' > ')}::${a.title}`;
      byKey.set(key, a);
    }
  }
  return { data, byKey, fileErrors, files };
}

function loadSideChannel() {
  const skips = new Map();
  const modules = new Map();
  if (!fs.existsSync(SKIPS)) return { skips, modules };
  for (const line of fs.readFileSync(SKIPS, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let rec;
    try { rec = JSON.parse(line); } catch { continue; }
    if (rec.type === 'skip') skips.set(`${rec.file}::${rec.suite}::${rec.name}`, rec);
    else if (rec.type === 'meta' && rec.module) modules.set(rec.file, rec.module);
  }
  return { skips, modules };
}

/** Result of one ported test (one file) on this run. */
function portResult(jr, side, file, suite, name, manifestSkip) {
  const key = `${file}::${suite}::${name}`;
  const a = jr.byKey.get(key);
  const rec = side.skips.get(key);
  if (!a) {
    if (jr.fileErrors.has(file)) return { status: 'fail', detail: `test file failed to run: ${jr.fileErrors.get(file)}` };
    if (!jr.files.has(file)) return { status: 'fail', detail: `${file} was not run` };
    return { status: 'fail', detail: `not defined in ${file}` };
  }
  if (a.status === 'passed') {
    if (rec && rec.kind === 'runtime') return { status: 'skip', detail: rec.reason, kind: 'runtime' };
    return { status: 'pass', detail: '' };
  }
  if (a.status === 'failed') return { status: 'fail', detail: firstLine((a.failureMessages || [])[0] || 'failed') };
  // pending / skipped / todo / disabled
  if (rec) return { status: 'skip', detail: rec.reason, kind: rec.kind };
  return { status: 'skip', detail: manifestSkip || 'skipped', kind: 'static' };
}

function combine(entry, ports) {
  const expected = (entry.platforms || []).includes(PLATFORM);
  const tag = (p, r) => (ports.length > 1 ? `[${p.from} file] ${r.detail}` : r.detail);
  const fails = ports.filter(({ r }) => r.status === 'fail');
  if (fails.length) {
    return { status: 'fail', detail: fails.map(({ p, r }) => tag(p, r)).join(' / '), expected };
  }
  // A decorator skip of a test the manifest says runs here is a failure of the
  // implementation under test (e.g. a missing method), not an allowed skip.
  const badSkips = ports.filter(({ r }) => r.status === 'skip' && r.kind === 'static' && expected);
  if (badSkips.length) {
    return {
      status: 'fail',
      detail: badSkips.map(({ p, r }) => tag(p, { detail: `skipped (${r.detail}) but expected to run on ${PLATFORM}` })).join(' / '),
      expected,
    };
  }
  const passes = ports.filter(({ r }) => r.status === 'pass');
  if (passes.length) {
    const skipped = ports.filter(({ r }) => r.status === 'skip');
    const detail = skipped.length ? skipped.map(({ p, r }) => `${p.from} file skipped: ${r.detail}`).join(' / ') : '';
    return { status: 'pass', detail, expected };
  }
  const { p, r } = ports[0];
  return { status: 'skip', detail: ports.length > 1 ? tag(p, r) : r.detail, expected };
}

function importTarget(file) {
  const data = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (data.target && data.results) return [{ target: data.target, results: data.results }];
  if (Array.isArray(data.targets) && Array.isArray(data.rows)) {
    return data.targets.map((t) => {
      const results = {};
      for (const row of data.rows) if (row.results && row.results[t.id]) results[`${row.suite}.${row.name}`] = row.results[t.id];
      return { target: t, results };
    });
  }
  throw new Error(`${file}: not a target result file`);
}

// ---------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------

const SYMBOL = { pass: 'pass', fail: 'FAIL', skip: 'skip' };

function cellText(res, max) {
  if (!res) return '-';
  let s = SYMBOL[res.status] || res.status;
  if (res.detail) s += `: ${res.detail}`;
  if (max && s.length > max) s = s.slice(0, max - 3) + '...';
  return s;
}

function versionsText(vs) { return (vs || []).map((v) => v.replace(/^3\./, '')).join(','); }

function pad(s, n) { s = String(s); return s.length >= n ? s : s + ' '.repeat(n - s.length); }

function renderText(report) {
  const out = [];
  const nameW = Math.max(...report.rows.map((r) => r.name.length), 10) + 2;
  const verW = 10;
  const colW = 72;
  out.push(`test_mmap conformance  ${report.generated}  node ${report.node} ${report.platform}`);
  for (const [file, mod] of Object.entries(report.modules)) out.push(`  ${file}: ${mod}`);
  const header = pad('test', nameW) + pad('versions', verW) + report.targets.map((t) => pad(t.title, colW)).join('');
  for (const suite of report.suites) {
    out.push('');
    out.push(`== ${suite} ==`);
    out.push(header);
    for (const row of report.rows.filter((r) => r.suite === suite)) {
      out.push(pad(row.name, nameW) + pad(versionsText(row.versions), verW) +
        report.targets.map((t) => pad(cellText(row.results[t.id], colW - 2), colW)).join(''));
    }
  }
  if (report.extra.length) {
    out.push('');
    out.push('== pymmap extra tests and checks (not upstream) ==');
    for (const x of report.extra) out.push(pad(`${x.suite}.${x.name} `, nameW + verW) + cellText(x.result, colW));
  }
  out.push('');
  for (const t of report.targets) {
    const c = report.totals[t.id];
    out.push(`${t.title}: ${c.pass} pass, ${c.fail} fail, ${c.skip} skip of ${c.total} upstream tests` +
      (t.id === SELF_TARGET.id ? ` (${c.expected} expected to run on ${PLATFORM}, ${c.expectedFailures} of them failing)` : ''));
  }
  if (report.extra.length) {
    const x = report.extraTotals;
    out.push(`pymmap extra tests and checks: ${x.pass} pass, ${x.fail} fail, ${x.skip} skip`);
  }
  return out.join('\n');
}

function mdEscape(s) { return String(s).replace(/\|/g, '\\|').replace(/\n/g, ' '); }

function renderMarkdown(report) {
  const out = [];
  out.push('# test_mmap conformance report');
  out.push('');
  out.push(`Generated ${report.generated} by \`npm run conformance\` (node ${report.node}, ${report.platform}).`);
  out.push('One row per test of CPython\'s `Lib/test/test_mmap.py` (3.13.0, 3.14, 3.15-era main) as listed in');
  out.push('`conformance/manifest.json`; versions are the CPython versions whose test file has the test.');
  out.push('');
  out.push('Modules under test:');
  out.push('');
  for (const [file, mod] of Object.entries(report.modules)) out.push(`- \`${file}\`: ${mod}`);
  out.push('');
  out.push('| target | pass | fail | skip | total |');
  out.push('|---|---|---|---|---|');
  for (const t of report.targets) {
    const c = report.totals[t.id];
    out.push(`| ${mdEscape(t.title)} | ${c.pass} | ${c.fail} | ${c.skip} | ${c.total} |`);
  }
  if (report.extra.length) {
    const x = report.extraTotals;
    out.push(`| pymmap extra tests and checks (not upstream) | ${x.pass} | ${x.fail} | ${x.skip} | ${report.extra.length} |`);
  }
  for (const suite of report.suites) {
    out.push('');
    out.push(`## ${suite}`);
    out.push('');
    out.push(`| test | versions | ${report.targets.map((t) => mdEscape(t.title)).join(' | ')} |`);
    out.push(`|---|---|${report.targets.map(() => '---').join('|')}|`);
    for (const row of report.rows.filter((r) => r.suite === suite)) {
      out.push(`| ${row.name} | ${versionsText(row.versions)} | ${report.targets.map((t) => mdEscape(cellText(row.results[t.id], 300))).join(' | ')} |`);
    }
  }
  if (report.extra.length) {
    out.push('');
    out.push('## pymmap extra tests and checks (not upstream)');
    out.push('');
    out.push(`| test | ${mdEscape(SELF_TARGET.title)} |`);
    out.push('|---|---|');
    for (const x of report.extra) out.push(`| ${x.suite}.${x.name} | ${mdEscape(cellText(x.result, 300))} |`);
  }
  if (report.notes.length) {
    out.push('');
    out.push('## Notes');
    out.push('');
    for (const n of report.notes) out.push(`- ${n}`);
  }
  out.push('');
  return out.join('\n');
}

// ---------------------------------------------------------------------------

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    console.log(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 28).join('\n'));
    return 0;
  }
  const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8'));

  let jestStatus = null;
  // The ported tests, plus the extra files that live elsewhere (manifest.test.ts).
  const jestPaths = [path.join('conformance', 'test_mmap')];
  for (const f of (manifest.extra && manifest.extra.files) || []) {
    if (!f.startsWith('conformance/test_mmap/')) jestPaths.push(f.split('/').join(path.sep));
  }
  if (opts.run) jestStatus = runJest(jestPaths, opts.jestArgs);
  const jr = loadJestResults();
  if (!jr) {
    console.error(`run.js: jest produced no results (${rel(JEST_JSON)} missing; jest exit status ${jestStatus})`);
    return 2;
  }
  const side = loadSideChannel();

  const targets = [SELF_TARGET];
  const rows = [];
  for (const entry of manifest.tests) {
    const ports = (entry.ported || []).map((p) => ({
      p, r: portResult(jr, side, p.file, entry.suite, entry.name, (entry.skip || {})[PLATFORM]),
    }));
    const res = ports.length ? combine(entry, ports)
      : { status: 'fail', detail: 'no ported file', expected: (entry.platforms || []).includes(PLATFORM) };
    rows.push({
      suite: entry.suite, name: entry.name, versions: entry.versions,
      platforms: entry.platforms, results: { [SELF_TARGET.id]: res },
    });
  }

  // The other targets: each leaves its results file; a failure shows in its column.
  if (opts.run && !opts.noPyodide) {
    console.log('\n== running CPython\'s own test_mmap.py inside Pyodide (conformance/pyodide/run.js) ==');
    spawnSync(process.execPath, [path.join(ROOT, 'conformance', 'pyodide', 'run.js')], { cwd: ROOT, stdio: 'inherit' });
  }
  if (opts.run && !opts.noWindows && process.platform === 'linux') {
    const hasWine = spawnSync('sh', ['-c', 'command -v wine'], { encoding: 'utf8' }).status === 0;
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    if (hasWine || root) {
      console.log('\n== running the ported suite with the Windows build under wine (native/windows/build.sh) ==');
      spawnSync('bash', [path.join(ROOT, 'native', 'windows', 'build.sh')], { cwd: ROOT, stdio: 'inherit' });
    } else {
      console.log('\n(Windows column not run: wine is not installed and installing it needs root)');
    }
  }
  // The Windows column (npm run test:windows leaves its results here) and the Pyodide one.
  for (const auto of ['conformance/.tmp/windows/results.json', 'conformance/.tmp/pyodide/results.json']) {
    const f = path.join(ROOT, auto);
    if (fs.existsSync(f) && !opts.imports.some((x) => path.resolve(x) === f)) opts.imports.push(f);
  }
  for (const file of opts.imports) {
    for (const { target, results } of importTarget(file)) {
      targets.push(target);
      for (const row of rows) {
        const r = results[`${row.suite}.${row.name}`];
        if (r) row.results[target.id] = r;
      }
    }
  }

  // Extra (non-upstream) tests: every assertion of the extra files.
  const extra = [];
  for (const file of (manifest.extra && manifest.extra.files) || []) {
    let found = false;
    for (const key of jr.byKey.keys()) {
      const [f, suite, name] = key.split('::');
      if (f !== file) continue;
      found = true;
      const r = portResult(jr, side, f, suite, name, null);
      extra.push({ file, suite, name, result: r });
    }
    if (!found) {
      extra.push({ file, suite: path.basename(file), name: '(file)', result: {
        status: 'fail', detail: jr.fileErrors.get(file) ? `test file failed to run: ${jr.fileErrors.get(file)}` : `${file} was not run`,
      } });
    }
  }

  const suites = [...new Set(rows.map((r) => r.suite))];
  const totals = {};
  for (const t of targets) {
    // total: the upstream tests this target reports on (a test file may have fewer than 55)
    const c = { pass: 0, fail: 0, skip: 0, total: 0, expected: 0, expectedFailures: 0 };
    for (const row of rows) {
      const r = row.results[t.id];
      if (r) {
        c[r.status] = (c[r.status] || 0) + 1;
        c.total++;
      }
      if (t.id === SELF_TARGET.id && r.expected) {
        c.expected++;
        if (r.status === 'fail') c.expectedFailures++;
      }
    }
    totals[t.id] = c;
  }
  const extraTotals = { pass: 0, fail: 0, skip: 0 };
  for (const x of extra) extraTotals[x.result.status]++;

  const notes = [];
  for (const [v, u] of Object.entries(manifest.upstream || {})) {
    if (u.reconstructed) notes.push(`${v}: ${u.source}`);
  }
  const unexpectedRuns = rows.filter((r) => !r.results[SELF_TARGET.id].expected && r.results[SELF_TARGET.id].status !== 'skip');
  for (const r of unexpectedRuns) {
    notes.push(`${r.suite}.${r.name} ran on ${PLATFORM} although the manifest lists it for ${r.platforms.join(', ')} only (${r.results[SELF_TARGET.id].status}).`);
  }

  const modules = {};
  for (const [file, mod] of [...side.modules].sort()) modules[file] = mod;

  const report = {
    generated: new Date().toISOString(),
    node: process.version,
    platform: PLATFORM,
    jestExitStatus: jestStatus,
    modules,
    targets,
    suites,
    rows: rows.map((r) => ({ ...r, results: Object.fromEntries(Object.entries(r.results).map(([k, v]) => [k, { status: v.status, detail: v.detail || '', ...(k === SELF_TARGET.id ? { expected: v.expected } : {}) }])) })),
    totals,
    extra: extra.map((x) => ({ file: x.file, suite: x.suite, name: x.name, result: { status: x.result.status, detail: x.result.detail || '' } })),
    extraTotals,
    notes,
  };

  fs.writeFileSync(REPORT_JSON, JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(REPORT_MD, renderMarkdown(report));
  console.log('');
  console.log(renderText(report));
  console.log('');
  console.log(`wrote ${rel(REPORT_MD)} and ${rel(REPORT_JSON)}`);

  const c = totals[SELF_TARGET.id];
  const failed = c.expectedFailures + extraTotals.fail;
  // The plain closing line CI reads (upstream rows plus the extra tests).
  console.log(`conformance: ${c.pass + extraTotals.pass} passed, ${failed} failed, ${c.skip + extraTotals.skip} skipped`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = main();
