/*
 * Test support for the jest port of CPython's Lib/test/test_mmap.py.
 *
 * This file plays the part of unittest + test.support for the ported tests:
 *   - loading the module under test through the version gate (moduleFor),
 *   - TestCase/testcase wrappers with unittest semantics (setUp/tearDown, addCleanup,
 *     subTest, skip decorators, SkipTest raised at run time),
 *   - assertions that compare Python values the way Python does (int as number or
 *     bigint, bytes as Buffer, None as null/undefined),
 *   - a small Python-like file object over fs.* (open(TESTFN, 'wb+') etc.),
 *   - `with` statement, bytes helpers, slice/find reference semantics.
 *
 * Every skip is decided when the test is registered, so that jest shows it as a skip:
 *   - skipIf/skipUnless: upstream's decorators (kind 'static');
 *   - skipsAtRunTime(cond, reason): a SkipTest upstream raises inside the test body,
 *     predicted from the same condition (kind 'runtime'; conformance/manifest.json lists
 *     each one under runtimeSkip, with its reason);
 *   - needs(cond, reason): a prerequisite of the port itself, such as the built package
 *     (kind 'prerequisite'; with CI=true a missing one fails instead of skipping).
 * A SkipTest raised at run time that no decorator predicted fails the test. Skips are
 * reported to conformance/run.js and the jest reporter through a JSON-lines side channel
 * (env PYMMAP_CONFORMANCE_SKIPS).
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-require-imports */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export type Version = '3.13' | '3.14' | '3.15';

// ---------------------------------------------------------------------------
// Module under test
// ---------------------------------------------------------------------------

/*
 * The one switch: with USE_VERSION_GATES the module comes from
 * shim/versions.moduleFor(version); while shim/versions does not exist yet the
 * plain shim module is used instead (and the report says so).
 * Set it to false to always test the plain '../../shim' module.
 */
const USE_VERSION_GATES = true;

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Where the module of the current test file came from (shown in the report). */
export let MODULE_SOURCE = '';

function requireIfPresent(spec: string): any | null {
  try {
    return require(spec);
  } catch (e: any) {
    // Only "this very module is missing" falls back; any other error (a syntax error
    // in shim/versions, a missing native addon, ...) must surface as a failure.
    const resolved = path.resolve(__dirname, spec);
    if (e && e.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' &&
        (e.message.includes(`'${spec}'`) || e.message.includes(resolved))) {
      return null;
    }
    throw e;
  }
}

export function loadMmapModule(version: Version): any {
  if (USE_VERSION_GATES) {
    const versions = requireIfPresent('../../shim/versions');
    if (versions && typeof versions.moduleFor === 'function') {
      MODULE_SOURCE = `shim/versions moduleFor('${version}')`;
      recordMeta({ module: MODULE_SOURCE, version });
      return versions.moduleFor(version);
    }
    MODULE_SOURCE = `shim (fallback: shim/versions.moduleFor missing; wanted ${version})`;
  } else {
    MODULE_SOURCE = `shim (version gates disabled; wanted ${version})`;
  }
  recordMeta({ module: MODULE_SOURCE, version });
  return require('../../shim');
}

/** The package's default module (what `require('pymmap')` gives), for pymmap's own tests. */
export function loadDefaultModule(): any {
  MODULE_SOURCE = 'shim (default module)';
  recordMeta({ module: MODULE_SOURCE });
  return require('../../shim');
}

/** The Python builtins of the shim (exception classes, slice). */
export const B: any = require('../../shim/builtins');

function builtin(name: string): any {
  const v = B[name];
  if (typeof v !== 'function') {
    // Make the problem visible at the assertion that needs it.
    return class MissingBuiltin extends Error {
      static missing = name;
      constructor() { super(`shim/builtins has no ${name}`); }
    };
  }
  return v;
}

export const slice: any = builtin('slice');
export const BaseException: any = B.BaseException ?? Error;
export const Exception: any = B.Exception ?? Error;
export const ValueError: any = builtin('ValueError');
export const PyTypeError: any = builtin('TypeError');
export const IndexError: any = builtin('IndexError');
export const OverflowError: any = builtin('OverflowError');
export const BufferError: any = builtin('BufferError');
export const OSError: any = builtin('OSError');
export const PermissionError: any = builtin('PermissionError');

