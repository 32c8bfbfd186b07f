// find / rfind through the real module on real files, on inputs that defeat the prefilter of
// native/src/search.h (periodic needles in periodic data: every candidate matches almost the
// whole needle, so the search hands over to two-way), with needles up to 1 MiB. Expected
// indexes come from a plain KMP below (checked against Buffer.indexOf / lastIndexOf on small
// inputs: on these large ones both Buffer searches are quadratic, minutes per call).
// No timing here: speed is bench/run.js's (periodic_* rows).
import * as fs from 'fs';
import * as path from 'path';
import M = require('../../shim/index');
import { cleanupTmp, tmpDir } from './helpers';

const KiB = 1024;
const MiB = 1024 * KiB;

let dir: string;
let fileNo = 0;
const open: { m: any; fd: number }[] = [];

beforeAll(() => {
  dir = tmpDir('search');
});
afterAll(() => {
  for (const o of open) {
    if (!o.m.closed) o.m.close();
    fs.closeSync(o.fd);
  }
  cleanupTmp();
});

// ------------------------------------------------------------------ reference: KMP, O(n + m)

/** KMP failure table of nd. */
function kmpTable(nd: Uint8Array): Int32Array {
  const m = nd.length;
  const f = new Int32Array(m + 1);
  for (let i = 1, k = 0; i < m; i++) {
    while (k > 0 && nd[i] !== nd[k]) k = f[k];
    if (nd[i] === nd[k]) k++;
    f[i + 1] = k;
  }
  return f;
}

/** First occurrence of nd inside h[start, end), or -1. */
function kmpFind(h: Uint8Array, nd: Uint8Array, start: number, end: number): number {
  const m = nd.length;
  const f = kmpTable(nd);
  for (let i = start, k = 0; i < end; i++) {
    const c = h[i];
    while (k > 0 && c !== nd[k]) k = f[k];
    if (c === nd[k]) k++;
    if (k === m) return i + 1 - m;
  }
  return -1;
}

/** Last occurrence of nd inside h[start, end), or -1: KMP of the reversed needle, backward. */
function kmpRfind(h: Uint8Array, nd: Uint8Array, start: number, end: number): number {
  const m = nd.length;
  const r = new Uint8Array(nd).reverse();
  const f = kmpTable(r);
  for (let i = end - 1, k = 0; i >= start; i--) {
    const c = h[i];
    while (k > 0 && c !== r[k]) k = f[k];
    if (c === r[k]) k++;
    if (k === m) return i;
  }
  return -1;
}

test('the reference: KMP agrees with Buffer.indexOf / lastIndexOf on small inputs', () => {
  let x = 0x2545f491;
  const rnd = (k: number) => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x % k;
  };
  for (let t = 0; t < 2500; t++) {
    const n = 1 + rnd(60);
    const h = Buffer.alloc(n);
    for (let i = 0; i < n; i++) h[i] = 97 + rnd(2 + (t % 3));
    const m = 1 + rnd(8);
    const nd = Buffer.alloc(m);
    for (let i = 0; i < m; i++) nd[i] = 97 + rnd(2);
    const s = rnd(n + 1);
    const e = s + rnd(n - s + 1);
    const sub = h.subarray(s, e);
    const f = sub.indexOf(nd);
    const r = m > e - s ? -1 : sub.lastIndexOf(nd);
    expect([kmpFind(h, nd, s, e), kmpRfind(h, nd, s, e)]).toEqual([f < 0 ? -1 : f + s, r < 0 ? -1 : r + s]);
  }
});

// ------------------------------------------------------------------ helpers

/** A file holding `data`, mapped read-only, with the expected-value helpers. */
function mapped(data: Buffer) {
  const file = path.join(dir, `s${++fileNo}.bin`);
  fs.writeFileSync(file, data);
  const fd = fs.openSync(file, 'r');
  const m = new M.mmap(fd, 0, { access: M.ACCESS_READ });
  open.push({ m, fd });
  const n = data.length;
  return {
    m,
    data,
    /** first occurrence of nd inside [start, end), or -1 */
    find: (nd: Buffer, start = 0, end = n) => kmpFind(data, nd, start, end),
    /** last occurrence of nd inside [start, end), or -1 */
    rfind: (nd: Buffer, start = 0, end = n) => kmpRfind(data, nd, start, end),
  };
}

