// The mmap object, with CPython's semantics (Modules/mmapmodule.c) under a version gate.
//
// Layout: every method validates and converts in JS, then calls the native core once. The map
// is named by an integer id; `_v` is a lazily created zero-copy view (a Buffer over the
// mapping, or over a private shadow of a read-only mapping) used for hot paths. Pages that
// fault under a view (file truncated) are repaired natively and counted in FC; after touching
// the view we compare FC with the last count seen and raise OSError if it moved.
import { Buffer } from 'buffer'; // not the global getter, looked up on every use
import { constants as osConstants } from 'os';
import * as workerThreads from 'worker_threads';
import {
  BufferError, IndexError, MemoryError, OSError, OverflowError, TypeError as PyTypeError, ValueError, slice,
} from './builtins';
import {
  asByte, asBytesLike, asCInt, asLong, asSsize, asSsizeBig, convertParams, indexToSsize, isIndex, isKwargs,
  notIntMessage,
  SSIZE_MAX,
  pyTruthy, pyTypeName, sliceIndices, splitArgs, toInt,
} from './convert';
import type { Gate } from './gates';
import { ACCESS_NAMES, MSG } from './messages';
import { native, NativeViewError } from './native';
import { initWindows } from './ctor_win';
import * as sys from './sys';

export const ACCESS_DEFAULT = 0;
export const ACCESS_READ = 1;
export const ACCESS_WRITE = 2;
export const ACCESS_COPY = 3;

const C = native.constants();
const MAP_SHARED = C.MAP_SHARED ?? 1;
const MAP_PRIVATE = C.MAP_PRIVATE ?? 2;
const PROT_READ = C.PROT_READ ?? 1;
const PROT_WRITE = C.PROT_WRITE ?? 2;
const MS_SYNC = C.MS_SYNC ?? 4;
const SSIZE_MAX_N = 9223372036854775807;

/** Process-wide count of page faults repaired under views (null: views unavailable). */
let FC: Uint32Array | null = null;
try {
  FC = native.faultCounter(); // external memory: never marked untransferable (Node 24 then
  // cannot detach it at teardown and aborts); it is module-internal and never handed out
} catch {
  FC = null;
}

/** Slabs that results share must not be moved to another thread by a transfer list: that would
 *  empty every earlier result. Node marks its own Buffer pool the same way (structuredClone and
 *  postMessage then refuse it; Node 24 also refuses transfer()). Only for buffers JS allocated:
 *  never for external ones, which Node 24 must still be able to detach at teardown. */
function untransferable(ab: ArrayBufferLike): void {
  const mark = (workerThreads as { markAsUntransferable?: (o: object) => void }).markAsUntransferable;
  if (typeof mark === 'function') mark(ab);
  // Node 22 still lets ab.transfer() through for a marked buffer (24 refuses): refuse it as 24 does.
  if (typeof (ab as { transfer?: unknown }).transfer === 'function') {
    const refuse = { value: refuseTransfer, writable: false, enumerable: false, configurable: false };
    Object.defineProperties(ab, { transfer: refuse, transferToFixedLength: refuse });
  }
}
function refuseTransfer(): never {
  throw new TypeError('ArrayBuffer is not detachable and could not be cloned.');
}

const EMPTY = Buffer.alloc(0);

/**
 * A Buffer made straight from (slab, offset, length): Buffer.from() spends more on argument
 * checks than the copy of a short line costs. Instances are Buffers in every respect that can be
 * observed (Buffer.prototype is on their chain: Buffer.isBuffer, methods, toString).
 */
class SlabBuffer extends Uint8Array {}
Object.setPrototypeOf(SlabBuffer.prototype, Buffer.prototype);
Object.defineProperty(SlabBuffer.prototype, 'constructor', { value: Buffer, writable: true, configurable: true });
function slabBuffer(ab: ArrayBuffer, off: number, n: number): Buffer {
  return new SlabBuffer(ab, off, n) as unknown as Buffer;
}

// Small results are carved out of a shared slab, as Node does for Buffer.allocUnsafe: a fresh
// ArrayBuffer per 4 KiB slice costs more than copying the bytes. The slab belongs to this copy
// of the module and is passed to every native call that fills it (the addon keeps nothing), is
// zero-filled (no stale bytes of anyone else's), and cannot be transferred away.
const POOL_SIZE = 256 * 1024;
const POOL_MAX = 16 * 1024;
let poolU8: Uint8Array; // over the slab; length 0 if the slab was detached after all
function newPool(): ArrayBuffer {
  const ab = new ArrayBuffer(POOL_SIZE);
  untransferable(ab);
  poolU8 = new Uint8Array(ab);
  return ab;
}
let pool: ArrayBuffer = newPool();
let poolOff = 0;
/** Reserves n <= POOL_MAX bytes of the current slab (a new one when full or detached) and
 *  returns their offset in `pool`. */
