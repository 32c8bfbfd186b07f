// Loads the native core and hands it the one function that turns its errors into Python
// exceptions (the addon itself knows nothing about Python).
import * as path from 'path';
import { BufferError, MemoryError, OSError, SystemError, TypeError as PyTypeError, ValueError } from './builtins';
import { MSG } from './messages';

/** What the loaded `.node` file exports: one function that opens a context of its own. */
interface RawAddon {
  backend: 'posix' | 'win32';
  open(makeError: (tag: string | null, errno: number, code: string, strerror: string, winerror: number | null) => Error): Omit<NativeAddon, 'backend'>;
}

/** One copy of the shim's own context in the addon: its maps, its ids, its error factory. */
export interface NativeAddon {
  backend: 'posix' | 'win32';
  constants(): Record<string, number>;
  fstat(fd: number): [number, boolean];
  regularSize(fd: number): number; // st_size of a regular file, -1 for anything else
  /** With target/targetOffset: a placed mapping over that page-aligned memory (POSIX; see
   *  mapping.ts's Placer). */
  map(fd: number, length: number | bigint, flags: number, prot: number, offset: number | bigint, dupFd: boolean,
    tagname?: string | null, access?: number, target?: ArrayBuffer, targetOffset?: number): number;
  /** abandon: a placed mapping's memory is left as it is (the collector's close). */
  close(id: number, abandon?: boolean): void;
  fdSize(id: number): number;
  length(id: number): number;
  flush(id: number, offset: number, length: number, flags: number): void;
  advise(id: number, start: number, length: number, advice: number): void;
  /** A placed mapping needs the new memory (target, targetOffset). */
  resize(id: number, length: number, target?: ArrayBuffer, targetOffset?: number): void;
  setName(id: number, name: string): void;
  getByte(id: number, i: number): number;
  setByte(id: number, i: number, v: number): void;
  copyOut(id: number, start: number, n: number, dst: Uint8Array, dstOffset: number): void;
  copyStep(id: number, start: number, step: number, n: number, dst: Uint8Array): void;
  copyIn(id: number, start: number, src: ArrayBufferView | ArrayBuffer): void;
  storeStep(id: number, start: number, step: number, n: number, src: ArrayBufferView | ArrayBuffer): void;
  move(id: number, dest: number, src: number, n: number): void;
  find(id: number, start: number, end: number, needle: ArrayBufferView | ArrayBuffer): number;
  rfind(id: number, start: number, end: number, needle: ArrayBufferView | ArrayBuffer): number;
  findByte(id: number, start: number, end: number, byte: number): number;
  /** The zero-copy view's buffer; `exported`: it is being handed to user code (which may
   *  transfer it to another thread, so teardown must not free it without knowing). */
  view(id: number, exported?: boolean): ArrayBuffer;
  /** pool[poolOffset:+n] = mapping[start:+n]; `pool` is the caller's slab (nothing is kept). */
  copyToPool(id: number, start: number, n: number, poolOffset: number, pool: ArrayBuffer): void;
  /** The line at pos copied to pool[poolOffset:] if it fits in room: its length, else -length. */
  readlineToPool(id: number, pos: number, poolOffset: number, room: number, pool: ArrayBuffer): number;
  /** The context's control block (Float64Array(8)) for readlineC and copyC: the hot paths
   *  write their integers here instead of passing them (each argument costs a few ns). */
  control(): Float64Array;
  /** control = [id, pos, poolOffset, room]: as readlineToPool, result in control[3]. */
  readlineC(pool: ArrayBuffer): void;
  /** control = [id, start, n, poolOffset]: as copyToPool. */
  copyC(pool: ArrayBuffer): void;
  /** The address of the memory of `bytes` if it lies in the C heap's brk area, else 0. */
  brkAddress(bytes: ArrayBuffer | ArrayBufferView): number;
  faultCounter(): Uint32Array;
  repair(id: number): number;
  /** POSIX: mmap(fd) MAP_FIXED over [offset, offset+length) of `target` (page aligned). */
  mapFixed(target: ArrayBuffer, targetOffset: number, length: number, fd: number, prot: number, flags: number, fileOffset: number): void;
  /** POSIX: put zeroed private pages back over [offset, offset+length) of `target`. */
  unmapFixed(target: ArrayBuffer, targetOffset: number, length: number): void;
  /** The fd a mapping keeps (its dup), or -1. */
  fdOf(id: number): number;
  /** At process/worker exit: record which views are still in place (teardown cannot tell). */
  markExit(): void;
}

/** Thrown for native failures that are not Python errors (views that cannot be made). */
export class NativeViewError extends BufferError {}

/**
 * The one error-mapping function: native tag or errno -> Python exception.
 * Tags: closed, readonly, exported, fault (a page fault inside a guarded access: the file was
 * truncated under the map), noview/viewtoolarge/noexternal/transferred (views), nomemory (a
 * result the runtime cannot allocate), range (a bug).
 */
