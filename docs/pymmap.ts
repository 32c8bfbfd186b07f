/**
 * Python's `mmap` module, name for name: the newest version's (3.15); `pymmap/versions` gives
 * any version from 3.7 on. Import it whole or by name, in CommonJS or ES modules:
 *
 * ```ts
 * import { mmap, ACCESS_READ, slice, type Index } from 'pymmap';
 * import pymmap = require('pymmap');
 * ```
 *
 * The module object holds {@link mmap} (the class, also a type), `error` (OSError), {@link slice}
 * and the constants of the platform, each described under {@link MmapModule}. The types below
 * are how Python's argument kinds read in TypeScript.
 *
 * (This page is generated from the declarations the package ships; the module object itself is
 * built at run time by `moduleFor(defaultVersion)`.)
 * @module pymmap
 */
export { mmap } from '../shim/mmap';
export { slice } from '../shim/builtins';
export type {
  BufferExport, BytesLike, FlushOptions, Index, MmapArgs, MmapOptions, None, PosixMmapArgs, SupportsIndex,
  WindowsMmapArgs, WindowsMmapOptions,
} from '../shim/types';
export type { MmapModule } from '../shim/module';
