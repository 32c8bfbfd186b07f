// Argument conversion with CPython's semantics and messages (the format units that clinic.ts
// names): Python ints (number/bigint), __index__ (valueOf / Symbol.toPrimitive / __index__),
// bytes-like objects, keyword objects.
import { OverflowError, IndexError, TypeError as PyTypeError } from './builtins';
import type { Gate } from './gates';
import { MSG } from './messages';

export const SSIZE_MAX = 2n ** 63n - 1n;
export const SSIZE_MIN = -(2n ** 63n);
export const SSIZE_MAX_N = 9223372036854775807; // SSIZE_MAX as a number (rounded up to 2**63)
const INT_MAX = 2147483647;
const INT_MIN = -2147483648;

/** Python's type name for a JS value, as it would appear in a Python error message. */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  switch (typeof v) {
    case 'number': return Number.isInteger(v) ? 'int' : 'float';
    case 'bigint': return 'int';
    case 'string': return 'str';
    case 'boolean': return 'bool';
    case 'function': return 'function';
    case 'symbol': return 'object';
  }
  if (Buffer.isBuffer(v)) return 'bytes';
  if (v instanceof Uint8Array) return 'bytearray';
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return 'memoryview';
  if (Array.isArray(v)) return 'list';
  const py = (v as any).__pytype__;
  if (typeof py === 'string') return py;
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) return 'dict';
  const name = proto?.constructor?.name;
  return typeof name === 'string' && name ? name : 'object';
}

/** A trailing plain object is the keyword-argument dict (Pyodide's calling convention). */
export function isKwargs(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const p = Object.getPrototypeOf(v);
  if (p !== Object.prototype && p !== null) return false;
  // An object literal that converts to an int (an __index__ stand-in) is an argument.
  const o = v as any;
  return typeof o.__index__ !== 'function' && typeof o[Symbol.toPrimitive] !== 'function' &&
    (typeof o.valueOf !== 'function' || o.valueOf === Object.prototype.valueOf);
}

/** Splits `args` into positional arguments and keyword arguments (null when none). */
export function splitArgs(args: ArrayLike<unknown>): [unknown[], Record<string, unknown> | null] {
  const n = args.length;
  if (n > 0 && isKwargs(args[n - 1])) {
    const kw = args[n - 1] as Record<string, unknown>;
    const pos = Array.prototype.slice.call(args, 0, n - 1);
    return [pos, Object.keys(kw).length ? kw : null];
  }
  return [Array.prototype.slice.call(args), null];
}

function hasIndex(v: object): boolean {
  const o = v as any;
  return typeof o.__index__ === 'function' || typeof o[Symbol.toPrimitive] === 'function' ||
    (typeof o.valueOf === 'function' && o.valueOf !== Object.prototype.valueOf);
}

/** True if `v` is something Python would accept as an integer (PyIndex_Check). */
export function isIndex(v: unknown): boolean {
  switch (typeof v) {
    case 'number': return Number.isInteger(v);
    case 'bigint': case 'boolean': return true;
    case 'object': return v !== null && !ArrayBuffer.isView(v) && hasIndex(v);
    default: return false;
  }
}

/** The message PyArg_Parse gives for a non-integer where an integer is due. */
function notIntMessage(v: unknown, gate: Gate, format: 'i' | 'n' = 'i'): string {
  const t = pyTypeName(v);
  if (gate.indexMessages) return `'${t}' object cannot be interpreted as an integer`;
  // 3.7-3.9: floats are refused by name; other types by "i"/"l"/"b" (PyLong_AsLong) or
  // "n" (PyNumber_Index) wording.
  if (t === 'float') return 'integer argument expected, got float';
  return format === 'n' ? `'${t}' object cannot be interpreted as an integer` : `an integer is required (got type ${t})`;
}

/**
 * Python's operator.index(v) -> bigint or number. Runs user code for objects (__index__,
 * Symbol.toPrimitive, valueOf): callers must check the map is still valid afterwards.
 * Returns undefined if `v` is not an integer at all.
 */