export function makeError(tag: string | null, errno: number, code: string, strerror: string, winerror: number | null): Error {
  if (winerror !== null && (tag === null || tag === 'fault')) {
    // A Win32 error (tag 'fault': a page fault in a guarded access). CPython's
    // PyErr_SetFromWindowsErr: OSError(errno, strerror, None, winerror) with errno from
    // winerror_to_errno (PC/errmap.h; MSVC errno values), the subclass chosen by that errno,
    // str "[WinError N] <FormatMessage text>", args (errno, strerror).
    let w = winerror;
    if (w >>> 16 === 0x8007) w &= 0xFFFF;  // FACILITY_WIN32 HRESULT
    let errName: string | undefined;
    let errNum = 22;  // EINVAL: ERROR_INVALID_FUNCTION, _ACCESS, _DATA, _PARAMETER, ... and the rest
    if (w >= 10000 && w < 12000) {
      // Winsock codes are errno values (the classic ones offset by 10000).
      const classic: Record<number, string> = { 10004: 'EINTR', 10009: 'EBADF', 10013: 'EACCES', 10014: 'EFAULT', 10022: 'EINVAL', 10024: 'EMFILE' };
      errName = classic[w];
      errNum = errName ? w - 10000 : w;
    } else {
      const table: Array<[string, number, number[]]> = [
        ['ENOENT', 2, [2, 3, 15, 18, 53, 67, 161, 206]],
        ['E2BIG', 7, [10]],
        ['ENOEXEC', 8, [11, 188, 189, 190, 191, 192, 193, 194, 195, 196, 197, 198, 199, 200, 201, 202]],
        ['EBADF', 9, [6, 114, 130]],
        ['ECHILD', 10, [128, 129]],
        ['EAGAIN', 11, [89, 164, 215]],
        ['ENOMEM', 12, [7, 8, 9, 1816]],
        ['EACCES', 13, [5, 16, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36,
          65, 82, 83, 108, 132, 158, 167]],
        ['EEXIST', 17, [80, 183]],
        ['EXDEV', 18, [17]],
        ['ENOTDIR', 20, [267]],
        ['EMFILE', 24, [4]],
        ['ENOSPC', 28, [112]],
        ['EPIPE', 32, [109, 232]],
        ['ENOTEMPTY', 41, [145]],
        ['EILSEQ', 42, [1113]],
      ];
      errName = 'EINVAL';
      for (const [name, num, codes] of table) {
        if (codes.includes(w)) {
          errName = name;
          errNum = num;
          break;
        }
      }
    }
    const e = OSError.fromErrno(errNum, strerror, errName);
    const errnoText = e.message;
    e.winerror = winerror;
    e.message = `[WinError ${winerror}] ${strerror}`;
    if (typeof e.stack === 'string') e.stack = e.stack.replace(errnoText, e.message);
    return e;
  }
  switch (tag) {
    case null: {
      const e = OSError.fromErrno(errno, strerror, code || undefined);
      if (winerror !== null) e.winerror = winerror;
      return e;
    }
    case 'fault':
      return OSError.fromErrno(errno, strerror, code || undefined);
    case 'closed':
      return new ValueError(MSG.closed);
    case 'readonly':
      return new PyTypeError(MSG.readonly);
    case 'exported':
      return new BufferError(MSG.resizeExported);
    case 'nomemory':
      return new MemoryError();
    case 'noview':
      return new NativeViewError(MSG.viewUnavailable('not supported for this mapping'));
    case 'viewtoolarge':
      return new NativeViewError(MSG.viewUnavailable('this runtime cannot make an ArrayBuffer over 4 GiB: Node 20 and Bun cannot, Node 22+ and Deno can'));
    case 'noexternal':
      return new NativeViewError(MSG.viewUnavailable('this runtime forbids external ArrayBuffers'));
    case 'transferred':
      return new NativeViewError(MSG.viewUnavailable('its ArrayBuffer was transferred away'));
    default:
      return new SystemError(MSG.nativeError(String(tag)));
  }
}

function load(): NativeAddon {
  // shim/lib/native.js -> native/ (compiled), or shim/native.ts -> native/ (ts source under jest)
  const here = __dirname;
  const root = path.basename(here) === 'lib' ? path.resolve(here, '..', '..') : path.resolve(here, '..');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const raw: RawAddon = require('node-gyp-build')(path.join(root, 'native'));
  // Node loads the .node file once per process, however many copies of this module there are
  // (jest registries, two installs): each copy opens its own context, so no copy can see or
  // disturb another's maps, ids or errors. The object gets its ~30 functions one by one and V8
  // keeps it in dictionary mode: a copy has fast properties.
  const addon: NativeAddon = { backend: raw.backend, ...raw.open(makeError) };
  // The last moment JS runs here: let the addon see which views were moved to another thread
  // (their memory must outlive this environment) and which it may free at teardown.
  process.once('exit', () => addon.markExit());
  return addon;
}

export const native: NativeAddon = load();
