// How Python's argument and result kinds read in TypeScript: the types of pymmap's public
// surface (exported from 'pymmap' as types).
import type { mmap } from './mmap';

/** An object that Python would accept as an integer through `__index__` (`operator.index`). */
export interface SupportsIndex {
  /** `operator.index(x)`: the integer the object stands for. */
  __index__(): number | bigint;
}

/** A Python `int` argument: a safe integer, a bigint (any size), or an object with `__index__`. */
export type Index = number | bigint | SupportsIndex;

/** Python's `None` as an argument: `null` or `undefined`. */
export type None = null | undefined;

/** A bytes-like argument (Python's buffer protocol): a Buffer, any TypedArray, a DataView, an
 *  ArrayBuffer, or another map (exported for the duration of the call). */
export type BytesLike = ArrayBufferView | ArrayBufferLike | mmap;

/** Keyword arguments of the constructor (POSIX): `mmap(fileno, length, flags=MAP_SHARED,
 *  prot=PROT_WRITE|PROT_READ, access=ACCESS_DEFAULT, offset=0, *, trackfd=True)`. */
export interface MmapOptions {
  /** `flags`: MAP_SHARED (the default), MAP_PRIVATE, ... (POSIX). */
  flags?: Index;
  /** `prot`: PROT_READ | PROT_WRITE (the default), ... (POSIX). */
  prot?: Index;
  /** `access`: ACCESS_READ, ACCESS_WRITE, ACCESS_COPY, or ACCESS_DEFAULT; excludes flags and prot. */
  access?: Index;
  /** `offset`: where the map starts in the file, a multiple of ALLOCATIONGRANULARITY. */
  offset?: Index;
  /** `trackfd` (3.13): false keeps no duplicate of the descriptor (size() and resize() then raise). */
  trackfd?: boolean;
}

/** Keyword arguments of the Windows constructor: `mmap(fileno, length, tagname=None,
 *  access=ACCESS_DEFAULT, offset=0, *, trackfd=True)`. */
export interface WindowsMmapOptions {
  /** `tagname`: a name shared by every map that gives it (a named file mapping). */
  tagname?: string | null;
  /** `access`: ACCESS_READ, ACCESS_WRITE, ACCESS_COPY, or ACCESS_DEFAULT (read-write). */
  access?: Index;
  /** `offset`: where the map starts in the file, a multiple of ALLOCATIONGRANULARITY. */
  offset?: Index;
  /** `trackfd` (3.15 on Windows). */
  trackfd?: boolean;
}

/** The constructor's arguments on POSIX, positional then one trailing keyword object (an
 *  `object`: a string has a `length` too). */
export type PosixMmapArgs =
  | [fileno: Index, length: Index, options?: MmapOptions]
  | [fileno: Index, length: Index, flags: Index, options?: Omit<MmapOptions, 'flags'>]
  | [fileno: Index, length: Index, flags: Index, prot: Index, options?: Omit<MmapOptions, 'flags' | 'prot'>]
  | [fileno: Index, length: Index, flags: Index, prot: Index, access: Index, options?: Pick<MmapOptions, 'offset' | 'trackfd'>]
  | [fileno: Index, length: Index, flags: Index, prot: Index, access: Index, offset: Index, options?: Pick<MmapOptions, 'trackfd'>]
  | [fileno: Index, options: MmapOptions & object & {
    /** `length` */
    length: Index;
  }]
  | [options: MmapOptions & object & {
    /** `fileno` */
    fileno: Index;
    /** `length` */
    length: Index;
  }];

/** The constructor's arguments on Windows, positional then one trailing keyword object. */
export type WindowsMmapArgs =
  | [fileno: Index, length: Index, tagname: string | None, options?: Omit<WindowsMmapOptions, 'tagname'>]
  | [fileno: Index, length: Index, tagname: string | None, access: Index, options?: Pick<WindowsMmapOptions, 'offset' | 'trackfd'>]
  | [fileno: Index, length: Index, tagname: string | None, access: Index, offset: Index, options?: Pick<WindowsMmapOptions, 'trackfd'>]
  | [fileno: Index, length: Index, options: WindowsMmapOptions];

/** Either platform's constructor arguments (the running platform's set applies). */
export type MmapArgs = PosixMmapArgs | WindowsMmapArgs;

/** Options of `moduleFor(version, options)` (`pymmap/versions`). */
export interface ModuleOptions {
  /** The width of the Python's `Py_ssize_t` (and C `long`): 64 (the default, CPython on a
   *  64-bit platform) or 32 (a 32-bit CPython such as Pyodide's): lengths, positions, indices
   *  and offsets overflow at 2**31 with that CPython's OverflowError, IndexError and ValueError
   *  messages ("Python int too large to convert to C ssize_t", "cannot fit 'int' into an
   *  index-sized integer", "mmap length is too large", ...). */
  readonly ssizeBits?: 32 | 64;
}

/** Keyword arguments of `flush()` (3.15). */
export interface FlushOptions {
  /** `flags`: MS_SYNC (the default), MS_ASYNC, MS_INVALIDATE. */
  flags?: Index;
}

/** A PEP 688 buffer export, what `memoryview(m)` holds: `view` is live for writable maps
 *  (writes reach the map) and a snapshot copy for ACCESS_READ maps (JS has no read-only typed
 *  arrays). While any export is unreleased, close() and resize() raise BufferError. */
export interface BufferExport {
  /** The bytes: a Uint8Array over the mapping (no copy), or a copy for ACCESS_READ maps. */
  readonly view: Uint8Array;
  /** Whether the map is ACCESS_READ (`memoryview.readonly`). */
  readonly readonly: boolean;
  /** Whether release() was called. */
  readonly released: boolean;
  /** `memoryview.release()`: lets the map be closed or resized again. */
  release(): void;
  /** Raises OSError(EFAULT) if a page under `view` faulted (file truncated under the map)
   *  since the last check: call it after reading through `view`. */
  check(): void;
}
