#!/usr/bin/env node
/*
 * npm run conformance
 *
 * The main job: runs CPython's test_mmap.py, ported (conformance/test_mmap, with jest), on this
 * platform; the same test bodies on Bun and on Deno (conformance/runtimes/run.js); the crash
 * matrix (native/test/crash.test.ts) with its child processes on Node, Bun and Deno;
 * CPython's own test_mmap.py inside Pyodide with pymmap's bridge and with Pyodide's built-in
 * mmap as the anchor (conformance/pyodide/run.js), and with the bridge on Bun and on Deno; and
 * the Windows build under wine (native/windows/build.sh, a heavy target: left out by
 * --no-windows or PYMMAP_HEAVY=0). Each
 * step prints one progress line (and one every 15 s while it runs); its own output goes to
 * conformance/.tmp/logs/ and is shown (the end of it) only when the step fails.
 *
 * Then it prints, in at most 100 columns:
 *   1. a summary, one line per target (column key, target, pass / fail / skip of the upstream
 *      tests, and when its results were made), plus lines for pymmap's own extra tests (+, +B,
 *      +D) and for the crash matrix on each runtime (xN, xB, xD);
 *   2. one row per upstream test of conformance/manifest.json, grouped by suite, one short
 *      column per target (pass, FAIL:n, skip:X), then the notes n and X that the cells point to;
 *   3. the closing line, upstream tests and pymmap's extra tests counted apart.
 * Columns not run now are left out (--with-previous shows them, dated). The same report goes
 * to conformance/.tmp/report/REPORT.md and REPORT.json (ignored by git); --write-report also
 * writes the committed conformance/REPORT.md.
 *
 * Options:
 *   --no-run          report from the last runs (every column dated) without running anything
 *   --no-pyodide      do not run the Pyodide columns
 *   --no-windows      do not run the Windows column
 *   --no-bun          do not run the Bun columns (B, B13, B11, +B, xB)
 *   --no-deno         do not run the Deno columns (D, D13, D11, +D, xD)
 *   --with-previous   also show the columns of earlier runs that were not run now (dated)
 *   --import FILE     add the columns of another target (repeatable; format below)
 *   --write-report    also write conformance/REPORT.md (the committed report)
 *   -- ARGS           passed on to jest (e.g. -- -t test_basic)
 * An imported file is {"target": {"id", "title", "platform"}, "results": {"MmapTests.test_basic":
 * {"status": "pass"|"fail"|"skip", "detail": "..."}}} or the "targets"/"rows" shape of
 * REPORT.json.
 *
 * Exit status: 0 when every step run now passed by its own rules (this platform's column:
 * conformance/lib/verdict.js, and pymmap's extra tests; the Bun and Deno columns and their own
 * tests, by the same rules; the crash matrix on each runtime; the Pyodide bridge columns; the
 * Windows column); 1 otherwise (also, with CI=true, when Bun or Deno is missing); 2 when jest
 * gave no results.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { spawn, spawnSync } = require('child_process');
const verdict = require('./lib/verdict');
const heavy = require('./lib/heavy');

const ROOT = path.resolve(__dirname, '..');
const CONF = __dirname;
const TMP = path.join(CONF, '.tmp');
const LOGS = path.join(TMP, 'logs');
const REPORT_DIR = path.join(TMP, 'report');
const MANIFEST = path.join(CONF, 'manifest.json');
const JEST_JSON = path.join(TMP, 'jest-results.json');
const SKIPS = path.join(TMP, 'skips.jsonl');
const PYODIDE_JSON = path.join(TMP, 'pyodide', 'results.json');
const WINDOWS_JSON = path.join(TMP, 'windows', 'results.json');
const COMMITTED_MD = path.join(CONF, 'REPORT.md');
const runtimes = require('./lib/runtimes');
/** Bun and Deno: where their results go (conformance/runtimes/run.js, crash.test.ts, pyodide/run.js). */
const RUNTIMES = ['bun', 'deno'].map((id) => ({
  id, key: id === 'bun' ? 'B' : 'D',
  ported: path.join(TMP, id, 'results.json'),
  crash: path.join(TMP, id, 'crash.json'),
  pyodide: path.join(TMP, id, 'pyodide.json'),
}));
const NODE_CRASH = path.join(TMP, 'node-crash.json');
const WIDTH = 100;

