// Issue 10, class 1: several copies of the shim in one process, over the one native addon that
// Node loads once. Jest gives this file its own module registry, and jest.isolateModules gives
// more: each copy must keep its own results, ids and exception classes, and a copy that is
// collected must not take anything of the others with it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import * as vm from 'vm';
import * as AM from '../index';
import * as AB from '../builtins';

// The module and its exception classes (pymmap/builtins) as one copy sees them.
type Mod = typeof AM & typeof AB;
const A: Mod = { ...AB, ...AM } as Mod;
// (Bun has no --expose-gc: under `bun test` it collects with Bun.gc(true))
const bun = (globalThis as any).Bun;
const gc: () => void = bun ? () => bun.gc(true) : (v8.setFlagsFromString('--expose-gc'), vm.runInNewContext('gc'));

// These tests are about jest's module registries (jest.isolateModules): under `bun test` they
// are skipped with that reason.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { testOn } = require('../../conformance/lib/skips');
const registryTest = (name: string, fn: () => unknown) =>
  testOn(bun ? 'jest.isolateModules (jest\'s module registries) has no equivalent under bun test' : null, name, fn);

function load(): Mod {
  let m: Mod | undefined;
  jest.isolateModules(() => { m = { ...require('../builtins'), ...require('../index') }; });
  return m!;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-reg-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
let nfile = 0;
function file(fill: (i: number) => number, size = 64 * 1024): { name: string; data: Buffer; fd: number } {
  const name = path.join(dir, `f${nfile++}.bin`);
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = fill(i);
  fs.writeFileSync(name, data);
  return { name, data, fd: fs.openSync(name, 'r+') };
}

registryTest('two registries give two copies of the module over one addon', () => {
  const B = load();
  expect(B.mmap).not.toBe(A.mmap);
  expect(B.ValueError).not.toBe(A.ValueError);
});

registryTest('interleaved small results of two copies stay intact (each copy has its own slab)', () => {
  const B = load();
  const fa = file((i) => 0x41 + (i % 26));
  const fb = file((i) => 0x61 + ((i * 7) % 26));
  const ma = new A.mmap(fa.fd, 0);
  const mb = new B.mmap(fb.fd, 0);
  const ra: Buffer[] = [];
  const rb: Buffer[] = [];
  for (let i = 0; i < 2000; i++) {
    ra.push(ma.read(17));
    rb.push(mb.read(23));
    if (i % 100 === 0) { ma.readline(); mb.readline(); }
  }
  ma.seek(0);
  mb.seek(0);
  let pa = 0;
  let pb = 0;
  for (let i = 0; i < 2000; i++) {
    if (i % 100 === 0) {
      const la = fa.data.indexOf(10, pa); // no newlines: readline takes the rest, then reads give b''
      pa = la < 0 ? fa.data.length : la + 1;
      const lb = fb.data.indexOf(10, pb);
      pb = lb < 0 ? fb.data.length : lb + 1;
    }
  }
  // recompute expectations exactly as the reads went
  pa = 0; pb = 0;
  for (let i = 0; i < 2000; i++) {
    const ea = fa.data.subarray(pa, Math.min(pa + 17, fa.data.length));
    pa += ea.length;
    const eb = fb.data.subarray(pb, Math.min(pb + 23, fb.data.length));
    pb += eb.length;
    expect(ra[i].equals(ea)).toBe(true);
    expect(rb[i].equals(eb)).toBe(true);
    if (i % 100 === 0) { pa = fa.data.length; pb = fb.data.length; }
  }
  ma.close();
  mb.close();
});

registryTest('each copy raises its own exception classes; a map of one copy is not an argument of the other', () => {
  const B = load();
  const ma = new A.mmap(-1, 16);
  const mb = new B.mmap(-1, 16);
  ma.close();
  let err: unknown;
  try { ma.read(); } catch (e) { err = e; }
  expect(err).toBeInstanceOf(A.ValueError);
  expect(err).not.toBeInstanceOf(B.ValueError);
  // errors made by the addon come from the calling copy's factory (EBADF from mmap())
  for (const [M, other] of [[A, B], [B, A]] as const) {
    let e: unknown;
    try { new M.mmap(1 << 20, 16); } catch (x) { e = x; }
    expect(e).toBeInstanceOf(M.OSError);
    expect(e).not.toBeInstanceOf(other.OSError);
    expect((e as any).errno).toBe(9);
  }
  // B's map is no bytes-like object for A (as a foreign type is not for CPython)
  const mc = new A.mmap(-1, 16);
  expect(() => mc.find(mb as any)).toThrow(A.TypeError);
  mb.close();
  mc.close();
});

registryTest('a copy that is collected, maps and all, leaves the others and their files alone', async () => {
  const B = load();
  const fc = file((i) => (i * 13) & 0xff);
  (() => {
    const C = load();
    const mc = new C.mmap(fc.fd, 0);
    for (let i = 0; i < 500; i++) mc.read(31);
    mc.__getitem__(3); // a view
    // dropped without close: the copy, its slab and its map become garbage
  })();
  for (let i = 0; i < 6; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  // the others go on: results intact, writes land in their own files only
  const fa = file(() => 0);
  const fb = file(() => 0);
  const ma = new A.mmap(fa.fd, 0);
  const mb = new B.mmap(fb.fd, 0);
  const kept: Buffer[] = [];
  for (let i = 0; i < 3000; i++) {
    ma.write(Buffer.from([i & 0xff]));
    mb.write(Buffer.from([(i * 3) & 0xff]));
    if (i % 10 === 0) kept.push(Buffer.from(ma.__getitem__(new A.slice(0, 8)) as Buffer));
  }
  ma.flush();
  mb.flush();
  const da = fs.readFileSync(fa.name);
  const db = fs.readFileSync(fb.name);
  for (let i = 0; i < 3000; i++) {
    expect(da[i]).toBe(i & 0xff);
    expect(db[i]).toBe((i * 3) & 0xff);
  }
  expect(fs.readFileSync(fc.name).equals(fc.data)).toBe(true);
  expect(kept[kept.length - 1].equals(Buffer.from([0, 1, 2, 3, 4, 5, 6, 7]))).toBe(true);
  ma.close();
  mb.close();
});

registryTest('five copies read one file at once and each sees the file', () => {
  const f = file((i) => (i * 5 + 1) & 0xff);
  const copies = [A, load(), load(), load(), load()];
  const maps = copies.map((M) => new M.mmap(f.fd, 0, { access: M.ACCESS_READ }));
  const results: Buffer[][] = maps.map(() => []);
  for (let i = 0; i < 300; i++) maps.forEach((m, k) => results[k].push(m.read(50 + k)));
  results.forEach((rs, k) => {
    let p = 0;
    for (const r of rs) {
      expect(r.equals(f.data.subarray(p, p + 50 + k))).toBe(true);
      p += 50 + k;
    }
  });
  maps.forEach((m) => m.close());
});
