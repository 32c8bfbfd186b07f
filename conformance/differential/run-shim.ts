// Executes oracle sequences (ops.ts) through the TypeScript module, producing the same output
// format as python/oracle.py.  In-process by default; runIsolated() runs each sequence in a
// child node process (for sequences that crash CPython, so a crash of the shim cannot take the
// test runner down with it).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as crypto from 'crypto';
import { spawnSync } from 'child_process';
import type {
  Enc, ErrorRecord, FileContent, FileSpec, OracleInput, OracleOutput, Sequence, SequenceResult,
  Step, StepResult, Value,
} from './ops';
import { BIG_BYTES, HASH_LIMIT, SAFE } from './ops';

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-require-imports */

export interface Shim {
  M: any; // the mmap module for the version
  B: any; // builtins (slice, BaseException, ...)
  version: string;
  source: string; // how it was loaded
}

const SHIM_DIR = path.resolve(__dirname, '..', '..', 'shim');

/** The module of a Python version: moduleFor(version) from shim/versions; "pyodide-3.14" is
 *  moduleFor('3.14', { ssizeBits: 32 }) (held against the oracle inside Pyodide). */
export function loadShim(version: string): Shim {
  const B = require(path.join(SHIM_DIR, 'builtins'));
  const { moduleFor } = require(path.join(SHIM_DIR, 'versions'));
  const p = /^pyodide-(\d+\.\d+)$/.exec(version);
  if (p) return { M: moduleFor(p[1], { ssizeBits: 32 }), B, version, source: `moduleFor('${p[1]}', { ssizeBits: 32 })` };
  return { M: moduleFor(version), B, version, source: `moduleFor('${version}')` };
}

// ---------------------------------------------------------------------------------------------
const OPEN_FLAGS: Record<string, number> = (() => {
  const c = fs.constants;
  return {
    r: c.O_RDONLY,
    'r+': c.O_RDWR,
    w: c.O_WRONLY | c.O_CREAT | c.O_TRUNC,
    'w+': c.O_RDWR | c.O_CREAT | c.O_TRUNC,
    a: c.O_WRONLY | c.O_CREAT | c.O_APPEND,
    'a+': c.O_RDWR | c.O_CREAT | c.O_APPEND,
    x: c.O_WRONLY | c.O_CREAT | c.O_EXCL,
    'x+': c.O_RDWR | c.O_CREAT | c.O_EXCL,
  };
})();

const STRERROR: Record<string, string> = {
  EPERM: 'Operation not permitted', ENOENT: 'No such file or directory', EBADF: 'Bad file descriptor',
  EACCES: 'Permission denied', EEXIST: 'File exists', EISDIR: 'Is a directory', EINVAL: 'Invalid argument',
  ENODEV: 'No such device', ENOMEM: 'Cannot allocate memory', EFBIG: 'File too large', ENOTDIR: 'Not a directory',
};
const ERRNO_TYPES: Record<string, string> = {
  ENOENT: 'FileNotFoundError', EEXIST: 'FileExistsError', EACCES: 'PermissionError', EPERM: 'PermissionError',
  EISDIR: 'IsADirectoryError', ENOTDIR: 'NotADirectoryError',
};

/** A Python-shaped error made by the runner itself (AttributeError, errors of fs calls). */
class Synth extends Error {
  constructor(public rec: ErrorRecord) {
    super(rec.message);
  }
}

class Unbound extends Error {
  constructor(public nameRef: string) {
    super(nameRef);
  }
}

class RunnerError extends Error {}

function fsError(e: any, withMessage: boolean): Synth {
  const code: string = e && e.code ? e.code : 'EIO';
  const num = (os.constants.errno as any)[code];
  const rec: ErrorRecord = { type: ERRNO_TYPES[code] ?? 'OSError' };
  if (withMessage) rec.message = `[Errno ${num}] ${STRERROR[code] ?? code}`;
  rec.errno = code;
  return new Synth(rec);
}

function encBytes(b: Uint8Array): Enc {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf.length <= BIG_BYTES) return { bytes: buf.toString('hex') };
  return {
    bytes_len: buf.length,
    sha256: crypto.createHash('sha256').update(buf).digest('hex'),
    head: buf.subarray(0, 32).toString('hex'),
  };
}

export function normalizeRepr(s: string): string {
  return s.replace(/ at 0x[0-9a-fA-F]+>/g, ' at 0x?>');
}

class Env {
  fds = new Map<string, number>();
  objs = new Map<string, any>();
  constructor(public shim: Shim, public dir: string, public files: Map<string, string>) {}

