/*
 * Multi-process sharing (pymmap's own tests, not part of CPython's test_mmap.py):
 * a MAP_SHARED mapping of a file written in one process is seen by another process
 * that has the same file mapped, in both directions, while both maps stay open.
 *
 * The other process is `node -e <script>` using the built package (shim/lib, made by
 * `npm run build`); it answers one JSON line per command on stdin.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import * as child_process from 'child_process';
import * as readline from 'readline';
import {
  testFile, loadDefaultModule, TestCase, testcase, makeTESTFN, unlink, open, with_, addCleanup,
  needs, assertEqual, slice, b, rep, REPO_ROOT, fs, path,
} from './support';

testFile(__filename);
const mmap: any = loadDefaultModule();
const PAGESIZE: number = mmap.PAGESIZE;
const TESTFN = makeTESTFN(__filename);

const LIB = path.join(REPO_ROOT, 'shim', 'lib', 'index.js');
const BUILTINS_LIB = path.join(REPO_ROOT, 'shim', 'lib', 'builtins.js');

const CHILD = `
const M = require(process.env.PYMMAP_LIB);
const { slice } = require(process.env.PYMMAP_BUILTINS_LIB);
const fs = require('fs');
const readline = require('readline');
const [file, mode] = process.argv.slice(-2); // (Deno's argv[1] is its own eval file name)
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
let m;
try {
  const fd = fs.openSync(file, mode === 'read' ? 'r' : 'r+');
  const opts = mode === 'read' ? { access: M.ACCESS_READ }
    : mode === 'copy' ? { access: M.ACCESS_COPY } : {};
  m = new M.mmap(fd, 0, opts);
  fs.closeSync(fd);            // the map keeps its own descriptor
  out({ ready: true, len: Number(m.__len__()) });
} catch (e) {
  out({ error: String(e && e.stack || e) });
  process.exit(1);
}
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line);
  try {
    if (cmd.op === 'read') {
      const data = m.__getitem__(new slice(cmd.start, cmd.end));
      out({ hex: Buffer.from(data).toString('hex') });
    } else if (cmd.op === 'write') {
      const data = Buffer.from(cmd.hex, 'hex');
      m.__setitem__(new slice(cmd.start, cmd.start + data.length), data);
      out({ ok: true });
    } else if (cmd.op === 'close') {
      m.close();
      out({ ok: true, closed: m.closed });
      process.exit(0);
    } else {
      out({ error: 'unknown op ' + cmd.op });
    }
  } catch (e) {
    out({ error: String(e && e.stack || e) });
  }
});
`;

class Child {
  private proc: child_process.ChildProcess;
  private lines: string[] = [];
  private waiters: Array<(line: string) => void> = [];
  private stderr = '';
  private exited: string | null = null;

  constructor(file: string, mode: 'write' | 'read' | 'copy') {
    this.proc = child_process.spawn(process.execPath, ['-e', CHILD, file, mode], {
      env: { ...process.env, PYMMAP_LIB: LIB, PYMMAP_BUILTINS_LIB: BUILTINS_LIB },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    readline.createInterface({ input: this.proc.stdout! }).on('line', (line) => {
      const w = this.waiters.shift();
      if (w) w(line); else this.lines.push(line);
    });
    this.proc.stderr!.on('data', (d) => { this.stderr += d; });
    this.proc.on('exit', (code, sig) => {
      this.exited = `child exited (code ${code}, signal ${sig})${this.stderr ? ': ' + this.stderr.split('\n')[0] : ''}`;
      for (const w of this.waiters.splice(0)) w(JSON.stringify({ error: this.exited }));
    });
  }

  private next(timeoutMs = 15000): Promise<any> {
    return new Promise((resolve, reject) => {
      const take = (line: string) => {
        clearTimeout(timer);
        const msg = JSON.parse(line);
        if (msg.error) reject(new Error(`child: ${msg.error}`)); else resolve(msg);
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(take);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`child did not answer within ${timeoutMs} ms${this.stderr ? ': ' + this.stderr : ''}`));
      }, timeoutMs);
      const line = this.lines.shift();
      if (line !== undefined) take(line);
      else if (this.exited) take(JSON.stringify({ error: this.exited }));
      else this.waiters.push(take);
    });
  }

  ready(): Promise<any> { return this.next(); }

  async request(cmd: object): Promise<any> {
    this.proc.stdin!.write(JSON.stringify(cmd) + '\n');
    return this.next();
  }

  async read(start: number, end: number): Promise<Buffer> {
    return Buffer.from((await this.request({ op: 'read', start, end })).hex, 'hex');
  }

  async write(start: number, data: Buffer): Promise<void> {
    await this.request({ op: 'write', start, hex: data.toString('hex') });
  }

  async close(): Promise<any> { return this.request({ op: 'close' }); }

  kill(): void { if (this.exited === null) this.proc.kill('SIGKILL'); }
}

/** The child process runs the built package: without it these tests skip (fail with CI=true). */
const builtPackage = needs(fs.existsSync(LIB) && fs.existsSync(BUILTINS_LIB), 'shim/lib is not built (run `npm run build`)');