type Mapped = ReturnType<typeof mapped>;

/** Checks m.find and m.rfind against the expected values; returns them. */
function both(f: Mapped, nd: Buffer, start?: number, end?: number): [number, number] {
  const args: number[] = start === undefined ? [] : end === undefined ? [start] : [start, end];
  const ef = f.find(nd, start, end);
  const er = f.rfind(nd, start, end);
  const label = `needle ${nd.length} B${args.length ? ` [${args.join(', ')})` : ''}`;
  expect({ label, find: f.m.find(nd, ...args) }).toEqual({ label, find: ef });
  expect({ label, rfind: f.m.rfind(nd, ...args) }).toEqual({ label, rfind: er });
  return [ef, er];
}

/** `unit` repeated to exactly n bytes. */
function rep(unit: string, n: number): Buffer {
  const b = Buffer.alloc(n);
  let filled = Buffer.from(unit, 'latin1').copy(b, 0, 0, Math.min(unit.length, n));
  while (filled < n) filled += b.copy(b, filled, 0, Math.min(filled, n - filled)); // doubling
  return b;
}
const cat = (...parts: (Buffer | string)[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));

/** Needles of length m over the period `a^k b`: broken at the end, start or middle, or whole. */
function shapes(k: number, m: number): Record<string, Buffer> {
  const unit = 'a'.repeat(k) + 'b';
  const body = rep(unit, Math.max(0, m - (k + 1)));
  const mid = rep(unit, m);
  mid[m >> 1] = mid[m >> 1] === 0x61 ? 0x62 : 0x61;
  return {
    'breaks at end': cat(body, 'a'.repeat(k + 1)),
    'breaks at start': cat('a'.repeat(k + 1), body),
    'breaks in the middle': mid,
    periodic: rep(unit, m),
  };
}

describe('periodic haystack (a^k b)*, periodic needles', () => {
  for (const k of [1, 7, 63, 255]) {
    test(`k = ${k}: needles of 2 B to 256 KiB, both directions, whole map and sub-ranges`, () => {
      const size = 512 * KiB + 3 * (k + 1) + 5;
      const f = mapped(rep('a'.repeat(k) + 'b', size));
      for (const m of [2, 17, 100, 4 * KiB, 32 * KiB, 256 * KiB]) {
        for (const nd of Object.values(shapes(k, m))) {
          both(f, nd);
          if (m === 100 || m === 32 * KiB) both(f, nd, 12345, size - 777);
        }
      }
      // the periodic needle is everywhere: the first/last aligned window of the range
      const [ef, er] = both(f, shapes(k, 32 * KiB).periodic, 1, size - 1);
      expect(ef).toBe(k + 1);
      expect(er).toBeGreaterThan(size - 1 - 32 * KiB - (k + 1) - 1);
    });
  }
});