export function toInt(v: unknown): number | bigint | undefined {
  switch (typeof v) {
    case 'number': return Number.isInteger(v) ? v : undefined;
    case 'bigint': return v;
    case 'boolean': return v ? 1 : 0;
    case 'object': {
      if (v === null || ArrayBuffer.isView(v) || !hasIndex(v)) return undefined;
      const o = v as any;
      let r: unknown;
      if (typeof o.__index__ === 'function') r = o.__index__();
      else if (typeof o[Symbol.toPrimitive] === 'function') r = o[Symbol.toPrimitive]('number');
      else r = o.valueOf();
      if (typeof r === 'boolean') r = r ? 1 : 0;
      if ((typeof r === 'number' && Number.isInteger(r)) || typeof r === 'bigint') return r as number | bigint;
      throw new PyTypeError(MSG.indexReturnedNonInt(pyTypeName(r)));
    }
    default: return undefined;
  }
}

function big(n: number | bigint): bigint {
  return typeof n === 'bigint' ? n : BigInt(n);
}

function inSafe(n: bigint): number | undefined {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : undefined;
}

/** Narrows an int to a JS number. Values beyond 2**53 (but within C's range) are kept exact
 *  as far as the caller needs: they are always out of range for a mapping, so callers only
 *  compare them. */
function narrow(n: number | bigint): number {
  if (typeof n === 'number') return n;
  const s = inSafe(n);
  return s !== undefined ? s : Number(n);
}

/** operator.index(v) within [-max - 1, max] (max: 2**63 - 1 unless given), as a number (exact
 *  up to 2**53; beyond, callers only compare it): `tooBig` is the OverflowError's message past
 *  the range, `format` picks the wording of the TypeError for a non-integer. */
function asInt64(v: unknown, gate: Gate, tooBig: string, format: 'i' | 'n' = 'i', max: bigint = SSIZE_MAX): number {
  const n = toInt(v);
  if (n === undefined) throw new PyTypeError(notIntMessage(v, gate, format));
  if (typeof n === 'bigint' || !Number.isSafeInteger(n) || max < SSIZE_MAX) {
    const b = big(n);
    if (b > max || b < -max - 1n) throw new OverflowError(tooBig);
  }
  return narrow(n);
}

/** "n" format (Py_ssize_t, of the gate's width). */
export function asSsize(v: unknown, gate: Gate): number {
  return asInt64(v, gate, MSG.tooLargeSsize, 'n', gate.ssizeMax);
}

/** "n" format, exact: the value as a bigint (for overflow arithmetic near PY_SSIZE_T_MAX). */
export function asSsizeBig(v: unknown, gate: Gate): bigint {
  const n = toInt(v);
  if (n === undefined) throw new PyTypeError(notIntMessage(v, gate, 'n'));
  const b = big(n);
  if (b > gate.ssizeMax || b < -gate.ssizeMax - 1n) throw new OverflowError(MSG.tooLargeSsize);
  return b;
}

/** 3.7's "i", "b", "l" and "L" (PyLong_AsLong and PyLong_AsLongLong through nb_int): an object
 *  that converts only through __index__ is refused, as CPython 3.7 refuses it. */
function refuseIndexOnly(v: unknown, gate: Gate): void {
  if (gate.intNeedsNbInt && typeof v === 'object' && v !== null && !ArrayBuffer.isView(v) &&
      typeof (v as any).__index__ === 'function' && typeof (v as any).__int__ !== 'function') {
    throw new PyTypeError(notIntMessage(v, gate, 'i'));
  }
}

/** "l" format (C long, of the gate's width). */
export function asLong(v: unknown, gate: Gate): number {
  refuseIndexOnly(v, gate);
  return asInt64(v, gate, MSG.tooLargeLong, 'i', gate.longMax);
}

/** The constructor's offset: "l" (C long), or "L" (long long) where the gate says so. */
export function asOffset(v: unknown, gate: Gate): number {
  return gate.offsetLongLong ? asLongLong(v, gate) : asLong(v, gate);
}

/** object.__reduce_ex__'s protocol: Argument Clinic's int (PyLong_AsInt: "Python int too
 *  large to convert to C int" past INT_MAX) from 3.8; PyArg_ParseTuple's "i" in 3.7. */
export function asObjectInt(v: unknown, gate: Gate): number {
  if (gate.minor < 8) return asCInt(v, gate);
  const x = asInt64(v, gate, MSG.tooLargeInt, 'i', gate.longMax);
  if (x > INT_MAX || x < INT_MIN) throw new OverflowError(MSG.tooLargeInt);
  return x;
}

/** "i" format (C int): PyLong_AsLong (the gate's C long) then the int range. `clinic`:
 *  converted by Argument Clinic (PyLong_AsInt) in this version. */
