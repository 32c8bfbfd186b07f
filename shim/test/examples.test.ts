// Seed examples: the Python documentation's examples, MAP_SHARED between two processes (Node has
// no fork: the "anonymous map shared with a child" example becomes a file mapping shared with a
// child node process running the compiled shim), two maps of one file, ACCESS_COPY isolation.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import M = require('../index');
import { slice } from '../builtins';
import { Scratch } from './helpers';

const PS = M.PAGESIZE;
const b = (x: string) => Buffer.from(x, 'latin1');
const LIB = path.resolve(__dirname, '..', 'lib', 'index.js');

let s: Scratch;
beforeAll(() => { s = new Scratch('examples'); });
afterAll(() => s.cleanup());

test('the docs example: read and modify hello.txt', () => {
  const p = s.file('hello.txt', b('Hello Python!\n'));
  const fd = fs.openSync(p, 'r+');
  try {
    const mm = new M.mmap(fd, 0); // size 0 means the whole file
    expect(mm.readline()).toEqual(b('Hello Python!\n'));
    expect(mm.__getitem__(new slice(null, 5))).toEqual(b('Hello'));
    mm.__setitem__(new slice(6, null), b(' world!\n')); // the new content must have the same size
    mm.seek(0);
    expect(mm.readline()).toEqual(b('Hello  world!\n'));
    mm.close();
  } finally {
    fs.closeSync(fd);
  }
  expect(fs.readFileSync(p, 'latin1')).toBe('Hello  world!\n');
});

test('the docs example: a map as a context manager', () => {
  const mm = new M.mmap(-1, 13);
  const m = mm.__enter__();
  try {
    expect(m.write(b('Hello world!'))).toBe(12);
  } finally {
    mm.__exit__(null, null, null);
  }
  expect(mm.closed).toBe(true);
});

const childSkip = fs.existsSync(LIB) ? null : `compiled shim missing (${LIB}); run npm run build:ts`;
(childSkip ? test.skip : test)(`a MAP_SHARED map shared with a child process${childSkip ? ` -- skipped: ${childSkip}` : ''}`, () => {
  const p = s.file('shared', Buffer.alloc(PS));
  const fd = fs.openSync(p, 'r+');
  const mm = new M.mmap(fd, 0);
  fs.closeSync(fd);
  try {
    mm.write(b('Hello world!\n')); // no flush: the child reads the same pages
    const child = `
      const fs = require('fs');
      const M = require(${JSON.stringify(LIB)});
      const fd = fs.openSync(process.argv[1], 'r+');
      const mm = new M.mmap(fd, 0);
      fs.closeSync(fd);
      mm.seek(0);
      const line = mm.readline().toString('latin1');
      mm.seek(100);
      mm.write(Buffer.from('Hi from the child'));
      mm.close();
      process.stdout.write(JSON.stringify({ line }));
    `;
    const r = spawnSync(process.execPath, ['-e', child, p], { encoding: 'utf8', timeout: 30000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ line: 'Hello world!\n' });
    // the child's write is visible in our map without re-reading anything
    expect(mm.__getitem__(new slice(100, 117))).toEqual(b('Hi from the child'));
    expect(mm.find(b('child'))).toBe(112);
  } finally {
    mm.close();
  }
});

test('two maps of one file in one process see each other\'s writes', () => {
  const p = s.file('two', Buffer.alloc(2 * PS));
  const fd = fs.openSync(p, 'r+');
  const a = new M.mmap(fd, 0);
  const w = new M.mmap(fd, PS, { offset: PS, access: M.ACCESS_WRITE });
  fs.closeSync(fd);
  try {
    a.__setitem__(PS + 1, 0x41);
    expect(w.__getitem__(1)).toBe(0x41);
    w.__setitem__(new slice(2, 5), b('xyz'));
    expect(a.__getitem__(new slice(PS + 2, PS + 5))).toEqual(b('xyz'));
    w.seek(10);
    w.write(b('written'));
    a.seek(PS + 10);
    expect(a.read(7)).toEqual(b('written'));
    // and plain file I/O sees them too (one page cache)
    expect(fs.readFileSync(p).subarray(PS + 10, PS + 17).toString()).toBe('written');
    const f2 = fs.openSync(p, 'r+');
    fs.writeSync(f2, b('via fs'), 0, 6, 0);
    fs.closeSync(f2);
    expect(a.__getitem__(new slice(0, 6))).toEqual(b('via fs'));
  } finally {
    a.close();
    w.close();
  }
});

test('ACCESS_COPY never reaches the file (nor other maps), even after flush', () => {
  const p = s.file('copy', Buffer.alloc(PS, 0x2e));
  const fd = fs.openSync(p, 'r+');
  const shared = new M.mmap(fd, 0, { access: M.ACCESS_READ });
  const c = new M.mmap(fd, 0, { access: M.ACCESS_COPY });
  fs.closeSync(fd);
  try {
    c.write(b('private'));
    c.__setitem__(PS - 1, 0x21);
    c.move(100, 0, 7);
    expect(c.__getitem__(new slice(0, 7))).toEqual(b('private'));
    expect(c.__getitem__(new slice(100, 107))).toEqual(b('private'));
    expect(c.flush() ?? null).toBeNull();
    expect(shared.__getitem__(new slice(0, 7))).toEqual(b('.......'));
    expect(shared.__getitem__(PS - 1)).toBe(0x2e);
    c.close();
    expect(fs.readFileSync(p)).toEqual(Buffer.alloc(PS, 0x2e));
  } finally {
    if (!c.closed) c.close();
    shared.close();
  }
});
