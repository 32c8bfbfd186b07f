// pymmap: Python's `mmap` module for Node.js, name for name (the newest Python's behaviour;
// 'pymmap/versions' gives any version from 3.7 on).
// (`import x = require()` rather than `import {..} from`: a file with `export =` must not also
// use ES imports, or Bun's transpiler refuses it: "Cannot use import statement with
// CommonJS-only features". Type-only imports are erased and allowed.)
import gates = require('./gates');
import modules = require('./module');
import type { MmapModule } from './module';
import type { mmap as MmapClass } from './mmap';
import type * as T from './types';

/** The newest version's module, whose `mmap` is the class itself (for `extends` and statics). */
interface PymmapModule extends MmapModule<MmapClass> {
  /** `mmap.mmap`: the class of memory maps. */
  readonly mmap: typeof MmapClass;
}

/**
 * Python's `mmap` module (the newest version's): `mmap.mmap`, `mmap.error`, ACCESS_*, PAGESIZE,
 * ALLOCATIONGRANULARITY and the platform's MAP_*, PROT_*, MADV_* and MS_* constants.
 */
const M = modules.moduleFor(gates.defaultVersion) as PymmapModule;

// The module's types, under the names users import them by (`import { mmap, Index } from 'pymmap'`).
declare namespace M {
  /** A memory map (`mmap.mmap`), usable as a type: `function f(m: mmap)`. */
  export type mmap = MmapClass;
  export type Index = T.Index;
  export type SupportsIndex = T.SupportsIndex;
  export type None = T.None;
  export type BytesLike = T.BytesLike;
  export type MmapOptions = T.MmapOptions;
  export type WindowsMmapOptions = T.WindowsMmapOptions;
  export type MmapArgs = T.MmapArgs;
  export type FlushOptions = T.FlushOptions;
  export type BufferExport = T.BufferExport;
}

export = M;