export function asCInt(v: unknown, gate: Gate, clinic = false): number {
  refuseIndexOnly(v, gate);
  if (clinic && gate.clinic) {
    const c = asInt64(v, gate, MSG.tooLargeInt, 'i', gate.longMax);
    if (c > INT_MAX || c < INT_MIN) throw new OverflowError(MSG.tooLargeInt);
    return c;
  }
  const x = asInt64(v, gate, MSG.tooLargeLong, 'i', gate.longMax);
  if (clinic && gate.clinic && (x > INT_MAX || x < INT_MIN)) throw new OverflowError(MSG.tooLargeInt);
  if (x > INT_MAX) throw new OverflowError(MSG.signedTooBig);
  if (x < INT_MIN) throw new OverflowError(MSG.signedTooSmall);
  return x;
}

/** "i" converted by Argument Clinic in the versions that have it (3.14: PyLong_AsInt). */
export function asClinicInt(v: unknown, gate: Gate): number {
  return asCInt(v, gate, true);
}

/** "i" on Windows: PyLong_AsLong with a 32-bit C long. */
export function asWinInt(v: unknown, gate: Gate): number {
  refuseIndexOnly(v, gate);
  const n = toInt(v);
  if (n === undefined) throw new PyTypeError(notIntMessage(v, gate));
  if (typeof n === 'bigint' ? n > BigInt(INT_MAX) || n < BigInt(INT_MIN) : n > INT_MAX || n < INT_MIN) {
    throw new OverflowError(MSG.tooLargeLong);
  }
  return Number(n);
}

/** "L" (long long). */
export function asLongLong(v: unknown, gate: Gate): number {
  refuseIndexOnly(v, gate);
  return asInt64(v, gate, MSG.intTooBig);
}

/** read()'s size (_Py_convert_optional_to_ssize_t): an integer, or None (null). */
export function readSize(v: unknown, gate?: Gate): number | null {
  if (v === null || v === undefined) return null;
  const i = toInt(v);
  if (i === undefined) throw new PyTypeError(MSG.readArg(pyTypeName(v)));
  return indexToSsize(i, 'OverflowError', gate?.ssizeMax, v);
}

/** __buffer__'s flags (wrap_buffer): PyNumber_AsSsize_t, then a C int (values below INT_MIN
 *  count as 0, as CPython reads them). */
export function bufferFlags(v: unknown, gate: Gate): number {
  const fl = toInt(v);
  if (fl === undefined) throw new PyTypeError(notIntMessage(v, gate));
  const fbig = typeof fl === 'bigint' ? fl : BigInt(fl);
  indexToSsize(fbig, 'OverflowError', gate.ssizeMax, v);
  if (fbig > BigInt(INT_MAX)) throw new OverflowError(MSG.bufferFlagsTooLarge);
  return fbig < BigInt(INT_MIN) ? 0 : Number(fbig);
}

/** "b" format (unsigned char, 0..255): PyLong_AsLong (the gate's C long), then the range. */
export function asByte(v: unknown, gate: Gate): number {
  refuseIndexOnly(v, gate);
  const x = asInt64(v, gate, MSG.tooLargeLong, 'i', gate.longMax);
  if (x < 0) throw new OverflowError(MSG.byteTooSmall);
  if (x > 255) throw new OverflowError(MSG.byteTooBig);
  return x;
}

/** PyNumber_AsSsize_t(v, exc) for a value already known to be an index (max: PY_SSIZE_T_MAX,
 *  2**63 - 1 unless given). `arg`: the argument the index came from, whose type the error
 *  names ("cannot fit 'X' into an index-sized integer"; its __index__ result would say 'int'). */
export function indexToSsize(n: number | bigint, exc: 'IndexError' | 'OverflowError' | 'TypeError' | null,
  max: bigint = SSIZE_MAX, arg: unknown = n): number {
  if (typeof n === 'number' && Number.isSafeInteger(n) && (max === SSIZE_MAX || (n <= 2147483647 && n >= -2147483648))) return n;
  const b = big(n);
  if (b > max || b < -max - 1n) {
    if (exc === null) return b > 0n ? Number(max) : Number(-max - 1n);
    const msg = MSG.cannotFitIndex(pyTypeName(arg));
    if (exc === 'IndexError') throw new IndexError(msg);
    if (exc === 'TypeError') throw new PyTypeError(msg);
    throw new OverflowError(msg);
  }
  return narrow(b);
}

