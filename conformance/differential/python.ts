// Finds installed CPython interpreters and runs python/oracle.py on them.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import type { OracleInput, OracleOutput } from './ops';

export const ORACLE = path.resolve(__dirname, '..', '..', 'python', 'oracle.py');
export const MINORS = ['3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13'];

export interface Interpreter {
  minor: string; // "3.12"
  full: string; // "3.12.1"
  exe: string;
}

export interface Probe {
  minor: string;
  interpreter?: Interpreter;
  reason?: string; // why it is missing
}

function pyenvRoot(): string[] {
  const roots: string[] = [];
  if (process.env.PYENV_ROOT) roots.push(process.env.PYENV_ROOT);
  const r = spawnSync('pyenv', ['root'], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout.trim()) roots.push(r.stdout.trim());
  roots.push(path.join(os.homedir(), '.pyenv'));
  return [...new Set(roots)];
}

function cmpVersion(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

function check(exe: string, minor: string): Interpreter | null {
  const r = spawnSync(exe, ['-c', 'import sys, mmap; print("%d.%d.%d" % sys.version_info[:3], sys.implementation.name)'],
    { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) return null;
  const [full, impl] = r.stdout.trim().split(/\s+/);
  if (impl !== 'cpython' || !full.startsWith(minor + '.')) return null;
  return { minor, full, exe };
}

/**
 * One interpreter per minor version (the newest patch release found).  Order of search:
 * $PYMMAP_PYTHON_3_12 (an explicit path), $(pyenv root)/versions/3.12.*, python3.12 on PATH.
 */
export function probePythons(minors: string[] = MINORS): Probe[] {
  const roots = pyenvRoot();
  return minors.map((minor) => {
    const envVar = `PYMMAP_PYTHON_${minor.replace('.', '_')}`;
    const candidates: string[] = [];
    if (process.env[envVar]) candidates.push(process.env[envVar] as string);
    for (const root of roots) {
      const vdir = path.join(root, 'versions');
      let names: string[] = [];
      try { names = fs.readdirSync(vdir); } catch { continue; }
      names
        .filter((n) => /^\d+\.\d+\.\d+$/.test(n) && n.startsWith(minor + '.'))
        .sort(cmpVersion)
        .reverse()
        .forEach((n) => candidates.push(path.join(vdir, n, 'bin', 'python3')));
    }
    candidates.push(`python${minor}`);
    for (const exe of candidates) {
      if (exe.includes('/') && !fs.existsSync(exe)) continue;
      const it = check(exe, minor);
      if (it) return { minor, interpreter: it };
    }
    return { minor, reason: `no CPython ${minor} found ($${envVar}, ${roots.map((r) => r + '/versions/' + minor + '.*').join(', ')}, python${minor} on PATH)` };
  });
}

/** Runs the oracle over a batch; a sequence that crashes CPython comes back with crashed set. */
export function runOracle(exe: string, input: OracleInput): OracleOutput {
  const r = spawnSync(exe, [ORACLE], {
    input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 512 * 1024 * 1024,
    timeout: 60_000 + 30_000 * input.sequences.length,
  });
  if (r.status !== 0 || r.error) {
    throw new Error(`oracle ${exe} failed (status ${r.status}, signal ${r.signal}): ${r.error ?? ''}\n${(r.stderr ?? '').slice(-4000)}`);
  }
  return JSON.parse(r.stdout) as OracleOutput;
}
