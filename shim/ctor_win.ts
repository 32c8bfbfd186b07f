// The Windows side of the mmap module (native.backend === 'win32'), as CPython's
// Modules/mmapmodule.c has it under MS_WINDOWS:
//   mmap(fileno, length, tagname=None, access=ACCESS_DEFAULT, offset=0)   (+ *, trackfd=True in 3.15)
// - argument parsing as PyArg_ParseTupleAndKeywords("in|OiL") does it (C long is 32 bits on
//   Windows, so an out-of-range fileno or access says "... to convert to C long");
// - then, in CPython's order: the audit event, the access check, length and offset signs, the
//   descriptor (a bad one is OSError EBADF), the "map the whole file" size checks, the tagname
//   type, and the mapping itself (Win32 errors become OSError with winerror);
// - fileno -1 and 0 both map the paging file; a length larger than the file extends the file.
// `winModule` trims a version's module to what Windows has: ACCESS_*, PAGESIZE,
// ALLOCATIONGRANULARITY, no madvise, and the Windows-only __sizeof__.
import { OverflowError, TypeError as PyTypeError, ValueError, OSError } from './builtins';
import { asSsize, convertParams, notIntMessage, pyTruthy, pyTypeName, splitArgs, toInt } from './convert';
import type { Gate } from './gates';
import { MSG } from './messages';
import { native } from './native';
import * as sys from './sys';

const ACCESS_DEFAULT = 0;
const ACCESS_READ = 1;
const ACCESS_WRITE = 2;
const ACCESS_COPY = 3;
const MAP_SHARED = 1;
const MAP_PRIVATE = 2;
const PROT_READ = 1;
const PROT_WRITE = 2;

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;
const LLONG_MAX = 2n ** 63n - 1n;
const LLONG_MIN = -(2n ** 63n);
const SSIZE_MAX_N = 9223372036854775807;

const PARAMS = ['fileno', 'length', 'tagname', 'access', 'offset'] as const;

/** The fields of the mmap object that the constructor fills in (see MmapBase). */
export interface WinMmapFields {
  _id: number;
  _len: number;
  _offset: number;
  _access: number;
  _flags: number;
  _prot: number;
  _anon: boolean;
  _trackfd: boolean;
}

/** "i" on Windows: PyLong_AsLong with a 32-bit C long. */
function asWinInt(v: unknown, g: Gate): number {
  const n = toInt(v);
  if (n === undefined) throw new PyTypeError(notIntMessage(v, g));
  if (typeof n === 'bigint' ? n > BigInt(INT32_MAX) || n < BigInt(INT32_MIN) : n > INT32_MAX || n < INT32_MIN) {
    throw new OverflowError(MSG.tooLargeLong);
  }
  return Number(n);
}

/** "L": long long. */
function asLongLong(v: unknown, g: Gate): number {
  const n = toInt(v);
  if (n === undefined) throw new PyTypeError(notIntMessage(v, g));
  if (typeof n === 'bigint' || !Number.isSafeInteger(n)) {
    const b = typeof n === 'bigint' ? n : BigInt(n);
    if (b > LLONG_MAX || b < LLONG_MIN) throw new OverflowError('int too big to convert');
    return Number(b);
  }
  return n;
}

const CONVERT: Array<((v: unknown, g: Gate) => unknown) | null> = [asWinInt, asSsize, null, asWinInt, asLongLong];

/**
 * The Windows constructor. Called by MmapBase's constructor when native.backend === 'win32'
 * with the version's gate and the constructor's arguments; fills in `self`'s fields (the caller
 * registers the finalizer).
 */