/** Where another map given as a buffer argument is exported: mmap.ts registers it (pushing the
 *  map to `held` until the caller releases it). */
let exporter: (v: unknown, held: unknown[] | null) => Uint8Array | undefined = () => undefined;
export function setExporter(f: typeof exporter): void {
  exporter = f;
}

/** "y*": a bytes-like object's bytes, or another map's (exported for the call, see
 *  setExporter); otherwise TypeError. */
export function asBuffer(v: unknown, _gate?: Gate, held: unknown[] | null = null): Uint8Array {
  const b = asBytesLike(v);
  if (b !== undefined) return b;
  const e = exporter(v, held);
  if (e !== undefined) return e;
  throw new PyTypeError(MSG.bytesLike(pyTypeName(v)));
}

/** Bytes-like argument ("y*"): a Uint8Array over its bytes (no copy). */
export function asBytesLike(v: unknown): Uint8Array | undefined {
  if (v instanceof Uint8Array) return v;
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer) return new Uint8Array(v);
  return undefined;
}

/** Python truthiness of a JS value (the "p" format). */
export function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'bigint') return v !== 0n;
  if (typeof v === 'string') return v.length > 0;
  if (typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.length > 0;
  if (ArrayBuffer.isView(v)) return v.byteLength > 0;
  if (v instanceof ArrayBuffer) return v.byteLength > 0;
  if (isKwargs(v)) return Object.keys(v).length > 0;
  const o = v as any;
  if (typeof o.__bool__ === 'function') return !!o.__bool__();
  if (typeof o.__len__ === 'function') return o.__len__() !== 0;
  return true;
}

/**
 * PySlice_Unpack: the slice's step, start and stop as Py_ssize_t (None -> the defaults for the
 * step's sign), converted in that order. Runs user code (__index__): read the sequence's length
 * only afterwards (sliceAdjust), as CPython's mp_subscript / mp_ass_subscript do.
 */
function sliceUnpack(
  s: { start: unknown; stop: unknown; step: unknown },
  sliceErr: () => Error,
  zeroStep: () => Error,
): [number, number, number] {
  const conv = (v: unknown): number | null => {
    if (v === null || v === undefined) return null;
    const n = toInt(v);
    if (n === undefined) throw sliceErr();
    return indexToSsize(n, null); // clamped like _PyEval_SliceIndex
  };
  let step = conv(s.step);
  if (step === 0) throw zeroStep();
  if (step === null) step = 1;
  const MAX = Number(SSIZE_MAX);
  if (step < -MAX) step = -MAX;
  let start = conv(s.start);
  let stop = conv(s.stop);
  if (start === null) start = step < 0 ? MAX : 0;
  if (stop === null) stop = step < 0 ? -MAX - 1 : MAX;
  return [start, stop, step];
}

/** PySlice_AdjustIndices(length, start, stop, step): [start, stop, step, slicelength]. No user
 *  code runs here. */
function sliceAdjust(length: number, start: number, stop: number, step: number): [number, number, number, number] {
  if (start < 0) {
    start += length;
    if (start < 0) start = step < 0 ? -1 : 0;
  } else if (start >= length) {
    start = step < 0 ? length - 1 : length;
  }
  if (stop < 0) {
    stop += length;
    if (stop < 0) stop = step < 0 ? -1 : 0;
  } else if (stop >= length) {
    stop = step < 0 ? length - 1 : length;
  }
  let n = 0;
  if (step < 0) {
    if (stop < start) n = Math.floor((start - stop - 1) / -step) + 1;
  } else if (start < stop) {
    n = Math.floor((stop - start - 1) / step) + 1;
  }
  return [start, stop, step, n];
}

/**
 * slice.indices(length) as PySlice_Unpack + PySlice_AdjustIndices: [start, stop, step, n].
 * `length` may be a function: it is then called after the conversions (which can run user code
 * that changes the length).
 */
export function sliceIndices(
  s: { start: unknown; stop: unknown; step: unknown },
  length: number | (() => number),
  sliceErr: () => Error,
  zeroStep: () => Error,
): [number, number, number, number] {
  const [start, stop, step] = sliceUnpack(s, sliceErr, zeroStep);
  return sliceAdjust(typeof length === 'function' ? length() : length, start, stop, step);
}