const PLATFORM = process.platform;
const SELF = { id: `pymmap-node-${PLATFORM}`, title: `pymmap, Node ${process.version}, ${PLATFORM}`, platform: PLATFORM, key: 'N' };

const rel = (p) => path.relative(ROOT, p).split(path.sep).join('/');
const pad = (s, n) => { s = String(s); return s.length >= n ? s : s + ' '.repeat(n - s.length); };
const lpad = (s, n) => { s = String(s); return s.length >= n ? s : ' '.repeat(n - s.length) + s; };
const cut = (s, n) => (s.length > n ? s.slice(0, n - 1) + '~' : s);
const stamp = (ms) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16);

function parseArgs(argv) {
  const o = { run: true, imports: [], jestArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { o.jestArgs = argv.slice(i + 1); break; }
    if (a === '--no-run') o.run = false;
    else if (a === '--no-pyodide') o.noPyodide = true;
    else if (a === '--no-windows') o.noWindows = true;
    else if (a === '--no-bun') o.noBun = true;
    else if (a === '--no-deno') o.noDeno = true;
    else if (a === '--with-previous') o.withPrevious = true;
    else if (a === '--write-report') o.writeReport = true;
    else if (a === '--import') o.imports.push(path.resolve(argv[++i]));
    else if (a.startsWith('--import=')) o.imports.push(path.resolve(a.slice('--import='.length)));
    else if (a === '-h' || a === '--help') o.help = true;
    else { console.error(`run.js: unknown option ${a}`); process.exit(2); }
  }
  return o;
}

// ------------------------------------------------------------------ steps

/** Runs one step with its output in a log file: a progress line now, one every 15 s, and the result. */
function step(n, total, label, cmd, args, extraEnv = {}) {
  fs.mkdirSync(LOGS, { recursive: true });
  const logFile = path.join(LOGS, `${label.split(/[^\w]+/).filter(Boolean).slice(0, 3).join('-').toLowerCase()}.log`);
  const out = fs.openSync(logFile, 'w');
  const t0 = Date.now();
  process.stdout.write(`[${n}/${total}] ${label} ...\n`);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', out, out], env: { ...process.env, ...extraEnv } });
    const beat = setInterval(() => process.stdout.write(`      ... ${Math.round((Date.now() - t0) / 1000)} s\n`), 15000);
    const finish = (status, error) => {
      clearInterval(beat);
      fs.closeSync(out);
      const seconds = Math.round((Date.now() - t0) / 1000);
      const ok = status === 0;
      process.stdout.write(`      ${ok ? 'done' : `FAILED (${error || `exit ${status}`})`} in ${seconds} s; log: ${rel(logFile)}\n`);
      if (!ok) {
        const tail = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-15);
        for (const l of tail) process.stdout.write(`      | ${verdict.stripAnsi(l).slice(0, WIDTH - 8)}\n`);
      }
      resolve({ status, seconds, logFile });
    };
    child.on('error', (e) => finish(null, e.message));
    child.on('close', (status) => finish(status));
  });
}

function jestBin() {
  const js = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  return fs.existsSync(js) ? js : path.join(ROOT, 'node_modules', '.bin', 'jest');
}

// ------------------------------------------------------------------ this platform's column

function loadJestResults(file = JEST_JSON) {
  if (!fs.existsSync(file)) return null;
  const data = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byKey = new Map();
  const fileErrors = new Map();
  const files = new Set();
  for (const tr of data.testResults || []) {
    const file = rel(tr.name);
    files.add(file);
    if (tr.status === 'failed' && (!tr.assertionResults || tr.assertionResults.length === 0 || tr.testExecError)) {
      fileErrors.set(file, verdict.firstLine(tr.message || (tr.testExecError && tr.testExecError.message) || 'test file failed to run'));
    }
    for (const a of tr.assertionResults || []) byKey.set(`${file}::${(a.ancestorTitles || []).join(' > ')}::${a.title}`, a);
  }
  return { byKey, fileErrors, files, mtime: fs.statSync(file).mtimeMs };
}

