/*
 * Faults under zero-copy views on Windows, through the shim (pymmap's own tests, run by
 * conformance/windows/harness.js in the Windows node.exe under wine; not a jest file).
 *
 * What wine can provoke: a file truncated from the Linux side (a Linux process started with
 * `start.exe /unix /usr/bin/truncate`, which wine does not see, so it cannot refuse it as
 * Windows refuses to shorten a mapped file). The wine process then gets SIGBUS on the lost
 * pages, which wine 8 raises as an access violation; the vectored handler of guard_win.cc takes
 * it as a page that cannot be read (Windows itself raises EXCEPTION_IN_PAGE_ERROR there:
 * native/windows/guard_test.cc raises that one directly). Expected as on POSIX: the process
 * lives, the JS access through the view raises OSError(EFAULT), the next access reads the file
 * again (and faults again while it is short), and once the file is whole again the map reads it.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-require-imports */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';

const M: any = require('../../shim');
const B: any = require('../../shim/builtins');

const PS: number = M.PAGESIZE;
const EFAULT = 14;
const TRUNCATE = 'Z:\\usr\\bin\\truncate';
const underWine = process.platform === 'win32' && fs.existsSync(TRUNCATE) && fs.existsSync('Z:\\tmp');

function pattern(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = 1 + ((i * 7 + Math.floor(i / 4096)) % 251);
  return b;
}

let dir = '';
function testFile(name: string, data: Buffer): string {
  if (!dir) dir = fs.mkdtempSync('Z:\\tmp\\pymmap-views-');
  const f = path.join(dir, name);
  fs.writeFileSync(f, data);
  return f;
}

/** Shortens the file from the Linux side (wine would refuse: the file is mapped). start.exe
 *  does not always wait for a Unix program: the size is polled (up to 10 s). */
function truncateFromLinux(file: string, size: number): void {
  const unix = file.replace(/^[zZ]:/, '').replace(/\\/g, '/');
  const r = spawnSync('start.exe', ['/wait', '/unix', '/usr/bin/truncate', '-s', String(size), unix], { stdio: 'ignore' });
  const nap = new Int32Array(new SharedArrayBuffer(4));
  let now = fs.statSync(file).size;
  for (let i = 0; i < 1000 && now !== size; i++) {
    Atomics.wait(nap, 0, 0, 10);
    now = fs.statSync(file).size;
  }
  if (r.status !== 0 || now !== size) throw new Error(`truncate from Linux failed (status ${r.status}, size ${now})`);
}

/** Writes the whole file again (extending a mapped file is allowed). */
function restore(file: string, data: Buffer): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, data, 0, data.length, 0);
  } finally {
    fs.closeSync(fd);
  }
}

/** The error f() throws (an Error naming `what` if it throws none). */
function thrown(what: string, f: () => unknown): any {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error(`${what}: no error`);
}

function expectFault(what: string, f: () => unknown): void {
  const err = thrown(what, f);
  if (!(err instanceof B.OSError) || err.errno !== EFAULT) {
    throw new Error(`${what}: expected OSError(EFAULT), got ${err && err.name}: ${err && err.message} (errno ${err && err.errno})`);
  }
}

/** A fault inside a guarded native routine: OSError carrying the Win32 error of the exception
 *  (wine raises an access violation for a lost page: ERROR_NOACCESS; Windows an in-page error). */
function expectNativeFault(what: string, f: () => unknown): void {
  const err = thrown(what, f);
  if (!(err instanceof B.OSError) || typeof err.winerror !== 'number' || err.winerror === 0) {
    throw new Error(`${what}: expected OSError with a winerror, got ${err && err.name}: ${err && err.message} (winerror ${err && err.winerror})`);
  }
}

function expectEqual(what: string, got: unknown, want: unknown): void {
  if (got !== want) throw new Error(`${what}: got ${String(got)}, expected ${String(want)}`);
}

const maybe = underWine ? it : it.skip;

