// Version gates (the table behind 'pymmap/versions'): every difference between the mmap modules of CPython 3.7 ... 3.15, in one
// table. `moduleFor(version)` builds the module of that version; `pymmap` itself is the module
// of `defaultVersion` (the newest).
//
// Facts: measured on CPython 3.7.16 ... 3.13.0 on this platform (cpython-probe); 3.14 and
// 3.15 from CPython's sources and NEWS (3.14 = 3.13 + the fixes released with it).

import { MSG } from './messages';

/** The Python versions whose mmap module pymmap has. */
export const versions = ['3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14', '3.15'] as const;
/** A Python version pymmap has ('3.7' ... '3.15'). */
export type Version = (typeof versions)[number];
/** The version of the module `pymmap` itself is (the newest). */
export const defaultVersion: Version = '3.15';

/** Where CPython goes on with a map that an argument's __index__ closed (see Gate.closedLate). */
export interface ClosedLate {
  /** flush: every argument ('all', 3.7-3.13), only its size ('size', 3.14), none (3.15). */
  readonly flush: 'all' | 'size' | 'none';
  /** seek sets the position (3.7-3.13). */
  readonly seek: boolean;
  /** resize runs its checks, then fails in mremap with EFAULT (3.7-3.13, Linux). */
  readonly resize: boolean;
  /** madvise advises the unmapped range: ENOMEM (3.8-3.10). */
  readonly madvise: boolean;
}