/** pass / fail / skip of one jest run (the crash matrix), from its --json file; null if none. */
function jestTotals(file) {
  const jr = loadJestResults(file);
  if (!jr) return null;
  const t = { pass: 0, fail: jr.fileErrors.size, skip: 0, total: jr.fileErrors.size, time: jr.mtime, skipped: [], failed: [] };
  for (const a of jr.byKey.values()) {
    t.total++;
    if (a.status === 'passed') t.pass++;
    else if (a.status === 'failed') { t.fail++; t.failed.push(a.title); }
    else { t.skip++; t.skipped.push(a.title); } // (the title ends with " -- skipped: <reason>")
  }
  return t;
}

function jestPortResult(jr, skips, file, suite, name) {
  const key = `${file}::${suite}::${name}`;
  const a = jr.byKey.get(key);
  const missing = jr.fileErrors.has(file) ? `test file failed to run: ${jr.fileErrors.get(file)}`
    : !jr.files.has(file) ? `${file} was not run` : `not defined in ${file}`;
  const t = a && { status: a.status === 'passed' || a.status === 'failed' ? a.status : 'skipped', message: (a.failureMessages || [])[0] };
  return verdict.portResult(t, skips.get(key), missing);
}

// ------------------------------------------------------------------ other columns

/** [{target, results: {'Suite.name': {status, detail}}}] from a results file of another target. */
function importTarget(file) {
  const data = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (data.target && data.results) return [{ target: data.target, results: data.results, generated: data.generated }];
  if (Array.isArray(data.targets) && Array.isArray(data.rows)) {
    return data.targets.map((t) => {
      const results = {};
      for (const row of data.rows) if (row.results && row.results[t.id]) results[`${row.suite}.${row.name}`] = row.results[t.id];
      return { target: t, results, generated: data.generated };
    });
  }
  throw new Error(`${file}: not a target result file`);
}

/** A short column key: W for Windows, P29 / P29c / P29a for Pyodide 0.29 (bridge / copy /
 *  anchor), P314 for Pyodide 314. */
function keyFor(target, used) {
  let k = 'X';
  if (/win32/.test(target.id)) k = 'W';
  else if (target.runtime) k = target.runtime === 'bun' ? 'B' : 'D';
  // P29 / P314a: Pyodide 0.29 / 314 (bridge / copy c / anchor a); B29 / D29: the same on Bun / Deno
  const p = /^pyodide([\d.]+)-cpython3\.(\d+)-([a-z]+)(?:-(bun|deno))?$/.exec(target.id);
  if (p) k = `${p[4] ? (p[4] === 'bun' ? 'B' : 'D') : 'P'}${p[1].replace(/^0\./, '')}${{ bridge: '', copy: 'c', builtin: 'a' }[p[3]] ?? p[3][0]}`;
  let key = k;
  for (let i = 2; used.has(key); i++) key = `${k}${i}`;
  used.add(key);
  return key;
}

// ------------------------------------------------------------------ rendering

/** Notes the cells point to: failures numbered, skip reasons lettered (the same text, the same note). */
function makeNotes() {
  const fails = new Map();
  const skips = new Map();
  return {
    cell(res) {
      if (!res) return '-';
      if (res.status === 'pass') return 'pass';
      if (res.status === 'fail') {
        const detail = res.detail || 'failed';
        if (!fails.has(detail)) fails.set(detail, fails.size + 1);
        return `FAIL:${fails.get(detail)}`;
      }
      const reason = res.detail || 'skipped';
      if (!skips.has(reason)) {
        let n = skips.size;
        let letter = '';
        do { letter = String.fromCharCode(65 + (n % 26)) + letter; n = Math.floor(n / 26) - 1; } while (n >= 0);
        skips.set(reason, letter);
      }
      return `skip:${skips.get(reason)}`;
    },
    fails,
    skips,
  };
}

