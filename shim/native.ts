// Loads the native core and hands it the one function that turns its errors into Python
// exceptions (the addon itself knows nothing about Python).
import * as path from 'path';
import { BufferError, OSError, SystemError, TypeError as PyTypeError, ValueError } from './builtins';
import { MSG } from './messages';

export interface NativeAddon {
  backend: 'posix' | 'win32';
  init(makeError: (tag: string | null, errno: number, code: string, strerror: string, winerror: number | null) => Error): void;
  constants(): Record<string, number>;
  fstat(fd: number): [number, boolean];
  map(fd: number, length: number | bigint, flags: number, prot: number, offset: number | bigint, dupFd: boolean): number;
  close(id: number): void;
  fdSize(id: number): number;
  length(id: number): number;
  flush(id: number, offset: number, length: number, flags: number): void;
  advise(id: number, start: number, length: number, advice: number): void;
  resize(id: number, length: number): void;
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
  view(id: number): ArrayBuffer;
  faultCounter(): Uint32Array;
  repair(id: number): number;
}

/** Thrown for native failures that are not Python errors (views that cannot be made). */
export class NativeViewError extends BufferError {}

/**
 * The one error-mapping function: native tag or errno -> Python exception.
 * Tags: closed, readonly, exported, fault (a page fault inside a guarded access: the file was
 * truncated under the map), noview/viewtoolarge/noexternal/transferred (views), range (a bug).
 */
export function makeError(tag: string | null, errno: number, code: string, strerror: string, winerror: number | null): Error {
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
    case 'noview':
      return new NativeViewError(MSG.viewUnavailable('not supported for this mapping'));
    case 'viewtoolarge':
      return new NativeViewError(MSG.viewUnavailable('Node 20 cannot make an ArrayBuffer over 4 GiB; Node 22+ can'));
    case 'noexternal':
      return new NativeViewError(MSG.viewUnavailable('this runtime forbids external ArrayBuffers'));
    case 'transferred':
      return new NativeViewError(MSG.viewUnavailable('its ArrayBuffer was transferred away'));
    default:
      return new SystemError(`pymmap native error: ${tag}`);
  }
}

function load(): NativeAddon {
  // shim/lib/native.js -> native/ (compiled), or shim/native.ts -> native/ (ts source under jest)
  const here = __dirname;
  const root = path.basename(here) === 'lib' ? path.resolve(here, '..', '..') : path.resolve(here, '..');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const addon: NativeAddon = require('node-gyp-build')(path.join(root, 'native'));
  addon.init(makeError);
  return addon;
}

export const native: NativeAddon = load();
