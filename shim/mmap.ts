// The mmap object: CPython's semantics (Modules/mmapmodule.c) under a version gate, over a
// Mapping (mapping.ts: the bytes and the lifetime). Every method reads its arguments through the
// signature table (clinic.ts), checks them as CPython does and in CPython's order, then asks
// the Mapping once. State that users must not reach is in true private fields.
import { Buffer } from 'buffer'; // not the global getter, looked up on every use
import { constants as osConstants } from 'os';
import { inspect } from 'util';
import { ACCESS_COPY, ACCESS_DEFAULT, ACCESS_NAMES, ACCESS_READ, ACCESS_WRITE, posixMode } from './access';
import { BufferError, IndexError, OSError, OverflowError, TypeError as PyTypeError, ValueError, slice } from './builtins';
import { parseArgs, SIGNATURES } from './clinic';
import {
  asBuffer, asBytesLike, bufferFlags, indexToSsize, isIndex, isKwargs, pyTypeName, readSize, setExporter, sliceIndices,
  toInt,
} from './convert';
import { openWindows } from './ctor_win';
import { defaultVersion, GATES, type Gate } from './gates';
import { Mapping, type Placer } from './mapping';
import { MSG } from './messages';
import { native } from './native';
import * as sys from './sys';
import type { BufferExport, BytesLike, FlushOptions, Index, MmapArgs, None } from './types';

const C = native.constants();
const MS_SYNC = C.MS_SYNC ?? 4;

/**
 * What Linux answers the system call CPython makes on a map an argument's __index__ closed
 * during the call (see Gate.closedLate): its address is then NULL + offset. msync and madvise:
 * EINVAL for an address off a page boundary (madvise: or advice it does not know), nothing to
 * do for a length of 0, else ENOMEM (nothing mapped there); mremap: EINVAL for a new size of 0,
 * else EFAULT. Returns the error to raise, or null (the call succeeds). Module-internal: the
 * Pyodide bridge's zero-copy flush and resize ask it too.
 */
export function closedMapError(call: 'msync' | 'madvise' | 'mremap', start: number, length: number, advice = 0): OSError | null {
  const e = (code: 'EINVAL' | 'ENOMEM' | 'EFAULT', fallback: number, text: string) =>
    OSError.fromErrno(osConstants.errno[code] ?? fallback, text, code);
  const einval = () => e('EINVAL', 22, MSG.strerrorEINVAL);
  if (call === 'mremap') return length === 0 ? einval() : e('EFAULT', 14, MSG.strerrorEFAULT);
  if (call === 'madvise' && !MADV_KNOWN.has(advice)) return einval();
  if (start % PAGESIZE !== 0) return einval();
  return length === 0 ? null : e('ENOMEM', 12, MSG.strerrorENOMEM);
}
const PAGESIZE: number = C.PAGESIZE;
/** The advice values this platform's madvise knows (the module's MADV_* constants). */
const MADV_KNOWN = new Set(Object.entries(C).filter(([k]) => k.startsWith('MADV_')).map(([, v]) => v as number));

/** Where a version's class keeps its gate (module.ts sets it). */
export const GATE: unique symbol = Symbol('pymmap.gate');

let addrCounter = 0;

/** Module-internal access to a map's state (pyodide.ts, tests, benchmarks): set below. */
let mappingOfImpl: (m: mmap) => Mapping;
let exportsOfImpl: (m: mmap) => number;

/** The Mapping under a map (module-internal: not part of the package's exports). */
export function mappingOf(m: mmap): Mapping {
  return mappingOfImpl(m);
}
/** How many buffer exports of a map are unreleased (module-internal). */
export function exportsOf(m: mmap): number {
  return exportsOfImpl(m);
}

/** The version gate of an mmap class (module.ts sets it on each version's class). */
export function gateOf(cls: unknown): Gate {
  return (cls as { [GATE]?: Gate })[GATE] ?? GATES[defaultVersion];
}

/** size() of an open map (module-internal: the Pyodide bridge's host side is a Mapping): the
 *  file's size, as the version has it for an anonymous map and one without its fd. */
export function sizeOf(g: Gate, m: Mapping): number {
  if (g.anonSize && !m.keepsFd) throw new ValueError(MSG.sizeTrackfd);
  if (g.anonSize && m.anon) return m.len;
  return m.fileSize();
}

/** The placer of the next construction (constructPlaced), taken by its constructor. */
let placerForNext: Placer | null = null;

/** Module-internal (the Pyodide bridge): `new cls(...args)` with its file mapping placed by
 *  `placer` (see mapping.ts). */