/** A target's title for the summary line (the notes give it whole). */
function shortTitle(t) {
  return t.replace(/^(Pyodide [\w.-]+) \(Python [\d.]+\): /, '$1: ').replace(' test file', '').replace("Pyodide's built-in mmap", 'built-in mmap');
}

function versionsText(vs) {
  const m = (vs || []).map((v) => Number(v.split('.')[1]));
  if (!m.length) return '';
  return m.length > 2 && m[m.length - 1] - m[0] === m.length - 1 ? `${m[0]}-${m[m.length - 1]}` : m.join(',');
}

function render(report, md) {
  const out = [];
  const cols = report.columns;
  const notes = makeNotes();
  const when = (c) => (c.now ? 'now' : stamp(c.time));
  if (md) {
    out.push('# test_mmap conformance report', '');
    out.push(`Generated ${report.generated} by \`npm run conformance\` (Node ${report.node}, ${report.platform}). One row per`);
    out.push('upstream test of CPython\'s `Lib/test/test_mmap.py` (3.13.0, 3.14, 3.15-era main) as listed in');
    out.push('`conformance/manifest.json`; the versions are those whose test file has the test. Notes below the');
    out.push('tables give each failure (FAIL:n) and each skip reason (skip:X).', '');
    out.push('| key | target | pass | fail | skip | total | results of |', '|---|---|---|---|---|---|---|');
    // (a file outlives the run: every column gets its date, and says when it was not run with the others)
    const mdWhen = (c) => `${stamp(c.time)}${c.now ? '' : ' (not run now)'}`;
    for (const c of cols) out.push(`| ${c.key} | ${c.target.title} | ${c.totals.pass} | ${c.totals.fail} | ${c.totals.skip} | ${c.totals.total} | ${mdWhen(c)} |`);
    for (const m of report.more) out.push(`| ${m.key} | ${m.title} | ${m.totals.pass} | ${m.totals.fail} | ${m.totals.skip} | ${m.totals.total} | ${mdWhen(m)} |`);
  } else {
    out.push(`test_mmap conformance: ${report.generated.slice(0, 16).replace('T', ' ')}, Node ${report.node}, ${report.platform}`);
    out.push('');
    const whenW = Math.max(4, ...cols.map((c) => when(c).length), ...report.more.map((m) => when(m).length));
    const keyW = Math.max(5, ...cols.map((c) => c.key.length + 1));
    const titleW = Math.min(Math.max(...report.more.map((m) => m.short.length), ...cols.map((c) => shortTitle(c.target.title).length)) + 2, WIDTH - keyW - 19 - 2 - whenW);
    const line = (key, title, t, w) => `${pad(key, keyW)}${pad(cut(title, titleW - 1), titleW)}${lpad(t.pass, 5)}${lpad(t.fail, 5)}${lpad(t.skip, 5)}${lpad(t.total, 4)}  ${w}`;
    out.push(`${pad('key', keyW)}${pad('target', titleW)}${lpad('pass', 5)}${lpad('fail', 5)}${lpad('skip', 5)}${lpad('of', 4)}  when`);
    for (const c of cols) out.push(line(c.key, shortTitle(c.target.title), c.totals, when(c)));
    for (const m of report.more) out.push(line(m.key, m.short, m.totals, when(m)));
    for (const s of report.notRun) out.push(cut(`     (not run: ${s})`, WIDTH));
  }

  // per-test tables (cells first: their notes are numbered in table order)
  const cells = new Map(report.rows.map((r) => [r, cols.map((c) => notes.cell(r.results[c.id]))]));
  const cellW = Math.max(5, ...[...cells.values()].flat().map((x) => x.length), ...cols.map((c) => c.key.length)) + 1;
  const verW = 6;
  // (text: as many columns per table as fit in WIDTH beside the full test names; more go to
  // another table of the same rows)
  const fullNameW = Math.max(...report.rows.map((r) => r.name.length)) + 1;
  const perTable = md ? cols.length : Math.max(1, Math.floor((WIDTH - verW - Math.min(fullNameW, 36)) / cellW));
  const chunks = [];
  for (let i = 0; i < cols.length; i += perTable) chunks.push(cols.map((c, j) => j).slice(i, i + perTable));
  for (const chunk of chunks) {
    const nameW = Math.min(fullNameW, WIDTH - verW - cellW * chunk.length);
    for (const suite of report.suites) {
      const rows = report.rows.filter((r) => r.suite === suite);
      out.push('');
      if (md) {
        out.push(`## ${suite}`, '');
        out.push(`| test | versions | ${cols.map((c) => c.key).join(' | ')} |`, `|---|---|${cols.map(() => '---').join('|')}|`);
        for (const r of rows) out.push(`| ${r.name} | ${versionsText(r.versions)} | ${cells.get(r).join(' | ')} |`);
      } else {
        out.push(`${pad(suite, nameW)}${pad('vers', verW)}${chunk.map((j) => pad(cols[j].key, cellW)).join('')}`.trimEnd());
        for (const r of rows) {
          out.push(`${pad(cut(r.name, nameW - 1), nameW)}${pad(versionsText(r.versions), verW)}${chunk.map((j) => pad(cells.get(r)[j], cellW)).join('')}`.trimEnd());
        }
      }
    }
  }
  const extraFails = report.extra.filter((e) => e.result.status !== 'pass' && !(e.result.status === 'skip' && e.runtime));
  if (extraFails.length) {
    out.push('');
    out.push(md ? "## pymmap's own tests that did not pass" : "pymmap's own tests that did not pass:");
    if (md) out.push('');
    for (const e of extraFails) out.push(`${md ? '- ' : '  '}${e.runtime ? `[${e.runtime}] ` : ''}${e.file} ${e.suite ? `${e.suite} > ` : ''}${e.name}: ${notes.cell(e.result)}`);
  }
  out.push('');
  out.push(md ? '## Notes' : 'notes:');
  if (md) out.push('');
  const wrap = (prefix, text) => {
    if (md) return [`- ${prefix} ${text.replace(/\|/g, '\\|')}`];
    const lines = [];
    let line = `  ${prefix} `;
    for (const word of text.split(/\s+/)) {
      if (line.length + word.length + 1 > WIDTH && line.trim().length > prefix.length) { lines.push(line.trimEnd()); line = ' '.repeat(prefix.length + 3); }
      line += `${word} `;
    }
    lines.push(line.trimEnd());
    return lines;
  };
  for (const [d, i] of notes.fails) out.push(...wrap(`${i}`.padEnd(2) + ':', d));
  for (const [reason, letter] of notes.skips) out.push(...wrap(`${letter.padEnd(2)}:`, reason));
  for (const n of report.notes) out.push(...wrap('* ', n));
  for (const c of cols) out.push(...wrap(`${c.key.padEnd(4)} =`, `${c.target.title}${c.now ? '' : ` (results of ${stamp(c.time)}, not run now)`}`));
  for (const m of report.more) if (m.title !== m.short) out.push(...wrap(`${m.key.padEnd(4)} =`, m.title));
  out.push('');
  return out.join('\n');
}

