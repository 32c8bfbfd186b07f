// Builds the mmap module of one Python version: the mmap class under that version's gate,
// `error`, ACCESS_*, and the platform's constants that the version had.
import { ACCESS_COPY, ACCESS_DEFAULT, ACCESS_READ, ACCESS_WRITE } from './access';
import { OSError, slice } from './builtins';
import { GATES, gateFor, Gate, GateOptions, Version } from './gates';
import { GATE, mmap, mmap as Base, OPTIONAL_METHODS } from './mmap';
import { native } from './native';
import { winModule } from './ctor_win';
import type { Index, MmapArgs, ModuleOptions } from './types';

/** The methods a version lacks (Python's dir() does not list them either). */
export type Lacks<V extends Version> =
  | (V extends '3.7' ? 'madvise' : never)
  | (V extends '3.7' | '3.8' | '3.9' | '3.10' | '3.11' ? '__buffer__' | '__release_buffer__' : never)
  | (V extends '3.7' | '3.8' | '3.9' | '3.10' | '3.11' | '3.12' ? 'seekable' : never)
  | (V extends '3.15' ? never : 'set_name');

/** What seek() returns in version V: the new position from 3.13, None before. */
export type SeekResult<V extends Version> = V extends '3.7' | '3.8' | '3.9' | '3.10' | '3.11' | '3.12' ? null : number;

/** A map of Python version V: the methods V has, with V's results. For a version not known
 *  statically (a string), the methods some versions lack are optional. */
export type MmapOf<V extends Version> = Version extends V
  ? Omit<mmap, Lacks<'3.7'> | 'seek'> & Partial<Pick<mmap, Lacks<'3.7'>>> & {
    /** `seek(pos[, whence])`: the new position (3.13), None before. */
    seek(pos: Index, whence?: Index): number | null;
  }
  : [Lacks<V>] extends [never] ? mmap
    : Omit<mmap, Lacks<V> | 'seek'> & {
      /** `seek(pos[, whence])`: sets the position; the new position (3.13), None before. */
      seek(pos: Index, whence?: Index): SeekResult<V>;
    };

/** A class of maps of type T (a version's `mmap.mmap`). */
export interface MmapClass<T> {
  /** `mmap.mmap(...)`: see the mmap class's constructor. */
  new (...args: MmapArgs): T;
  /** The class's prototype. */
  readonly prototype: T;
}