/** `isinstance(e, <builtins name>)`, also for classes the shim may not export (SystemError). */
export function isPyExc(e: any, name: string): boolean {
  const cls = B[name];
  if (typeof cls === 'function') return e instanceof cls;
  for (let p = e; p; p = Object.getPrototypeOf(p)) {
    if (p.constructor && p.constructor.name === name) return true;
  }
  return !!e && e.name === name;
}

// ---------------------------------------------------------------------------
// Platform facts (Python spellings)
// ---------------------------------------------------------------------------

export const IS_WINDOWS = process.platform === 'win32';      // os.name == 'nt'
export const IS_POSIX = !IS_WINDOWS;                         // os.name == 'posix'
export const IS_LINUX = process.platform === 'linux' || process.platform === 'android';
export const IS_APPLE = process.platform === 'darwin';
export const SYS_PLATFORM = IS_WINDOWS ? 'win32' : process.platform;
/** sys.maxsize of a 64-bit CPython (Node runs 64-bit only on our targets). */
export const MAXSIZE = 2n ** 63n - 1n;
export const _2G = 2 * 1024 ** 3;
export const _4G = 4 * 1024 ** 3;
export const ERRNO = os.constants.errno as Record<string, number>;

// ---------------------------------------------------------------------------
// Temporary file names
// ---------------------------------------------------------------------------

const TESTDIR = process.env.PYMMAP_TESTDIR || os.tmpdir();

/** TESTFN for one test file: unique per file and per process (jest workers). */
export function makeTESTFN(testFile: string): string {
  const base = path.basename(testFile).replace(/\.test\.[tj]s$/, '').replace(/\W/g, '_');
  return path.join(TESTDIR, `@pymmap_${base}_${process.pid}_tmp`);
}

export function unlink(p: string): void {
  try { fs.unlinkSync(p); } catch (e: any) { if (e.code !== 'ENOENT') throw e; }
}

export function exists(p: string): boolean {
  return fs.existsSync(p);
}

// ---------------------------------------------------------------------------
// Skip side channel
// ---------------------------------------------------------------------------

type SkipKind = 'static' | 'runtime' | 'prerequisite';
interface SkipRecord { file: string; suite: string; name: string; reason: string; kind: SkipKind }

const skips: { record(rec: object): void; onCI(): boolean } = require('../lib/skips');

function sideChannel(line: object): void { skips.record(line); }

function recordSkip(rec: SkipRecord): void { sideChannel({ type: 'skip', ...rec }); }
function recordMeta(meta: object): void { sideChannel({ type: 'meta', file: currentFile, ...meta }); }

export class SkipTest extends Error {
  constructor(public reason: string) { super(reason); this.name = 'SkipTest'; }
}

/** self.skipTest(reason) / raise unittest.SkipTest(reason) */
export function skipTest(reason: string): never { throw new SkipTest(reason); }

/** Whether test.support.requires(resource) lets a test run: PYMMAP_TEST_RESOURCES (like -u). */
export function resourceEnabled(resource: string): boolean {
  const enabled = (process.env.PYMMAP_TEST_RESOURCES || '').split(',').map((s) => s.trim());
  return enabled.includes(resource) || enabled.includes('all');
}

/** test.support.requires(resource, msg): resources come from PYMMAP_TEST_RESOURCES (like -u). */
export function requires(resource: string, msg?: string): void {
  if (resourceEnabled(resource)) return;
  throw new SkipTest(msg ?? `Use of the ${JSON.stringify(resource)} resource not enabled`);
}

// ---------------------------------------------------------------------------
// unittest.TestCase emulation
// ---------------------------------------------------------------------------

export interface Decorator { skip: boolean; reason: string; kind?: SkipKind }

/** @unittest.skipIf(cond, reason) */
export function skipIf(cond: any, reason: string): Decorator { return { skip: !!cond, reason, kind: 'static' }; }
/** @unittest.skipUnless(cond, reason) */
export function skipUnless(cond: any, reason: string): Decorator { return { skip: !cond, reason, kind: 'static' }; }
/**
 * Upstream raises SkipTest(reason) inside the body when cond holds; the port decides it at
 * registration from the same condition (the body keeps upstream's skipTest call).
 */
