// Every parameter of every method and constructor, described once (as CPython's Argument Clinic
// describes them), and the one parser that reads a call's arguments from that description.
//
// A signature names its calling convention, which decides how CPython counts the arguments,
// refuses keywords and words its messages (they differ between conventions and versions), and
// when the map's validity is checked relative to the conversions; each parameter names its
// converter (the format unit), whether it may be left out, whether None is accepted, whether it
// is keyword-only, and the versions that have it. The conversions run in parameter order and
// may run user code (__index__).
import { TypeError as PyTypeError, ValueError } from './builtins';
import {
  asBuffer, asByte, asCInt, asClinicInt, asLong, asLongLong, asObjectInt, asOffset, asSsize, asSsizeBig, asWinInt, bufferFlags,
  isKwargs, pyTruthy, readSize, splitArgs,
} from './convert';
import type { Gate } from './gates';
import type { Mapping } from './mapping';
import { MSG } from './messages';

/** Converters by format unit. `held` collects maps exported for the call (buffer arguments). */
const CONVERTERS = {
  /** "n": Py_ssize_t */
  ssize: asSsize,
  /** "n", kept exact as a bigint (arithmetic near 2**63) */
  ssizeExact: asSsizeBig,
  /** "i": C int */
  int: asCInt,
  /** "i", converted by Argument Clinic in the versions that have it (3.14) */
  clinicInt: asClinicInt,
  /** "l": C long */
  long: asLong,
  /** the constructor's offset: "l", or "L" where the gate says so (32-bit 3.14+) */
  offset: asOffset,
  /** Argument Clinic's int of object's methods (PyLong_AsInt; "i" in 3.7) */
  objectInt: asObjectInt,
  /** "b": unsigned char */
  byte: asByte,
  /** "p": truth value */
  bool: pyTruthy,
  /** "O": any object, unconverted */
  object: (v: unknown) => v,
  /** "y*": a bytes-like object (another map is exported for the call) */
  buffer: asBuffer,
  /** read()'s size: an integer or None (-1) */
  readSize,
  /** __buffer__'s flags */
  bufferFlags,
  /** Windows "i": a 32-bit C long */
  winInt: asWinInt,
  /** Windows "L": long long */
  longlong: asLongLong,
} as const;

export type Converter = keyof typeof CONVERTERS;

/** The integers each integer converter returns unchanged (a number in range needs no call),
 *  with a 64-bit Py_ssize_t and C long; PLAIN_RANGE_32 where they are 32-bit. */
const PLAIN_RANGE: Partial<Record<Converter, readonly [number, number]>> = {
  ssize: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  long: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  offset: [-2147483648, 2147483647],
  longlong: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int: [-2147483648, 2147483647],
  objectInt: [-2147483648, 2147483647],
  clinicInt: [-2147483648, 2147483647],
  winInt: [-2147483648, 2147483647],
  byte: [0, 255],
};
const PLAIN_RANGE_32: Partial<Record<Converter, readonly [number, number]>> = {
  ...PLAIN_RANGE,
  ssize: [-2147483648, 2147483647],
  long: [-2147483648, 2147483647],
};

export interface Param {
  readonly name: string;
  readonly conv: Converter;
  /** May be left out (the parser then returns undefined for it). */
  readonly optional?: boolean;
  /** None (null or undefined) is accepted in the versions the gate allows: null comes back. */
  readonly none?: (g: Gate) => boolean;
  /** Keyword-only (after `*`). */
  readonly kwOnly?: boolean;
  /** The versions (and platforms) that have the parameter; default: all. */
  readonly since?: (g: Gate) => boolean;
  /** Converted only when this holds of the values before it (left as undefined otherwise). */
  readonly readIf?: (prev: readonly unknown[], g: Gate) => boolean;
}

/**
 * How CPython receives the arguments:
 * - noargs: METH_NOARGS ("mmap.close() takes no arguments (1 given)");
 * - varargs: METH_VARARGS with PyArg_ParseTuple, or Argument Clinic where the gate says so
 *   (3.14: the count is checked and the arguments converted before the map's validity);
 * - o: METH_O ("set_name() takes exactly one argument (2 given)");
 * - wrapper: a slot wrapper (__getitem__, __len__, __buffer__, ...);
 * - keywords: PyArg_ParseTupleAndKeywords (the constructor; "function missing required ...");
 * - keywordsPositionalOnly: positional-only parameters and keyword-only ones (flush in 3.15),
 *   the validity checked first.
 */
