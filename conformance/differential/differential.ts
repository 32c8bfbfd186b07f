// The differential check itself: CPython (python/oracle.py) vs the shim (run-shim.ts) on the
// same sequences, for one version.  Shared by differential.test.ts and fuzz.ts.
import * as fs from 'fs';
import * as path from 'path';
import type { OracleInput, OracleOutput, Sequence } from './ops';
import { runOracle } from './python';
import { runShim, runShimIsolated } from './run-shim';
import { compare, Comparison, KnownDivergence } from './compare';

export interface DiffResult extends Comparison {
  python: OracleOutput;
  shim: OracleOutput;
  crashedInPython: string[]; // sequence ids
}

export interface DiffOptions {
  /** Run every sequence in a child node process (slow; survives a crash of the shim). */
  isolate?: boolean;
  /** Written before running the shim in-process, removed afterwards (reproduction after a crash). */
  inflightFile?: string;
}

/** Whether a sequence can run in the oracle of `minor`: Pyodide's file system has no FIFOs
 *  (os.mkfifo is missing), so sequences with one are left out there. */
export function runnable(seq: Sequence, minor: string): boolean {
  return !minor.startsWith('pyodide-') || !(seq.files ?? []).some((f) => 'fifo' in f && f.fifo);
}

export function differential(allSeqs: Sequence[], minor: string, exe: string, known: KnownDivergence[],
  opts: DiffOptions = {}): DiffResult {
  const seqs = allSeqs.filter((s) => runnable(s, minor));
  const input: OracleInput = { sequences: seqs };
  const py = runOracle(exe, input);
  // Sequences that crashed CPython run only up to the fatal step, and in a child process.
  const stopAt: Record<string, number> = {};
  const crashedIds = new Set<string>();
  for (const r of py.results) {
    if (r.crashed) {
      stopAt[r.id] = r.steps.length;
      crashedIds.add(r.id);
    }
  }
  const inproc = opts.isolate ? [] : seqs.filter((s) => !crashedIds.has(s.id));
  const isolated = opts.isolate ? seqs : seqs.filter((s) => crashedIds.has(s.id));
  if (opts.inflightFile && inproc.length) {
    fs.mkdirSync(path.dirname(opts.inflightFile), { recursive: true });
    fs.writeFileSync(opts.inflightFile, JSON.stringify({ version: minor, sequences: inproc }));
  }
  const a = inproc.length ? runShim({ sequences: inproc }, minor, { stopAt }) : null;
  if (opts.inflightFile && inproc.length) fs.rmSync(opts.inflightFile, { force: true });
  const b = isolated.length ? runShimIsolated({ sequences: isolated }, minor, { stopAt }) : null;
  const shim: OracleOutput = {
    python: `shim ${minor}`,
    implementation: 'pymmap',
    pagesize: (a ?? b)?.pagesize ?? 0,
    results: [...(a?.results ?? []), ...(b?.results ?? [])],
  };
  return { ...compare(seqs, py, shim, minor, known), python: py, shim, crashedInPython: [...crashedIds] };
}

/** Loads every regressions/*.json (a sequence, a list, or {"sequences": [...]}). */
export function loadRegressions(dir = path.join(__dirname, 'regressions')): Sequence[] {
  if (!fs.existsSync(dir)) return [];
  const out: Sequence[] = [];
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
    const doc = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    const seqs: Sequence[] = Array.isArray(doc) ? doc : doc.sequences ?? [doc];
    for (const s of seqs) out.push({ ...s, id: `${f.replace(/\.json$/, '')}/${s.id}` });
  }
  return out;
}
