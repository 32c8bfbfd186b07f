/**
 * The `mmap` module of any CPython version from 3.7 to 3.15: `moduleFor('3.12')` has that
 * version's names, messages and behaviour (and its types: no `madvise` in 3.7).
 * @module pymmap/versions
 */
export { versions, defaultVersion, GATES, gateFor } from './gates';
export type { Version, Gate, GateOptions, ClosedLate } from './gates';
export type { ModuleOptions } from './types';
export { moduleFor } from './module';
export type { Lacks, MmapClass, MmapModule, MmapOf, SeekResult } from './module';