function reserve(n: number): number {
  if (poolOff + n > POOL_SIZE || poolU8.length === 0) {
    pool = newPool();
    poolOff = 0;
  }
  const off = poolOff;
  poolOff = (poolOff + n + 7) & ~7;
  return off;
}
function alloc(n: number): Buffer {
  return n > POOL_MAX ? allocLarge(n) : slabBuffer(pool, reserve(n), n);
}

/** Buffer.allocUnsafe(n), with Python's MemoryError where the runtime cannot make it (over
 *  buffer.constants.MAX_LENGTH, or out of memory: a JS RangeError otherwise). */
function allocLarge(n: number): Buffer {
  try {
    return Buffer.allocUnsafe(n);
  } catch (e) {
    if (e instanceof RangeError) throw new MemoryError();
    throw e;
  }
}

/** A PEP 688 buffer export: `view` is live for writable maps (writes reach the file) and a
 *  snapshot copy for ACCESS_READ maps (JS has no read-only typed arrays). */
export interface BufferExport {
  readonly view: Uint8Array;
  readonly readonly: boolean;
  readonly released: boolean;
  release(): void;
  /** Raises OSError(EFAULT) if a page under `view` faulted (file truncated under the map)
   *  since the last check: call it after copying through `view` in JS or native code. */
  check(): void;
}

const finalizer = new FinalizationRegistry<number>((id) => {
  try {
    native.close(id);
  } catch {
    /* already closed */
  }
});

let addrCounter = 0;

export interface MmapKwargs {
  flags?: unknown; prot?: unknown; access?: unknown; offset?: unknown; trackfd?: unknown;
  fileno?: unknown; length?: unknown; tagname?: unknown;
}

const CTOR_PARAMS = ['fileno', 'length', 'flags', 'prot', 'access', 'offset'] as const;
const CTOR_CONVERT = [asCInt, asSsize, asCInt, asCInt, asCInt, asLong];

export class MmapBase {
  /** native id; -1 once closed */
  _id = -1;
  _len = 0;
  _pos = 0;
  _offset = 0;
  _access = ACCESS_DEFAULT;
  _flags = 0;
  _prot = 0;
  _anon = false;
  _trackfd = true;
  _exports = 0;
  _v: Buffer = EMPTY;
  _noView = false;
  _fc = 0;
  _addr = 0;
  _token: object = {};
  declare _g: Gate;

  constructor(fileno: unknown, length?: unknown, ...rest: unknown[]);
  constructor(...args: unknown[]) {
    const g: Gate = this._g; // on the class prototype (module.ts)
    this._addr = 0x7f0000000000 + (++addrCounter) * 0x40;
    if (FC) this._fc = FC[0];
    if (native.backend === 'win32') {
      initWindows(this, g, args);
      finalizer.register(this, this._id, this._token);
      return;
    }

    // ---- argument parsing, as PyArg_ParseTupleAndKeywords("in|iiil$p") does it: the total
    // count first, then each parameter converted in order (a missing required one is reported
    // when reached), then arguments given twice, then unknown keywords.
    const [pos, kw] = splitArgs(args);
    const kwNames = kw ? Object.keys(kw) : [];
    const total = pos.length + kwNames.length;
    const maxArgs = g.trackfd ? 7 : 6;
    if (total > maxArgs) throw new PyTypeError(`function takes at most ${maxArgs} arguments (${total} given)`);
    const vals = convertParams(pos, kw, CTOR_PARAMS, CTOR_CONVERT, 2, g);
    if (pos.length > 6) {
      throw new PyTypeError(`function takes at most 6 positional arguments (${pos.length} given)`);
    }
    let trackfd = true;
    if (kw) {
      for (let i = 0; i < pos.length && i < CTOR_PARAMS.length; i++) {
        if (Object.prototype.hasOwnProperty.call(kw, CTOR_PARAMS[i])) {
          throw new PyTypeError(`argument for function given by name ('${CTOR_PARAMS[i]}') and position (${i + 1})`);
        }
      }
      for (const k of kwNames) {
        if ((CTOR_PARAMS as readonly string[]).includes(k)) continue;
        if (k === 'trackfd' && g.trackfd) {
          trackfd = pyTruthy(kw[k]);
          continue;
        }
        throw new PyTypeError(g.newArgMessages
          ? `this function got an unexpected keyword argument '${k}'`
          : `'${k}' is an invalid keyword argument for this function`);
      }
    }
    const fd = vals[0] as number;
    let length = vals[1] as number;
    let flags = vals[2] === undefined ? MAP_SHARED : (vals[2] as number);
    let prot = vals[3] === undefined ? PROT_READ | PROT_WRITE : (vals[3] as number);
    let access = vals[4] === undefined ? ACCESS_DEFAULT : (vals[4] as number);
    const offset = vals[5] === undefined ? 0 : (vals[5] as number);

    // ---- semantic checks, in CPython's order
    if (length < 0) throw new OverflowError(MSG.lengthNegative);
    if (offset < 0) throw new OverflowError(MSG.offsetNegative);
    if (access !== ACCESS_DEFAULT && (flags !== MAP_SHARED || prot !== (PROT_WRITE | PROT_READ))) {
      throw new ValueError(MSG.accessAndFlags);
    }
    switch (access) {
      case ACCESS_READ: flags = MAP_SHARED; prot = PROT_READ; break;
      case ACCESS_WRITE: flags = MAP_SHARED; prot = PROT_READ | PROT_WRITE; break;
      case ACCESS_COPY: flags = MAP_PRIVATE; prot = PROT_READ | PROT_WRITE; break;
      case ACCESS_DEFAULT:
        if ((prot & PROT_READ) && (prot & PROT_WRITE)) { /* stays ACCESS_DEFAULT */ }
        else if (prot & PROT_WRITE) access = ACCESS_WRITE;
        else access = ACCESS_READ;
        break;
      default:
        throw new ValueError(MSG.accessInvalid);
    }
    if (g.audit) sys.audit('mmap.__new__', fd, length, access, offset);

    if (fd !== -1) {
      let size = -1;
      try {
        size = native.regularSize(fd);
      } catch {
        size = -1; // CPython ignores a failing fstat here; dup/mmap report the error
      }
      if (size >= 0) {
        if (length === 0) {
          if (size === 0) throw new ValueError(MSG.emptyFile);
          if (offset >= size) throw new ValueError(MSG.offsetTooBig);
          length = size - offset;
        } else if (offset > size || size - offset < length) {
          throw new ValueError(MSG.lengthTooBig);
        }
      }
    }
    const big = (n: number) => (Number.isSafeInteger(n) ? n : BigInt(Math.min(n, SSIZE_MAX_N)));
    const id = native.map(fd, big(length), flags, prot, big(offset), fd !== -1 && trackfd);
    this._id = id;
    this._len = length;
    this._offset = offset;
    this._access = access;
    this._flags = fd === -1 ? flags | (C.MAP_ANONYMOUS ?? C.MAP_ANON ?? 0) : flags;
    this._prot = prot;
    this._anon = fd === -1;
    this._trackfd = trackfd;
    finalizer.register(this, id, this._token);
  }

