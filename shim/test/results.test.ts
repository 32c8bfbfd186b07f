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