/** What differs in one version's mmap module: one field per difference. */
export interface Gate {
  /** The version ('3.12'). */
  readonly version: Version;
  /** Its minor number (12). */
  readonly minor: number;
  /** mmap.__new__ audit event (3.8). */
  readonly audit: boolean;
  /** madvise() and MADV_* (3.8). */
  readonly madvise: boolean;
  /** flush() returns 0 on success (3.7) instead of None. */
  readonly flushReturnsZero: boolean;
  /** `<mmap.mmap closed=False, access=..., length=..., pos=..., offset=...>` (3.9). */
  readonly reprFields: boolean;
  /** Integer conversion errors say "'str' object cannot be interpreted as an integer" (3.10);
   *  before: "an integer is required (got type str)" / "integer argument expected, got float". */
  readonly indexMessages: boolean;
  /** METH_NOARGS errors are prefixed with the type: "mmap.close() takes ..." (3.9). */
  readonly qualifiedNoArgs: boolean;
  /** METH_VARARGS keyword errors are prefixed with the type: "mmap.read() takes no keyword
   *  arguments" (3.11). */
  readonly qualifiedKw: boolean;
  /** Methods converted to Argument Clinic (3.14): "read expected at most 1 argument, got 2",
   *  METH_O methods say "mmap.write() takes exactly one argument (2 given)", arguments are
   *  converted before the closed check, __exit__ takes exactly 3 arguments, C int overflow
   *  says "Python int too large to convert to C int" (measured on Pyodide's 3.14.2). */
  readonly clinic: boolean;
  /** move(), write() and write_byte() of a closed read-only map raise ValueError ("mmap closed
   *  or invalid") rather than TypeError (3.14: their Argument Clinic bodies start with
   *  CHECK_VALID, then is_writable; 3.13 checked writability first once the arguments were
   *  parsed). Found by the differential against Pyodide 314 and 315. */
  readonly validBeforeWritable: boolean;
  /** The TypeError of a slice index that is not an integer: "slice indices must be integers or
   *  None or have an __index__ method"; 3.15 drops "or None" (3.15.0rc1, in Pyodide 315). */
  readonly sliceIndexMessage: string;
  /** "expected 1 argument, got 2" (3.8) rather than "expected 1 arguments, got 2". */
  readonly wrapperSingular: boolean;
  /** "cannot pickle 'mmap.mmap' object" (3.8) rather than "can't pickle mmap.mmap objects". */
  readonly pickleMessage: string;
  /** __buffer__ / __release_buffer__ visible as methods (3.12, PEP 688). */
  readonly bufferDunders: boolean;
  /** trackfd keyword, seekable(), seek() returns the new position, 3.13 argument messages. */
  readonly trackfd: boolean;
  /** trackfd keyword of the Windows constructor (3.15). */
  readonly windowsTrackfd: boolean;
  /** seekable() (3.13). */
  readonly seekable: boolean;
  /** seek() returns the new position (3.13). */
  readonly seekReturnsPos: boolean;
  /** "i", "b", "l" and "L" arguments (C int, byte, long, long long) go through __int__ only: an
   *  object with just __index__ is "an integer is required (got type X)" (3.7; 3.8 takes
   *  __index__). */
  readonly intNeedsNbInt: boolean;
  /** A map closed by an argument's __index__ during the call is not checked again where
   *  CPython's C code goes on with it (measured on 3.7-3.13 on Linux, 3.14.2 and 3.15.0rc1 in
   *  Pyodide; not a crash, so the spec): flush range-checks against the old size and msyncs the
   *  unmapped range (OSError ENOMEM; nothing for ACCESS_READ/COPY maps), in 3.14 only when its
   *  size (converted in the body) closed it; seek moves the position; resize runs its checks
   *  and mremaps nothing (OSError EFAULT, the file untouched); madvise (3.8-3.10) range-checks
   *  and madvises the unmapped range (ENOMEM; 3.11-3.14 range-check, then raise ValueError).
   *  The versions that check again raise ValueError. */
  readonly closedLate: ClosedLate;
  /** "this function got an unexpected keyword argument 'x'" and "... 6 positional arguments"
   *  (3.13) rather than "'x' is an invalid keyword argument for this function". */
  readonly newArgMessages: boolean;
  /** resize() refuses to grow a shared anonymous mapping on Linux (3.14; 3.13.8+). */
  readonly refuseSharedAnonGrow: boolean;
  /** None accepted for find/rfind start and end, madvise length, flush offset and size
   *  (3.14). 3.15: flush(offset=0, size=-1, /, *, flags=MS_SYNC) (None refused again, 3.15.0rc1), size() of anonymous maps
   *  is len, size() with trackfd=False raises ValueError, set_name(). */
  readonly flushFlags: boolean;
  /** size() of an anonymous map is its length (3.15). */
  readonly anonSize: boolean;
  /** None accepted for find/rfind start and end, madvise length, flush offset and size (3.14). */
  readonly noneArgs: boolean;
  /** set_name() (3.15). */
  readonly setName: boolean;
  /** Constants by the version that added them; names not listed exist in every version. */
  readonly constantSince: (name: string) => number;
  /** The width of Py_ssize_t (and of C long, as on the ILP32 and LP64 platforms CPython runs
   *  on with POSIX): 64, or 32 for a 32-bit CPython such as Pyodide's (moduleFor(v,
   *  { ssizeBits: 32 })). */
  readonly ssizeBits: 32 | 64;
  /** PY_SSIZE_T_MAX (2**63 - 1, or 2**31 - 1). */
  readonly ssizeMax: bigint;
  /** PY_SSIZE_T_MAX as a number (2**63 rounds up; callers only compare with it). */
  readonly ssizeMaxN: number;
  /** LONG_MAX: the range of the "l", "i" and "b" conversions before their own checks. */
  readonly longMax: bigint;
  /** The constructor's offset is parsed as a long long ("L": "int too big to convert") rather
   *  than a C long: Pyodide's 32-bit 3.14 and 3.15 (an off_t wider than long); 64-bit builds and
   *  Pyodide's 3.12/3.13 parse a C long. */
  readonly offsetLongLong: boolean;
}

/** Options of a module (moduleFor) and of its gate (gateFor). */
export interface GateOptions {
  /** The width of Py_ssize_t and C long: 64 (the default; CPython on a 64-bit platform) or 32
   *  (a 32-bit CPython, such as Pyodide's: sizes, overflow points and messages are its). */
  readonly ssizeBits?: 32 | 64;
}

