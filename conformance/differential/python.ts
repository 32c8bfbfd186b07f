// Finds installed CPython interpreters and runs python/oracle.py on them.
import * as path from 'path';
import { spawnSync } from 'child_process';
import type { OracleInput, OracleOutput } from './ops';

export const ORACLE = path.resolve(__dirname, '..', '..', 'python', 'oracle.py');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pyenv = require('../lib/pyenv');

export const MINORS: string[] = pyenv.MINORS;

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

/**
 * One interpreter per minor version (the newest patch release found), by conformance/lib/pyenv.js:
 * $PYMMAP_PYTHON_3_12 (an explicit path), $(pyenv root)/versions/3.12.*, python3.12 on PATH.
 */
export function probePythons(minors: string[] = MINORS): Probe[] {
  return pyenv.findPythons(minors);
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