export function constructPlaced<T>(cls: new (...a: any[]) => T, placer: Placer, args: unknown[]): T {
  placerForNext = placer;
  try {
    return new cls(...args);
  } finally {
    placerForNext = null;
  }
}

/** Maps an fd (POSIX): the constructor's arguments read, checked and mapped in CPython's order. */
function openPosix(g: Gate, args: ArrayLike<unknown>, placer: Placer | null): Mapping {
  const [fileno, length, flags, prot, access, offset, trackfd] =
    parseArgs(SIGNATURES.new, g, args, null) as [number, number, number?, number?, number?, number?, boolean?];
  return openChecked(g, fileno, length, flags, prot, access, offset ?? 0, trackfd ?? true, placer, true);
}

/**
 * The POSIX constructor after its arguments are read: CPython's checks in its order, the audit
 * event (`audit`), the size checks, then the Mapping. Module-internal: the Pyodide bridge calls
 * it for Python's plain call, whose arguments it read itself and whose audit event Python
 * raised, and keeps the Mapping as the host side of its map.
 */
export function openChecked(g: Gate, fileno: number, lengthArg: number, flags: number | undefined,
  prot: number | undefined, access: number | undefined, offset: number, trackfd: boolean, placer: Placer | null,
  audit: boolean): Mapping {
  let length = lengthArg;
  if (length < 0) throw new OverflowError(MSG.lengthNegative);
  if (offset < 0) throw new OverflowError(MSG.offsetNegative);
  const mode = posixMode(flags, prot, access);
  if (audit && g.audit) sys.audit('mmap.__new__', fileno, length, mode.access, offset);
  if (fileno !== -1) {
    let size = -1;
    try {
      size = native.regularSize(fileno);
    } catch {
      size = -1; // CPython ignores a failing fstat here; dup/mmap report the error
    }
    if (size >= 0) {
      if (length === 0) {
        if (size === 0) throw new ValueError(MSG.emptyFile);
        if (offset >= size) throw new ValueError(MSG.offsetTooBig);
        if (size - offset > g.ssizeMaxN) throw new ValueError(MSG.lengthTooLarge);
        length = size - offset;
      } else if (offset > size || size - offset < length) {
        throw new ValueError(MSG.lengthTooBig);
      }
    }
  }
  return new Mapping({ fd: fileno, length, offset, keepFd: trackfd, mode, placer });
}

/**
 * Python's `mmap.mmap`: a memory-mapped file (or anonymous memory), with the methods and
 * behaviour of the selected Python version (`pymmap` is the newest; see `pymmap/versions`).
 *
 * Python's syntax reads as method calls: `m[i]` is `m.__getitem__(i)`, `m[a:b]` is
 * `m.__getitem__(new slice(a, b))`, `len(m)` is `m.__len__()`, `with m:` is `using m = ...`.
 * Errors are Python's exceptions from `pymmap/builtins`, with CPython's messages.
 */
export class mmap {
  #m!: Mapping;
  #pos = 0;
  #exports = 0;
  #g: Gate;
  #addr: number;

  static {
    mappingOfImpl = (m) => m.#m;
    exportsOfImpl = (m) => m.#exports;
  }

  /**
   * `mmap.mmap(fileno, length, flags=MAP_SHARED, prot=PROT_WRITE|PROT_READ,
   * access=ACCESS_DEFAULT, offset=0, *, trackfd=True)` on POSIX;
   * `mmap.mmap(fileno, length, tagname=None, access=ACCESS_DEFAULT, offset=0, *, trackfd=True)`
   * on Windows. Maps `length` bytes of the file open on descriptor `fileno` from `offset`
   * (length 0: the whole file), or anonymous memory with fileno -1. Keyword arguments go in one
   * trailing plain object. Raises the `mmap.__new__` audit event.
   */
  constructor(...args: MmapArgs);
  constructor(...args: unknown[]) {
    const g = gateOf(new.target);
    this.#g = g;
    this.#addr = 0x7f0000000000 + (++addrCounter) * 0x40;
    const placer = placerForNext;
    placerForNext = null; // (not for a map an audit hook makes)
    this.#m = native.backend === 'win32' ? openWindows(g, args) : openPosix(g, args, placer);
  }

  // ------------------------------------------------------------------ helpers

  #check(): void {
    if (this.#m.id < 0) throw new ValueError(MSG.closed);
  }

  #writable(): void {
    if (!this.#m.writable) throw new PyTypeError(MSG.readonly);
  }

  #noArgs(name: 'close' | 'read_byte' | 'readline' | 'seekable' | 'size' | 'tell' | '__enter__', args: ArrayLike<unknown>): void {
    if (args.length !== 0) parseArgs(SIGNATURES[name], this.#g, args, null);
  }