export type Convention = 'noargs' | 'varargs' | 'o' | 'wrapper' | 'keywords' | 'keywordsPositionalOnly';

export interface Signature {
  /** The name CPython's messages use. */
  readonly name: string;
  readonly convention: Convention | ((g: Gate) => Convention);
  readonly params: readonly Param[];
  /** varargs: any number of arguments, unconverted, in the versions the gate allows (*args). */
  readonly anyCount?: (g: Gate) => boolean;
  /** The names the messages use where they differ from `name` (object.__reduce_ex__). */
  readonly messageNames?: (g: Gate) => { kw: string; count: string };
}

const noneFrom314 = (g: Gate) => g.noneArgs;
const ssize = (name: string, more: Partial<Param> = {}): Param => ({ name, conv: 'ssize', ...more });
const none = (): Partial<Param> => ({ optional: true, none: noneFrom314 });
/** find/rfind: 3.14 reads `end` only when `start` is not None ("from the position to the end"). */
const findParams: readonly Param[] = [
  { name: 'sub', conv: 'buffer' }, ssize('start', none()),
  ssize('end', { ...none(), readIf: (prev, g) => !(g.noneArgs && prev[1] === null) }),
];

/** The signatures of the mmap type, as CPython's Modules/mmapmodule.c declares them. */
export const SIGNATURES = {
  /** mmap(fileno, length, flags=MAP_SHARED, prot=PROT_WRITE|PROT_READ, access=ACCESS_DEFAULT,
   *  offset=0, *, trackfd=True) */
  new: {
    name: 'function', convention: 'keywords', params: [
      { name: 'fileno', conv: 'int' }, ssize('length'), { name: 'flags', conv: 'int', optional: true },
      { name: 'prot', conv: 'int', optional: true }, { name: 'access', conv: 'int', optional: true },
      { name: 'offset', conv: 'offset', optional: true },
      { name: 'trackfd', conv: 'bool', optional: true, kwOnly: true, since: (g) => g.trackfd },
    ],
  },
  /** Windows: mmap(fileno, length, tagname=None, access=ACCESS_DEFAULT, offset=0, *, trackfd=True) */
  newWindows: {
    name: 'function', convention: 'keywords', params: [
      { name: 'fileno', conv: 'winInt' }, ssize('length'), { name: 'tagname', conv: 'object', optional: true },
      { name: 'access', conv: 'winInt', optional: true }, { name: 'offset', conv: 'longlong', optional: true },
      { name: 'trackfd', conv: 'bool', optional: true, kwOnly: true, since: (g) => g.windowsTrackfd },
    ],
  },
  close: { name: 'close', convention: 'noargs', params: [] },
  find: { name: 'find', convention: 'varargs', params: findParams },
  rfind: { name: 'rfind', convention: 'varargs', params: findParams },
  /** flush(offset=0, size=len-offset) / 3.15: flush(offset=0, size=-1, /, *, flags=MS_SYNC) */
  flush: {
    name: 'flush', convention: (g) => (g.flushFlags ? 'keywordsPositionalOnly' : 'varargs'), params: [
      // offset: None is refused in every version (CPython 3.14.2 too); size: None in 3.14 only
      // (3.15.0rc1: -1 is "to the end", None a TypeError)
      ssize('offset', { optional: true }), ssize('size', { optional: true, none: (g) => g.noneArgs && !g.flushFlags }),
      { name: 'flags', conv: 'int', optional: true, kwOnly: true, since: (g) => g.flushFlags },
    ],
  },
  /** madvise(option, start=0, length=len-start); None is refused for start, even in 3.14 */
  madvise: {
    name: 'madvise', convention: 'varargs', params: [
      { name: 'option', conv: 'clinicInt' }, { name: 'start', conv: 'ssizeExact', optional: true },
      { name: 'length', conv: 'ssizeExact', ...none() },
    ],
  },
  move: { name: 'move', convention: 'varargs', params: [ssize('dest'), ssize('src'), ssize('count')] },
  read: { name: 'read', convention: 'varargs', params: [{ name: 'n', conv: 'readSize', optional: true }] },
  read_byte: { name: 'read_byte', convention: 'noargs', params: [] },
  readline: { name: 'readline', convention: 'noargs', params: [] },
  resize: { name: 'resize', convention: 'varargs', params: [ssize('newsize')] },
  seek: { name: 'seek', convention: 'varargs', params: [ssize('pos'), { name: 'whence', conv: 'clinicInt', optional: true }] },
  seekable: { name: 'seekable', convention: 'noargs', params: [] },
  set_name: { name: 'set_name', convention: 'o', params: [{ name: 'name', conv: 'object' }] },
  size: { name: 'size', convention: 'noargs', params: [] },
  tell: { name: 'tell', convention: 'noargs', params: [] },
  write: { name: 'write', convention: 'varargs', params: [{ name: 'bytes', conv: 'buffer' }] },
  write_byte: { name: 'write_byte', convention: 'varargs', params: [{ name: 'byte', conv: 'byte' }] },
  __enter__: { name: '__enter__', convention: 'noargs', params: [] },
  /** __exit__(*args); Argument Clinic (3.14): exactly three */
  __exit__: {
    name: '__exit__', convention: 'varargs', anyCount: (g) => !g.clinic, params: [
      { name: 'exc_type', conv: 'object' }, { name: 'exc_value', conv: 'object' }, { name: 'traceback', conv: 'object' },
    ],
  },
  /** object.__reduce_ex__(protocol), inherited */
  __reduce_ex__: {
    name: '__reduce_ex__', convention: 'o', params: [{ name: 'protocol', conv: 'objectInt' }],
    messageNames: (g) => {
      const fn = g.qualifiedNoArgs ? 'object.__reduce_ex__' : '__reduce_ex__';
      return { kw: g.qualifiedKw || !g.qualifiedNoArgs ? fn : 'mmap.__reduce_ex__', count: fn };
    },
  },
  __getitem__: { name: '__getitem__', convention: 'wrapper', params: [{ name: 'key', conv: 'object' }] },
  __setitem__: { name: '__setitem__', convention: 'wrapper', params: [{ name: 'key', conv: 'object' }, { name: 'value', conv: 'object' }] },
  __delitem__: { name: '__delitem__', convention: 'wrapper', params: [{ name: 'key', conv: 'object' }] },
  __len__: { name: '__len__', convention: 'wrapper', params: [] },
  __buffer__: { name: '__buffer__', convention: 'wrapper', params: [{ name: 'flags', conv: 'bufferFlags' }] },
} as const satisfies Record<string, Signature>;

