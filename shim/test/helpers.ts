// Shared helpers for the shim's unit tests (not a test file itself: jest only runs *.test.ts).
//
// Every expected value in these tests was measured on CPython (3.7.16 ... 3.13.0 installed
// under $(pyenv root)/versions) unless a comment says it comes from CPython's 3.15 sources.
import { execFileSync } from 'child_process';
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

/** The installed CPython interpreters, by minor version ("3.7" -> path), from pyenv. */
export function findPythons(): Map<string, string | null> {
  const roots: string[] = [];
  if (process.env.PYENV_ROOT) roots.push(process.env.PYENV_ROOT);
  try {
    const r = execFileSync('pyenv', ['root'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10000 }).trim();
    if (r) roots.push(r);
  } catch { /* no pyenv on PATH */ }
  roots.push(path.join(os.homedir(), '.pyenv'));
  const found = new Map<string, string | null>();
  for (const minor of ['3.7', '3.8', '3.9', '3.10', '3.11', '3.12', '3.13']) {
    let best: string | null = null;
    let bestPatch = -1;
    for (const root of roots) {
      let entries: string[] = [];
      try { entries = fs.readdirSync(path.join(root, 'versions')); } catch { continue; }
      for (const e of entries) {
        const m = new RegExp(`^${minor.replace('.', '\\.')}\\.(\\d+)$`).exec(e);
        const exe = path.join(root, 'versions', e, 'bin', 'python3');
        if (m && Number(m[1]) > bestPatch && fs.existsSync(exe)) {
          best = exe;
          bestPatch = Number(m[1]);
        }
      }
    }
    found.set(minor, best);
  }
  return found;
}