  /** This map's bytes as another call's buffer argument (no copy where a view exists), with an
   *  export held (close and resize raise BufferError, so the bytes stay valid while the call's
   *  conversions run user code) until the caller releases it (release()). */
  #exportBytes(held: unknown[] | null): Uint8Array {
    this.#check();
    const bytes = this.#m.bytes();
    this.#exports++;
    if (held !== null) held.push(this);
    return bytes;
  }

  static {
    setExporter((v, held) => (v instanceof mmap ? v.#exportBytes(held) : undefined));
  }

  /** Releases the exports that buffer arguments took (see #exportBytes). */
  static #release(held: unknown[]): void {
    for (const m of held as mmap[]) m.#exports--;
  }

  // ------------------------------------------------------------------ attributes

  /** `closed`: whether close() was called (or the map was otherwise invalidated). */
  get closed(): boolean {
    return this.#m.id < 0;
  }

  // ------------------------------------------------------------------ methods

  /** `close()`: unmaps now (BufferError while buffer exports are held). Closing twice is fine. */
  close(): void {
    this.#noArgs('close', arguments);
    if (this.#exports > 0) throw new BufferError(MSG.closeExported);
    this.#m.close();
  }

  /** `find(sub[, start[, end]])`: the lowest index of `sub` in `[start, end)` (default: from the
   *  position to the end), or -1. Negative bounds count from the end; None from 3.14. */
  find(sub: BytesLike, start?: Index | None, end?: Index | None): number;
  find(...args: unknown[]): number {
    return this.#find(args, false);
  }

  /** `rfind(sub[, start[, end]])`: the highest index of `sub` in `[start, end)`, or -1. */
  rfind(sub: BytesLike, start?: Index | None, end?: Index | None): number;
  rfind(...args: unknown[]): number {
    return this.#find(args, true);
  }

  #find(args: unknown[], reverse: boolean): number {
    const g = this.#g;
    const held: unknown[] = [];
    try {
      // The defaults are read before the conversions (CPython initialises them first): an
      // __index__ that grows the map leaves the default end at the old size.
      const defStart = this.#pos;
      const defEnd = this.#m.len;
      const [needle, s, e] = parseArgs(reverse ? SIGNATURES.rfind : SIGNATURES.find, g, args, this.#m, held) as
        [Uint8Array, number | null | undefined, number | null | undefined];
      // 3.14: a None start means "from the position to the end", whatever end says.
      let start = s ?? defStart;
      let end = s === null ? defEnd : e ?? defEnd;
      this.#check();
      const size = this.#m.len; // after the conversions
      if (start < 0) {
        start += size;
        if (start < 0) start = 0;
      } else if (start > size) start = size;
      if (end < 0) {
        end += size;
        if (end < 0) end = 0;
      } else if (end > size) end = size;
      if (end < start) return -1;
      return this.#m.find(start, end, needle, reverse);
    } finally {
      mmap.#release(held);
    }
  }

  /** `flush([offset[, size]], *, flags=MS_SYNC)`: writes changes in `[offset, offset+size)`
   *  back to the file (msync). `flags` is 3.15's. Returns None (0 in 3.7). */
  flush(options?: FlushOptions): null;
  flush(offset: Index, options?: FlushOptions): null;
  flush(offset: Index, size: Index | None, options?: FlushOptions): null;
  flush(...args: unknown[]): number | null {
    const g = this.#g;
    const m = this.#m;
    // 3.7-3.13 take the default size before converting the arguments (an __index__ that
    // resizes the map leaves it at the old size)
    const lenBefore = m.len;
    const [offsetArg, sizeArg, flagsArg] = parseArgs(SIGNATURES.flush, g, args, this.#m) as
      [number | null | undefined, number | null | undefined, number | undefined];
    const offset = offsetArg ?? 0;
    let size: number;
    if (g.flushFlags) {
      // flush(offset) and flush(offset, -1): to the end, nothing when the offset lies past it
      size = sizeArg != null && sizeArg !== -1 ? sizeArg : offset > m.len ? 0 : m.len - offset;
    } else {
      // flush(offset, None) (3.14): from offset to the end; flush(offset): the whole map's size
      size = sizeArg != null ? sizeArg : sizeArg === null ? m.len - offset : g.clinic ? m.len : lenBefore;
    }
    // Closed by an argument's __index__: CPython goes on with the old size (Gate.closedLate)
    const late = m.id < 0 && native.backend === 'posix' &&
      (g.closedLate.flush === 'all' || (g.closedLate.flush === 'size' && sizeArg !== undefined));
    if (!late) this.#check();
    if (size < 0 || offset < 0 || m.len - offset < size) throw new ValueError(MSG.flushRange);
    const a = m.mode.access;
    if (a !== ACCESS_READ && a !== ACCESS_COPY) {
      if (late) {
        const err = closedMapError('msync', offset, size);
        if (err !== null) throw err;
      } else {
        m.flush(offset, size, flagsArg ?? MS_SYNC);
      }
    }
    return g.flushReturnsZero ? 0 : null;
  }

  /** `madvise(option[, start[, length]])` (3.8, not on Windows): advice (MADV_*) about
   *  `[start, start+length)`. */
  madvise(option: Index, start?: Index, length?: Index | None): null;
  madvise(...args: unknown[]): null {
    const m = this.#m;
    const lengthDefault = BigInt(m.len);
    const [option, startArg, lengthArg] = parseArgs(SIGNATURES.madvise, this.#g, args, this.#m) as
      [number, bigint | undefined, bigint | null | undefined];
    const startB = startArg ?? 0n;
    const lengthB = lengthArg ?? lengthDefault;
    // A map closed by the conversions: the range is checked against the old size first where
    // the conversions ran after CPython's first CHECK_VALID (3.7-3.13, and 3.14's length,
    // converted in the body), then 3.8-3.10 madvise the unmapped range (Gate.closedLate) and
    // the others check validity again.
    const closed = m.id < 0;
    if (closed && this.#g.clinic && lengthArg === undefined) this.#check();
    if (startB < 0n || startB >= BigInt(m.len)) throw new ValueError(MSG.madviseStart);
    if (lengthB < 0n) throw new ValueError(MSG.madviseLength);
    if (this.#g.ssizeMax - startB < lengthB) throw new OverflowError(MSG.madviseTooLarge);
    const start = Number(startB);
    const length = startB + lengthB > BigInt(m.len) ? m.len - start : Number(lengthB);
    if (closed) {
      if (this.#g.closedLate.madvise) {
        const err = closedMapError('madvise', start, length, option);
        if (err !== null) throw err;
        return null;
      }
      this.#check();
    }
    m.advise(start, length, option);
    return null;
  }

  /** `move(dest, src, count)`: copies `count` bytes from `src` to `dest` (overlap-safe). */
  move(dest: Index, src: Index, count: Index): null;
  move(...args: unknown[]): null {
    const [dest, src, cnt] = parseArgs(SIGNATURES.move, this.#g, args, this.#m) as number[];
    if (this.#g.validBeforeWritable) this.#check();
    this.#writable();
    // (3.7-3.13 range-check a map the conversions closed against its old size, then check
    // validity again before the memmove)
    const size = this.#m.len;
    if (dest < 0 || src < 0 || cnt < 0 || size - dest < cnt || size - src < cnt) {
      throw new ValueError(MSG.moveRange);
    }
    this.#check();
    if (cnt > 0) this.#m.move(dest, src, cnt);
    return null;
  }

  #readArgs(...args: unknown[]): unknown[] {
    return parseArgs(SIGNATURES.read, this.#g, args, this.#m);
  }

  /** `read([n])`: up to `n` bytes from the position (all the rest for None or a negative n),
   *  advancing it. */
  read(n?: Index | None): Buffer;
  read(n?: unknown): Buffer {
    const g = this.#g;
    if (arguments.length === 1 && typeof n === 'number' && n >= -2147483648 && n <= 2147483647 && Number.isInteger(n)) {
      // read(n) with an int that fits every gate's Py_ssize_t: nothing to convert (the general
      // path's readSize returns it unchanged, and cannot fail or run user code for it)
    } else if (arguments.length > 1 || (arguments.length === 1 && isKwargs(n))) {
      [n] = this.#readArgs.apply(this, arguments as unknown as unknown[]); // see __getitem__
    } else {
      if (!g.clinic) this.#check();
      if (arguments.length === 1) n = readSize(n, this.#g);
    }
    this.#check();
    const m = this.#m;
    const pos = this.#pos;
    const remaining = pos < m.len ? m.len - pos : 0;
    let num = n == null ? -1 : (n as number);
    if (num < 0 || num > remaining) num = remaining;
    const out = m.copy(pos, num);
    this.#pos = pos + num;
    return out;
  }

  /** `read_byte()`: the byte at the position, as an int, advancing it. */
  read_byte(): number {
    if (arguments.length) this.#noArgs('read_byte', arguments);
    this.#check();
    const pos = this.#pos;
    if (pos >= this.#m.len) throw new ValueError(MSG.readByteRange);
    const b = this.#m.byteAt(pos);
    this.#pos = pos + 1;
    return b;
  }

  #readlineArgs(...args: unknown[]): void {
    this.#noArgs('readline', args);
  }

  /** `readline()`: the bytes from the position through the next newline (or to the end). */
  readline(): Buffer {
    if (arguments.length) this.#readlineArgs.apply(this, arguments as unknown as unknown[]); // see __getitem__
    this.#check();
    const pos = this.#pos;
    if (pos >= this.#m.len) return Buffer.alloc(0);
    const line = this.#m.readLine(pos);
    this.#pos = pos + line.length;
    return line;
  }

  /** `resize(newsize)`: changes the map's size, and the file's (not ACCESS_READ/ACCESS_COPY
   *  maps; BufferError while buffer exports are held). */
  resize(newsize: Index): null;
  resize(...args: unknown[]): null {
    const g = this.#g;
    const [newsize] = parseArgs(SIGNATURES.resize, g, args, this.#m) as [number];
    const m = this.#m;
    // Closed by the argument's __index__: CPython runs its checks, then mremap fails on the
    // unmapped address; the file is not truncated (its fd went with close) (Gate.closedLate)
    const late = m.id < 0 && g.closedLate.resize && native.backend === 'posix' && process.platform === 'linux';
    if (!late) this.#check();
    if (this.#exports > 0) throw new BufferError(MSG.resizeExported);
    if (g.trackfd && !m.keepsFd) throw new ValueError(MSG.resizeTrackfd);
    const a = m.mode.access;
    if (a !== ACCESS_WRITE && a !== ACCESS_DEFAULT) throw new PyTypeError(MSG.notResizeable);
    if (newsize < 0 || g.ssizeMaxN - newsize < m.offset) throw new ValueError(MSG.newSizeRange);
    if (g.refuseSharedAnonGrow && native.backend === 'posix' && process.platform === 'linux' &&
        m.anon && m.mode.shared && newsize > m.len) {
      throw new ValueError(MSG.resizeSharedAnon);
    }
    if (late) throw closedMapError('mremap', 0, newsize)!;
    m.resize(newsize);
    return null;
  }

  /** `seek(pos[, whence])`: sets the position, relative to the start (whence 0), the position
   *  (1) or the end (2). Returns the new position (3.13; None before). */
  seek(pos: Index, whence?: Index): number;
  seek(pos?: unknown): number | null {
    // The commonest call, seek(i) with 0 <= i <= len on an open map, cannot fail nor run user
    // code, so it skips the general parser (a third of a random seek + read(16) loop).
    const m = this.#m;
    if (arguments.length === 1 && typeof pos === 'number' && pos >= 0 && pos <= m.len && m.id >= 0 &&
        Number.isInteger(pos)) {
      this.#pos = pos;
      return this.#g.seekReturnsPos ? pos : null;
    }
    return this.#seekArgs.apply(this, arguments as unknown as unknown[]); // see __getitem__
  }

  #seekArgs(...args: unknown[]): number | null {
    const g = this.#g;
    const [dist, howArg] = parseArgs(SIGNATURES.seek, g, args, this.#m) as [number, number?];
    // (a map closed by an argument's __index__ still gets its position: Gate.closedLate)
    if (!g.closedLate.seek) this.#check();
    const len = this.#m.len;
    let where: number;
    switch (howArg ?? 0) {
      case 0:
        if (dist < 0) throw new ValueError(MSG.seekRange);
        where = dist;
        break;
      case 1:
        if (dist > 0 && this.#pos > g.ssizeMaxN - dist) throw new ValueError(MSG.seekRange);
        where = this.#pos + dist;
        break;
      case 2:
        if (dist > 0 && len > g.ssizeMaxN - dist) throw new ValueError(MSG.seekRange);
        where = len + dist;
        break;
      default:
        throw new ValueError(MSG.seekType);
    }
    if (where > len || where < 0) throw new ValueError(MSG.seekRange);
    this.#pos = where;
    return g.seekReturnsPos ? where : null;
  }

  /** `seekable()` (3.13): always true. */
  seekable(): boolean {
    if (arguments.length) this.#noArgs('seekable', arguments);
    return true;
  }

  /** `set_name(name)` (3.15, Linux): names an anonymous map in /proc/self/maps
   *  (`[anon: cpython:mmap:name]`), where the kernel supports it. */
  set_name?(name: string): null;
  set_name?(...args: unknown[]): null {
    const [name] = parseArgs(SIGNATURES.set_name, this.#g, args, null);
    this.#check();
    if (typeof name !== 'string') throw new PyTypeError(MSG.setNameType(pyTypeName(name)));
    if (name.includes('\0')) throw new ValueError(MSG.embeddedNul);
    if (Buffer.byteLength(name) > 67) throw new ValueError(MSG.setNameTooLong);
    if (!this.#m.anon) throw new ValueError(MSG.setNameNotAnon);
    // CPython annotates best-effort (the kernel may lack CONFIG_ANON_VMA_NAME): no error.
    try {
      this.#m.setName('cpython:mmap:' + name);
    } catch (e) {
      if (!(e instanceof OSError)) throw e;
    }
    return null;
  }

  /** `size()`: the size of the file (of the map, for anonymous maps from 3.15). */
  size(): number {
    if (arguments.length) this.#noArgs('size', arguments);
    this.#check();
    return sizeOf(this.#g, this.#m);
  }

  /** `tell()`: the position. */
  tell(): number {
    if (arguments.length) this.#noArgs('tell', arguments);
    this.#check();
    return this.#pos;
  }

  /** `write(bytes)`: writes the bytes at the position, advancing it; returns how many. */
  write(bytes: BytesLike): number;
  write(...args: unknown[]): number {
    const held: unknown[] = [];
    try {
      const [data] = parseArgs(SIGNATURES.write, this.#g, args, this.#m, held) as [Uint8Array];
      if (this.#g.validBeforeWritable) this.#check();
      this.#writable();
      this.#check();
      const n = data.length;
      const m = this.#m;
      if (this.#pos > m.len || m.len - this.#pos < n) throw new ValueError(MSG.dataRange);
      if (n > 0) m.store(this.#pos, data);
      this.#pos += n;
      return n;
    } finally {
      mmap.#release(held);
    }
  }

  /** `write_byte(byte)`: writes one byte (an int in range(256)) at the position, advancing it. */
  write_byte(byte: Index): null;
  write_byte(...args: unknown[]): null {
    const [value] = parseArgs(SIGNATURES.write_byte, this.#g, args, this.#m) as [number];
    if (this.#g.validBeforeWritable) this.#check();
    this.#writable();
    this.#check();
    if (this.#pos >= this.#m.len) throw new ValueError(MSG.writeByteRange);
    this.#m.setByte(this.#pos, value);
    this.#pos += 1;
    return null;
  }

  // ------------------------------------------------------------------ dunders

  /** `m[i]`: the byte at index `i` as an int (negative: from the end). */
  __getitem__(i: Index): number;
  /** `m[a:b:c]`: a copy of the bytes in the slice. */
  __getitem__(s: slice): Buffer;
  __getitem__(key: Index | slice): number | Buffer;
  __getitem__(key: unknown): number | Buffer {
    if (arguments.length === 1) {
      const m = this.#m;
      if (typeof key === 'number') {
        if (key >= 0 && key < m.v.length && Number.isInteger(key)) return m.viewByte(key);
      } else if (key instanceof slice && key.constructor === slice && key.step === null) {
        // m[a:b] with plain non-negative ints, a <= b: no slice.indices() machinery.
        const a = key.start;
        const b = key.stop;
        if (typeof a === 'number' && typeof b === 'number' && a >= 0 && a <= b && m.id >= 0 &&
            Number.isSafeInteger(a) && Number.isSafeInteger(b)) {
          const len = m.len;
          const s = a < len ? a : len;
          return m.copy(s, (b < len ? b : len) - s);
        }
      }
    }
    // Forwarded with apply: JavaScriptCore (Bun) materialises `arguments` on every call when it
    // is passed as a value, even on paths not taken, and m[i] then costs 4x; apply() it forwards.
    return this.#getitem.apply(this, arguments as unknown as unknown[]);
  }

  #getitem(...args: unknown[]): number | Buffer {
    const key = args.length === 1 ? args[0] : parseArgs(SIGNATURES.__getitem__, this.#g, args, null)[0];
    this.#check();
    const m = this.#m;
    if (isIndex(key)) {
      let i = indexToSsize(toInt(key)!, 'IndexError', this.#g.ssizeMax, key);
      if (i < 0) i += m.len;
      if (i < 0 || i >= m.len) throw new IndexError(MSG.indexRange);
      this.#check();
      return m.byteAt(i);
    }
    if (key instanceof slice) {
      // PySlice_Unpack (may run __index__), then PySlice_AdjustIndices with the size as it is
      // after every conversion, then the validity check.
      const [start, , step, n] = this.#sliceIndices(key);
      this.#check();
      if (n <= 0) return Buffer.alloc(0);
      return step === 1 ? m.copy(start, n) : m.copyStep(start, step, n);
    }
    throw new PyTypeError(MSG.indicesInt);
  }

  #sliceIndices(key: slice): [number, number, number, number] {
    return sliceIndices(key, () => this.#m.len, () => new PyTypeError(this.#g.sliceIndexMessage), () => new ValueError(MSG.sliceStepZero));
  }

  /** `m[i] = byte`: stores one byte (an int in range(256)). */
  __setitem__(i: Index, byte: Index): void;
  /** `m[a:b:c] = data`: stores bytes of exactly the slice's length. */
  __setitem__(s: slice, data: BytesLike): void;
  __setitem__(key: unknown, value: unknown): void {
    if (arguments.length !== 2) [key, value] = parseArgs(SIGNATURES.__setitem__, this.#g, arguments, null);
    this.#check();
    this.#writable();
    this.#assign(key, value, false);
  }

  /** `del m[i]`: always raises TypeError (a map's size is changed by resize()). */
  __delitem__(key: Index | slice): never;
  __delitem__(key: unknown): never {
    if (arguments.length !== 1) [key] = parseArgs(SIGNATURES.__delitem__, this.#g, arguments, null);
    this.#check();
    this.#writable();
    return this.#assign(key, undefined, true) as never;
  }

  #assign(key: unknown, value: unknown, del: boolean): void {
    const m = this.#m;
    if (isIndex(key)) {
      let i = indexToSsize(toInt(key)!, 'IndexError', this.#g.ssizeMax, key);
      if (i < 0) i += m.len;
      if (i < 0 || i >= m.len) throw new IndexError(MSG.indexRange);
      if (del) throw new PyTypeError(MSG.noItemDeletion);
      if (!isIndex(value)) throw new PyTypeError(MSG.itemValueInt);
      const v = indexToSsize(toInt(value)!, 'TypeError', this.#g.ssizeMax, value);
      if (v < 0 || v > 255) throw new ValueError(MSG.itemValueRange);
      this.#check();
      // CPython does not check the index again after the value's __index__: if that shrank the
      // map below it, the byte is stored past the end of the map (lost to the file; past the
      // last page, a crash). Nothing observable is stored here, and no error.
      if (i >= m.len) return;
      m.setByte(i, v);
      return;
    }
    if (key instanceof slice) {
      // PySlice_Unpack (may run __index__), then PySlice_AdjustIndices with the size as it is
      // after every conversion.
      const [start, , step, n] = this.#sliceIndices(key);
      if (del) throw new PyTypeError(MSG.noSliceDeletion);
      const held: unknown[] = [];
      try {
        const data = asBuffer(value, this.#g, held); // a map as the value stays exported for the call
        if (data.length !== n) throw new IndexError(MSG.sliceWrongSize);
        this.#check();
        if (n === 0) return;
        if (step === 1) m.store(start, data);
        else m.storeStep(start, step, n, data);
      } finally {
        mmap.#release(held);
      }
      return;
    }
    throw new PyTypeError(MSG.indicesIntAssign);
  }

  /** `len(m)`: the map's length in bytes. */
  __len__(): number {
    if (arguments.length) parseArgs(SIGNATURES.__len__, this.#g, arguments, null);
    this.#check();
    return this.#m.len;
  }

  /** `x in m`: whether `x`, a 1-byte bytes-like object, occurs in the map (Python compares each
   *  item, a 1-byte bytes, with ==: anything else is never found). */
  __contains__(value: unknown): boolean {
    this.#check();
    const b = asBytesLike(value);
    return b !== undefined && b.length === 1 && this.#m.hasByte(b[0]);
  }

  /** `iter(m)`: the bytes one by one, each a 1-byte Buffer. */
  __iter__(): IterableIterator<Buffer> {
    let i = 0;
    const m = this.#m;
    const it: IterableIterator<Buffer> & { __pytype__: string } = {
      __pytype__: 'iterator',
      next(): IteratorResult<Buffer> {
        if (i < 0) return { done: true, value: undefined };
        if (m.id < 0) throw new ValueError(MSG.closed);
        if (i >= m.len) {
          i = -1;
          return { done: true, value: undefined };
        }
        const b = Buffer.from([m.byteAt(i)]);
        i++;
        return { done: false, value: b };
      },
      [Symbol.iterator]() {
        return it;
      },
    };
    return it;
  }

  /** `for (const b of m)`: as `iter(m)`. */
  [Symbol.iterator](): IterableIterator<Buffer> {
    return this.__iter__();
  }

  /** `with m:` (enter): the map itself. */
  __enter__(): this {
    if (arguments.length) this.#noArgs('__enter__', arguments);
    this.#check();
    return this;
  }

  /** `with m:` (exit): closes the map. Takes Python's three exception arguments. */
  __exit__(excType: unknown, excValue: unknown, traceback: unknown): null;
  __exit__(...args: unknown[]): null {
    parseArgs(SIGNATURES.__exit__, this.#g, args, null);
    this.close();
    return null;
  }

  /** `using m = new mmap(...)`: closes the map at the end of the scope. */
  [Symbol.dispose](): void {
    this.__exit__(null, null, null);
  }

  /** `repr(m)`: `<mmap.mmap closed=False, access=ACCESS_DEFAULT, length=16, pos=0, offset=0>`
   *  (3.9; `<mmap.mmap object at 0x...>` before). */
  __repr__(): string {
    const ctor = this.constructor as { name: string };
    const cls = Object.prototype.hasOwnProperty.call(ctor, GATE) ? 'mmap.mmap' : ctor.name;
    if (!this.#g.reprFields) return `<${cls} object at 0x${this.#addr.toString(16)}>`;
    const m = this.#m;
    if (m.id < 0) return `<${cls} closed=True>`;
    return `<${cls} closed=False, access=${ACCESS_NAMES[m.mode.access]}, length=${m.len}, pos=${this.#pos}, offset=${m.offset}>`;
  }

  /** `str(m)`: the repr. */
  toString(): string {
    return this.__repr__();
  }

  /** `console.log(m)` and `util.inspect(m)` show the repr. */
  [inspect.custom](): string {
    return this.__repr__();
  }

  /** `pickle.dumps(m)`: always raises TypeError (maps cannot be pickled). */
  __reduce_ex__(protocol: Index): never;
  __reduce_ex__(...args: unknown[]): never {
    // object.__reduce_ex__ (mmap inherits it; it refuses types without pickling support).
    const g = this.#g;
    const [proto] = parseArgs(SIGNATURES.__reduce_ex__, g, args, null) as [number];
    // Protocols 0 and 1 go through copyreg, which names the class by __name__ only.
    throw new PyTypeError(proto < 2 ? g.pickleMessage.replace('mmap.mmap', 'mmap') : g.pickleMessage);
  }

  /** `memoryview(m)` (PEP 688, 3.12): a buffer export. `flags & 1` (PyBUF_WRITABLE) on an
   *  ACCESS_READ map raises BufferError. Release it with release() or `__release_buffer__`. */
  __buffer__(flags: Index): BufferExport;
  __buffer__(flags: unknown): BufferExport {
    const g = this.#g;
    const f = arguments.length === 1 ? bufferFlags(flags, g) : parseArgs(SIGNATURES.__buffer__, g, arguments, null)[0] as number;
    this.#check();
    const m = this.#m;
    const readonly = !m.mode.writable;
    if ((f & 1) && readonly) throw new BufferError(MSG.notWritable);
    let view: Uint8Array | null;
    if (readonly) view = m.copy(0, m.len);
    else view = m.len === 0 ? new Uint8Array(0) : m.exportView();
    if (view === null) throw new BufferError(MSG.viewUnavailable('this mapping cannot be shared with JS; use the copying methods'));
    this.#exports++;
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
          owner.#exports--;
        }
      },
      check() {
        m.checkFaults();
      },
    };
  }

  /** `memoryview.release()` (PEP 688, 3.12): releases an export made by __buffer__. */
  __release_buffer__(view: BufferExport): void {
    view.release();
  }

  /** `sys.getsizeof(m)` (Windows only): the object's size with its tagname. */
  __sizeof__?(): number {
    const t = this.#m.tagname;
    return MMAP_OBJECT_SIZE + (typeof t === 'string' ? (t.length + 1) * 2 : 0);
  }
}

/** CPython's basicsize of mmap_object on 64-bit Windows (the part __sizeof__ adds the tagname to). */
const MMAP_OBJECT_SIZE = 96;

/** Methods a version or platform may lack: taken off the class here, put on a version's class
 *  by module.ts when its gate has them (so that `'madvise' in m` is false in 3.7, as Python's
 *  dir() shows). */
export const OPTIONAL_METHODS = (() => {
  const names = ['madvise', 'seekable', 'set_name', '__buffer__', '__release_buffer__', '__sizeof__'] as const;
  const out = {} as Record<(typeof names)[number], PropertyDescriptor>;
  for (const name of names) {
    out[name] = Object.getOwnPropertyDescriptor(mmap.prototype, name)!;
    delete (mmap.prototype as unknown as Record<string, unknown>)[name];
  }
  return Object.freeze(out);
})();