type Conv = (v: unknown, g: Gate, held: unknown[] | null) => unknown;

/** A signature as one version has it: its convention, its parameters, their converters. */
interface Compiled {
  readonly sig: Signature;
  readonly convention: Convention;
  readonly params: readonly Param[];
  readonly convs: readonly Conv[];
  /** Whether None is accepted, per parameter, in this version. */
  readonly nones: readonly boolean[];
  /** Per parameter, the integers its converter returns unchanged ([1, 0]: none). */
  readonly lo: readonly number[];
  readonly hi: readonly number[];
  /** Whether any parameter is read only under a condition (readIf). */
  readonly conditional: boolean;
  /** varargs: any number of arguments, unconverted, in this version. */
  readonly anyCount: boolean;
  readonly min: number;
  readonly max: number;
  /** How many parameters are positional (the rest are keyword-only). */
  readonly positional: number;
}

/** The signature as version g has it (made once per signature and version, and kept on the
 *  signature: a property load is cheaper than a Map lookup on the methods' hot paths). */
function compile(sig: Signature, g: Gate): Compiled {
  const cached = sig as { compiled?: Array<Compiled | undefined> };
  const byMinor = cached.compiled ?? (cached.compiled = []);
  const key = g.ssizeBits === 32 ? g.minor + 100 : g.minor;
  let c = byMinor[key];
  if (c === undefined) {
    const plain = g.ssizeBits === 32 ? PLAIN_RANGE_32 : PLAIN_RANGE;
    const params = sig.params.filter((p) => !p.since || p.since(g));
    let min = 0;
    while (min < params.length && !params[min].optional) min++;
    c = byMinor[key] = {
      sig, params, min, max: params.length,
      convention: typeof sig.convention === 'function' ? sig.convention(g) : sig.convention,
      convs: params.map((p) => CONVERTERS[p.conv] as Conv),
      nones: params.map((p) => p.none !== undefined && p.none(g)),
      lo: params.map((p) => plain[p.conv]?.[0] ?? 1),
      hi: params.map((p) => plain[p.conv]?.[1] ?? 0),
      conditional: params.some((p) => p.readIf !== undefined),
      anyCount: sig.anyCount !== undefined && sig.anyCount(g),
      positional: params.filter((p) => !p.kwOnly).length,
    };
  }
  return c;
}

