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

/** The oracle inside Pyodide (pyodide-oracle.js): CPython's mmapmodule.c on wasm32, over
 *  Emscripten's emulated mmap. */
export const PYODIDE_ORACLE = path.resolve(__dirname, 'pyodide-oracle.js');

/** The Pyodides held against moduleFor(v, { ssizeBits: 32 }): version key (the shim side,
 *  run-shim.ts loadShim) and package. 3.12 and 3.13 have host CPythons too; inside Pyodide
 *  they are 32-bit, over Emscripten, and the bridge runs on them. */
export const PYODIDE_ORACLES: { version: string; minor: string; pkg: string }[] = [
  { version: 'pyodide-3.14', minor: '3.14', pkg: 'pyodide' },
  { version: 'pyodide-3.15', minor: '3.15', pkg: 'pyodide-315' },
  { version: 'pyodide-3.12', minor: '3.12', pkg: 'pyodide-0.27' },
  { version: 'pyodide-3.13', minor: '3.13', pkg: 'pyodide-0.29' },
];

/** A Pyodide oracle as an Interpreter (exe "pyodide:PACKAGE"), or the reason it is missing. */
export function probePyodide(o: { version: string; minor: string; pkg: string }): Probe {
  let v: string;
  try {
    v = require(`${o.pkg}/package.json`).version;
  } catch {
    return { minor: o.version, reason: `${o.pkg} is not installed (a devDependency: npm install)` };
  }
  return { minor: o.version, interpreter: { minor: o.version, full: `${o.minor} in Pyodide ${v}`, exe: `pyodide:${o.pkg}` } };
}

/** Runs the oracle over a batch; a sequence that crashes CPython comes back with crashed set.
 *  exe "pyodide:PACKAGE" runs it inside that Pyodide. */
export function runOracle(exe: string, input: OracleInput): OracleOutput {
  const [cmd, args] = exe.startsWith('pyodide:') ? [process.execPath, [PYODIDE_ORACLE, exe.slice(8)]] : [exe, [ORACLE]];
  const r = spawnSync(cmd, args, {
    input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 512 * 1024 * 1024,
    timeout: 60_000 + 30_000 * input.sequences.length,
  });
  if (r.status !== 0 || r.error) {
    throw new Error(`oracle ${exe} failed (status ${r.status}, signal ${r.signal}): ${r.error ?? ''}\n${(r.stderr ?? '').slice(-4000)}`);
  }
  return JSON.parse(r.stdout) as OracleOutput;
}
