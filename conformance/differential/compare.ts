// Compares CPython's results (python/oracle.py) with the shim's (run-shim.ts): result for result,
// message for message, then the files' contents.  Known divergences (known-divergences.json) are
// matched and reported separately.
import * as fs from 'fs';
import * as path from 'path';
import type { OracleOutput, Sequence, SequenceResult, Step, StepResult } from './ops';

export type DivergenceKind =
  | 'result' // a step's outcome differs
  | 'crash' // CPython crashed at this step (the shim's outcome is given)
  | 'shim-crash' // the shim's process died
  | 'file' // a file's final content differs
  | 'runner'; // a runner could not execute the step (oracle_error)

export interface Divergence {
  sequence: string;
  version: string; // "3.12"
  kind: DivergenceKind;
  step?: number;
  op?: Step;
  file?: string;
  python: unknown;
  shim: unknown;
  known?: string; // id of the known divergence it matches
  /** An earlier step of the same sequence diverged already (this one may be a consequence). */
  cascade?: boolean;
}

export interface KnownDivergence {
  id: string;
  reason: string;
  versions?: string[]; // minor versions ("3.11"); absent = all
  kind?: DivergenceKind;
  sequence?: string; // regex on the sequence id
  op?: string; // step op
  method?: string; // step method (op "call")
  pythonCrashed?: string; // signal name
  pythonError?: string; // exception type on the CPython side ('OSError': its errno subclasses too)
  shimError?: string; // exception type on the shim side ('OSError': its errno subclasses too)
  pythonMessage?: string; // regex
  shimMessage?: string; // regex
  sameErrno?: boolean; // both sides raised an OSError of the same errno name (only the text differs)
  pythonValue?: boolean; // the CPython side gave a value (no error)
  shimValue?: boolean; // the shim side gave a value (no error)
  /** Every later divergence of the same sequence is a consequence (the states differ from here
   *  on) and is reported as this known divergence too. */
  coversRest?: boolean;
}

export function loadKnown(file = path.join(__dirname, 'known-divergences.json')): KnownDivergence[] {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  return (Array.isArray(doc) ? doc : doc.divergences) as KnownDivergence[];
}