function makeFile(size: number, fill = b('\0')): void {
  with_(open(TESTFN, 'wb'), (f) => { f.write(rep(fill, size)); });
}

function startChild(mode: 'write' | 'read' | 'copy'): Child {
  const c = new Child(TESTFN, mode);
  addCleanup(() => c.kill());
  return c;
}

TestCase('SharingTests', {
  setUp() { unlink(TESTFN); },
  // Cleanups (closing the maps) run after tearDown; Windows refuses to delete a mapped file.
  tearDown() { try { unlink(TESTFN); } catch { /* still mapped (Windows): left to the temp dir */ } },
}, () => {

  testcase('test_shared_file_map_both_directions', builtPackage, async () => {
    const size = 2 * PAGESIZE;
    makeFile(size);
    const m = with_(open(TESTFN, 'r+b'), (f) => new mmap.mmap(f.fileno(), size));
    addCleanup(() => m.close());

    const child = startChild('write');
    const hello = await child.ready();
    assertEqual(hello.len, size);

    // child -> parent, straddling the page boundary
    const fromChild = b('written by the child process');
    const at = PAGESIZE - 10;
    await child.write(at, fromChild);
    assertEqual(m.__getitem__(new slice(at, at + fromChild.length)), fromChild);

    // parent -> child
    const fromParent = b('written by the parent process');
    m.__setitem__(new slice(100, 100 + fromParent.length), fromParent);
    assertEqual(await child.read(100, 100 + fromParent.length), fromParent);

    // several rounds on the same bytes, alternating writers
    const r0 = PAGESIZE + 512;
    for (let round = 0; round < 8; round++) {
      const p = Buffer.from(`parent ${round}`);
      m.__setitem__(new slice(r0, r0 + p.length), p);
      assertEqual(await child.read(r0, r0 + p.length), p);
      const c = Buffer.from(`child! ${round}`);
      await child.write(r0, c);
      assertEqual(m.__getitem__(new slice(r0, r0 + c.length)), c);
    }

    // Both wrote through MAP_SHARED: the file has all of it.
    m.flush();
    const onDisk = with_(open(TESTFN, 'rb'), (f) => f.read());
    assertEqual(onDisk.subarray(at, at + fromChild.length), fromChild);
    assertEqual(onDisk.subarray(100, 100 + fromParent.length), fromParent);

    const bye = await child.close();
    assertEqual(bye.closed, true);
  });

  testcase('test_read_only_child_sees_parent_writes', builtPackage, async () => {
    const size = PAGESIZE;
    makeFile(size, b('.'));
    const m = with_(open(TESTFN, 'r+b'), (f) => new mmap.mmap(f.fileno(), 0));
    addCleanup(() => m.close());

    const child = startChild('read');
    await child.ready();
    assertEqual(await child.read(0, 4), b('....'));
    m.__setitem__(new slice(0, 4), b('abcd'));
    assertEqual(await child.read(0, 4), b('abcd'));
    m.__setitem__(new slice(size - 4, size), b('wxyz'));
    assertEqual(await child.read(size - 4, size), b('wxyz'));
    await child.close();
  });

  testcase('test_copy_on_write_child_stays_private', builtPackage, async () => {
    const size = PAGESIZE;
    makeFile(size, b('.'));
    const m = with_(open(TESTFN, 'r+b'), (f) => new mmap.mmap(f.fileno(), 0));
    addCleanup(() => m.close());

    const child = startChild('copy');
    await child.ready();
    await child.write(0, b('PRIVATE'));
    assertEqual(await child.read(0, 7), b('PRIVATE'));
    // Neither the parent's shared map nor the file sees the child's private copy.
    assertEqual(m.__getitem__(new slice(0, 7)), b('.......'));
    const onDisk = with_(open(TESTFN, 'rb'), (f) => f.read(7));
    assertEqual(onDisk, b('.......'));
    await child.close();
  });
});