  filePath(name: string): string {
    const p = this.files.get(name);
    if (p === undefined) throw new RunnerError(`unknown file '${name}'`);
    return p;
  }

  dec(v: Value): any {
    if (v === null || typeof v === 'boolean' || typeof v === 'string' || typeof v === 'number') return v;
    if (Array.isArray(v)) return (v as Value[]).map((x) => this.dec(x));
    const keys = Object.keys(v);
    if (keys.length !== 1) throw new RunnerError(`bad value ${JSON.stringify(v)}`);
    const k = keys[0];
    const x: any = (v as any)[k];
    switch (k) {
      case 'int': return BigInt(x);
      case 'float': return Number(x);
      case 'str': return String(x);
      case 'bytes': return Buffer.from(x, 'hex');
      case 'bytearray': return new Uint8Array(Buffer.from(x, 'hex'));
      case 'memoryview': {
        const b = Buffer.from(x, 'hex');
        return new DataView(b.buffer, b.byteOffset, b.byteLength);
      }
      case 'list': return (x as Value[]).map((y) => this.dec(y));
      case 'slice': {
        const [a, b, c] = (x as Value[]).map((y) => this.dec(y));
        return new this.shim.B.slice(a, b, c);
      }
      case 'fd':
        if (!this.fds.has(x)) throw new Unbound(x);
        return this.fds.get(x);
      case 'ref':
        if (!this.objs.has(x)) throw new Unbound(x);
        return this.objs.get(x);
      case 'index': {
        const val = this.dec(x.value);
        const objs = this.objs;
        // (class I: CPython's messages name the type)
        class I {
          __index__(): unknown {
            const o = objs.get(x.obj);
            if (o !== undefined) {
              if (x.act === 'close') o.close();
              else if (x.act === 'seek') o.seek(x.arg);
              else o.resize(x.arg);
            }
            return val;
          }
        }
        return new I();
      }
      case 'const': {
        let r: any = 0;
        for (const part of String(x).split('|').map((s) => s.trim())) {
          const c = this.shim.M[part];
          if (c === undefined) {
            throw new Synth({ type: 'AttributeError', message: `module 'mmap' has no attribute '${part}'` });
          }
          r = typeof r === 'bigint' || typeof c === 'bigint' ? BigInt(r) | BigInt(c) : r | c;
        }
        return r;
      }
      default:
        throw new RunnerError(`bad value tag '${k}'`);
    }
  }

  isMmap(r: any): boolean {
    const C = this.shim.M.mmap;
    return typeof C === 'function' && r instanceof C;
  }

  enc(r: any): Enc {
    if (r === null || r === undefined) return null;
    if (typeof r === 'boolean' || typeof r === 'string') return r;
    if (typeof r === 'number') {
      if (Number.isInteger(r)) return Math.abs(r) <= SAFE ? r : { int: BigInt(r).toString() };
      return { float: pyFloatRepr(r) };
    }
    if (typeof r === 'bigint') {
      return r >= -BigInt(SAFE) && r <= BigInt(SAFE) ? Number(r) : { int: r.toString() };
    }
    if (r instanceof Uint8Array) return encBytes(r);
    if (Array.isArray(r)) return r.map((x) => this.enc(x));
    if (this.isMmap(r)) {
      for (const [name, o] of this.objs) if (o === r) return { ref: name };
      return { ref: null };
    }
    return { repr: String(r) };
  }

  obj(step: { obj: string }): any {
    if (!this.objs.has(step.obj)) throw new Unbound(step.obj);
    return this.objs.get(step.obj);
  }

  args(args: Value[] | undefined, kwargs: Record<string, Value> | undefined): any[] {
    const a = (args ?? []).map((x) => this.dec(x));
    const kw = kwargs ?? {};
    if (Object.keys(kw).length) {
      const o: Record<string, any> = {};
      for (const [k, x] of Object.entries(kw)) o[k] = this.dec(x);
      a.push(o);
    }
    return a;
  }

