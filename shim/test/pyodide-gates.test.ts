// Gate differences of 3.14 and 3.15 found by the differential against CPython 3.14.2 and
// 3.15.0rc1 as Pyodide 314 and 315 compile them (conformance/differential, version
// pyodide-3.14 / pyodide-3.15; regressions/pyodide.json holds the same cases there). The
// expected outcomes are what those interpreters gave; 3.13 (checked against the real
// interpreter by the differential) keeps its own.
import { moduleFor } from '../versions';

const H = 2n ** 63n;
type Outcome = 'ok' | [string, string];
function outcome(f: () => unknown): Outcome {
  try {
    f();
    return 'ok';
  } catch (e: any) {
    return [String(e.name), String(e.message)];
  }
}
const closedMap = (v: string) => {
  const M = moduleFor(v as any);
  const m: any = new M.mmap(-1, 16);
  m.close();
  return m;
};
const CLOSED: [string, string, string] = ['ValueError', 'mmap closed or invalid', ''];
const closed: Outcome = [CLOSED[0], CLOSED[1]];
const ssizeOverflow: Outcome = ['OverflowError', 'Python int too large to convert to C ssize_t'];

describe('3.14/3.15: a closed map converts its None-accepting arguments after the validity check', () => {
  for (const v of ['3.14', '3.15']) {
    it(`${v}: find/rfind start, madvise length (objects the body converts) see the closed map first`, () => {
      const m = closedMap(v);
      expect(outcome(() => m.find(Buffer.from('a'), H))).toEqual(closed);
      expect(outcome(() => m.rfind(Buffer.from('a'), H))).toEqual(closed);
      expect(outcome(() => m.madvise(0, 0, H))).toEqual(closed);
      // clinic-converted parameters still overflow first
      expect(outcome(() => m.madvise(H))).toEqual(['OverflowError', 'Python int too large to convert to C int']);
      expect(outcome(() => m.seek(H))).toEqual(ssizeOverflow);
      expect(outcome(() => m.move(H, 0, 0))).toEqual(ssizeOverflow);
    });
  }
  it('3.14: flush(0, huge) is the closed map, flush(huge) the overflow; 3.15 converts both first', () => {
    expect(outcome(() => closedMap('3.14').flush(0, H))).toEqual(closed);
    expect(outcome(() => closedMap('3.14').flush(H))).toEqual(ssizeOverflow);
    expect(outcome(() => closedMap('3.15').flush(0, H))).toEqual(ssizeOverflow);
    expect(outcome(() => closedMap('3.15').flush({ offset: 0 }))).toEqual(['TypeError', "flush() got an unexpected keyword argument 'offset'"]);
  });
  it('3.13 checks the map first for every method', () => {
    const m = closedMap('3.13');
    expect(outcome(() => m.find(Buffer.from('a'), H))).toEqual(closed);
    expect(outcome(() => m.seek(H))).toEqual(closed);
  });
});

describe('3.14/3.15: move, write and write_byte of a closed read-only map say it is closed', () => {
  for (const [v, want] of [['3.13', closed], ['3.14', closed], ['3.15', closed]] as const) {
    it(v, () => {
      const M = moduleFor(v);
      const m: any = new M.mmap(-1, 16, { prot: M.PROT_READ });
      m.close();
      expect(outcome(() => m.move(1, 0, 1))).toEqual(want);
      expect(outcome(() => m.write(Buffer.from('x')))).toEqual(want);
      expect(outcome(() => m.write_byte(1))).toEqual(want);
    });
  }
  it('an open read-only map is still a TypeError', () => {
    const M = moduleFor('3.14');
    const m: any = new M.mmap(-1, 16, { prot: M.PROT_READ });
    expect(outcome(() => m.move(1, 0, 1))).toEqual(['TypeError', "mmap can't modify a readonly memory map."]);
    m.close();
  });
});

describe("3.15: flush(offset=0, size=-1, /, *, flags) and the slice-index message", () => {
  it('size -1 is to the end, None is refused, positional-only names are unexpected keywords', () => {
    const M = moduleFor('3.15');
    const m: any = new M.mmap(-1, 16);
    expect(outcome(() => m.flush(0, -1))).toBe('ok');
    expect(outcome(() => m.flush(0, -2))).toEqual(['ValueError', 'flush values out of range']);
    expect(outcome(() => m.flush(0, null))).toEqual(['TypeError', "'NoneType' object cannot be interpreted as an integer"]);
    expect(outcome(() => m.flush({ size: 0 }))).toEqual(['TypeError', "flush() got an unexpected keyword argument 'size'"]);
    expect(outcome(() => m.flush(0, 1, 2))).toEqual(['TypeError', 'flush() takes at most 2 positional arguments (3 given)']);
    expect(outcome(() => m.flush({ flags: M.MS_SYNC }))).toBe('ok');
    expect(outcome(() => m.__getitem__(new M.slice('a', null)))).toEqual(['TypeError', 'slice indices must be integers or have an __index__ method']);
    m.close();
  });
  it('3.14 keeps flush(offset, None) and the older message', () => {
    const M = moduleFor('3.14');
    const m: any = new M.mmap(-1, 16);
    expect(outcome(() => m.flush(0, null))).toBe('ok');
    expect(outcome(() => m.flush(0, -1))).toEqual(['ValueError', 'flush values out of range']);
    expect(outcome(() => m.__getitem__(new M.slice('a', null)))).toEqual(['TypeError', 'slice indices must be integers or None or have an __index__ method']);
    m.close();
  });
});
