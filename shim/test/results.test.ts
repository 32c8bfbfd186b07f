// Results are Buffers in every observable way, including the small ones carved out of the
// shim's slab (SlabBuffer in mmap.ts) and the views derived from them.
import { inspect } from 'util';
import * as M from '../index';
import { slice } from '../builtins';

describe('bytes results are Buffers', () => {
  const m = new M.mmap(-1, 64);
  m.write(Buffer.from('hello\nworld\n'));
  afterAll(() => m.close());

  const results: Array<[string, () => Buffer]> = [
    ['readline()', () => { m.seek(0); return m.readline(); }],
    ['read(n)', () => { m.seek(0); return m.read(5); }],
    ['m[a:b]', () => m.__getitem__(new slice(0, 5)) as Buffer],
    ['m[::2]', () => m.__getitem__(new slice(0, 10, 2)) as Buffer],
  ];
  test.each(results)('%s', (_name, get) => {
    const b = get();
    expect(Buffer.isBuffer(b)).toBe(true);
    expect(b.constructor).toBe(Buffer);
    expect(inspect(b)).toMatch(/^<Buffer /);
    expect(b.subarray(1).constructor).toBe(Buffer);
    expect(b.toString('latin1').length).toBe(b.length);
    expect(Buffer.concat([b, b]).length).toBe(2 * b.length);
  });

  test('a result does not change when the map changes', () => {
    m.seek(0);
    const line = m.readline();
    m.__setitem__(0, 0x48);
    expect(line.toString()).toBe('hello\n');
    m.__setitem__(0, 0x68);
  });
});

// The shim keeps the highest result memory of the C heap alive while a loop runs (mapping.ts,
// pinIfTop), so that blocks freed below it are reused instead of trimmed and faulted in again;
// the pin ends with the job, and nothing of the caller's stays alive after it.
describe('result memory kept at the top of the heap', () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const v8 = require('v8');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const vm = require('vm');
  const bun = (globalThis as any).Bun;
  const gc: () => void = bun ? () => bun.gc(true) : (v8.setFlagsFromString('--expose-gc'), vm.runInNewContext('gc'));
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { native } = require('../native');
  const turn = () => new Promise((r) => setImmediate(r));

  test('brkAddress: heap blocks only', () => {
    expect(native.brkAddress(new ArrayBuffer(0))).toBe(0);
    const big = Buffer.allocUnsafe(64 * 1024 * 1024); // above any malloc mmap threshold
    expect(native.brkAddress(big)).toBe(0);
    expect(() => native.brkAddress(42)).toThrow(/bytes-like/);
    if (process.platform === 'linux' && !bun && (process as any).report?.getReport().header.glibcVersionRuntime) {
      // glibc serves 64 KiB from its brk heap (below the mmap threshold)
      const small = Buffer.allocUnsafe(64 * 1024);
      expect(native.brkAddress(small)).toBeGreaterThan(0);
      expect(native.brkAddress(small.subarray(8))).toBe(native.brkAddress(small) + 8);
    }
  });

  test('a large result is not kept alive once the job that made it has ended', async () => {
    const m = new M.mmap(-1, 1 << 20);
    try {
      const refs: WeakRef<Buffer>[] = [];
      for (let i = 0; i < 8; i++) {
        m.seek(0);
        refs.push(new WeakRef(m.read(64 * 1024)));
      }
      refs.push(new WeakRef(m.__getitem__(new slice(0, 100 * 1024)) as Buffer));
      for (let i = 0; i < 4 && refs.some((r) => r.deref() !== undefined); i++) {
        await turn();
        gc();
      }
      expect(refs.filter((r) => r.deref() !== undefined).length).toBe(0);
    } finally {
      m.close();
    }
  });
});