// ------------------------------------------------------------------ main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    const lines = fs.readFileSync(__filename, 'utf8').split('\n');
    console.log(lines.slice(1, lines.indexOf(' */') + 1).join('\n'));
    return 0;
  }
  const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8'));
  fs.mkdirSync(TMP, { recursive: true });
  const jestPaths = [path.join('conformance', 'test_mmap')];
  for (const f of manifest.extra.files || []) if (!f.startsWith('conformance/test_mmap/')) jestPaths.push(f.split('/').join(path.sep));

  // ---- the steps
  const notRun = [];
  const ranNow = new Set();
  let failedSteps = 0;
  if (opts.run) {
    let windowsSkip = opts.noWindows ? '--no-windows'
      : heavy.optedOut('windows') ? 'left out by PYMMAP_HEAVY=0' : heavy.windowsNotPossible();
    // Bun and Deno: their binaries come with npm ci (devDependencies); a missing one is a step
    // not run, with its reason (a failure with CI=true, as for the tests)
    const rts = [];
    for (const R of RUNTIMES) {
      const rt = runtimes.runtime(R.id);
      for (const f of [R.ported, R.crash, R.pyodide]) fs.rmSync(f, { force: true });
      if ((R.id === 'bun' && opts.noBun) || (R.id === 'deno' && opts.noDeno)) notRun.push(`${rt.name} (--no-${R.id})`);
      else if (rt.skip) {
        notRun.push(`${rt.name}: ${rt.skip}`);
        if (rt.kind === 'prerequisite' && require('./lib/skips').onCI()) failedSteps++;
      } else rts.push({ ...R, rt });
    }
    const total = 2 + (opts.noPyodide ? 0 : 1) + (windowsSkip ? 0 : 1) + rts.length * (opts.noPyodide ? 2 : 3);
    let n = 0;
    for (const f of [JEST_JSON, SKIPS, NODE_CRASH]) fs.rmSync(f, { force: true });
    fs.writeFileSync(SKIPS, '');
    const j = await step(++n, total, `pymmap on Node ${process.version} (${PLATFORM}): the ported suite and pymmap's own tests (jest)`,
      process.execPath, ['--expose-gc', jestBin(), '--config', path.join(CONF, 'jest.config.js'), '--runInBand', '--json',
        `--outputFile=${JEST_JSON}`, ...jestPaths, ...opts.jestArgs], { PYMMAP_CONFORMANCE_SKIPS: SKIPS });
    void j;
    const crashStep = async (rt, out) => {
      const r = await step(++n, total, `${rt.label}: the crash matrix (native/test/crash.test.ts, one child process per case)`,
        process.execPath, [jestBin(), '--runInBand', '--json', `--outputFile=${out}`, path.join('native', 'test', 'crash.test.ts')],
        { PYMMAP_RUNTIME: rt.id, PYMMAP_CONFORMANCE_SKIPS: '' });
      if (r.status !== 0) failedSteps++;
      ranNow.add(out);
    };
    await crashStep(runtimes.runtime('node'), NODE_CRASH);
    for (const R of rts) {
      const r = await step(++n, total, `${R.rt.label}: the ported suite and pymmap's own tests (conformance/runtimes/run.js)`,
        process.execPath, [path.join(CONF, 'runtimes', 'run.js'), '--runtime', R.id, '--out', R.ported]);
      if (r.status !== 0) failedSteps++;
      ranNow.add(R.ported);
      await crashStep(R.rt, R.crash);
    }
    if (!opts.noPyodide) {
      fs.rmSync(PYODIDE_JSON, { force: true });
      const r = await step(++n, total, "Pyodide: CPython's own test_mmap.py with pymmap's bridge and the built-in (anchor)",
        process.execPath, [path.join(CONF, 'pyodide', 'run.js'), '--quiet', '--out', PYODIDE_JSON]);
      if (r.status !== 0) failedSteps++;
      ranNow.add(PYODIDE_JSON);
      for (const R of rts) {
        const q = await step(++n, total, `${R.rt.label}: CPython's own test_mmap.py in Pyodide with pymmap's bridge`,
          process.execPath, [path.join(CONF, 'pyodide', 'run.js'), '--runtime', R.id, '--modes', 'bridge', '--quiet', '--out', R.pyodide]);
        if (q.status !== 0) failedSteps++;
        ranNow.add(R.pyodide);
      }
    } else notRun.push('Pyodide (--no-pyodide)');
    if (!windowsSkip) {
      windowsSkip = heavy.ensureWindows(); // installs the toolchain on first use, with progress
      if (windowsSkip) { notRun.push(`Windows: ${windowsSkip}`); failedSteps++; }
    }
    if (!windowsSkip) {
      fs.rmSync(WINDOWS_JSON, { force: true });
      const r = await step(++n, total, 'Windows: the ported suite in node.exe under wine (native/windows/build.sh)',
        'bash', [path.join(ROOT, 'native', 'windows', 'build.sh'), '--out', WINDOWS_JSON], { PYMMAP_SKIP_TS_BUILD: '1' });
      if (r.status !== 0) failedSteps++;
      ranNow.add(WINDOWS_JSON);
    } else if (!notRun.some((s) => s.startsWith('Windows'))) notRun.push(`Windows: ${windowsSkip}`);
    process.stdout.write('\n');
  }

  // ---- this platform's column
  const jr = loadJestResults();
  if (!jr) {
    console.error(`run.js: jest produced no results (${rel(JEST_JSON)} missing); see ${rel(LOGS)}/`);
    return 2;
  }
  const { skips, modules } = verdict.readSideChannel(SKIPS);
  const rows = manifest.tests.map((entry) => {
    const ports = (entry.ported || []).map((p) => ({ p, r: jestPortResult(jr, skips, p.file, entry.suite, entry.name) }));
    return { suite: entry.suite, name: entry.name, versions: entry.versions, platforms: entry.platforms,
      results: { [SELF.id]: verdict.combine(entry, PLATFORM, ports) } };
  });
  const columns = [{ key: SELF.key, id: SELF.id, target: SELF, now: opts.run, time: jr.mtime }];

  // ---- the other columns: run now, or (--with-previous, --no-run) dated
  const used = new Set(['N']);
  const files = [];
  for (const f of [...RUNTIMES.map((R) => R.ported), WINDOWS_JSON, PYODIDE_JSON, ...RUNTIMES.map((R) => R.pyodide)]) {
    if (!fs.existsSync(f)) continue;
    if (ranNow.has(f) || opts.withPrevious || !opts.run) files.push({ f, now: ranNow.has(f) });
  }
  for (const f of opts.imports) files.push({ f, now: false });
  for (const { f, now } of files) {
    for (const { target, results, generated } of importTarget(f)) {
      const id = target.id;
      columns.push({ key: keyFor(target, used), id, target, now, time: generated ? Date.parse(generated) : fs.statSync(f).mtimeMs });
      for (const row of rows) if (results[`${row.suite}.${row.name}`]) row.results[id] = results[`${row.suite}.${row.name}`];
    }
  }
  // display order: this platform, Bun, Deno, Windows; then Pyodide by test file, Node before Bun
  // and Deno, the anchor last
  const rank = (c) => {
    const p = /^([PBD])(\d+)(\w*)$/.exec(c.key);
    if (!p) return [0, ['N', 'B', 'D', 'W'].indexOf(c.key[0]), 0, 0];
    return [1, -Number(p[2]), p[3] === 'a' ? 1 : 0, 'PBD'.indexOf(p[1])];
  };
  columns.sort((a, b) => { const x = rank(a); const y = rank(b); for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return x[i] - y[i]; return 0; });
  for (const c of columns) c.totals = verdict.count((row) => row.results[c.id], c.id === SELF.id || c.target.runtime ? PLATFORM : null, rows);

  // ---- pymmap's own tests (not upstream): every test of the extra files
  const extra = [];
  for (const file of manifest.extra.files || []) {
    const keys = [...jr.byKey.keys()].filter((k) => k.startsWith(`${file}::`));
    for (const k of keys) {
      const [, suite, name] = k.split('::');
      extra.push({ file, suite, name, result: jestPortResult(jr, skips, file, suite, name) });
    }
    if (!keys.length) {
      extra.push({ file, suite: '', name: '(file)', result: { status: 'fail',
        detail: jr.fileErrors.get(file) ? `test file failed to run: ${jr.fileErrors.get(file)}` : `${file} was not run` } });
    }
  }
  const extraTotals = { pass: 0, fail: 0, skip: 0, total: extra.length };
  for (const x of extra) extraTotals[x.result.status]++;

  // the lines under the targets: pymmap's own tests (+ on Node, +B, +D) and the crash matrix
  // (xN, xB, xD) on each runtime; results not made now only with --with-previous or --no-run
  const more = [{ key: '+', short: "pymmap's own tests (not upstream tests)", title: `pymmap's own tests (not upstream), ${SELF.title}`,
    totals: extraTotals, now: opts.run, time: jr.mtime }];
  const show = (f) => fs.existsSync(f) && (ranNow.has(f) || opts.withPrevious || !opts.run);
  let otherFailures = 0;
  const moreNotes = [];
  for (const R of RUNTIMES) {
    if (!show(R.ported)) continue;
    const d = JSON.parse(fs.readFileSync(R.ported, 'utf8'));
    const label = d.run && d.run.runtime ? d.run.runtime : R.id;
    more.push({ key: `+${R.key}`, short: `pymmap's own tests, on ${label}`, title: `pymmap's own tests (not upstream), ${d.target.title}`,
      totals: d.extraTotals, now: ranNow.has(R.ported), time: Date.parse(d.generated) });
    for (const x of d.extra) extra.push({ ...x, runtime: label });
    otherFailures += d.extraTotals.fail;
    const col = columns.find((c) => c.id === d.target.id);
    if (col) otherFailures += col.totals.expectedFailures;
  }
  const crashFiles = [['N', runtimes.runtime('node'), NODE_CRASH], ...RUNTIMES.map((R) => [R.key, runtimes.runtime(R.id), R.crash])];
  for (const [key, rt, f] of crashFiles) {
    if (!show(f)) continue;
    const t = jestTotals(f);
    if (!t) continue;
    more.push({ key: `x${key}`, short: `the crash matrix, on ${rt.label}`, title: `the crash matrix (native/test/crash.test.ts), children on ${rt.label}`,
      totals: t, now: ranNow.has(f), time: t.time });
    otherFailures += t.fail;
    for (const title of t.skipped) moreNotes.push(`x${key} skipped: ${title.replace(' -- skipped: ', ' -- ')}`);
    for (const title of t.failed) moreNotes.push(`x${key} FAILED: ${title}`);
  }

  const notes = [];
  for (const [v, u] of Object.entries(manifest.upstream || {})) if (u.reconstructed) notes.push(`${v}: ${u.source}`);
  for (const r of rows) {
    const res = r.results[SELF.id];
    if (!res.expected && res.status !== 'skip') notes.push(`${r.suite}.${r.name} ran on ${PLATFORM} although the manifest lists it for ${r.platforms.join(', ') || 'no platform'} only (${res.status}).`);
  }
  for (const [file, mod] of [...modules].sort()) notes.push(`${file} tests ${mod}`);
  notes.push(...moreNotes);

  const report = {
    generated: new Date().toISOString(), node: process.version, platform: PLATFORM, ranNow: opts.run, jestTime: jr.mtime,
    columns, suites: [...new Set(rows.map((r) => r.suite))], rows, extra, extraTotals, more, notes, notRun,
  };
  const text = render(report, false);
  const md = render(report, true);
  fs.mkdirSync(REPORT_DIR, { recursive: true });
  fs.writeFileSync(path.join(REPORT_DIR, 'REPORT.md'), md);
  fs.writeFileSync(path.join(REPORT_DIR, 'REPORT.json'), JSON.stringify({
    ...report,
    targets: columns.map((c) => ({ ...c.target, key: c.key, now: c.now, time: new Date(c.time).toISOString(), totals: c.totals })),
    columns: undefined,
  }, null, 2) + '\n');
  if (opts.writeReport) fs.writeFileSync(COMMITTED_MD, md);

  process.stdout.write(text);
  const c = columns[0].totals;
  const failed = c.fail + extraTotals.fail + otherFailures;
  console.log(`report: ${rel(path.join(REPORT_DIR, 'REPORT.md'))} (and .json); ` +
    (opts.writeReport ? `wrote ${rel(COMMITTED_MD)}` : `--write-report updates ${rel(COMMITTED_MD)}`));
  if (failedSteps) console.log(`steps that failed: ${failedSteps} (their logs: ${rel(LOGS)}/)`);
  // the plain closing line: upstream tests (this platform) and pymmap's own tests counted apart
  console.log(`conformance: upstream ${c.pass} passed, ${c.fail} failed, ${c.skip} skipped (of ${c.total}); ` +
    `own ${extraTotals.pass} passed, ${extraTotals.fail} failed, ${extraTotals.skip} skipped`);
  return failed + failedSteps > 0 ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e) => { console.error(e); process.exitCode = 2; });