/** The minor version in which a constant first appeared in Python's mmap module. */
function constantSince(name: string): number {
  if (name.startsWith('MADV_')) return 8;
  if (name.startsWith('MS_')) return 15;
  switch (name) {
    case 'MAP_POPULATE': return 10;
    case 'MAP_STACK': return 11;
    case 'MAP_ALIGNED_SUPER': case 'MAP_CONCEAL': return 12;
    case 'MAP_NORESERVE': case 'MAP_NOEXTEND': case 'MAP_HASSEMAPHORE': case 'MAP_NOCACHE':
    case 'MAP_JIT': case 'MAP_RESILIENT_CODESIGN': case 'MAP_RESILIENT_MEDIA': case 'MAP_32BIT':
    case 'MAP_TRANSLATED_ALLOW_EXECUTE': case 'MAP_UNIX03': case 'MAP_TPRO':
      return 13;
    default: return 7;
  }
}

function gate(version: Version, ssizeBits: 32 | 64 = 64): Gate {
  const minor = Number(version.split('.')[1]);
  const ssizeMax = ssizeBits === 32 ? 2n ** 31n - 1n : 2n ** 63n - 1n;
  return Object.freeze({
    version,
    minor,
    audit: minor >= 8,
    madvise: minor >= 8,
    flushReturnsZero: minor < 8,
    reprFields: minor >= 9,
    indexMessages: minor >= 10,
    qualifiedNoArgs: minor >= 9,
    qualifiedKw: minor >= 11,
    clinic: minor >= 14,
    validBeforeWritable: minor >= 14,
    sliceIndexMessage: minor >= 15 ? MSG.sliceIndices315 : MSG.sliceIndices,
    wrapperSingular: minor >= 8,
    pickleMessage: minor >= 8 ? "cannot pickle 'mmap.mmap' object" : "can't pickle mmap.mmap objects",
    bufferDunders: minor >= 12,
    trackfd: minor >= 13,
    windowsTrackfd: minor >= 15,
    seekable: minor >= 13,
    seekReturnsPos: minor >= 13,
    intNeedsNbInt: minor < 8,
    closedLate: Object.freeze({
      flush: minor <= 13 ? 'all' : minor === 14 ? 'size' : 'none',
      seek: minor <= 13,
      resize: minor <= 13,
      madvise: minor >= 8 && minor <= 10,
    } as const),
    newArgMessages: minor >= 13,
    refuseSharedAnonGrow: minor >= 14,
    flushFlags: minor >= 15,
    anonSize: minor >= 15,
    noneArgs: minor >= 14,
    setName: minor >= 15,
    constantSince,
    ssizeBits,
    ssizeMax,
    ssizeMaxN: Number(ssizeMax),
    longMax: ssizeMax,
    offsetLongLong: ssizeBits === 32 && minor >= 14,
  });
}

/** Every version's gate. */
export const GATES: Readonly<Record<Version, Gate>> = Object.freeze(
  Object.fromEntries(versions.map((v) => [v, gate(v)])) as Record<Version, Gate>,
);

/** Every version's gate with a 32-bit Py_ssize_t. */
const GATES32: Readonly<Record<Version, Gate>> = Object.freeze(
  Object.fromEntries(versions.map((v) => [v, gate(v, 32)])) as Record<Version, Gate>,
);

/** The gate of a version (with a 32-bit Py_ssize_t when asked); RangeError for a version
 *  pymmap does not have, or a width other than 32 and 64. */
export function gateFor(version: string, options: GateOptions = {}): Gate {
  const bits = options.ssizeBits ?? 64;
  if (bits !== 32 && bits !== 64) throw new RangeError(MSG.unsupportedSsizeBits(bits));
  const g = ((bits === 32 ? GATES32 : GATES) as Record<string, Gate>)[version];
  if (!g) throw new RangeError(MSG.unsupportedVersion(version, versions));
  return g;
}