/** Converts a given argument (undefined and null are both None). */
function convert(c: Compiled, i: number, v: unknown, g: Gate, held: unknown[] | null): unknown {
  if (typeof v === 'number' && v >= c.lo[i] && v <= c.hi[i] && Number.isInteger(v)) return v;
  return v == null && c.nones[i] ? null : c.convs[i](v, g, held);
}

/** Raises ValueError if the map is closed (CHECK_VALID). */
function checkValid(m: Mapping | null): void {
  if (m !== null && m.id < 0) throw new ValueError(MSG.closed);
}

/**
 * The arguments of one call, checked and converted as the signature says: one value per
 * parameter (undefined where left out, null for an accepted None). `m` is the map's Mapping,
 * for the conventions that check its validity before converting (null: never). Maps passed as
 * buffer arguments are pushed to `held` (exported until the caller releases them, which it
 * does in a finally: also when a later conversion fails).
 */
export function parseArgs(sig: Signature, g: Gate, args: ArrayLike<unknown>, m: Mapping | null,
  held: unknown[] | null = null): unknown[] {
  const c = compile(sig, g);
  switch (c.convention) {
    case 'noargs':
      noArgs(sig, g, args);
      return [];
    case 'varargs':
      return varArgs(c, g, args, m, held);
    case 'o':
      return [convert(c, 0, oneArg(sig, g, args), g, held)];
    case 'wrapper':
      return wrapperArgs(sig, g, args).map((v, i) => convert(c, i, v, g, held));
    case 'keywords':
      return keywordArgs(c, g, args, held);
    case 'keywordsPositionalOnly':
      return positionalOnlyArgs(c, g, args, m, held);
  }
}

function noArgs(sig: Signature, g: Gate, args: ArrayLike<unknown>): void {
  const n = args.length;
  if (n === 0) return;
  const fn = g.qualifiedNoArgs ? `mmap.${sig.name}` : sig.name;
  if (isKwargs(args[n - 1])) {
    if (Object.keys(args[n - 1] as object).length) throw new PyTypeError(MSG.noKeywords(fn));
    if (n === 1) return;
    throw new PyTypeError(MSG.noArguments(fn, n - 1));
  }
  throw new PyTypeError(MSG.noArguments(fn, n));
}

function varArgs(c: Compiled, g: Gate, args: ArrayLike<unknown>, m: Mapping | null, held: unknown[] | null): unknown[] {
  const name = c.sig.name;
  let n = args.length;
  if (n > 0 && isKwargs(args[n - 1])) {
    // keywords are refused; an empty keyword object is no argument at all
    if (Object.keys(args[n - 1] as object).length) throw new PyTypeError(MSG.noKeywords(g.qualifiedKw ? `mmap.${name}` : name));
    n--;
  }
  if (c.anyCount) return Array.prototype.slice.call(args, 0, n);
  const { min, max } = c;
  if (g.clinic) {
    // Argument Clinic checks the count before the body runs, and converts the arguments before
    // the body's validity check (the caller checks after).
    if (min === 1 && max === 1) {
      if (n !== 1) throw new PyTypeError(MSG.exactlyOne(`mmap.${name}`, n));
    } else if (n > max || n < min) {
      throw new PyTypeError(MSG.clinicCount(name, min, max, n));
    }
  } else {
    checkValid(m);
    if (n > max) throw new PyTypeError(MSG.argCount(name, min === max ? 'exactly' : 'at most', max, n));
    if (n < min) throw new PyTypeError(MSG.argCount(name, min === max ? 'exactly' : 'at least', min, n));
  }
  const out = new Array<unknown>(max);
  let deferred = false;
  for (let i = 0; i < n; i++) {
    // Argument Clinic passes the None-accepting parameters (find's start and end, madvise's
    // length, flush's size in 3.14) as objects that the body converts after its CHECK_VALID
    if (g.clinic && c.nones[i]) {
      deferred = true;
      continue;
    }
    if (c.conditional) {
      const readIf = c.params[i].readIf;
      if (readIf !== undefined && !readIf(out, g)) continue;
    }
    out[i] = convert(c, i, args[i], g, held);
  }
  if (deferred) {
    checkValid(m);
    for (let i = 0; i < n; i++) {
      if (!c.nones[i]) continue;
      const readIf = c.params[i].readIf;
      if (readIf !== undefined && !readIf(out, g)) continue;
      out[i] = convert(c, i, args[i], g, held);
    }
  }
  return out;
}