describe('one occurrence planted in periodic data (the search hands over to two-way first)', () => {
  for (const k of [7, 63]) {
    for (const shape of ['breaks at end', 'breaks at start', 'breaks in the middle']) {
      test(`k = ${k}, 32 KiB needle ${shape}, planted at 5 places of a 3 MiB map`, () => {
        const nd = shapes(k, 32 * KiB)[shape];
        const size = 3 * MiB;
        const data = rep('a'.repeat(k) + 'b', size);
        const at = [(k + 1) * 3, 1024 * KiB + 5, 1536 * KiB - 11, 2 * MiB + (k + 1) * 1000, size - nd.length];
        for (const p of at) nd.copy(data, p);
        const f = mapped(data);
        const [ef, er] = both(f, nd);
        expect(ef).toBeGreaterThanOrEqual(0);
        expect(ef).toBeLessThanOrEqual(at[0]);
        expect(er).toBe(at[at.length - 1]);
        for (const p of at.slice(1, -1)) {
          expect(both(f, nd, p, p + nd.length)).toEqual([p, p]); // the range is the match
          const [a, b] = both(f, nd, p - 5000, p + nd.length + 5000);
          expect(a).toBeLessThanOrEqual(p);
          expect(b).toBeGreaterThanOrEqual(p);
          both(f, nd, p + 1, p + nd.length + 1); // shifted by one
        }
        both(f, nd, 77, size - 99); // two-way rounds of 1 MiB in between
      });
    }
  }

  test('1 MiB needle at the very start, in the middle and at the very end of a 2.5 MiB map', () => {
    const unit = 'a'.repeat(7) + 'b';
    const nd = shapes(7, MiB)['breaks at end'];
    const size = 2.5 * MiB;
    for (const p of [0, 640 * KiB + 8 * 3, size - nd.length]) { // aligned on the period: the only match
      const data = rep(unit, size);
      nd.copy(data, p);
      const f = mapped(data);
      expect(both(f, nd)).toEqual([p, p]);
      expect(both(f, nd, p, p + nd.length)).toEqual([p, p]); // exactly the match
      expect(both(f, nd, p, p + nd.length - 1)).toEqual([-1, -1]); // one byte short
      f.m.close();
    }
  });

  test('periodic stretch then text: the match in the text is found (the prefilter comes back)', () => {
    const unit = 'a'.repeat(63) + 'b';
    const nd = shapes(63, 32 * KiB)['breaks at end'];
    const text = rep('the memory of the page file where the kernel read a value\n', 3 * MiB);
    const p1 = 1 * MiB + 3;
    const p2 = 2 * MiB + 7;
    nd.copy(text, p1);
    nd.copy(text, p2);
    const periodic = rep(unit, 3 * MiB);
    const fwd = mapped(cat(periodic, text));
    expect(both(fwd, nd)).toEqual([3 * MiB + p1, 3 * MiB + p2]);
    const back = mapped(cat(text, periodic));
    expect(both(back, nd)).toEqual([p1, p2]);
  });
});

describe('a^n: needles a^m b and b a^m', () => {
  test('found only at the very end / very start, or nowhere', () => {
    const n = MiB + 4 * KiB;
    const atEnd = mapped(cat(Buffer.alloc(n, 'a'), 'b'));
    const atStart = mapped(cat('b', Buffer.alloc(n, 'a')));
    for (const m of [2, 64, 32 * KiB, MiB]) {
      const ab = cat(Buffer.alloc(m - 1, 'a'), 'b');
      const ba = cat('b', Buffer.alloc(m - 1, 'a'));
      const aba = cat(Buffer.alloc(m >> 1, 'a'), 'b', Buffer.alloc(m - (m >> 1) - 1, 'a'));
      expect(both(atEnd, ab)).toEqual([n + 1 - m, n + 1 - m]);
      expect(both(atEnd, ba)).toEqual([-1, -1]);
      expect(both(atStart, ba)).toEqual([0, 0]);
      expect(both(atStart, ab)).toEqual([-1, -1]);
      both(atEnd, aba);
      both(atStart, aba);
      expect(both(atEnd, ab, 0, n)).toEqual([-1, -1]); // the end excludes the match
      expect(both(atStart, ba, 1)).toEqual([-1, -1]); // so does the start
    }
  });
});

describe('random low-entropy data', () => {
  test('300 needles and ranges over {a,b}* and {a,b,c,d}*', () => {
    let x = 0x12345678;
    const rnd = (k: number) => {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      return x % k;
    };
    for (const alpha of ['ab', 'abcd']) {
      const size = 128 * KiB;
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i++) data[i] = alpha.charCodeAt(rnd(alpha.length));
      // a periodic stretch in the middle, so that some searches hand over
      rep('aaab', 48 * KiB).copy(data, 64 * KiB);
      const f = mapped(data);
      for (let t = 0; t < 150; t++) {
        const m = 2 + rnd(t % 10 === 0 ? 20000 : 60);
        // a piece of the data (found), the same with one byte changed, or periodic
        const kind = rnd(3);
        const from = rnd(size - m);
        let nd = Buffer.from(data.subarray(from, from + m));
        if (kind === 1) nd[rnd(m)] = alpha.charCodeAt(rnd(alpha.length));
        if (kind === 2) nd = rep('aaab', m);
        const start = rnd(4) === 0 ? rnd(size) : 0;
        const end = rnd(4) === 0 ? start + rnd(size - start + 1) : size;
        both(f, nd, start, end);
      }
    }
  });
});
