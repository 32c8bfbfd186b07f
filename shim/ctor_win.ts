// The Windows side of the mmap module (native.backend === 'win32'), as CPython's
// Modules/mmapmodule.c has it under MS_WINDOWS:
//   mmap(fileno, length, tagname=None, access=ACCESS_DEFAULT, offset=0)   (+ *, trackfd=True in 3.15)
// - argument parsing as PyArg_ParseTupleAndKeywords("in|OiL") does it (C long is 32 bits on
//   Windows, so an out-of-range fileno or access says "... to convert to C long");
// - then, in CPython's order: the audit event, the access check, length and offset signs, the
//   descriptor (a bad one is OSError EBADF), the "map the whole file" size checks, the tagname
//   type, and the mapping itself (Win32 errors become OSError with winerror);
// - fileno -1 and 0 both map the paging file; a length larger than the file extends the file.
// `winModule` trims a version's module to what Windows has: ACCESS_*, PAGESIZE,
// ALLOCATIONGRANULARITY (module.ts leaves madvise out and adds the Windows-only __sizeof__).
import { windowsMode } from './access';
import { OverflowError, TypeError as PyTypeError, ValueError, OSError } from './builtins';
import { parseArgs, SIGNATURES } from './clinic';
import { pyTypeName } from './convert';
import type { Gate } from './gates';
import { Mapping } from './mapping';
import { MSG } from './messages';
import { native } from './native';
import * as sys from './sys';

/**
 * The Windows constructor: the arguments read (SIGNATURES.newWindows), checked in CPython's
 * order, and mapped. Called by the mmap constructor when native.backend === 'win32'.
 */
export function openWindows(g: Gate, args: ArrayLike<unknown>): Mapping {
  const [fileno, length, tagname, accessArg, offsetArg, trackfdArg] =
    parseArgs(SIGNATURES.newWindows, g, args, null) as [number, number, unknown, number?, number?, boolean?];
  const access = accessArg ?? 0;
  const offset = offsetArg ?? 0;
  const trackfd = trackfdArg ?? true;

  // ---- checks, in CPython's order
  if (g.audit) sys.audit('mmap.__new__', fileno, length, access, offset);
  const mode = windowsMode(access);
  if (length < 0) throw new OverflowError(MSG.lengthNegative);
  if (offset < 0) throw new OverflowError(MSG.offsetNegative);

  // -1 and 0 both mean the paging file (CPython keeps accepting 0, as before 2.5).
  const anon = fileno === -1 || fileno === 0;
  let mapLen = length;
  if (!anon) {
    // _Py_get_osfhandle: a descriptor that is not open is OSError EBADF. The size is needed only
    // to map the whole file (length 0); a failure to get it matters only then.
    let size: number | null = null;
    let sizeError: unknown = null;
    try {
      size = native.fstat(fileno)[0];
    } catch (e) {
      if (!(e instanceof OSError) || e.winerror === null) throw e;
      sizeError = e;
    }
    if (length === 0) {
      if (sizeError !== null) throw sizeError;
      const s = size as number;
      if (s === 0) throw new ValueError(MSG.emptyFile);
      if (offset >= s) throw new ValueError(MSG.offsetTooBig);
      if (s - offset > g.ssizeMaxN) throw new ValueError(MSG.lengthTooLarge);
      mapLen = s - offset;
    }
  }
  let tag: string | null = null;
  if (tagname !== undefined && tagname !== null) {
    if (typeof tagname !== 'string') throw new PyTypeError(MSG.tagnameType(pyTypeName(tagname)));
    if (tagname.includes('\0')) throw new ValueError(MSG.embeddedNul);
    tag = tagname;
  }
  return new Mapping({ fd: anon ? -1 : fileno, length: mapLen, offset, keepFd: trackfd, mode, tagname: tag });
}

const WIN_MODULE_NAMES = new Set(['ACCESS_DEFAULT', 'ACCESS_READ', 'ACCESS_WRITE', 'ACCESS_COPY',
  'PAGESIZE', 'ALLOCATIONGRANULARITY', 'error', 'mmap']);

/** A version's module as Windows has it: only ACCESS_*, PAGESIZE and ALLOCATIONGRANULARITY as
 *  constants. Called by moduleFor() on win32 before the module is frozen. */
export function winModule(mod: Record<string, unknown>): void {
  for (const name of Object.keys(mod)) if (!WIN_MODULE_NAMES.has(name)) delete mod[name];
}
