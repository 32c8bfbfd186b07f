/*
 * Every fenced code block of README.md is extracted and run, so that no snippet can rot:
 *   - ts / js blocks run in a child node process (TypeScript through conformance/lib/ts.js) in a
 *     fresh temp directory where `pymmap` is this checkout (the built package, shim/lib) and
 *     `pyodide` the installed devDependency; they must exit 0 with nothing on stderr, and where
 *     every console.log line carries a `// "expected"` (or `// <Buffer 48 65 ... 0a>`) comment,
 *     the output must be exactly that;
 *   - sh blocks run in bash with `npm` and `npx` replaced by a checker (running `npm test` for
 *     real would start this very run again): each `npm run X` must name a script of
 *     package.json, `npx X` a binary of node_modules/.bin, and `npm ci` / `npm test` exist;
 *   - json blocks must parse; text blocks are prose.
 * A block in any other language fails: say how to run it here first.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const { testIf } = require('./lib/skips');

const ROOT = path.resolve(__dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

interface Block { lang: string; code: string; line: number; section: string }

/** The fenced blocks of a Markdown text, with their language, first line and section. */
function extractBlocks(md: string): Block[] {
  const out: Block[] = [];
  const lines = md.split('\n');
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const h = /^#{1,6}\s+(.*)$/.exec(lines[i]);
    if (h) { section = h[1].trim(); continue; }
    const open = /^(\s*)(```+|~~~+)\s*([\w+-]*)/.exec(lines[i]);
    if (!open) continue;
    const fence = open[2];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j].trimStart().startsWith(fence); j++) body.push(lines[j]);
    out.push({ lang: open[3].toLowerCase(), code: body.join('\n') + '\n', line: i + 1, section });
    i = j;
  }
  return out;
}

/** What the console.log lines of a block promise, when every one of them says: [{exact} | {prefix}]. */
function promisedOutput(code: string): Array<{ exact?: string; prefix?: string }> | null {
  const out: Array<{ exact?: string; prefix?: string }> = [];
  for (const line of code.split('\n')) {
    if (!/\bconsole\.log\(/.test(line)) continue;
    const c = /\/\/\s*("(?:[^"\\]|\\.)*"|<Buffer[^>]*>)/.exec(line);
    if (!c) return null;
    if (c[1].startsWith('"')) out.push({ exact: JSON.parse(c[1]) });
    else out.push({ prefix: c[1].split('...')[0].trim() });
  }
  return out.length ? out : null;
}

/** Checks stdout against promisedOutput; returns the first mismatch or null. */
function checkOutput(stdout: string, promised: Array<{ exact?: string; prefix?: string }>): string | null {
  let at = 0;
  for (const p of promised) {
    if (p.exact !== undefined) {
      const want = `${p.exact}\n`;
      if (stdout.slice(at, at + want.length) !== want) return `expected ${JSON.stringify(want)} at ${JSON.stringify(stdout.slice(at, at + want.length + 20))}`;
      at += want.length;
    } else {
      const end = stdout.indexOf('\n', at);
      const line = stdout.slice(at, end < 0 ? undefined : end);
      if (!line.startsWith(p.prefix!)) return `expected a line starting ${JSON.stringify(p.prefix)}, got ${JSON.stringify(line)}`;
      at = end < 0 ? stdout.length : end + 1;
    }
  }
  return at === stdout.length ? null : `unexpected output after the promised lines: ${JSON.stringify(stdout.slice(at))}`;
}

/** A temp directory whose node_modules has `pymmap` (this checkout) and `pyodide`. */
function sandbox(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-readme-'));
  const nm = path.join(d, 'node_modules');
  fs.mkdirSync(nm);
  fs.symlinkSync(ROOT, path.join(nm, 'pymmap'), 'dir');
  if (fs.existsSync(path.join(ROOT, 'node_modules', 'pyodide'))) fs.symlinkSync(path.join(ROOT, 'node_modules', 'pyodide'), path.join(nm, 'pyodide'), 'dir');
  return d;
}

function runScript(b: Block) {
  const dir = sandbox();
  try {
    const ts = b.lang === 'ts' || b.lang === 'typescript';
    const file = path.join(dir, ts ? 'snippet.ts' : 'snippet.js');
    fs.writeFileSync(file, b.code);
    const loader = `require(${JSON.stringify(path.join(ROOT, 'conformance', 'lib', 'ts.js'))}).registerTs(); require(${JSON.stringify(file)});`;
    const r = spawnSync(process.execPath, ts ? ['-e', loader] : [file], {
      cwd: dir, encoding: 'utf8', timeout: 120000, env: { ...process.env, NODE_OPTIONS: '' },
    });
    return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const CHECKER = `#!/usr/bin/env node
// stands in for npm and npx in README shell blocks: checks that the command exists, runs nothing
const fs = require('fs'), path = require('path');
const root = ${JSON.stringify(ROOT)};
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const [tool, ...args] = [path.basename(process.argv[1]), ...process.argv.slice(2)];
fs.appendFileSync(process.env.PYMMAP_README_LOG, JSON.stringify([tool, ...args]) + '\\n');
const fail = (m) => { console.error(m); process.exit(1); };
if (tool === 'npx') {
  if (!fs.existsSync(path.join(root, 'node_modules', '.bin', args[0]))) fail('npx: no binary ' + args[0]);
} else if (args[0] === 'run' || args[0] === 'run-script') {
  if (!pkg.scripts[args[1]]) fail('npm run: no script ' + args[1]);
} else if (args[0] === 'test' || args[0] === 't') {
  if (!pkg.scripts.test) fail('npm test: no test script');
} else if (!['ci', 'install', 'i', 'pack'].includes(args[0])) fail('npm: unexpected command ' + args.join(' '));
`;

function runShell(b: Block) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-readme-sh-'));
  try {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    for (const tool of ['npm', 'npx']) {
      fs.writeFileSync(path.join(bin, tool), CHECKER.replace('#!/usr/bin/env node', `#!${process.execPath}`), { mode: 0o755 });
    }
    const log = path.join(dir, 'calls.jsonl');
    fs.writeFileSync(log, '');
    const r = spawnSync('bash', ['-e', '-c', b.code], {
      cwd: ROOT, encoding: 'utf8', timeout: 60000,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, PYMMAP_README_LOG: log },
    });
    const calls = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).join(' '));
    return { status: r.status, stderr: r.stderr, calls };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const blocks = extractBlocks(README);
