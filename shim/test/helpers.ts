// Shared helpers for the shim's unit tests (not a test file itself: jest only runs *.test.ts).
//
// Every expected value in these tests was measured on CPython (3.7.16 ... 3.13.0 installed
// under $(pyenv root)/versions) unless a comment says it comes from CPython's 3.15 sources.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as B from '../builtins';

/** Calls fn, which must throw the Python exception `pyName` with exactly `message`
 *  (err.name, err.message and instanceof the builtins class of that name). Returns the error. */
export function raises(fn: () => unknown, pyName: string, message: string | RegExp): any {
  let err: any;
  let threw = false;
  try {
    fn();
  } catch (e) {
    threw = true;
    err = e;
  }
  if (!threw) throw new Error(`expected ${pyName}: ${String(message)} -- nothing was thrown`);
  const got = { name: err?.name, message: err?.message };
  const want = { name: pyName, message: typeof message === 'string' ? message : expect.stringMatching(message) };
  expect(got).toEqual(want);
  const cls = (B as any)[pyName];
  if (cls) expect(err instanceof cls).toBe(true);
  return err;
}

/** A scratch directory for one test file, removed by cleanup(). */
export class Scratch {
  readonly dir: string;
  private fds: number[] = [];
  constructor(tag: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `pymmap-${tag}-`));
  }
  /** Writes a file and returns its path. */
  file(name: string, content: Uint8Array | string = ''): string {
    const p = path.join(this.dir, name);
    fs.writeFileSync(p, content);
    return p;
  }
  /** Opens a path; the fd is closed by cleanup() unless closed earlier with close(). */
  open(p: string, flags: string | number = 'r+'): number {
    const fd = fs.openSync(p, flags);
    this.fds.push(fd);
    return fd;
  }
  /** Writes a file and opens it read-write. */
  fd(name: string, content: Uint8Array | string = '', flags: string | number = 'r+'): number {
    return this.open(this.file(name, content), flags);
  }
  close(fd: number): void {
    const i = this.fds.indexOf(fd);
    if (i >= 0) this.fds.splice(i, 1);
    fs.closeSync(fd);
  }
  cleanup(): void {
    for (const fd of this.fds) {
      try { fs.closeSync(fd); } catch { /* already closed */ }
    }
    this.fds = [];
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Number of open file descriptors of this process. */
export function openFdCount(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/** Lines of /proc/self/maps that map `file` (matched by inode, which survives renames). */
export function mappingsOf(file: string): string[] {
  const ino = String(fs.statSync(file).ino);
  return fs.readFileSync('/proc/self/maps', 'utf8').split('\n')
    .filter((l) => l.trim() !== '' && l.split(/\s+/)[4] === ino);
}

/** The installed CPython interpreters, by minor version ("3.7" -> path): conformance/lib/pyenv.js. */
export function findPythons(): Map<string, string | null> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pyenv = require('../../conformance/lib/pyenv');
  return new Map(pyenv.MINORS.map((minor: string) => [minor, pyenv.pythonPath(minor)?.exe ?? null]));
}