  run(step: Step): any {
    switch (step.op) {
      case 'open': {
        let p: string;
        let flags: number;
        if (step.dev) p = `/dev/${step.dev}`;
        else if (step.dir) p = this.dir;
        else p = this.filePath(step.file as string);
        if (step.dir) flags = fs.constants.O_RDONLY;
        else {
          const m = String(step.mode ?? 'r+').replace(/[bt]/g, '');
          if (!(m in OPEN_FLAGS)) throw new RunnerError(`unknown open mode '${step.mode}'`);
          flags = OPEN_FLAGS[m];
        }
        try {
          this.fds.set(step.name, fs.openSync(p, flags, 0o644));
        } catch (e) {
          throw fsError(e, false);
        }
        return null;
      }
      case 'closefd': {
        if (!this.fds.has(step.fd)) throw new Unbound(step.fd);
        try {
          fs.closeSync(this.fds.get(step.fd) as number);
        } catch (e) {
          throw fsError(e, true);
        }
        return null;
      }
      case 'truncate': {
        const size = this.dec(step.size);
        const p = this.filePath(step.file);
        if (Number(size) < 0) throw fsError({ code: 'EINVAL' }, true); // Node would clamp to 0
        try {
          fs.truncateSync(p, Number(size));
        } catch (e) {
          if (e instanceof RunnerError) throw e;
          throw fsError(e, true);
        }
        return null;
      }
      case 'filesize':
        return fs.statSync(this.filePath(step.file)).size;
      case 'new': {
        const a = this.args(step.args, step.kwargs);
        this.objs.delete(step.name);
        this.objs.set(step.name, new this.shim.M.mmap(...a));
        return null;
      }
      default:
        break;
    }
    const m = this.obj(step as { obj: string });
    switch (step.op) {
      case 'call': {
        const fn = m[step.method];
        if (typeof fn !== 'function') {
          throw new Synth({ type: 'AttributeError', message: `'mmap.mmap' object has no attribute '${step.method}'` });
        }
        return fn.apply(m, this.args(step.args, step.kwargs));
      }
      case 'getattr':
        if (!(step.attr in m)) {
          throw new Synth({ type: 'AttributeError', message: `'mmap.mmap' object has no attribute '${step.attr}'` });
        }
        return m[step.attr];
      case 'getitem': return m.__getitem__(this.dec(step.key));
      case 'setitem': m.__setitem__(this.dec(step.key), this.dec(step.value)); return null;
      case 'delitem': m.__delitem__(this.dec(step.key)); return null;
      case 'len': return m.__len__();
      case 'contains': return m.__contains__(this.dec(step.value));
      case 'iter': {
        const limit = step.limit ?? 64;
        const it = m.__iter__();
        const out: any[] = [];
        while (out.length < limit) {
          const n = it.next();
          if (n.done) break;
          out.push(n.value);
        }
        return out;
      }
      case 'repr': return normalizeRepr(m.__repr__());
      case 'enter': return m.__enter__();
      case 'exit': return m.__exit__(null, null, null);
      case 'pickle': return m.__reduce_ex__(step.protocol ?? 4);
      default:
        throw new RunnerError(`unknown op '${(step as any).op}'`);
    }
  }

  step(step: Step): StepResult {
    try {
      return { value: this.enc(this.run(step)) };
    } catch (e: any) {
      if (e instanceof Unbound) return { unbound: e.nameRef };
      if (e instanceof RunnerError) return { oracle_error: e.message };
      if (e instanceof Synth) return { error: e.rec };
      return { error: this.errorRecord(e) };
    }
  }

  errorRecord(e: any): ErrorRecord {
    const Base = this.shim.B.BaseException;
    if (typeof Base === 'function' && e instanceof Base) {
      const rec: ErrorRecord = { type: String(e.name), message: String(e.message) };
      const OSE = this.shim.B.OSError;
      if (typeof OSE === 'function' && e instanceof OSE && e.errno !== null && e.errno !== undefined) {
        rec.errno = e.code ?? (os.constants.errno as any)[e.errno] ?? String(e.errno);
        if (typeof rec.errno === 'number') rec.errno = String(rec.errno);
      }
      return rec;
    }
    // Not a Python exception: a bug in the shim (or a JS error leaking out).
    const name = e && e.name ? e.name : typeof e;
    return { type: `JS:${name}`, message: String(e && e.message !== undefined ? e.message : e) };
  }

  cleanup(): void {
    for (const m of this.objs.values()) {
      try { m.close(); } catch { /* exports etc. */ }
    }
    for (const fd of this.fds.values()) {
      try { fs.closeSync(fd); } catch { /* already closed */ }
    }
  }
}

function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  return String(x);
}