/** Python's `mmap` module of one version: the mmap class, `error`, and the constants. */
export interface MmapModule<T = mmap> {
  /** `mmap.mmap`: the class of memory maps. */
  readonly mmap: MmapClass<T>;
  /** `mmap.error`: OSError. */
  readonly error: typeof OSError;
  /** Python's `slice` (also in `pymmap/builtins`): `m.__getitem__(new slice(a, b))` is `m[a:b]`.
   *  A JS convenience, not a name of Python's module (not enumerable). */
  readonly slice: typeof slice;
  /** `mmap.ACCESS_DEFAULT` (0): the access that flags and prot give. */
  readonly ACCESS_DEFAULT: number;
  /** `mmap.ACCESS_READ` (1): read-only; stores raise TypeError. */
  readonly ACCESS_READ: number;
  /** `mmap.ACCESS_WRITE` (2): write-through; stores reach the file. */
  readonly ACCESS_WRITE: number;
  /** `mmap.ACCESS_COPY` (3): copy-on-write; stores stay in the map. */
  readonly ACCESS_COPY: number;
  /** `mmap.PAGESIZE`: the size of a memory page. */
  readonly PAGESIZE: number;
  /** `mmap.ALLOCATIONGRANULARITY`: what offsets must be a multiple of. */
  readonly ALLOCATIONGRANULARITY: number;
  /** `mmap.PROT_READ` (POSIX): pages may be read. */
  readonly PROT_READ: number;
  /** `mmap.PROT_WRITE` (POSIX): pages may be written. */
  readonly PROT_WRITE: number;
  /** `mmap.PROT_EXEC` (POSIX): pages may be executed. */
  readonly PROT_EXEC: number;
  /** `mmap.MAP_SHARED` (POSIX): stores reach the file and every map of it. */
  readonly MAP_SHARED: number;
  /** `mmap.MAP_PRIVATE` (POSIX): stores stay in this map (copy-on-write). */
  readonly MAP_PRIVATE: number;
  /** `mmap.MAP_ANON` (POSIX): not backed by a file (the constructor adds it for fileno -1). */
  readonly MAP_ANON: number;
  /** `mmap.MAP_ANONYMOUS` (POSIX): the same as MAP_ANON. */
  readonly MAP_ANONYMOUS: number;
  /** `mmap.MAP_DENYWRITE`: Linux: ignored by the kernel (historic). */
  readonly MAP_DENYWRITE?: number;
  /** `mmap.MAP_EXECUTABLE`: Linux: ignored by the kernel (historic). */
  readonly MAP_EXECUTABLE?: number;
  /** `mmap.MAP_POPULATE`: (3.10, Linux) prefault the pages. */
  readonly MAP_POPULATE?: number;
  /** `mmap.MAP_STACK`: (3.11) memory for a thread stack. */
  readonly MAP_STACK?: number;
  /** `mmap.MAP_ALIGNED_SUPER`: (3.12, FreeBSD) superpage alignment. */
  readonly MAP_ALIGNED_SUPER?: number;
  /** `mmap.MAP_CONCEAL`: (3.12, OpenBSD) left out of core dumps. */
  readonly MAP_CONCEAL?: number;
  /** `mmap.MAP_NORESERVE`: (3.13) no swap space reserved. */
  readonly MAP_NORESERVE?: number;
  /** `mmap.MAP_NOEXTEND`: (3.13, macOS) do not extend the file. */
  readonly MAP_NOEXTEND?: number;
  /** `mmap.MAP_HASSEMAPHORE`: (3.13, BSD/macOS) may hold semaphores. */
  readonly MAP_HASSEMAPHORE?: number;
  /** `mmap.MAP_NOCACHE`: (3.13, macOS) pages not kept in the cache. */
  readonly MAP_NOCACHE?: number;
  /** `mmap.MAP_JIT`: (3.13, macOS) JIT code pages. */
  readonly MAP_JIT?: number;
  /** `mmap.MAP_RESILIENT_CODESIGN`: (3.13, macOS) code-signing failures tolerated. */
  readonly MAP_RESILIENT_CODESIGN?: number;
  /** `mmap.MAP_RESILIENT_MEDIA`: (3.13, macOS) media errors tolerated. */
  readonly MAP_RESILIENT_MEDIA?: number;
  /** `mmap.MAP_32BIT`: (3.13, Linux x86-64) in the first 2 GiB. */
  readonly MAP_32BIT?: number;
  /** `mmap.MAP_TRANSLATED_ALLOW_EXECUTE`: (3.13, macOS Rosetta) executable under translation. */
  readonly MAP_TRANSLATED_ALLOW_EXECUTE?: number;
  /** `mmap.MAP_UNIX03`: (3.13, macOS) UNIX03 semantics. */
  readonly MAP_UNIX03?: number;
  /** `mmap.MAP_TPRO`: (3.13, macOS) trusted-path read-only. */
  readonly MAP_TPRO?: number;
  /** `mmap.MADV_NORMAL`: (3.8, POSIX) madvise() advice MADV_NORMAL where the platform has it; see madvise(2). */
  readonly MADV_NORMAL?: number;
  /** `mmap.MADV_RANDOM`: (3.8, POSIX) madvise() advice MADV_RANDOM where the platform has it; see madvise(2). */
  readonly MADV_RANDOM?: number;
  /** `mmap.MADV_SEQUENTIAL`: (3.8, POSIX) madvise() advice MADV_SEQUENTIAL where the platform has it; see madvise(2). */
  readonly MADV_SEQUENTIAL?: number;
  /** `mmap.MADV_WILLNEED`: (3.8, POSIX) madvise() advice MADV_WILLNEED where the platform has it; see madvise(2). */
  readonly MADV_WILLNEED?: number;
  /** `mmap.MADV_DONTNEED`: (3.8, POSIX) madvise() advice MADV_DONTNEED where the platform has it; see madvise(2). */
  readonly MADV_DONTNEED?: number;
  /** `mmap.MADV_REMOVE`: (3.8, POSIX) madvise() advice MADV_REMOVE where the platform has it; see madvise(2). */
  readonly MADV_REMOVE?: number;
  /** `mmap.MADV_DONTFORK`: (3.8, POSIX) madvise() advice MADV_DONTFORK where the platform has it; see madvise(2). */
  readonly MADV_DONTFORK?: number;
  /** `mmap.MADV_DOFORK`: (3.8, POSIX) madvise() advice MADV_DOFORK where the platform has it; see madvise(2). */
  readonly MADV_DOFORK?: number;
  /** `mmap.MADV_HWPOISON`: (3.8, POSIX) madvise() advice MADV_HWPOISON where the platform has it; see madvise(2). */
  readonly MADV_HWPOISON?: number;
  /** `mmap.MADV_MERGEABLE`: (3.8, POSIX) madvise() advice MADV_MERGEABLE where the platform has it; see madvise(2). */
  readonly MADV_MERGEABLE?: number;
  /** `mmap.MADV_UNMERGEABLE`: (3.8, POSIX) madvise() advice MADV_UNMERGEABLE where the platform has it; see madvise(2). */
  readonly MADV_UNMERGEABLE?: number;
  /** `mmap.MADV_SOFT_OFFLINE`: (3.8, POSIX) madvise() advice MADV_SOFT_OFFLINE where the platform has it; see madvise(2). */
  readonly MADV_SOFT_OFFLINE?: number;
  /** `mmap.MADV_HUGEPAGE`: (3.8, POSIX) madvise() advice MADV_HUGEPAGE where the platform has it; see madvise(2). */
  readonly MADV_HUGEPAGE?: number;
  /** `mmap.MADV_NOHUGEPAGE`: (3.8, POSIX) madvise() advice MADV_NOHUGEPAGE where the platform has it; see madvise(2). */
  readonly MADV_NOHUGEPAGE?: number;
  /** `mmap.MADV_DONTDUMP`: (3.8, POSIX) madvise() advice MADV_DONTDUMP where the platform has it; see madvise(2). */
  readonly MADV_DONTDUMP?: number;
  /** `mmap.MADV_DODUMP`: (3.8, POSIX) madvise() advice MADV_DODUMP where the platform has it; see madvise(2). */
  readonly MADV_DODUMP?: number;
  /** `mmap.MADV_FREE`: (3.8, POSIX) madvise() advice MADV_FREE where the platform has it; see madvise(2). */
  readonly MADV_FREE?: number;
  /** `mmap.MADV_NOSYNC`: (3.8, POSIX) madvise() advice MADV_NOSYNC where the platform has it; see madvise(2). */
  readonly MADV_NOSYNC?: number;
  /** `mmap.MADV_AUTOSYNC`: (3.8, POSIX) madvise() advice MADV_AUTOSYNC where the platform has it; see madvise(2). */
  readonly MADV_AUTOSYNC?: number;
  /** `mmap.MADV_NOCORE`: (3.8, POSIX) madvise() advice MADV_NOCORE where the platform has it; see madvise(2). */
  readonly MADV_NOCORE?: number;
  /** `mmap.MADV_CORE`: (3.8, POSIX) madvise() advice MADV_CORE where the platform has it; see madvise(2). */
  readonly MADV_CORE?: number;
  /** `mmap.MADV_PROTECT`: (3.8, POSIX) madvise() advice MADV_PROTECT where the platform has it; see madvise(2). */
  readonly MADV_PROTECT?: number;
  /** `mmap.MADV_FREE_REUSABLE`: (3.8, POSIX) madvise() advice MADV_FREE_REUSABLE where the platform has it; see madvise(2). */
  readonly MADV_FREE_REUSABLE?: number;
  /** `mmap.MADV_FREE_REUSE`: (3.8, POSIX) madvise() advice MADV_FREE_REUSE where the platform has it; see madvise(2). */
  readonly MADV_FREE_REUSE?: number;
  /** `mmap.MS_ASYNC`: (3.15) flush() flag: schedule the write-back, do not wait. */
  readonly MS_ASYNC?: number;
  /** `mmap.MS_INVALIDATE`: (3.15) flush() flag: invalidate other cached copies. */
  readonly MS_INVALIDATE?: number;
  /** `mmap.MS_SYNC`: (3.15) flush() flag: write back and wait (the default). */
  readonly MS_SYNC?: number;
}

