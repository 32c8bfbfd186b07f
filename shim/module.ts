// Builds the mmap module of one Python version: the mmap class under that version's gate,
// `error`, ACCESS_*, and the platform's constants that the version had.
import { OSError } from './builtins';
import { GATES, gateFor, Gate, Version } from './gates';
import { ACCESS_COPY, ACCESS_DEFAULT, ACCESS_READ, ACCESS_WRITE, MmapBase } from './mmap';
import { native } from './native';

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
  /** Platform constants (MAP_*, PROT_*, MADV_*, MS_*): present only where the platform's
   *  headers define them and the version had them. */
  readonly [name: string]: unknown;
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
  Object.defineProperty(mod, '__name__', { value: 'mmap', enumerable: false });
  Object.defineProperty(mod, '__version__', { value: g.version, enumerable: false });
  const frozen = Object.freeze(mod) as unknown as MmapModule;
  cache.set(g.version, frozen);
  return frozen;
}

export { GATES };