function lostPageCase(access: number, label: string): void {
  maybe(`${label}: a JS read of a page cut off the file raises OSError(EFAULT), the process lives, the map reads the file again`, () => {
    const data = pattern(4 * PS);
    const file = testFile(`lost-${access}.bin`, data);
    const fd = fs.openSync(file, access === M.ACCESS_READ ? 'r' : 'r+');
    const m = new M.mmap(fd, 4 * PS, null, access);
    try {
      const lost = 2 * PS + 3;
      expectEqual('first byte through the view', m.__getitem__(3), data[3]);
      if (access === M.ACCESS_COPY) m.__setitem__(10, 0x5a); // a private copy of page 0
      truncateFromLinux(file, PS);
      expectFault('read of a lost page', () => m.__getitem__(lost));
      expectFault('the same page again (repaired: the file is read again, still short)', () => m.__getitem__(lost));
      expectFault('another lost page', () => m.__getitem__(lost + PS));
      if (access !== M.ACCESS_READ) expectFault('a store to a lost page', () => m.__setitem__(lost, 0x55));
      expectEqual('page 0 after the repairs', m.__getitem__(3), data[3]);
      if (access === M.ACCESS_COPY) expectEqual('the copy-on-write byte written before the fault', m.__getitem__(10), 0x5a);
      restore(file, data);
      expectEqual('the lost byte once the file is whole again', m.__getitem__(lost), data[lost]);
      expectEqual('the last byte', m.__getitem__(4 * PS - 1), data[4 * PS - 1]);
    } finally {
      m.close();
      fs.closeSync(fd);
    }
  });
}

describe('views: faults under JS views on Windows (wine)', () => {
  lostPageCase(M.ACCESS_WRITE, 'ACCESS_WRITE (view over the map)');
  lostPageCase(M.ACCESS_READ, 'ACCESS_READ (view over its copy-on-write shadow)');
  lostPageCase(M.ACCESS_COPY, 'ACCESS_COPY (copy-on-write view, a written page kept)');

  maybe('a scan through the view over 64 pages, 63 of them cut off, raises OSError(EFAULT); read() across them raises the native guard\'s OSError; after the file is whole again it reads it all', () => {
    const size = 64 * PS;
    const data = pattern(size);
    const file = testFile('many.bin', data);
    const fd = fs.openSync(file, 'r+');
    const m = new M.mmap(fd, size);
    try {
      expectEqual('a byte through the view', m.__getitem__(5), data[5]);
      truncateFromLinux(file, PS);
      // 255 is not in the pattern: the scan reads every page, the lost ones as zeros (swapped in)
      expectFault('a byte search across the lost pages (JS indexOf over the view)', () => m.__contains__(Buffer.from([255])));
      // large copies take the native guarded copy (streamed into the result), which raises
      // OSError with the Win32 error of the fault, as CPython on Windows does
      m.seek(0);
      expectNativeFault('read() across the lost pages', () => m.read());
      restore(file, data);
      m.seek(0);
      const all: Buffer = m.read();
      expectEqual('read() once the file is whole again', Buffer.compare(all, data), 0);
    } finally {
      m.close();
      fs.closeSync(fd);
    }
  });

  maybe('twenty faults in a row on one map; a healthy map beside it reads its file throughout', () => {
    const data = pattern(4 * PS);
    const f1 = testFile('a.bin', data);
    const f2 = testFile('b.bin', data);
    const fd1 = fs.openSync(f1, 'r+');
    const fd2 = fs.openSync(f2, 'r+');
    const m1 = new M.mmap(fd1, 4 * PS);
    const m2 = new M.mmap(fd2, 4 * PS);
    try {
      expectEqual('m1 view', m1.__getitem__(1), data[1]);
      expectEqual('m2 view', m2.__getitem__(1), data[1]);
      truncateFromLinux(f1, PS);
      for (let i = 0; i < 20; i++) expectFault(`fault ${i}`, () => m1.__getitem__(3 * PS + i));
      for (let i = 0; i < 4 * PS; i += 1021) expectEqual(`m2[${i}]`, m2.__getitem__(i), data[i]);
    } finally {
      m1.close();
      m2.close();
      fs.closeSync(fd1);
      fs.closeSync(fd2);
    }
  });

  maybe('cleanup', () => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
});