  // ------------------------------------------------------------------ helpers

  _closedError(): ValueError {
    return new ValueError(MSG.closed);
  }

  _check(): void {
    if (this._id < 0) throw new ValueError(MSG.closed);
  }

  _noArgs(name: string, args: ArrayLike<unknown>): void {
    const fn = this._g.qualifiedNoArgs ? `mmap.${name}` : name;
    const n = args.length;
    if (n === 0) return;
    if (isKwargs(args[n - 1])) {
      if (Object.keys(args[n - 1] as object).length) throw new PyTypeError(MSG.noKeywords(fn));
      if (n === 1) return;
      throw new PyTypeError(MSG.noArguments(fn, n - 1));
    }
    throw new PyTypeError(MSG.noArguments(fn, n));
  }

  /** METH_VARARGS: no keywords, then CHECK_VALID, then the argument count. */
  _varArgs(name: string, args: ArrayLike<unknown>, min: number, max: number, checkValid = true): unknown[] {
    const g = this._g;
    const [pos, kw] = splitArgs(args);
    if (kw) throw new PyTypeError(MSG.noKeywords(g.qualifiedKw ? `mmap.${name}` : name));
    const n = pos.length;
    if (g.clinic) {
      // Argument Clinic checks the count before the body runs (and so before CHECK_VALID).
      if (min === 1 && max === 1) {
        if (n !== 1) throw new PyTypeError(MSG.exactlyOne(`mmap.${name}`, n));
      } else if (n > max || n < min) {
        throw new PyTypeError(MSG.clinicCount(name, min, max, n));
      }
      // ... and converts the arguments before the body's CHECK_VALID: callers check after.
      return pos;
    }
    if (checkValid) this._check();
    if (n > max) throw new PyTypeError(MSG.argCount(name, min === max ? 'exactly' : 'at most', max, n));
    if (n < min) throw new PyTypeError(MSG.argCount(name, min === max ? 'exactly' : 'at least', min, n));
    return pos;
  }

  _writable(): void {
    if (this._access === ACCESS_READ) throw new PyTypeError(MSG.readonly);
  }

  /** The zero-copy view, created on first use; null where none can be made. */
  _view(): Buffer | null {
    const v = this._v;
    if (v.length !== 0) return v;
    if (this._noView || this._len === 0 || FC === null || this._id < 0) return null;
    try {
      this._v = Buffer.from(native.view(this._id));
      this._fc = FC[0];
      return this._v;
    } catch (e) {
      if (e instanceof NativeViewError) {
        this._noView = true;
        return null;
      }
      throw e;
    }
  }

  /** Called when FC moved after touching the view: raise if one of our pages faulted. */
  _faulted(): void {
    this._fc = FC![0];
    if (this._id >= 0 && native.repair(this._id) > 0) {
      this._fc = FC![0];
      throw makeFault();
    }
  }

  _byteAt(i: number): number {
    const v = this._view();
    if (v !== null) {
      const b = v[i];
      if (FC![0] !== this._fc) this._faulted();
      return b;
    }
    return native.getByte(this._id, i);
  }

