// The operation format of the differential oracle, shared by generator.ts, run-shim.ts,
// compare.ts and python/oracle.py (which implements the same format for CPython).
// Everything is plain JSON so that a sequence can be saved to a file and replayed on either side.

/** An argument value (Python value <-> JS value). */
export type Value =
  | null // None
  | boolean // True / False
  | number // int, safe integers only (|x| <= 2^53-1)
  | string // str
  | { int: string } // any int (JS: bigint)
  | { float: number | string } // a float (use non-integral values: JS cannot tell 1.0 from 1)
  | { str: string } // str, explicit
  | { bytes: string } // bytes, hex (JS: Buffer)
  | { bytearray: string } // bytearray, hex (JS: Uint8Array)
  | { memoryview: string } // memoryview of bytes, hex (JS: DataView)
  | { list: Value[] } // list (JS: array)
  | { fd: string } // the fd number of an "open" step
  | { ref: string } // an mmap object made by a "new" step
  | { const: string } // mmap module constant(s): "MAP_SHARED|MAP_ANONYMOUS"
  | { slice: [Value, Value, Value] } // slice(a, b, c) (JS: new slice(a, b, c))
  /** An object (class I) whose __index__ first closes, resizes or seeks the mmap object `obj`
   *  (if it exists: re-entrancy), then returns `value`. */
  | { index: { value: Value; obj: string; act: 'close' | 'resize' | 'seek'; arg?: number } };

export type Kwargs = Record<string, Value>;

/** A file created in the sequence's fresh temporary directory before the first step. */
export type FileSpec =
  | { name: string; hex: string }
  | { name: string; size: number; fill?: number } // fill byte, default 0
  | { name: string; size: number; ramp: true } // byte i = i % 256
  | { name: string; fifo: true };

export type OpenMode = 'r' | 'r+' | 'w' | 'w+' | 'a' | 'a+' | 'x' | 'x+' | 'rb' | 'r+b' | 'rb+' | 'wb' | 'w+b' | 'wb+' | 'ab' | 'a+b';

export type Step =
  /** os.open(path, flags from mode): `file` of the sequence, or /dev/<dev>, or the temp dir. */
  | { op: 'open'; name: string; file?: string; dev?: 'zero' | 'null'; dir?: true; mode?: OpenMode | string }
  | { op: 'closefd'; fd: string }
  | { op: 'truncate'; file: string; size: Value }
  | { op: 'filesize'; file: string }
  /** name = mmap.mmap(*args, **kwargs) */
  | { op: 'new'; name: string; args?: Value[]; kwargs?: Kwargs }
  /** obj.method(*args, **kwargs) */
  | { op: 'call'; obj: string; method: string; args?: Value[]; kwargs?: Kwargs }
  | { op: 'getattr'; obj: string; attr: string }
  | { op: 'getitem'; obj: string; key: Value }
  | { op: 'setitem'; obj: string; key: Value; value: Value }
  | { op: 'delitem'; obj: string; key: Value }
  | { op: 'len'; obj: string }
  | { op: 'contains'; obj: string; value: Value }
  /** list(itertools.islice(iter(obj), limit)) */
  | { op: 'iter'; obj: string; limit?: number }
  | { op: 'repr'; obj: string }
  | { op: 'enter'; obj: string }
  | { op: 'exit'; obj: string }
  /** pickle.dumps(obj, protocol) (JS: obj.__reduce_ex__(protocol)) */
  | { op: 'pickle'; obj: string; protocol?: number };

export interface Sequence {
  id: string;
  /** Optional note (what a regression checks). */
  note?: string;
  files?: FileSpec[];
  steps: Step[];
}

export interface OracleInput {
  sequences: Sequence[];
  /** Seconds per sequence before the oracle's child is killed (SIGALRM). */
  timeout?: number;
}

/** An encoded result value. */
export type Enc =
  | null
  | boolean
  | number
  | string
  | Enc[]
  | { int: string }
  | { float: string }
  | { bytes: string }
  | { bytes_len: number; sha256: string; head: string } // bytes longer than 256
  | { ref: string | null } // an mmap object (e.g. what __enter__ returns)
  | { repr: string }; // anything else

export interface ErrorRecord {
  type: string; // Python exception type name (JS: err.name); 'JS:Name' for a non-Python error
  message?: string; // str(exc) (absent for "open" errors: it holds a temporary path)
  errno?: string; // OSError only: symbolic errno (EBADF)
}

export type StepResult =
  | { value: Enc }
  | { error: ErrorRecord }
  | { unbound: string }
  | { oracle_error: string }; // a malformed step or a bug in a runner

export type FileContent =
  | { size: number; hex: string }
  | { size: number; sha256: string | null; head?: string }
  | { missing: true }
  | { special: true };

export interface SequenceResult {
  id: string;
  steps: StepResult[];
  files: Record<string, FileContent>;
  /** Signal name when the process running the sequence died (CPython: SIGBUS, ...). */
  crashed: string | null;
}

export interface OracleOutput {
  python: string; // "3.12.1" (the shim side: "shim 3.12")
  implementation?: string;
  pagesize: number;
  results: SequenceResult[];
}

export const BIG_BYTES = 256;
export const HASH_LIMIT = 64 * 1024 * 1024;
export const SAFE = Number.MAX_SAFE_INTEGER;

/** Methods of mmap.mmap that the generator and runners know. */
export const METHODS = [
  'close', 'find', 'rfind', 'flush', 'madvise', 'move', 'read', 'read_byte', 'readline',
  'resize', 'seek', 'seekable', 'size', 'tell', 'write', 'write_byte',
] as const;
