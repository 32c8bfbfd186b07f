// Python's access / flags / prot, turned once into what the OS layer needs: whether the pages
// are shared with the file, whether stores are allowed, whether they stay private. The POSIX
// constructor, the Windows constructor and the Pyodide bridge all read this, and ACCESS_* is
// defined here only.
import { ValueError } from './builtins';
import { MSG } from './messages';
import { native } from './native';

/** `mmap.ACCESS_DEFAULT`: the access that flags and prot give (POSIX), read-write (Windows). */
export const ACCESS_DEFAULT = 0;
/** `mmap.ACCESS_READ`: read-only; stores raise TypeError. */
export const ACCESS_READ = 1;
/** `mmap.ACCESS_WRITE`: write-through; stores reach the file. */
export const ACCESS_WRITE = 2;
/** `mmap.ACCESS_COPY`: copy-on-write; stores stay in this map, never reach the file. */
export const ACCESS_COPY = 3;

/** The names repr() shows for ACCESS_* values. */
export const ACCESS_NAMES = ['ACCESS_DEFAULT', 'ACCESS_READ', 'ACCESS_WRITE', 'ACCESS_COPY'] as const;

/** A map's access, as Python reports it and as the OS layer needs it. */
export interface MapMode {
  /** ACCESS_* as Python reports it (repr, flush, resize). */
  readonly access: number;
  /** The pages are the file's (or shared with other maps): MAP_SHARED. */
  readonly shared: boolean;
  /** Stores are allowed (every access but ACCESS_READ). */
  readonly writable: boolean;
  /** Stores stay in this map (ACCESS_COPY, or a writable MAP_PRIVATE map). */
  readonly copyOnWrite: boolean;
  /** POSIX: the flags and prot passed to mmap(2) (0 on Windows, which reads `access`). */
  readonly flags: number;
  readonly prot: number;
}

const C = native.constants();
const MAP_SHARED = C.MAP_SHARED ?? 1;
const MAP_PRIVATE = C.MAP_PRIVATE ?? 2;
const PROT_READ = C.PROT_READ ?? 1;
const PROT_WRITE = C.PROT_WRITE ?? 2;

/** The mode of a map of this access whose pages are (or are not) shared with the file. */
function mode(access: number, shared: boolean, flags: number, prot: number): MapMode {
  const writable = access !== ACCESS_READ;
  return { access, shared, writable, copyOnWrite: writable && !shared, flags, prot };
}

/**
 * The POSIX constructor's flags, prot and access (undefined: not given), checked and combined
 * as CPython's new_mmap_object does: access excludes flags and prot; ACCESS_DEFAULT takes its
 * meaning from prot.
 */
export function posixMode(flagsArg: number | undefined, protArg: number | undefined, accessArg: number | undefined): MapMode {
  let flags = flagsArg ?? MAP_SHARED;
  let prot = protArg ?? PROT_READ | PROT_WRITE;
  let access = accessArg ?? ACCESS_DEFAULT;
  if (access !== ACCESS_DEFAULT && (flags !== MAP_SHARED || prot !== (PROT_WRITE | PROT_READ))) {
    throw new ValueError(MSG.accessAndFlags);
  }
  switch (access) {
    case ACCESS_READ: flags = MAP_SHARED; prot = PROT_READ; break;
    case ACCESS_WRITE: flags = MAP_SHARED; prot = PROT_READ | PROT_WRITE; break;
    case ACCESS_COPY: flags = MAP_PRIVATE; prot = PROT_READ | PROT_WRITE; break;
    case ACCESS_DEFAULT:
      if (!(prot & PROT_READ && prot & PROT_WRITE)) access = prot & PROT_WRITE ? ACCESS_WRITE : ACCESS_READ;
      break;
    default:
      throw new ValueError(MSG.accessInvalid);
  }
  return mode(access, (flags & MAP_SHARED) !== 0, flags, prot);
}

/** The Windows constructor's access (CPython's MS_WINDOWS new_mmap_object). */
export function windowsMode(access: number): MapMode {
  if (access !== ACCESS_READ && access !== ACCESS_DEFAULT && access !== ACCESS_WRITE && access !== ACCESS_COPY) {
    throw new ValueError(MSG.accessInvalid);
  }
  return mode(access, access !== ACCESS_COPY, 0, 0);
}