function oneArg(sig: Signature, g: Gate, args: ArrayLike<unknown>): unknown {
  const names = sig.messageNames ? sig.messageNames(g) : { kw: sig.name, count: sig.name };
  const [pos, kw] = splitArgs(args);
  if (kw) throw new PyTypeError(MSG.noKeywords(names.kw));
  if (pos.length !== 1) throw new PyTypeError(MSG.exactlyOne(names.count, pos.length));
  return pos[0];
}

function wrapperArgs(sig: Signature, g: Gate, args: ArrayLike<unknown>): unknown[] {
  const name = sig.name;
  const [pos, kw] = splitArgs(args);
  if (kw) throw new PyTypeError(MSG.wrapperNoKeywords(name));
  const n = sig.params.length;
  if (pos.length !== n) {
    const msg = MSG.wrapperArgs(n, pos.length, !g.wrapperSingular);
    // wrap_objobjargproc and wrap_buffer spell it with a leading space; 3.14's __buffer__ with
    // its name.
    if (name === '__buffer__' && g.clinic) throw new PyTypeError(`${name} ${msg}`);
    throw new PyTypeError(name === '__setitem__' || name === '__buffer__' ? ' ' + msg : msg);
  }
  return pos;
}

/**
 * PyArg_ParseTupleAndKeywords: the total count first, then each parameter converted in order
 * from its position or its keyword (a missing required one is reported when reached, more
 * positional arguments than the keyword-only marker allows when it is reached), then arguments
 * given twice, then unknown keywords.
 */
function keywordArgs(c: Compiled, g: Gate, args: ArrayLike<unknown>, held: unknown[] | null): unknown[] {
  const fn = c.sig.name;
  const params = c.params;
  const [pos, kw] = splitArgs(args);
  const kwNames = kw ? Object.keys(kw) : [];
  const total = pos.length + kwNames.length;
  if (total > params.length) throw new PyTypeError(MSG.mostArgs(fn, params.length, total, pos.length === 0));
  let unused = kwNames.length;
  const out = new Array<unknown>(params.length);
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (p.kwOnly && (i === 0 || !params[i - 1].kwOnly) && pos.length > i) {
      throw new PyTypeError(MSG.mostPositional(fn, i, pos.length));
    }
    let v: unknown;
    if (i < pos.length) v = pos[i];
    else if (unused > 0 && Object.prototype.hasOwnProperty.call(kw, p.name)) {
      v = kw![p.name];
      unused--;
    }
    if (v !== undefined) out[i] = convert(c, i, v, g, held); // (a given undefined counts as left out)
    else if (!p.optional) throw new PyTypeError(MSG.missingArg(fn, p.name, i + 1));
  }
  if (unused > 0) {
    for (let i = 0; i < pos.length && i < params.length; i++) {
      if (Object.prototype.hasOwnProperty.call(kw, params[i].name)) {
        throw new PyTypeError(MSG.givenTwice(fn, params[i].name, i + 1));
      }
    }
    for (const k of kwNames) {
      if (params.some((p) => p.name === k)) continue;
      throw new PyTypeError(g.newArgMessages ? MSG.unexpectedKeyword('this function', k) : MSG.invalidKeyword(k, 'this function'));
    }
  }
  return out;
}

/** flush() in 3.15 (Argument Clinic): positional-only parameters then keyword-only ones; a
 *  positional-only one given by keyword is an unexpected keyword; the keyword-only ones
 *  converted before the positional ones, all before the body's validity check (the caller's;
 *  as CPython 3.15.0rc1 does, measured in Pyodide 315). */
function positionalOnlyArgs(c: Compiled, g: Gate, args: ArrayLike<unknown>, _m: Mapping | null,
  held: unknown[] | null): unknown[] {
  const params = c.params;
  const npos = c.positional;
  let n = args.length;
  const kw = n > 0 && isKwargs(args[n - 1]) ? args[--n] as Record<string, unknown> : null;
  if (n > npos) throw new PyTypeError(MSG.mostPositional(`${c.sig.name}()`, npos, n));
  const out = new Array<unknown>(params.length);
  if (kw !== null) {
    for (const k of Object.keys(kw)) {
      const i = params.findIndex((p) => p.name === k);
      if (i >= npos) out[i] = convert(c, i, kw[k], g, held);
      else throw new PyTypeError(MSG.unexpectedKeyword(`${c.sig.name}()`, k));
    }
  }
  for (let i = 0; i < n; i++) out[i] = convert(c, i, args[i], g, held);
  return out;
}
