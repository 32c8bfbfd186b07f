// Builds the mmap module of one Python version: the mmap class under that version's gate,
// `error`, ACCESS_*, and the platform's constants that the version had.
import { OSError } from './builtins';
import { GATES, gateFor, Gate, Version } from './gates';
import { ACCESS_COPY, ACCESS_DEFAULT, ACCESS_READ, ACCESS_WRITE, MmapBase } from './mmap';
import { native } from './native';
import { winModule } from './ctor_win';

/** The mmap class of one version (a subclass of MmapBase carrying the gate). */
export type MmapClass = typeof MmapBase;

export interface MmapModule {
  readonly mmap: MmapClass;
  readonly error: typeof OSError;
  readonly ACCESS_DEFAULT: number;
  readonly ACCESS_READ: number;
  readonly ACCESS_WRITE: number;
  readonly ACCESS_COPY: number;
  readonly PAGESIZE: number;
  readonly ALLOCATIONGRANULARITY: number;
  /** POSIX constants (absent on Windows, typed as present for convenience). */
  readonly PROT_READ: number;
  readonly PROT_WRITE: number;
  readonly PROT_EXEC: number;
  readonly MAP_SHARED: number;
  readonly MAP_PRIVATE: number;
  readonly MAP_ANON: number;
  readonly MAP_ANONYMOUS: number;
  /** Present only where the platform's headers define them and the version had them. */
  readonly MAP_DENYWRITE?: number;
  readonly MAP_EXECUTABLE?: number;
  readonly MAP_POPULATE?: number;
  readonly MAP_STACK?: number;
  readonly MAP_ALIGNED_SUPER?: number;
  readonly MAP_CONCEAL?: number;
  readonly MAP_NORESERVE?: number;
  readonly MAP_NOEXTEND?: number;
  readonly MAP_HASSEMAPHORE?: number;
  readonly MAP_NOCACHE?: number;
  readonly MAP_JIT?: number;
  readonly MAP_RESILIENT_CODESIGN?: number;
  readonly MAP_RESILIENT_MEDIA?: number;
  readonly MAP_32BIT?: number;
  readonly MAP_TRANSLATED_ALLOW_EXECUTE?: number;
  readonly MAP_UNIX03?: number;
  readonly MAP_TPRO?: number;
  readonly MADV_NORMAL?: number;
  readonly MADV_RANDOM?: number;
  readonly MADV_SEQUENTIAL?: number;
  readonly MADV_WILLNEED?: number;
  readonly MADV_DONTNEED?: number;
  readonly MADV_REMOVE?: number;
  readonly MADV_DONTFORK?: number;
  readonly MADV_DOFORK?: number;
  readonly MADV_HWPOISON?: number;
  readonly MADV_MERGEABLE?: number;
  readonly MADV_UNMERGEABLE?: number;
  readonly MADV_SOFT_OFFLINE?: number;
  readonly MADV_HUGEPAGE?: number;
  readonly MADV_NOHUGEPAGE?: number;
  readonly MADV_DONTDUMP?: number;
  readonly MADV_DODUMP?: number;
  readonly MADV_FREE?: number;
  readonly MADV_NOSYNC?: number;
  readonly MADV_AUTOSYNC?: number;
  readonly MADV_NOCORE?: number;
  readonly MADV_CORE?: number;
  readonly MADV_PROTECT?: number;
  readonly MADV_FREE_REUSABLE?: number;
  readonly MADV_FREE_REUSE?: number;
  readonly MS_ASYNC?: number;
  readonly MS_INVALIDATE?: number;
  readonly MS_SYNC?: number;
}

/** Methods that a version may lack, with the gate field that enables them. */
const OPTIONAL_METHODS: Array<[string, (g: Gate) => boolean]> = [
  ['madvise', (g) => g.madvise],
  ['seekable', (g) => g.seekable],
  ['set_name', (g) => g.setName && process.platform === 'linux'],
  ['__buffer__', (g) => g.bufferDunders],
  ['__release_buffer__', (g) => g.bufferDunders],
];

const cache = new Map<Version, MmapModule>();

export function moduleFor(version: string): MmapModule {
  const g = gateFor(version);
  const hit = cache.get(g.version);
  if (hit) return hit;

  const cls = class mmap extends MmapBase {};
  Object.defineProperty(cls, '__gate__', { value: g, enumerable: false });
  // The gate lives on the prototype: defining it on every instance cost a map transition.
  Object.defineProperty(cls.prototype, '_g', { value: g, enumerable: false });
  Object.defineProperty(cls, '__module__', { value: 'mmap', enumerable: false });
  Object.defineProperty(cls, '__qualname__', { value: 'mmap', enumerable: false });
  for (const [name, has] of OPTIONAL_METHODS) {
    if (!has(g)) Object.defineProperty(cls.prototype, name, { value: undefined, enumerable: false });
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
  if (native.backend === 'win32') winModule(cls, mod);
  // A copy: `mod` got its properties one by one (dictionary mode); the copy has fast ones.
  const fast: Record<string, unknown> = { ...mod };
  Object.defineProperty(fast, '__name__', { value: 'mmap', enumerable: false });
  Object.defineProperty(fast, '__version__', { value: g.version, enumerable: false });
  const frozen = Object.freeze(fast) as unknown as MmapModule;
  cache.set(g.version, frozen);
  return frozen;
}

export { GATES };