  _setByte(i: number, b: number): void {
    const v = this._view();
    if (v !== null && this._access !== ACCESS_READ && (this._prot & PROT_WRITE)) {
      v[i] = b;
      if (FC![0] !== this._fc) this._faulted();
      return;
    }
    native.setByte(this._id, i, b);
  }

  /** bytes(self[start:start+n]) */
  _copy(start: number, n: number): Buffer {
    if (n <= 0) return Buffer.alloc(0);
    if (n <= POOL_MAX) {
      const off = reserve(n);
      native.copyToPool(this._id, start, n, off, pool); // guarded: no fault counter to check
      return slabBuffer(pool, off, n);
    }
    const out = allocLarge(n);
    const v = this._v;
    if (v.length !== 0) {
      v.copy(out, 0, start, start + n);
      if (FC![0] !== this._fc) this._faulted();
    } else {
      native.copyOut(this._id, start, n, out, 0);
    }
    return out;
  }

  _store(start: number, data: Uint8Array): void {
    native.copyIn(this._id, start, data);
  }

  /** A bytes-like argument's bytes ("y*"), or the given TypeError. A map given as the argument
   *  is exported for the call, as PyObject_GetBuffer does (see _exportBytes): once this returned,
   *  the caller must release it in a finally (`if (v instanceof MmapBase) v._exports--`). */
  _bytesArg(v: unknown): Uint8Array {
    const b = asBytesLike(v);
    if (b !== undefined) return b;
    if (v instanceof MmapBase) return v._exportBytes();
    throw new PyTypeError(MSG.bytesLike(pyTypeName(v)));
  }

  /** This map's bytes for use as another call's argument (no copy where a view exists), with an
   *  export held (`_exports` + 1: close and resize raise BufferError, so the view stays valid
   *  while argument conversions run user code). The caller releases it (`_exports--`). */
  _exportBytes(): Uint8Array {
    this._check();
    const v = this._view();
    const bytes = v !== null ? v : this._copy(0, this._len);
    this._exports++;
    return bytes;
  }

  // ------------------------------------------------------------------ attributes

  get closed(): boolean {
    return this._id < 0;
  }

  // ------------------------------------------------------------------ methods

  close(...args: unknown[]): void {
    this._noArgs('close', args);
    if (this._exports > 0) throw new BufferError(MSG.closeExported);
    if (this._id >= 0) {
      const id = this._id;
      this._id = -1;
      this._v = EMPTY;
      finalizer.unregister(this._token);
      native.close(id);
    }
  }

  find(...args: unknown[]): number {
    return this._find(args, false);
  }

  rfind(...args: unknown[]): number {
    return this._find(args, true);
  }

  _find(args: unknown[], reverse: boolean): number {
    const name = reverse ? 'rfind' : 'find';
    const pos = this._varArgs(name, args, 1, 3);
    // "y*" first: a map as the needle stays exported while start/end convert (their __index__
    // closing or resizing it raises BufferError, as in CPython).
    const needle = this._bytesArg(pos[0]);
    try {
      const g = this._g;
      // The defaults are read before the conversions (CPython initialises them first): an
      // __index__ that grows the map leaves the default end at the old size.
      let start = this._pos;
      let end = this._len;
      // 3.14+: a None start means "from the position to the end", whatever end says (as
      // CPython 3.14.2 does it).
      const noneStart = g.noneArgs && pos.length > 1 && pos[1] == null;
      if (pos.length > 1 && !noneStart) start = asSsize(pos[1], g);
      if (pos.length > 2 && !noneStart && !(g.noneArgs && pos[2] == null)) end = asSsize(pos[2], g);
      this._check();
      const size = this._len; // after the conversions
      if (start < 0) {
        start += size;
        if (start < 0) start = 0;
      } else if (start > size) start = size;
      if (end < 0) {
        end += size;
        if (end < 0) end = 0;
      } else if (end > size) end = size;
      if (end < start) return -1;
      return reverse ? native.rfind(this._id, start, end, needle) : native.find(this._id, start, end, needle);
    } finally {
      if (pos[0] instanceof MmapBase) pos[0]._exports--;
    }
  }