export function skipsAtRunTime(cond: any, reason: string): Decorator { return { skip: !!cond, reason, kind: 'runtime' }; }
/** A prerequisite of the port (not of upstream's test): skip without it, fail with CI=true. */
export function needs(cond: any, reason: string): Decorator { return { skip: !cond, reason, kind: 'prerequisite' }; }

let currentFile = '';
let currentSuite = '';
let currentHooks: { setUp?: () => void; tearDown?: () => void } = {};

interface Ctx { cleanups: Array<() => any>; subFailures: string[] }
let ctx: Ctx | null = null;

/** Register the file (call once at the top of a test file with __filename). */
export function testFile(filename: string): void {
  currentFile = path.relative(REPO_ROOT, filename).split(path.sep).join('/');
}

/** class <name>(unittest.TestCase) with optional setUp/tearDown. */
export function TestCase(name: string, hooks: { setUp?: () => void; tearDown?: () => void },
  body: () => void): void {
  describe(name, () => {
    const saved = [currentSuite, currentHooks] as const;
    currentSuite = name;
    currentHooks = hooks;
    try { body(); } finally { [currentSuite, currentHooks] = saved; }
  });
}

type TestFn = () => void | Promise<void>;

/**
 * def test_xxx(self): ...   Decorators are given in the order they are written in
 * the Python source; the first one that skips gives the reason (as unittest does).
 */
export function testcase(name: string, ...rest: Array<Decorator | TestFn>): void {
  const fn = rest[rest.length - 1] as TestFn;
  const decorators = rest.slice(0, -1) as Decorator[];
  const file = currentFile;
  const suite = currentSuite;
  const hooks = currentHooks;
  const skipping = decorators.find((d) => d.skip);
  if (skipping) {
    const kind = skipping.kind ?? 'static';
    recordSkip({ file, suite, name, reason: skipping.reason, kind });
    if (kind === 'prerequisite' && skips.onCI()) {
      it(name, () => {
        throw new AssertionError(`missing prerequisite (CI=true makes this a failure): ${skipping.reason}`);
      });
      return;
    }
    it.skip(name, () => undefined);
    return;
  }
  it(name, async () => {
    const c: Ctx = { cleanups: [], subFailures: [] };
    ctx = c;
    let err: any = null;
    try {
      hooks.setUp?.();
      try {
        await fn();
      } catch (e) {
        err = e;
      }
      try {
        hooks.tearDown?.();
      } catch (e) {
        if (!err) err = e;
      }
    } catch (e) {
      err = e; // setUp failed: no tearDown, cleanups still run (unittest)
    } finally {
      while (c.cleanups.length) {
        const cleanup = c.cleanups.pop()!;
        try { cleanup(); } catch (e) { if (!err) err = e; }
      }
      ctx = null;
    }
    if (err instanceof SkipTest) {
      // Jest cannot turn a running test into a skip: a skip nobody predicted would show as a
      // pass. Predict it with skipsAtRunTime()/needs() (and list it in the manifest).
      throw new AssertionError(`SkipTest raised at run time (${err.reason}) but not decided at registration: ` +
        'add skipsAtRunTime(cond, reason) or needs(cond, reason) to the test');
    }
    if (err) throw err;
    if (c.subFailures.length) {
      throw new AssertionError(`${c.subFailures.length} subtest(s) failed: ${c.subFailures.join(' | ')}`);
    }
  });
}

/** self.addCleanup(fn, *args) */
export function addCleanup(fn: (...a: any[]) => any, ...args: any[]): void {
  if (!ctx) throw new Error('addCleanup outside a test');
  ctx.cleanups.push(() => fn(...args));
}

/** with self.subTest(**params): failures are collected and reported at the end of the test. */
export function subTest(params: Record<string, any>, body: () => void): void {
  try {
    body();
  } catch (e: any) {
    if (e instanceof SkipTest) throw e;
    const p = Object.entries(params).map(([k, v]) => `${k}=${repr(v)}`).join(', ');
    const first = String(e && e.message !== undefined ? `${e.name}: ${e.message}` : e).split('\n')[0];
    if (!ctx) throw e;
    ctx.subFailures.push(`(${p}) ${first}`);
  }
}