function canon(v: unknown): string {
  // Key-order independent JSON; safe ints and {int} normalized.
  const norm = (x: any): any => {
    if (x === null || typeof x !== 'object') return x;
    if (Array.isArray(x)) return x.map(norm);
    const keys = Object.keys(x).sort();
    if (keys.length === 1 && keys[0] === 'int') {
      const b = BigInt(x.int);
      if (b >= -BigInt(Number.MAX_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(b);
    }
    const o: Record<string, unknown> = {};
    for (const k of keys) o[k] = norm(x[k]);
    return o;
  };
  return JSON.stringify(norm(v));
}

export function sameResult(a: StepResult | undefined, b: StepResult | undefined): boolean {
  return canon(a) === canon(b);
}

function errOf(r: unknown): { type?: string; message?: string } | undefined {
  return r && typeof r === 'object' && 'error' in (r as any) ? (r as any).error : undefined;
}

/** An error of type `name`; 'OSError' also matches its errno subclasses (PermissionError for
 *  EACCES, ...), which carry an errno as OSError does. */
function isType(e: { type?: string } | undefined, name: string): boolean {
  return e?.type === name || (name === 'OSError' && (e as { errno?: unknown } | undefined)?.errno !== undefined);
}

export function matchKnown(d: Divergence, known: KnownDivergence[]): KnownDivergence | undefined {
  return known.find((k) => {
    if (k.versions && !k.versions.includes(d.version)) return false;
    if (k.kind && k.kind !== d.kind) return false;
    if (k.sequence && !new RegExp(k.sequence).test(d.sequence)) return false;
    if (k.op && (!d.op || d.op.op !== k.op)) return false;
    if (k.method && (!d.op || d.op.op !== 'call' || d.op.method !== k.method)) return false;
    if (k.pythonCrashed && !(d.kind === 'crash' && (d.python as any)?.crashed === k.pythonCrashed)) return false;
    const pe = errOf(d.python);
    const se = errOf(d.shim);
    if (k.pythonError && !isType(pe, k.pythonError)) return false;
    if (k.shimError && !isType(se, k.shimError)) return false;
    if (k.pythonMessage && !(pe?.message !== undefined && new RegExp(k.pythonMessage).test(pe.message))) return false;
    if (k.shimMessage && !(se?.message !== undefined && new RegExp(k.shimMessage).test(se.message))) return false;
    if (k.sameErrno && !(pe?.type === se?.type && (pe as any)?.errno !== undefined &&
      (pe as any).errno === (se as any).errno)) return false;
    const isValue = (r: unknown) => !!r && typeof r === 'object' && 'value' in (r as any);
    if (k.pythonValue && !isValue(d.python)) return false;
    if (k.shimValue && !isValue(d.shim)) return false;
    return true;
  });
}

export function compareSequence(seq: Sequence, py: SequenceResult, js: SequenceResult, version: string): Divergence[] {
  const out: Divergence[] = [];
  const base = { sequence: seq.id, version };
  const n = py.crashed ? py.steps.length : seq.steps.length;
  for (let i = 0; i < n && i < seq.steps.length; i++) {
    const a = py.steps[i];
    const b = js.steps[i];
    if (b === undefined && js.crashed) {
      out.push({ ...base, kind: 'shim-crash', step: i, op: seq.steps[i], python: a, shim: { crashed: js.crashed } });
      return out;
    }
    if (a && 'oracle_error' in a) {
      out.push({ ...base, kind: 'runner', step: i, op: seq.steps[i], python: a, shim: b });
      continue;
    }
    if (!sameResult(a, b)) out.push({ ...base, kind: 'result', step: i, op: seq.steps[i], python: a, shim: b });
  }
  if (py.crashed) {
    const i = py.steps.length;
    out.push({
      ...base, kind: 'crash', step: i, op: seq.steps[i], python: { crashed: py.crashed },
      shim: js.steps[i] ?? (js.crashed ? { crashed: js.crashed } : null),
    });
    return out; // files are not comparable after a crash
  }
  if (js.crashed) {
    out.push({ ...base, kind: 'shim-crash', step: js.steps.length, op: seq.steps[js.steps.length], python: py.steps[js.steps.length], shim: { crashed: js.crashed } });
    return out;
  }
  const names = new Set([...Object.keys(py.files ?? {}), ...Object.keys(js.files ?? {})]);
  for (const f of [...names].sort()) {
    if (canon(py.files?.[f]) !== canon(js.files?.[f])) {
      out.push({ ...base, kind: 'file', file: f, python: py.files?.[f], shim: js.files?.[f] });
    }
  }
  return out;
}

export interface Comparison {
  divergences: Divergence[]; // not known
  known: Divergence[]; // matched a known divergence
}

export function compare(seqs: Sequence[], py: OracleOutput, js: OracleOutput, version: string,
  known: KnownDivergence[] = []): Comparison {
  const res: Comparison = { divergences: [], known: [] };
  const pyById = new Map(py.results.map((r) => [r.id, r]));
  const jsById = new Map(js.results.map((r) => [r.id, r]));
  for (const seq of seqs) {
    const a = pyById.get(seq.id);
    const b = jsById.get(seq.id);
    if (!a || !b) {
      res.divergences.push({ sequence: seq.id, version, kind: 'runner', python: a ?? 'missing', shim: b ?? 'missing' });
      continue;
    }
    let covering: KnownDivergence | undefined;
    compareSequence(seq, a, b, version).forEach((d, i) => {
      if (i > 0) d.cascade = true;
      const k = covering ?? matchKnown(d, known);
      if (k?.coversRest) covering = k;
      if (k) res.known.push({ ...d, known: k.id });
      else res.divergences.push(d);
    });
  }
  return res;
}

/** One line per divergence, for reports. */
export function describe(d: Divergence): string {
  const where = d.step !== undefined ? `step ${d.step} ${JSON.stringify(d.op)}` : `file ${d.file}`;
  return `[${d.version}] ${d.sequence} ${d.kind}${d.cascade ? ' (after an earlier divergence)' : ''} at ${where}\n    CPython: ${JSON.stringify(d.python)}\n    shim:    ${JSON.stringify(d.shim)}` +
    (d.known ? `\n    known: ${d.known}` : '');
}