/** Methods that a version (or platform) may lack, with the gate that gives them. */
const OPTIONAL: Array<[keyof typeof OPTIONAL_METHODS, (g: Gate) => boolean]> = [
  ['madvise', (g) => g.madvise && native.backend !== 'win32'],
  ['seekable', (g) => g.seekable],
  ['set_name', (g) => g.setName && process.platform === 'linux'],
  ['__buffer__', (g) => g.bufferDunders],
  ['__release_buffer__', (g) => g.bufferDunders],
  ['__sizeof__', () => native.backend === 'win32'],
];

const cache = new Map<string, MmapModule<unknown>>();

/**
 * The `mmap` module of a Python version ('3.7' ... '3.15'): its names, messages and behaviour.
 * `{ ssizeBits: 32 }` gives that version as a 32-bit CPython (Pyodide's) computes: Py_ssize_t
 * and C long are 32-bit, so lengths, positions and indices past 2**31 - 1 overflow where that
 * CPython's do, with its messages. Modules are made once and cached; `pymmap` itself is
 * `moduleFor(defaultVersion)`.
 */
export function moduleFor<V extends Version>(version: V, options?: ModuleOptions): MmapModule<MmapOf<V>>;
export function moduleFor(version: string, options?: ModuleOptions): MmapModule<MmapOf<Version>>;
export function moduleFor(version: string, options: ModuleOptions = {}): MmapModule<unknown> {
  const g = gateFor(version, options as GateOptions);
  const key = `${g.version}/${g.ssizeBits}`;
  const hit = cache.get(key);
  if (hit) return hit;

  const cls = class mmap extends Base {};
  Object.defineProperty(cls, GATE, { value: g, enumerable: false });
  Object.defineProperty(cls, '__module__', { value: 'mmap', enumerable: false });
  Object.defineProperty(cls, '__qualname__', { value: 'mmap', enumerable: false });
  for (const [name, has] of OPTIONAL) {
    if (has(g)) Object.defineProperty(cls.prototype, name, OPTIONAL_METHODS[name]);
  }

  const mod: Record<string, unknown> = {};
  const constants = native.constants();
  const names = Object.keys(constants).sort();
  for (const name of names) {
    if (name === 'PAGESIZE' || name === 'ALLOCATIONGRANULARITY') continue;
    if (g.constantSince(name) > g.minor) continue;
    mod[name] = constants[name];
  }
  mod.ACCESS_DEFAULT = ACCESS_DEFAULT;
  mod.ACCESS_READ = ACCESS_READ;
  mod.ACCESS_WRITE = ACCESS_WRITE;
  mod.ACCESS_COPY = ACCESS_COPY;
  mod.PAGESIZE = constants.PAGESIZE;
  mod.ALLOCATIONGRANULARITY = constants.ALLOCATIONGRANULARITY;
  mod.error = OSError;
  mod.mmap = cls;
  if (native.backend === 'win32') winModule(mod);
  // A copy: `mod` got its properties one by one (dictionary mode); the copy has fast ones.
  const fast: Record<string, unknown> = { ...mod };
  Object.defineProperty(fast, '__name__', { value: 'mmap', enumerable: false });
  Object.defineProperty(fast, '__version__', { value: g.version, enumerable: false });
  // A JS convenience that Python's module does not have: not enumerable, so dir()-like listings
  // (Object.keys) show Python's names only.
  Object.defineProperty(fast, 'slice', { value: slice, enumerable: false });
  const frozen = Object.freeze(fast) as unknown as MmapModule<unknown>;
  cache.set(key, frozen);
  return frozen;
}

export { GATES };