  flush(...args: unknown[]): number | null {
    const g = this._g;
    let offset = 0;
    let size: number;
    let flags = MS_SYNC;
    if (g.flushFlags) {
      const [pos, kw] = splitArgs(args);
      this._check();
      if (pos.length > 2) throw new PyTypeError(`flush() takes at most 2 positional arguments (${pos.length} given)`);
      if (kw) {
        for (const k of Object.keys(kw)) {
          if (k === 'flags') flags = asCInt(kw[k], g);
          else if (k === 'offset' || k === 'size') throw new PyTypeError(`flush() takes at most 2 positional arguments`);
          else throw new PyTypeError(`flush() got an unexpected keyword argument '${k}'`);
        }
      }
      if (pos.length > 0) offset = asSsize(pos[0], g);
      size = pos.length > 1 && pos[1] != null ? asSsize(pos[1], g) : this._len - offset;
      if (pos.length <= 1 && offset > this._len) size = 0;
    } else {
      const pos = this._varArgs('flush', args, 0, 2);
      if (pos.length > 0 && !(g.noneArgs && pos[0] == null)) offset = asSsize(pos[0], g);
      size = pos.length > 1 && !(g.noneArgs && pos[1] == null) ? asSsize(pos[1], g)
        : pos.length > 1 ? this._len - offset : this._len;
    }
    this._check();
    if (size < 0 || offset < 0 || this._len - offset < size) throw new ValueError(MSG.flushRange);
    if (this._access === ACCESS_READ || this._access === ACCESS_COPY) return g.flushReturnsZero ? 0 : null;
    native.flush(this._id, offset, size, flags);
    return g.flushReturnsZero ? 0 : null;
  }

  madvise(...args: unknown[]): null {
    const g = this._g;
    const pos = this._varArgs('madvise', args, 1, 3);
    const option = asCInt(pos[0], g, true);
    let startB = 0n;
    let lengthB = BigInt(this._len);
    if (pos.length > 1) startB = asSsizeBig(pos[1], g); // None is refused for start, even in 3.14
    if (pos.length > 2 && !(g.noneArgs && pos[2] == null)) lengthB = asSsizeBig(pos[2], g);
    this._check();
    if (startB < 0n || startB >= BigInt(this._len)) throw new ValueError(MSG.madviseStart);
    if (lengthB < 0n) throw new ValueError(MSG.madviseLength);
    if (SSIZE_MAX - startB < lengthB) throw new OverflowError(MSG.madviseTooLarge);
    const start = Number(startB);
    let length = startB + lengthB > BigInt(this._len) ? this._len - start : Number(lengthB);
    native.advise(this._id, start, length, option);
    return null;
  }

  move(...args: unknown[]): null {
    const g = this._g;
    const pos = this._varArgs('move', args, 3, 3);
    const dest = asSsize(pos[0], g);
    const src = asSsize(pos[1], g);
    const cnt = asSsize(pos[2], g);
    this._writable();
    this._check();
    const size = this._len;
    if (dest < 0 || src < 0 || cnt < 0 || size - dest < cnt || size - src < cnt) {
      throw new ValueError(MSG.moveRange);
    }
    if (cnt > 0) native.move(this._id, dest, src, cnt);
    return null;
  }

  read(n?: unknown): Buffer {
    if (arguments.length > 1 || (arguments.length === 1 && isKwargs(n))) {
      n = this._varArgs('read', arguments, 0, 1)[0];
    }
    if (!this._g.clinic) this._check();
    let num: number;
    if (n === undefined || n === null) {
      num = -1;
    } else {
      const i = toInt(n);
      if (i === undefined) throw new PyTypeError(MSG.readArg(pyTypeName(n)));
      num = indexToSsize(i, 'OverflowError');
    }
    this._check();
    const pos = this._pos;
    const remaining = pos < this._len ? this._len - pos : 0;
    if (num < 0 || num > remaining) num = remaining;
    const out = this._copy(pos, num);
    this._pos = pos + num;
    return out;
  }

  read_byte(): number {
    if (arguments.length) this._noArgs('read_byte', arguments);
    this._check();
    const pos = this._pos;
    if (pos >= this._len) throw new ValueError(MSG.readByteRange);
    const b = this._byteAt(pos);
    this._pos = pos + 1;
    return b;
  }

  readline(): Buffer {
    if (arguments.length) this._noArgs('readline', arguments);
    this._check();
    const pos = this._pos;
    const size = this._len;
    if (pos >= size) return Buffer.alloc(0);
    // One native call finds the line and copies it into the slab; a line longer than the
    // room left (or than POOL_MAX) takes the general path below.
    let room = POOL_SIZE - poolOff;
    if (room < 256 || poolU8.length === 0) {
      pool = newPool();
      poolOff = 0;
      room = POOL_SIZE;
    }
    const got = native.readlineToPool(this._id, pos, poolOff, room < POOL_MAX ? room : POOL_MAX, pool);
    if (got > 0) {
      const b = slabBuffer(pool, poolOff, got);
      poolOff = (poolOff + got + 7) & ~7;
      this._pos = pos + got;
      return b;
    }
    const v = this._view();
    let eol: number;
    if (v !== null) {
      eol = v.indexOf(10, pos);
      if (FC![0] !== this._fc) this._faulted();
    } else {
      eol = native.findByte(this._id, pos, size, 10);
    }
    const end = eol < 0 ? size : eol + 1;
    const out = this._copy(pos, end - pos);
    this._pos = end;
    return out;
  }

