// Every message the shim raises: the mmap module's word for word as CPython says it, then the
// few of its own (JS only). Messages that changed between versions take the version's style from
// the gate (gates.ts), so this table and the gate table are the only places a message is spelled
// out.

export const MSG = {
  closed: 'mmap closed or invalid',
  // constructor
  lengthNegative: 'memory mapped length must be positive',
  offsetNegative: 'memory mapped offset must be positive',
  accessAndFlags: "mmap can't specify both access and flags, prot.",
  accessInvalid: 'mmap invalid access parameter.',
  emptyFile: 'cannot mmap an empty file',
  offsetTooBig: 'mmap offset is greater than file size',
  lengthTooBig: 'mmap length is greater than file size',
  lengthTooLarge: 'mmap length is too large',
  tagnameType: (t: string) => `expected str or None for 'tagname', not ${t}`,
  // methods
  readByteRange: 'read byte out of range',
  writeByteRange: 'write byte out of range',
  dataRange: 'data out of range',
  readonly: "mmap can't modify a readonly memory map.",
  notResizeable: "mmap can't resize a readonly or copy-on-write memory map.",
  resizeExported: "mmap can't resize with extant buffers exported.",
  resizeTrackfd: "mmap can't resize with trackfd=False.",
  resizeSharedAnon: "mmap: can't expand a shared anonymous mapping on Linux",
  newSizeRange: 'new size out of range',
  closeExported: 'cannot close exported pointers exist',
  seekType: 'unknown seek type',
  seekRange: 'seek out of range',
  flushRange: 'flush values out of range',
  madviseStart: 'madvise start out of bounds',
  madviseLength: 'madvise length invalid',
  madviseTooLarge: 'madvise length too large',
  moveRange: 'source, destination, or count out of range',
  sizeTrackfd: "can't get size with trackfd=False",
  indexRange: 'mmap index out of range',
  indicesInt: 'mmap indices must be integers',
  indicesIntAssign: 'mmap indices must be integer',
  itemValueInt: 'mmap item value must be an int',
  itemValueRange: 'mmap item value must be in range(0, 256)',
  noItemDeletion: "mmap doesn't support item deletion",
  noSliceDeletion: "mmap object doesn't support slice deletion",
  sliceWrongSize: 'mmap slice assignment is wrong size',
  sliceStepZero: 'slice step cannot be zero',
  sliceIndices: 'slice indices must be integers or None or have an __index__ method',
  sliceIndices315: 'slice indices must be integers or have an __index__ method',
  notWritable: 'Object is not writable.',
  setNameType: (t: string) => `set_name() argument must be str, not ${t}`,
  embeddedNul: 'embedded null character',
  setNameTooLong: 'name is too long',
  setNameNotAnon: 'Cannot set annotation on non-anonymous mappings',
  // argument conversion
  bytesLike: (t: string) => `a bytes-like object is required, not '${t}'`,
  readArg: (t: string) => `argument should be integer or None, not '${t}'`,
  cannotFitIndex: (t: string) => `cannot fit '${t}' into an index-sized integer`,
  tooLargeSsize: 'Python int too large to convert to C ssize_t',
  tooLargeLong: 'Python int too large to convert to C long',
  tooLargeInt: 'Python int too large to convert to C int',
  intTooBig: 'int too big to convert',
  signedTooBig: 'signed integer is greater than maximum',
  signedTooSmall: 'signed integer is less than minimum',
  byteTooBig: 'unsigned byte integer is greater than maximum',
  byteTooSmall: 'unsigned byte integer is less than minimum',
  indexReturnedNonInt: (t: string) => `__index__ returned non-int (type ${t})`,
  // argument counts (PyArg_ParseTuple and the method call machinery)
  noKeywords: (fn: string) => `${fn}() takes no keyword arguments`,
  noArguments: (fn: string, n: number) => `${fn}() takes no arguments (${n} given)`,
  // PyArg_ParseTupleAndKeywords and the keyword parsers (fn: "function" or "flush()")
  mostArgs: (fn: string, max: number, n: number, keywordOnly: boolean) =>
    `${fn} takes at most ${max} ${keywordOnly ? 'keyword ' : ''}argument${max === 1 ? '' : 's'} (${n} given)`,
  mostPositional: (fn: string, max: number, n?: number) =>
    `${fn} takes at most ${max} positional argument${max === 1 ? '' : 's'}${n === undefined ? '' : ` (${n} given)`}`,
  missingArg: (fn: string, name: string, pos: number) => `${fn} missing required argument '${name}' (pos ${pos})`,
  givenTwice: (fn: string, name: string, pos: number) => `argument for ${fn} given by name ('${name}') and position (${pos})`,
  unexpectedKeyword: (fn: string, k: string) => `${fn} got an unexpected keyword argument '${k}'`,
  invalidKeyword: (k: string, fn: string) => `'${k}' is an invalid keyword argument for ${fn}`,
  exactlyOne: (fn: string, n: number) => `${fn}() takes exactly one argument (${n} given)`,
  argCount: (fn: string, kind: 'at most' | 'at least' | 'exactly', m: number, n: number) =>
    `${fn}() takes ${kind} ${m} argument${m === 1 ? '' : 's'} (${n} given)`,
  clinicCount: (fn: string, min: number, max: number, n: number) =>
    min === max ? `${fn} expected ${max} argument${max === 1 ? '' : 's'}, got ${n}`
      : n > max ? `${fn} expected at most ${max} argument${max === 1 ? '' : 's'}, got ${n}`
        : `${fn} expected at least ${min} argument${min === 1 ? '' : 's'}, got ${n}`,
  bufferFlagsTooLarge: 'buffer flags too large',
  wrapperArgs: (m: number, n: number, plural: boolean) =>
    `expected ${m} argument${m === 1 && !plural ? '' : 's'}, got ${n}`,
  wrapperNoKeywords: (fn: string) => `wrapper ${fn}() takes no keyword arguments`,
  // strerror() texts of the errors the shim raises itself
  strerrorEFAULT: 'Bad address',
  strerrorENOMEM: 'Cannot allocate memory',
  strerrorEINVAL: 'Invalid argument',
  // JS only: views, the slab, versions, hooks, the native layer, the Pyodide bridge
  viewUnavailable: (why: string) => `pymmap: no zero-copy view of this mapping (${why})`,
  notDetachable: 'ArrayBuffer is not detachable and could not be cloned.',
  unsupportedVersion: (v: string, supported: readonly string[]) =>
    `pymmap: unsupported Python version ${JSON.stringify(v)}; supported: ${supported.join(', ')}`,
  unsupportedSsizeBits: (b: unknown) => `pymmap: ssizeBits must be 32 or 64, not ${String(b)}`,
  auditHookNotCallable: 'audit hook must be callable',
  nativeError: (tag: string) => `pymmap native error: ${tag}`,
  notPyodide: 'installMmap: expected a Pyodide instance (from loadPyodide())',
  bridgeNotFound: (looked: readonly string[]) => `pymmap: python/pymmap_bridge.py not found (looked in ${looked.join(', ')})`,
  notContiguous: 'memoryview: underlying buffer is not C-contiguous',
} as const;