export function initWindows(self: WinMmapFields, g: Gate, args: ArrayLike<unknown>): void {
  // ---- PyArg_ParseTupleAndKeywords("in|OiL" + "$p" from 3.15)
  const withTrackfd = g.minor >= 15;
  const [pos, kw] = splitArgs(args);
  const kwNames = kw ? Object.keys(kw) : [];
  const total = pos.length + kwNames.length;
  const len = withTrackfd ? 6 : 5;
  if (total > len) {
    throw new PyTypeError(`function takes at most ${len} ${pos.length === 0 ? 'keyword ' : ''}arguments (${total} given)`);
  }
  if (pos.length > PARAMS.length) {
    throw new PyTypeError(`function takes at most ${PARAMS.length} positional arguments (${pos.length} given)`);
  }
  const vals = convertParams(pos, kw, PARAMS, CONVERT, 2, g);
  let trackfd = true;
  if (kw) {
    if (withTrackfd && Object.prototype.hasOwnProperty.call(kw, 'trackfd')) trackfd = pyTruthy(kw.trackfd);
    for (let i = 0; i < pos.length; i++) {
      if (Object.prototype.hasOwnProperty.call(kw, PARAMS[i])) {
        throw new PyTypeError(`argument for function given by name ('${PARAMS[i]}') and position (${i + 1})`);
      }
    }
    for (const k of kwNames) {
      if ((PARAMS as readonly string[]).includes(k) || (withTrackfd && k === 'trackfd')) continue;
      throw new PyTypeError(g.newArgMessages
        ? `this function got an unexpected keyword argument '${k}'`
        : `'${k}' is an invalid keyword argument for this function`);
    }
  }
  const fileno = vals[0] as number;
  const length = vals[1] as number;
  const tagname = vals[2];
  const access = vals[3] === undefined ? ACCESS_DEFAULT : (vals[3] as number);
  const offset = vals[4] === undefined ? 0 : (vals[4] as number);

  // ---- checks, in CPython's order
  if (g.audit) sys.audit('mmap.__new__', fileno, length, access, offset);
  if (access !== ACCESS_READ && access !== ACCESS_DEFAULT && access !== ACCESS_WRITE && access !== ACCESS_COPY) {
    throw new ValueError(MSG.accessInvalid);
  }
  if (length < 0) throw new OverflowError(MSG.lengthNegative);
  if (offset < 0) throw new OverflowError(MSG.offsetNegative);

  // -1 and 0 both mean the paging file (CPython keeps accepting 0, as before 2.5).
  const anon = fileno === -1 || fileno === 0;
  let mapLen = length;
  if (!anon) {
    // _Py_get_osfhandle: a descriptor that is not open is OSError EBADF. The size is needed only
    // to map the whole file (length 0); a failure to get it matters only then.
    let size: number | null = null;
    let sizeError: unknown = null;
    try {
      size = native.fstat(fileno)[0];
    } catch (e) {
      if (!(e instanceof OSError) || e.winerror === null) throw e;
      sizeError = e;
    }
    if (length === 0) {
      if (sizeError !== null) throw sizeError;
      const s = size as number;
      if (s === 0) throw new ValueError(MSG.emptyFile);
      if (offset >= s) throw new ValueError(MSG.offsetTooBig);
      if (s - offset > SSIZE_MAX_N) throw new ValueError(MSG.lengthTooLarge);
      mapLen = s - offset;
    }
  }
  let tag: string | null = null;
  if (tagname !== undefined && tagname !== null) {
    if (typeof tagname !== 'string') throw new PyTypeError(MSG.tagnameType(pyTypeName(tagname)));
    if (tagname.includes('\0')) throw new ValueError('embedded null character');
    tag = tagname;
  }

  const big = (n: number) => (Number.isSafeInteger(n) ? n : BigInt(Math.min(n, SSIZE_MAX_N)));
  // map(fd, length, flags, prot, offset, dupFd, tagname, access): the last two are the
  // Windows backend's (NativeAddon.map declares the first six).
  const map = native.map as unknown as (...a: unknown[]) => number;
  self._id = map(anon ? -1 : fileno, big(mapLen), 0, 0, big(offset), !anon && trackfd, tag, access);
  self._len = mapLen;
  self._offset = offset;
  self._access = access;
  self._flags = access === ACCESS_COPY ? MAP_PRIVATE : MAP_SHARED;
  self._prot = access === ACCESS_READ ? PROT_READ : PROT_READ | PROT_WRITE;
  self._anon = anon;
  self._trackfd = trackfd;
  Object.defineProperty(self, '_tagname', { value: tag, enumerable: false, writable: true });
}

/** CPython's basicsize of mmap_object on 64-bit Windows (the part __sizeof__ adds the tagname to). */
const MMAP_OBJECT_SIZE = 96;

/** mmap.__sizeof__() on Windows: the object plus its tagname as a wchar_t string. */
function sizeofWindows(this: { _tagname?: string | null }): number {
  const t = this._tagname;
  return MMAP_OBJECT_SIZE + (typeof t === 'string' ? (t.length + 1) * 2 : 0);
}

const WIN_MODULE_NAMES = new Set(['ACCESS_DEFAULT', 'ACCESS_READ', 'ACCESS_WRITE', 'ACCESS_COPY',
  'PAGESIZE', 'ALLOCATIONGRANULARITY', 'error', 'mmap']);

/**
 * A version's module as Windows has it: only ACCESS_*, PAGESIZE and ALLOCATIONGRANULARITY as
 * constants, no madvise (no HAVE_MADVISE), and __sizeof__ (Windows-only in CPython, it counts
 * the tagname). Called by moduleFor() on win32 before the module is frozen.
 */
export function winModule(cls: { prototype: object }, mod: Record<string, unknown>): void {
  for (const name of Object.keys(mod)) if (!WIN_MODULE_NAMES.has(name)) delete mod[name];
  if (!Object.prototype.hasOwnProperty.call(cls.prototype, 'madvise')) {
    Object.defineProperty(cls.prototype, 'madvise', { value: undefined, enumerable: false });
  }
  Object.defineProperty(cls.prototype, '__sizeof__', { value: sizeofWindows, enumerable: false, configurable: true, writable: true });
}