  resize(...args: unknown[]): null {
    const g = this._g;
    const pos = this._varArgs('resize', args, 1, 1);
    const newsize = asSsize(pos[0], g);
    this._check();
    if (this._exports > 0) throw new BufferError(MSG.resizeExported);
    if (g.trackfd && !this._trackfd) throw new ValueError(MSG.resizeTrackfd);
    if (this._access !== ACCESS_WRITE && this._access !== ACCESS_DEFAULT) throw new PyTypeError(MSG.notResizeable);
    if (newsize < 0 || SSIZE_MAX_N - newsize < this._offset) throw new ValueError(MSG.newSizeRange);
    if (g.refuseSharedAnonGrow && native.backend === 'posix' && process.platform === 'linux' &&
        this._anon && (this._flags & MAP_SHARED) && newsize > this._len) {
      throw new ValueError(MSG.resizeSharedAnon);
    }
    this._v = EMPTY;
    try {
      native.resize(this._id, newsize);
    } catch (e) {
      // Windows unmaps before remapping: a failed remap leaves no mapping, and CPython then
      // reports the map as closed.
      if (native.backend === 'win32') {
        try {
          native.length(this._id);
        } catch {
          this._id = -1;
          finalizer.unregister(this._token);
        }
      }
      throw e;
    }
    this._len = newsize;
    return null;
  }

  seek(...args: unknown[]): number | null {
    const g = this._g;
    const pos = this._varArgs('seek', args, 1, 2);
    const dist = asSsize(pos[0], g);
    const how = pos.length > 1 ? asCInt(pos[1], g, true) : 0;
    this._check();
    let where: number;
    switch (how) {
      case 0:
        if (dist < 0) throw new ValueError(MSG.seekRange);
        where = dist;
        break;
      case 1:
        if (dist > 0 && this._pos > SSIZE_MAX_N - dist) throw new ValueError(MSG.seekRange);
        where = this._pos + dist;
        break;
      case 2:
        if (dist > 0 && this._len > SSIZE_MAX_N - dist) throw new ValueError(MSG.seekRange);
        where = this._len + dist;
        break;
      default:
        throw new ValueError(MSG.seekType);
    }
    if (where > this._len || where < 0) throw new ValueError(MSG.seekRange);
    this._pos = where;
    return g.seekReturnsPos ? where : null;
  }

  seekable(...args: unknown[]): boolean {
    if (args.length) this._noArgs('seekable', args);
    return true;
  }

  set_name(...args: unknown[]): null {
    const [pos, kw] = splitArgs(args);
    if (kw) throw new PyTypeError(MSG.noKeywords('set_name'));
    if (pos.length !== 1) throw new PyTypeError(`set_name() takes exactly one argument (${pos.length} given)`);
    this._check();
    const name = pos[0];
    if (typeof name !== 'string') throw new PyTypeError(MSG.setNameType(pyTypeName(name)));
    if (name.includes('\0')) throw new ValueError(MSG.setNameNul);
    if (Buffer.byteLength(name) > 67) throw new ValueError(MSG.setNameTooLong);
    if (!this._anon) throw new ValueError(MSG.setNameNotAnon);
    // CPython annotates best-effort (the kernel may lack CONFIG_ANON_VMA_NAME): no error.
    try {
      native.setName(this._id, 'cpython:mmap:' + name);
    } catch (e) {
      if (!(e instanceof OSError)) throw e;
    }
    return null;
  }

  size(...args: unknown[]): number {
    if (args.length) this._noArgs('size', args);
    this._check();
    const g = this._g;
    if (g.anonSize && !this._trackfd) throw new ValueError(MSG.sizeTrackfd);
    if (g.anonSize && this._anon) return this._len;
    return native.fdSize(this._id);
  }

  tell(...args: unknown[]): number {
    if (args.length) this._noArgs('tell', args);
    this._check();
    return this._pos;
  }

  write(...args: unknown[]): number {
    const pos = this._varArgs('write', args, 1, 1);
    const data = this._bytesArg(pos[0]); // a map as the data stays exported for the call
    try {
      this._writable();
      this._check();
      const n = data.length;
      if (this._pos > this._len || this._len - this._pos < n) throw new ValueError(MSG.dataRange);
      if (n > 0) this._store(this._pos, data);
      this._pos += n;
      return n;
    } finally {
      if (pos[0] instanceof MmapBase) pos[0]._exports--;
    }
  }

  write_byte(...args: unknown[]): null {
    const pos = this._varArgs('write_byte', args, 1, 1);
    const value = asByte(pos[0], this._g);
    this._writable();
    this._check();
    if (this._pos >= this._len) throw new ValueError(MSG.writeByteRange);
    this._setByte(this._pos, value);
    this._pos += 1;
    return null;
  }

  // ------------------------------------------------------------------ dunders

  __getitem__(key: unknown): number | Buffer {
    if (arguments.length === 1) {
      if (typeof key === 'number') {
        const v = this._v;
        if (key >= 0 && key < v.length && Number.isInteger(key)) {
          const b = v[key];
          if (FC![0] !== this._fc) this._faulted();
          return b;
        }
      } else if (key instanceof slice && key.constructor === slice && key.step === null) {
        // m[a:b] with plain non-negative ints, a <= b: no slice.indices() machinery.
        const a = key.start;
        const b = key.stop;
        if (typeof a === 'number' && typeof b === 'number' && a >= 0 && a <= b && this._id >= 0 &&
            Number.isSafeInteger(a) && Number.isSafeInteger(b)) {
          const len = this._len;
          const s = a < len ? a : len;
          return this._copy(s, (b < len ? b : len) - s);
        }
      }
    }
    return this._getitem(arguments);
  }