export function makeFiles(dir: string, specs: FileSpec[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const f of specs) {
    const p = path.join(dir, f.name);
    files.set(f.name, p);
    if ('fifo' in f && f.fifo) {
      const r = spawnSync('mkfifo', [p]);
      if (r.status !== 0) throw new Error(`mkfifo ${p} failed`);
      continue;
    }
    let data: Buffer;
    if ('hex' in f) data = Buffer.from(f.hex, 'hex');
    else if ('ramp' in f && f.ramp) {
      data = Buffer.alloc(f.size);
      for (let i = 0; i < f.size; i++) data[i] = i % 256;
    } else data = Buffer.alloc((f as any).size, (f as any).fill ?? 0);
    fs.writeFileSync(p, data);
  }
  return files;
}

export function fileContent(p: string): FileContent {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return { missing: true };
  }
  if (!st.isFile()) return { special: true };
  if (st.size > HASH_LIMIT) return { size: st.size, sha256: null };
  const data = fs.readFileSync(p);
  if (data.length <= BIG_BYTES) return { size: st.size, hex: data.toString('hex') };
  return {
    size: st.size,
    sha256: crypto.createHash('sha256').update(data).digest('hex'),
    head: data.subarray(0, 32).toString('hex'),
  };
}

export interface RunOptions {
  /** Per sequence id: run steps 0..n inclusive only (the step at which CPython crashed). */
  stopAt?: Record<string, number>;
  /** Called with each step result as it is produced (the child mode streams them). */
  onStep?: (seqIndex: number, stepIndex: number, r: StepResult) => void;
}

export function runSequence(shim: Shim, seq: Sequence, stopAt?: number, onStep?: (i: number, r: StepResult) => void): SequenceResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-shim-'));
  try {
    const files = makeFiles(dir, seq.files ?? []);
    const env = new Env(shim, dir, files);
    const steps: StepResult[] = [];
    try {
      seq.steps.forEach((st, i) => {
        if (stopAt !== undefined && i > stopAt) return;
        const r = env.step(st);
        steps.push(r);
        if (onStep) onStep(i, r);
      });
      const fileOut: Record<string, FileContent> = {};
      for (const name of [...files.keys()].sort()) fileOut[name] = fileContent(files.get(name) as string);
      return { id: seq.id, steps, files: fileOut, crashed: null };
    } finally {
      env.cleanup();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function runShim(input: OracleInput, version: string, opts: RunOptions = {}): OracleOutput {
  const shim = loadShim(version);
  const results = input.sequences.map((seq, si) =>
    runSequence(shim, seq, opts.stopAt?.[seq.id], opts.onStep ? (i, r) => opts.onStep!(si, i, r) : undefined));
  return { python: `shim ${version}`, implementation: 'pymmap', pagesize: Number(shim.M.PAGESIZE), results };
}

// ---------------------------------------------------------------------------------------------
// Isolation: one child node process per sequence (entry: fuzz.js --shim-child VERSION).

const ENTRY = path.join(__dirname, 'fuzz.js');

export function runShimIsolated(input: OracleInput, version: string, opts: RunOptions = {}): OracleOutput {
  const results: SequenceResult[] = [];
  let pagesize = 4096;
  for (const seq of input.sequences) {
    const payload = JSON.stringify({ seq, stopAt: opts.stopAt?.[seq.id] ?? null });
    const r = spawnSync(process.execPath, [ENTRY, '--shim-child', version], {
      input: payload, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000,
    });
    const steps: StepResult[] = [];
    let files: Record<string, FileContent> = {};
    for (const line of (r.stdout ?? '').split('\n')) {
      if (line.startsWith('S ')) steps.push(JSON.parse(line.slice(2)));
      else if (line.startsWith('F ')) files = JSON.parse(line.slice(2));
      else if (line.startsWith('P ')) pagesize = Number(line.slice(2));
    }
    let crashed: string | null = null;
    if (r.signal) crashed = r.signal;
    else if (r.status !== 0) crashed = `exit ${r.status}: ${(r.stderr ?? '').slice(-2000)}`;
    results.push({ id: seq.id, steps, files, crashed });
  }
  return { python: `shim ${version}`, implementation: 'pymmap', pagesize, results };
}

/** The child side of runShimIsolated: reads {seq, stopAt} from stdin, streams lines. */
export function shimChildMain(version: string): void {
  const { seq, stopAt } = JSON.parse(fs.readFileSync(0, 'utf8')) as { seq: Sequence; stopAt: number | null };
  const shim = loadShim(version);
  fs.writeSync(1, `P ${Number(shim.M.PAGESIZE)}\n`);
  const res = runSequence(shim, seq, stopAt ?? undefined, (_i, r) => {
    fs.writeSync(1, `S ${JSON.stringify(r)}\n`);
  });
  fs.writeSync(1, `F ${JSON.stringify(res.files)}\n`);
}