// ---------------------------------------------------------------------------
// Values and assertions
// ---------------------------------------------------------------------------

/*
 * unittest's failure exception. Its JS name is not 'AssertionError': jest formats
 * errors of that name as node:assert errors (expected/actual) and loses the message.
 */
export class AssertionError extends Error {
  constructor(message: string) { super(message); this.name = 'AssertionFailure'; }
}

export function isNone(x: any): boolean { return x === null || x === undefined; }

function isIntLike(x: any): boolean {
  return typeof x === 'bigint' || (typeof x === 'number' && Number.isInteger(x));
}

/** Python int result -> number when it is safe, else bigint (results may be either: README, "How Python maps to JS"). */
export function pyint(x: any): any {
  if (typeof x === 'bigint' && x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER)) {
    return Number(x);
  }
  return x;
}

function isBytesLike(x: any): boolean { return x instanceof Uint8Array; }

/** Python `a == b` for the values these tests compare. */
export function pyeq(a: any, b: any): boolean {
  if (isNone(a) || isNone(b)) return isNone(a) && isNone(b);
  if (isIntLike(a) && isIntLike(b)) return BigInt(a) === BigInt(b);
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    const ai = typeof a === 'boolean' ? (a ? 1 : 0) : a;
    const bi = typeof b === 'boolean' ? (b ? 1 : 0) : b;
    return isIntLike(ai) && isIntLike(bi) ? BigInt(ai) === BigInt(bi) : ai === bi;
  }
  if (isBytesLike(a) && isBytesLike(b)) {
    // bytes compares equal to bytes; the API contract says results are Buffers.
    if (Buffer.isBuffer(a) !== Buffer.isBuffer(b)) return false;
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength)
      .equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => pyeq(v, b[i]));
  }
  return a === b;
}