  _wrapperArgs(name: string, args: ArrayLike<unknown>, n: number): unknown[] {
    const [pos, kw] = splitArgs(args);
    if (kw) throw new PyTypeError(MSG.wrapperNoKeywords(name));
    if (pos.length !== n) {
      const msg = MSG.wrapperArgs(n, pos.length, !this._g.wrapperSingular);
      // wrap_objobjargproc and wrap_buffer spell it with a leading space.
      if (name === '__buffer__' && this._g.clinic) throw new PyTypeError(`__buffer__ ${msg}`);
      throw new PyTypeError(name === '__setitem__' || name === '__buffer__' ? ' ' + msg : msg);
    }
    return pos;
  }

  _getitem(args: ArrayLike<unknown>): number | Buffer {
    const key = args.length === 1 ? args[0] : this._wrapperArgs('__getitem__', args, 1)[0];
    this._check();
    if (isIndex(key)) {
      let i = indexToSsize(toInt(key)!, 'IndexError');
      if (i < 0) i += this._len;
      if (i < 0 || i >= this._len) throw new IndexError(MSG.indexRange);
      this._check();
      return this._byteAt(i);
    }
    if (key instanceof slice) {
      // PySlice_Unpack (may run __index__), then PySlice_AdjustIndices with the size as it is
      // after every conversion, then the validity check.
      const [start, , step, n] = sliceIndices(key, () => this._len,
        () => new PyTypeError(MSG.sliceIndices), () => new ValueError(MSG.sliceStepZero));
      this._check();
      if (n <= 0) return Buffer.alloc(0);
      if (step === 1) return this._copy(start, n);
      const out = alloc(n);
      native.copyStep(this._id, start, step, n, out);
      return out;
    }
    throw new PyTypeError(MSG.indicesInt);
  }

  __setitem__(key: unknown, value: unknown): void {
    const args = arguments.length === 2 ? null : this._wrapperArgs('__setitem__', arguments, 2);
    if (args) [key, value] = args;
    this._check();
    this._writable();
    this._assign(key, value, false);
  }

  __delitem__(key: unknown): void {
    if (arguments.length !== 1) [key] = this._wrapperArgs('__delitem__', arguments, 1);
    this._check();
    this._writable();
    this._assign(key, undefined, true);
  }

  _assign(key: unknown, value: unknown, del: boolean): void {
    if (isIndex(key)) {
      let i = indexToSsize(toInt(key)!, 'IndexError');
      if (i < 0) i += this._len;
      if (i < 0 || i >= this._len) throw new IndexError(MSG.indexRange);
      if (del) throw new PyTypeError(MSG.noItemDeletion);
      if (!isIndex(value)) throw new PyTypeError(MSG.itemValueInt);
      const v = indexToSsize(toInt(value)!, 'TypeError');
      if (v < 0 || v > 255) throw new ValueError(MSG.itemValueRange);
      this._check();
      // CPython does not check the index again after the value's __index__: if that shrank the
      // map below it, the byte is stored past the end of the map (lost to the file; past the
      // last page, a crash). Nothing observable is stored here, and no error.
      if (i >= this._len) return;
      this._setByte(i, v);
      return;
    }
    if (key instanceof slice) {
      // PySlice_Unpack (may run __index__), then PySlice_AdjustIndices with the size as it is
      // after every conversion.
      const [start, , step, n] = sliceIndices(key, () => this._len,
        () => new PyTypeError(MSG.sliceIndices), () => new ValueError(MSG.sliceStepZero));
      if (del) throw new PyTypeError(MSG.noSliceDeletion);
      const data = this._bytesArg(value); // a map as the value stays exported for the call
      try {
        if (data.length !== n) throw new IndexError(MSG.sliceWrongSize);
        this._check();
        if (n === 0) return;
        if (step === 1) native.copyIn(this._id, start, data);
        else native.storeStep(this._id, start, step, n, data);
      } finally {
        if (value instanceof MmapBase) value._exports--;
      }
      return;
    }
    throw new PyTypeError(MSG.indicesIntAssign);
  }

  __len__(...args: unknown[]): number {
    if (args.length) this._wrapperArgs('__len__', args, 0);
    this._check();
    return this._len;
  }

  __contains__(value: unknown): boolean {
    this._check();
    // Python compares each item (a 1-byte bytes) with ==: only bytes-likes can be equal, and
    // an mmap never equals bytes.
    const b = asBytesLike(value);
    if (b === undefined || b.length !== 1 || this._len === 0) return false;
    const needle = b[0];
    const v = this._view();
    if (v !== null) {
      const at = v.indexOf(needle);
      if (FC![0] !== this._fc) this._faulted();
      return at >= 0;
    }
    return native.findByte(this._id, 0, this._len, needle) >= 0;
  }