const built = fs.existsSync(path.join(ROOT, 'shim', 'lib', 'index.js')) ? null : 'shim/lib is not built (npm run build:ts)';

describe('README.md code blocks', () => {
  test('there are blocks, and every one has a language this test knows how to run', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const known = ['ts', 'typescript', 'js', 'javascript', 'sh', 'bash', 'json', 'text'];
    expect(blocks.filter((b) => !known.includes(b.lang)).map((b) => `line ${b.line}: \`\`\`${b.lang}`)).toEqual([]);
  });

  for (const b of blocks) {
    const name = `line ${b.line} (${b.section}, ${b.lang || 'no language'})`;
    if (['ts', 'typescript', 'js', 'javascript'].includes(b.lang)) {
      testIf(built, `${name}: runs, exits 0, prints what its comments say`, () => {
        const r = runScript(b);
        expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
        const promised = promisedOutput(b.code);
        if (promised) expect(checkOutput(r.stdout, promised)).toBeNull();
      }, 120000);
    } else if (b.lang === 'sh' || b.lang === 'bash') {
      test(`${name}: every npm / npx command in it exists`, () => {
        const r = runShell(b);
        expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
        expect(r.calls.length).toBeGreaterThan(0);
      });
    } else if (b.lang === 'json') {
      test(`${name}: parses`, () => { expect(() => JSON.parse(b.code)).not.toThrow(); });
    }
  }

  test('the checker refuses what does not exist (so a passing shell block means something)', () => {
    const bad = runShell({ lang: 'sh', code: 'npm run no-such-script\n', line: 0, section: '' });
    expect(bad.status).toBe(1);
    expect(Object.keys(PKG.scripts)).toContain('conformance');
  });
});