/** repr() for failure messages (Python style, truncated). */
export function repr(x: any, limit = 80): string {
  let s: string;
  if (x === null || x === undefined) s = 'None';
  else if (typeof x === 'boolean') s = x ? 'True' : 'False';
  else if (typeof x === 'bigint') s = x.toString();
  else if (typeof x === 'number') s = Number.isInteger(x) ? String(x) : `${x} (float)`;
  else if (typeof x === 'string') s = `'${x.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
  else if (x instanceof Uint8Array) {
    let body = '';
    for (const c of x) {
      if (c === 0x5c) body += '\\\\';
      else if (c === 0x27) body += "\\'";
      else if (c === 0x0a) body += '\\n';
      else if (c >= 0x20 && c < 0x7f) body += String.fromCharCode(c);
      else body += '\\x' + c.toString(16).padStart(2, '0');
      if (body.length > limit) break;
    }
    s = `${Buffer.isBuffer(x) ? '' : `<${x.constructor.name}>`}b'${body}'`;
  } else if (Array.isArray(x)) s = `[${x.map((v) => repr(v, limit)).join(', ')}]`;
  else if (typeof x === 'object' && typeof x.__repr__ === 'function') {
    try { s = String(x.__repr__()); } catch { s = Object.prototype.toString.call(x); }
  } else {
    try { s = String(x); } catch { s = Object.prototype.toString.call(x); }
  }
  return s.length > limit ? s.slice(0, limit) + '...' : s;
}

function withMsg(base: string, msg?: any): string {
  return msg === undefined ? base : `${base} : ${typeof msg === 'string' ? msg : repr(msg)}`;
}

export function assertEqual(first: any, second: any, msg?: any): void {
  if (!pyeq(first, second)) {
    throw new AssertionError(withMsg(`${repr(first)} != ${repr(second)}`, msg));
  }
}

export function assertNotEqual(first: any, second: any, msg?: any): void {
  if (pyeq(first, second)) throw new AssertionError(withMsg(`${repr(first)} == ${repr(second)}`, msg));
}

/** Python truth value of the results used here (bool, int, None, bytes, objects). */
export function truthy(x: any): boolean {
  if (isNone(x)) return false;
  if (typeof x === 'bigint') return x !== 0n;
  if (x instanceof Uint8Array) return x.length > 0;
  if (typeof x === 'object' && typeof x.__bool__ === 'function') return !!x.__bool__();
  if (typeof x === 'object' && typeof x.__len__ === 'function') return pyint(x.__len__()) !== 0;
  return !!x;
}

export function assertTrue(x: any, msg?: any): void {
  if (!truthy(x)) throw new AssertionError(withMsg(`${repr(x)} is not true`, msg));
}

export function assertFalse(x: any, msg?: any): void {
  if (truthy(x)) throw new AssertionError(withMsg(`${repr(x)} is not false`, msg));
}

export function assertIs(a: any, b: any, msg?: any): void {
  const same = isNone(b) ? isNone(a) : a === b;
  if (!same) throw new AssertionError(withMsg(`${repr(a)} is not ${repr(b)}`, msg));
}

export function assertIsNone(x: any, msg?: any): void {
  if (!isNone(x)) throw new AssertionError(withMsg(`${repr(x)} is not None`, msg));
}

export function assertIsNotNone(x: any, msg?: any): void {
  if (isNone(x)) throw new AssertionError(withMsg('unexpectedly None', msg));
}

export function assertIsInstance(obj: any, cls: any, msg?: any): void {
  if (!(obj instanceof cls)) {
    throw new AssertionError(withMsg(`${describeExc(obj)} is not an instance of ${cls.name}`, msg));
  }
}

export function assertGreater(a: any, b: any, msg?: any): void {
  if (!(BigInt(a) > BigInt(b))) throw new AssertionError(withMsg(`${repr(a)} not greater than ${repr(b)}`, msg));
}

/** A bare `assert cond` in the Python source. */
export function pyassert(cond: any, msg?: any): void {
  if (!cond) throw new AssertionError(withMsg('assert failed', msg));
}

export function fail(msg?: string): never {
  throw new AssertionError(msg ?? 'fail');
}

function describeExc(e: any): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return repr(e);
}

function patternOf(p: string | RegExp): RegExp { return typeof p === 'string' ? new RegExp(p) : p; }

/**
 * self.assertRaises(cls, fn) / self.assertRaisesRegex(cls, pattern, fn).
 * `fn` is a thunk (the call that Python passes as callable + args). With `match`,
 * the pattern is searched in str(exc), i.e. err.message (README, "How Python maps to JS"). Returns the exception
 * (the `cm.exception` of the context-manager form).
 */
export function assertRaises(cls: any, fn: () => any, match?: string | RegExp): any {
  if (typeof cls !== 'function') throw new AssertionError(`assertRaises: exception class is ${repr(cls)}`);
  if ((cls as any).missing) throw new AssertionError(`shim/builtins has no ${(cls as any).missing}`);
  let result: any;
  try {
    result = fn();
  } catch (e: any) {
    if (e instanceof AssertionError || e instanceof SkipTest) throw e;
    if (!(e instanceof cls)) {
      throw new AssertionError(`expected ${cls.name}, got ${describeExc(e)}`);
    }
    if (match !== undefined && !patternOf(match).test(String(e.message))) {
      throw new AssertionError(`${JSON.stringify(String(patternOf(match).source))} does not match ${JSON.stringify(String(e.message))}`);
    }
    return e;
  }
  throw new AssertionError(`${cls.name} not raised${result === undefined ? '' : ` (returned ${repr(result)})`}`);
}

export function assertRaisesRegex(cls: any, pattern: string | RegExp, fn: () => any): any {
  return assertRaises(cls, fn, pattern);
}

// ---------------------------------------------------------------------------
// Python protocol helpers
// ---------------------------------------------------------------------------

/** len(x) */
export function len(x: any): number {
  if (x instanceof Uint8Array || Array.isArray(x) || typeof x === 'string') return x.length;
  if (x && typeof x.__len__ === 'function') return pyint(x.__len__());
  throw new TypeError(`object of type ${typeof x} has no len()`);
}

/** ord(c) */
export function ord(c: string): number { return c.charCodeAt(0); }

/** b'...' literal (latin-1 so that \xNN escapes map to single bytes). */
export function b(s: string): Buffer { return Buffer.from(s, 'latin1'); }

/** bytes(range(a, b)) */
export function bytesRange(start: number, stop?: number): Buffer {
  if (stop === undefined) { stop = start; start = 0; }
  const out = Buffer.alloc(Math.max(0, stop - start));
  for (let i = 0; i < out.length; i++) out[i] = (start + i) & 0xff;
  return out;
}

/** data * n for bytes */
export function rep(data: Buffer, n: number): Buffer {
  if (n <= 0 || data.length === 0) return Buffer.alloc(0);
  return Buffer.alloc(data.length * n, data);
}

/** bytearray(data): a mutable bytes-like that is not a Buffer. */
export function bytearray(data: Uint8Array): Uint8Array { return new Uint8Array(data); }

/** random.randbytes(n) */
export function randbytes(n: number): Buffer { return crypto.randomBytes(n); }

/**
 * An instance of a class with __index__ (class Number: def __index__(self): ...).
 * A class instance, not a plain object: a trailing plain object is the keyword-argument
 * object of the README's "How Python maps to JS".
 */
class Index {
  constructor(private readonly f: () => number) {}
  __index__(): number { return this.f(); }
}
export function indexable(valueOrFn: number | (() => number)): any {
  return new Index(typeof valueOrFn === 'function' ? valueOrFn : () => valueOrFn);
}

/** Python binary operators on objects: a + b, a * b (mmap defines neither). */
function binop(op: string, dunder: string, rdunder: string, a: any, b2: any): any {
  if (a && typeof a[dunder] === 'function') {
    const r = a[dunder](b2);
    if (r !== undefined && r !== (B.NotImplemented ?? Symbol.for('NotImplemented'))) return r;
  }
  if (b2 && typeof b2[rdunder] === 'function') {
    const r = b2[rdunder](a);
    if (r !== undefined && r !== (B.NotImplemented ?? Symbol.for('NotImplemented'))) return r;
  }
  throw new PyTypeError(`unsupported operand type(s) for ${op}: '${pytypename(a)}' and '${pytypename(b2)}'`);
}
export function pytypename(x: any): string {
  if (typeof x === 'number' || typeof x === 'bigint') return 'int';
  if (x && typeof x === 'object' && x.constructor) return x.constructor.__qualname__ ?? x.constructor.name;
  return typeof x;
}
export const operator = {
  add: (a: any, b2: any) => binop('+', '__add__', '__radd__', a, b2),
  mul: (a: any, b2: any) => binop('*', '__mul__', '__rmul__', a, b2),
};

/** with <cm> as v: body(v)  — __enter__/__exit__ with exception propagation. */
export function with_<R>(cm: any, body: (v: any) => R): R {
  const value = cm.__enter__();
  let result: R;
  try {
    result = body(value);
  } catch (e: any) {
    const suppress = cm.__exit__(e && e.constructor ? e.constructor : null, e, null);
    if (!truthy(suppress)) throw e;
    return undefined as any;
  }
  cm.__exit__(null, null, null);
  return result;
}

/**
 * re.search(pattern, obj) over an object with the buffer protocol: exports a buffer
 * (flags PyBUF_SIMPLE = 0), searches it as latin-1 text, releases it. Returns [start, end] or null.
 */
export function reSearchBuffer(pattern: RegExp, obj: any): [number, number] | null {
  const exp = obj.__buffer__(0);
  try {
    const v: Uint8Array = exp.view;
    const text = Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('latin1');
    const m = pattern.exec(text);
    return m ? [m.index, m.index + m[0].length] : null;
  } finally {
    exp.release();
  }
}

// ---------------------------------------------------------------------------
// Reference semantics of bytes (the oracle the upstream tests compare with)
// ---------------------------------------------------------------------------

const SSIZE_MAX = 2n ** 63n - 1n;
const SSIZE_MIN = -(2n ** 63n);

type Idx = number | bigint | null | undefined;

function clampSsize(v: bigint): bigint { return v > SSIZE_MAX ? SSIZE_MAX : v < SSIZE_MIN ? SSIZE_MIN : v; }

/** slice(start, stop, step).indices(length) as the list of indices it selects. */
export function sliceIndices(length: number, start: Idx, stop: Idx, step: Idx): number[] {
  const st = isNone(step) ? 1n : clampSsize(BigInt(step as any));
  if (st === 0n) throw new Error('slice step cannot be zero');
  const L = BigInt(length);
  let s = isNone(start) ? (st < 0n ? SSIZE_MAX : 0n) : clampSsize(BigInt(start as any));
  let e = isNone(stop) ? (st < 0n ? SSIZE_MIN : SSIZE_MAX) : clampSsize(BigInt(stop as any));
  if (s < 0n) { s += L; if (s < 0n) s = st < 0n ? -1n : 0n; } else if (s >= L) s = st < 0n ? L - 1n : L;
  if (e < 0n) { e += L; if (e < 0n) e = st < 0n ? -1n : 0n; } else if (e >= L) e = st < 0n ? L - 1n : L;
  const out: number[] = [];
  if (st > 0n) for (let i = s; i < e; i += st) out.push(Number(i));
  else for (let i = s; i > e; i += st) out.push(Number(i));
  return out;
}

/** bytes[start:stop:step] */
export function bytesSlice(data: Uint8Array, start: Idx, stop: Idx, step?: Idx): Buffer {
  const idx = sliceIndices(data.length, start, stop, step ?? null);
  return Buffer.from(idx.map((i) => data[i]));
}

function adjust(i: number, length: number): number {
  if (i > length) return length;
  if (i < 0) { i += length; if (i < 0) i = 0; }
  return i;
}

/** bytes.find(sub, start, end) */
export function bytesFind(data: Uint8Array, sub: Uint8Array, start?: number | null, end?: number | null): number {
  const n = data.length;
  const s = isNone(start) ? 0 : adjust(start as number, n);
  const e = isNone(end) ? n : adjust(end as number, n);
  if (e - s < sub.length) return -1;
  const hay = Buffer.from(data.buffer, data.byteOffset + s, e - s);
  const r = hay.indexOf(Buffer.from(sub.buffer, sub.byteOffset, sub.byteLength));
  return r < 0 ? -1 : r + s;
}

/** bytes.rfind(sub, start, end) */
export function bytesRfind(data: Uint8Array, sub: Uint8Array, start?: number | null, end?: number | null): number {
  const n = data.length;
  const s = isNone(start) ? 0 : adjust(start as number, n);
  const e = isNone(end) ? n : adjust(end as number, n);
  if (e - s < sub.length) return -1;
  const hay = Buffer.from(data.buffer, data.byteOffset + s, e - s);
  if (sub.length === 0) return e;
  const r = hay.lastIndexOf(Buffer.from(sub.buffer, sub.byteOffset, sub.byteLength));
  return r < 0 ? -1 : r + s;
}

// ---------------------------------------------------------------------------
// A Python-like binary file object over fs (open(TESTFN, 'wb+') ...)
// ---------------------------------------------------------------------------

const MODES: Record<string, string> = {
  rb: 'r', 'r+b': 'r+', 'rb+': 'r+', 'br+': 'r+',
  wb: 'w', 'wb+': 'w+', 'w+b': 'w+', 'bw+': 'w+', 'bw': 'w',
  ab: 'a', 'ab+': 'a+', 'a+b': 'a+',
};

export class PyFile {
  private fd: number | null;
  private pos = 0;
  constructor(public readonly name: string, public readonly mode: string) {
    const flags = MODES[mode];
    if (!flags) throw new Error(`PyFile: unsupported mode ${mode}`);
    this.fd = fs.openSync(name, flags);
  }
  private need(): number {
    if (this.fd === null) throw new ValueError('I/O operation on closed file.');
    return this.fd;
  }
  get closed(): boolean { return this.fd === null; }
  fileno(): number { return this.need(); }
  write(data: Uint8Array | string): number {
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    let done = 0;
    while (done < buf.length) {
      done += fs.writeSync(this.need(), buf, done, buf.length - done, this.pos + done);
    }
    this.pos += done;
    return done;
  }
  read(n = -1): Buffer {
    const fd = this.need();
    const size = fs.fstatSync(fd).size;
    const want = n < 0 ? Math.max(0, size - this.pos) : n;
    const out = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const r = fs.readSync(fd, out, got, want - got, this.pos + got);
      if (r === 0) break;
      got += r;
    }
    this.pos += got;
    return out.subarray(0, got);
  }
  seek(offset: number, whence = 0): number {
    const fd = this.need();
    if (whence === 0) this.pos = offset;
    else if (whence === 1) this.pos += offset;
    else this.pos = fs.fstatSync(fd).size + offset;
    return this.pos;
  }
  tell(): number { this.need(); return this.pos; }
  flush(): void { this.need(); /* unbuffered: writes go straight to the fd */ }
  truncate(size?: number): number {
    const s = size ?? this.pos;
    fs.ftruncateSync(this.need(), s);
    return s;
  }
  close(): void {
    if (this.fd !== null) {
      const fd = this.fd;
      this.fd = null;
      fs.closeSync(fd);
    }
  }
  __enter__(): this { return this; }
  __exit__(): null { this.close(); return null; }
}

/** open(name, mode) for binary modes */
export function open(name: string, mode: string): PyFile { return new PyFile(name, mode); }

/** os.stat(path).st_size */
export function statSize(p: string | number): number {
  return typeof p === 'number' ? fs.fstatSync(p).size : fs.statSync(p).size;
}

// ---------------------------------------------------------------------------
// test.support odds and ends
// ---------------------------------------------------------------------------

let gcFn: (() => void) | null = null;
/** test.support.gc_collect() */
export function gc_collect(): void {
  if (!gcFn) {
    const g = (globalThis as any).gc;
    const bun = (globalThis as any).Bun;
    if (typeof g === 'function') gcFn = g;
    else if (bun && typeof bun.gc === 'function') gcFn = () => bun.gc(true); // Bun: no --expose-gc
    else {
      const v8 = require('v8');
      const vm = require('vm');
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc');
    }
  }
  gcFn!();
  gcFn!();
  gcFn!();
}

/** Let the current job end so that WeakRef targets may be collected (KeepDuringJob). */
export function nextTick(): Promise<void> { return new Promise((r) => setTimeout(r, 0)); }

/** test.support.in_systemd_nspawn_sync_suppressed() */
export function in_systemd_nspawn_sync_suppressed(): boolean {
  if (IS_WINDOWS || (fs.constants as any).O_SYNC === undefined) return false;
  try {
    const kind = fs.readFileSync('/run/systemd/container').toString('latin1').replace(/\s+$/, '');
    if (kind !== 'systemd-nspawn') return false;
  } catch (e: any) {
    if (e.code === 'ENOENT') return false;
    throw e;
  }
  try {
    const fd = fs.openSync(__filename, fs.constants.O_RDONLY | (fs.constants as any).O_SYNC);
    fs.closeSync(fd);
  } catch (e: any) {
    if (e.code === 'EINVAL') return true;
  }
  return false;
}

/** Linux kernel version >= (major, minor, micro)? (test.support.requires_linux_version) */
export function linuxVersionAtLeast(...want: number[]): boolean {
  if (process.platform !== 'linux') return false;
  const have = os.release().split(/[^0-9]+/).filter(Boolean).map(Number);
  for (let i = 0; i < want.length; i++) {
    const h = have[i] ?? 0;
    if (h !== want[i]) return h > want[i];
  }
  return true;
}

/** Random tagname (the same shape as upstream's random_tagname). */
const tagnamePrefix = `python_${process.pid}_test_mmap`;
export function random_tagname(length = 10): string {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let suffix = '';
  for (let i = 0; i < length; i++) suffix += letters[crypto.randomInt(letters.length)];
  return `${tagnamePrefix}_${suffix}`;
}

let sparseProbe: boolean | null = null;
/**
 * Whether TESTDIR's filesystem makes sparse files (LargeMmapTests write ~6 GiB files
 * as a hole plus a short tail; on a filesystem without holes that would really write
 * 6 GiB, so pymmap skips them there).
 */
export function sparseFilesSupported(): boolean {
  if (sparseProbe !== null) return sparseProbe;
  const probe = path.join(TESTDIR, `@pymmap_sparse_probe_${process.pid}`);
  try {
    const fd = fs.openSync(probe, 'w+');
    try {
      const at = 64 * 1024 * 1024;
      fs.writeSync(fd, Buffer.from(' '), 0, 1, at);
      const st = fs.fstatSync(fd);
      // st.blocks is in 512-byte units where the platform reports it (not on Windows).
      sparseProbe = typeof st.blocks === 'number' && st.blocks >= 0 && st.blocks * 512 < at / 2;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    sparseProbe = false;
  } finally {
    unlink(probe);
  }
  return sparseProbe;
}

export { fs, os, path };