  __iter__(): IterableIterator<Buffer> {
    let i = 0;
    const self = this;
    const it: IterableIterator<Buffer> & { __pytype__: string } = {
      __pytype__: 'iterator',
      next(): IteratorResult<Buffer> {
        if (i < 0) return { done: true, value: undefined };
        self._check();
        if (i >= self._len) {
          i = -1;
          return { done: true, value: undefined };
        }
        const b = Buffer.from([self._byteAt(i)]);
        i++;
        return { done: false, value: b };
      },
      [Symbol.iterator]() {
        return it;
      },
    };
    return it;
  }

  [Symbol.iterator](): IterableIterator<Buffer> {
    return this.__iter__();
  }

  __enter__(...args: unknown[]): this {
    if (args.length) this._noArgs('__enter__', args);
    this._check();
    return this;
  }

  __exit__(...args: unknown[]): null {
    const g = this._g;
    const [pos, kw] = splitArgs(args);
    if (kw) throw new PyTypeError(MSG.noKeywords(g.qualifiedKw ? 'mmap.__exit__' : '__exit__'));
    if (g.clinic && pos.length !== 3) throw new PyTypeError(MSG.clinicCount('__exit__', 3, 3, pos.length));
    this.close();
    return null;
  }

  [Symbol.dispose](): void {
    this.__exit__(null, null, null);
  }

  __repr__(): string {
    const g = this._g;
    const cls = (this.constructor as any).__gate__ && Object.prototype.hasOwnProperty.call(this.constructor, '__gate__')
      ? 'mmap.mmap' : (this.constructor as any).name;
    if (!g.reprFields) return `<${cls} object at 0x${this._addr.toString(16)}>`;
    if (this._id < 0) return `<${cls} closed=True>`;
    return `<${cls} closed=False, access=${ACCESS_NAMES[this._access]}, length=${this._len}, pos=${this._pos}, offset=${this._offset}>`;
  }

  toString(): string {
    return this.__repr__();
  }

  __reduce_ex__(...args: unknown[]): never {
    // object.__reduce_ex__ (mmap inherits it; it refuses types without pickling support).
    const g = this._g;
    const fn = g.qualifiedNoArgs ? 'object.__reduce_ex__' : '__reduce_ex__';
    const [pos, kw] = splitArgs(args);
    if (kw) throw new PyTypeError(MSG.noKeywords(g.qualifiedKw || !g.qualifiedNoArgs ? fn : 'mmap.__reduce_ex__'));
    if (pos.length !== 1) throw new PyTypeError(MSG.exactlyOne(fn, pos.length));
    // Protocols 0 and 1 go through copyreg, which names the class by __name__ only.
    const proto = asCInt(pos[0], this._g);
    const short = proto < 2;
    throw new PyTypeError(short ? this._g.pickleMessage.replace('mmap.mmap', 'mmap') : this._g.pickleMessage);
  }

  /** PEP 688: memoryview(m). flags & 1 (PyBUF_WRITABLE) on an ACCESS_READ map -> BufferError. */
  __buffer__(flags: unknown): BufferExport {
    if (arguments.length !== 1) this._wrapperArgs('__buffer__', arguments, 1);
    const fl = toInt(flags);
    if (fl === undefined) throw new PyTypeError(notIntMessage(flags, this._g));
    const fbig = typeof fl === 'bigint' ? fl : BigInt(fl);
    if (fbig > 2147483647n) throw new OverflowError(MSG.bufferFlagsTooLarge);
    const f = fbig < -2147483648n ? 0 : Number(fbig);
    this._check();
    const readonly = this._access === ACCESS_READ;
    if ((f & 1) && readonly) throw new BufferError(MSG.notWritable);
    let view: Uint8Array;
    if (readonly) {
      view = this._copy(0, this._len);
    } else {
      const v = this._view();
      if (v === null) {
        if (this._len === 0) view = new Uint8Array(0);
        else throw new BufferError(MSG.viewUnavailable('this mapping cannot be shared with JS; use the copying methods'));
      } else {
        native.view(this._id, true); // the same buffer, now flagged as handed out
        view = new Uint8Array(v.buffer, v.byteOffset, v.length);
      }
    }
    this._exports++;
    let released = false;
    const owner = this;
    return {
      view,
      readonly,
      get released() {
        return released;
      },
      release() {
        if (!released) {
          released = true;
          owner._exports--;
        }
      },
      check() {
        if (FC !== null && FC[0] !== owner._fc) owner._faulted();
      },
    };
  }

  __release_buffer__(exp: BufferExport): void {
    exp.release();
  }
}

/** The error for a page that faulted under a view: the same as a guarded native access gives. */
function makeFault(): Error {
  return OSError.fromErrno(osConstants.errno.EFAULT ?? 14, 'Bad address', 'EFAULT');
}
