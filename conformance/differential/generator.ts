// Seeded generator of random mmap operation sequences (ops.ts format).
//
// Deterministic: sequence i of seed s is always the same (its own PRNG is derived from (s, i)).
// It keeps a rough model of each map (anonymous or file, shared or private, predicted length,
// which file) only to pick interesting numbers and to stay away from what crashes CPython:
//  - growing a shared anonymous map, then touching the new pages (SIGBUS on CPython < 3.13.8):
//    shared anonymous maps are never resized beyond their original length;
//  - touching a map whose file was shrunk under it (SIGBUS): after a resize of a file map every
//    other map of that file is "poisoned" and only gets operations that do not touch memory;
//  - reading a PROT_NONE / PROT_EXEC-only map (SIGSEGV): such maps are "untouchable" likewise;
//  - madvise options that destroy or randomize memory (MADV_HWPOISON, MADV_SOFT_OFFLINE,
//    MADV_FREE) are never generated; sizes stay small (no giant sparse files).
import type { FileSpec, Kwargs, Sequence, Step, Value } from './ops';

export const PS = 4096;

/** sfc32, seeded through splitmix32. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(...seeds: number[]) {
    let h = 0x9e3779b9;
    const fmix = (z: number) => {
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    const mix = (x: number) => {
      // not additive: (seed, index) pairs must not alias each other
      h = fmix((Math.imul(h ^ fmix((x | 0) ^ 0x5bd1e995), 0x9e3779b1) + 0x7f4a7c15) | 0);
      return h;
    };
    for (const s of seeds) mix(s);
    this.a = mix(1); this.b = mix(2); this.c = mix(3); this.d = mix(4);
    for (let i = 0; i < 12; i++) this.next();
  }
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number { // inclusive
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean { return this.next() < p; }
  pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.next() * xs.length)]; }
  weighted<T>(xs: readonly [number, T][]): T {
    const total = xs.reduce((s, [w]) => s + w, 0);
    let r = this.next() * total;
    for (const [w, x] of xs) {
      r -= w;
      if (r < 0) return x;
    }
    return xs[xs.length - 1][1];
  }
}

interface FileModel { name: string; size: number; fifo?: boolean }
interface FdModel { name: string; file?: string; dev?: string; dir?: boolean; mode: string }
interface MapModel {
  name: string;
  file?: string; // regular file of the sequence behind the fd (even with MAP_ANONYMOUS)
  offset: number;
  len: number; // predicted length
  origLen: number;
  sharedAnon: boolean; // never grow beyond origLen
  untouchable: boolean; // prot without read
  poisoned: boolean; // its file may have shrunk under it
  readonly: boolean;
  good: boolean; // generated to succeed
}

const BIG = (n: bigint): Value => ({ int: n.toString() });
const HEX_ALPHABET = ['00', '01', '02', '03', '0a', '61', '62', 'ff', '7f', '80'];
const SAFE_MADV = [
  'MADV_NORMAL', 'MADV_RANDOM', 'MADV_SEQUENTIAL', 'MADV_WILLNEED', 'MADV_DONTNEED', 'MADV_REMOVE',
  'MADV_DONTFORK', 'MADV_DOFORK', 'MADV_MERGEABLE', 'MADV_UNMERGEABLE', 'MADV_HUGEPAGE',
  'MADV_NOHUGEPAGE', 'MADV_DONTDUMP', 'MADV_DODUMP',
];
/** Operations that never touch the mapped memory (allowed on poisoned/untouchable maps). */
const SAFE_OPS = ['close', 'closed', 'len', 'repr', 'tell', 'seek', 'size', 'seekable', 'enter', 'exit', 'pickle'];

/** Python's slice.indices + length. */
export function sliceLength(len: number, a: number | null, b: number | null, c: number | null): number {
  const step = c ?? 1;
  if (step === 0) return 0;
  let start: number;
  let stop: number;
  const adj = (x: number, lo: number, hi: number) => {
    if (x < 0) { x += len; if (x < lo) x = lo; } else if (x > hi) x = hi;
    return x;
  };
  if (step > 0) {
    start = a === null ? 0 : adj(a, 0, len);
    stop = b === null ? len : adj(b, 0, len);
    return stop > start ? Math.floor((stop - start - 1) / step) + 1 : 0;
  }
  start = a === null ? len - 1 : adj(a, -1, len - 1);
  stop = b === null ? -1 : adj(b, -1, len - 1);
  return start > stop ? Math.floor((start - stop - 1) / -step) + 1 : 0;
}

export class Generator {
  private r: Rng;
  private files: FileModel[] = [];
  private fds: FdModel[] = [];
  private maps = new Map<string, MapModel>();
  private steps: Step[] = [];
  private mapCount = 0;

  constructor(private seed: number, private index: number) {
    this.r = new Rng(seed, index);
  }

  // -- values ---------------------------------------------------------------------------------
  private hex(n: number): string {
    let s = '';
    if (this.r.chance(0.5)) {
      const b = this.r.pick(HEX_ALPHABET);
      for (let i = 0; i < n; i++) s += b;
      return s;
    }
    for (let i = 0; i < n; i++) s += this.r.pick(HEX_ALPHABET);
    return s;
  }

  /** An integer near the interesting bounds of a length L. */
  private near(L: number, bad = 0.1): Value {
    if (this.r.chance(bad)) {
      return this.r.pick<Value>([BIG(2n ** 63n), BIG(-(2n ** 63n) - 1n), BIG(2n ** 64n), 2 ** 31, -(2 ** 31), 'x', { float: 1.5 }, null]);
    }
    return this.r.pick([0, 1, -1, L, L - 1, L + 1, -L, -L - 1, L >> 1, -(L >> 1), 2, 3, PS, PS + 1,
      this.r.int(-2 * L - 2, 2 * L + 2), this.r.int(0, Math.max(L, 1))]);
  }

  private needle(): Value {
    return this.r.weighted<Value>([
      [8, { bytes: this.hex(this.r.int(1, 3)) }],
      [2, { bytes: '' }],
      [1, { bytes: '000102' }],
      [1, { bytes: this.hex(this.r.int(4, 9)) }],
      [1, { bytearray: this.hex(2) }],
      [1, { memoryview: this.hex(1) }],
      [1, 'a'],
      [1, 97],
    ]);
  }

  private data(n: number): Value {
    return this.r.weighted<Value>([
      [10, { bytes: this.hex(n) }],
      [2, { bytearray: this.hex(n) }],
      [1, { memoryview: this.hex(n) }],
      [1, 'abc'],
      [1, 5],
    ]);
  }

  // -- setup ----------------------------------------------------------------------------------
  private makeFiles(): FileSpec[] {
    const specs: FileSpec[] = [];
    const n = this.r.weighted([[3, 1], [2, 2], [1, 0]] as [number, number][]);
    for (let i = 0; i < n; i++) {
      const size = this.r.pick([0, 1, 10, 100, PS - 1, PS, PS + 1, 2 * PS, 3 * PS + 17, 4 * PS]);
      const name = `f${i}`;
      const kind = this.r.int(0, 2);
      if (kind === 0 || size === 0) specs.push({ name, size, ramp: true });
      else if (kind === 1) specs.push({ name, size, fill: this.r.pick([0, 0x61, 0xff]) });
      else if (size <= 300) specs.push({ name, hex: this.hex(size) });
      else specs.push({ name, size, ramp: true });
      this.files.push({ name, size });
    }
    if (this.r.chance(0.05)) {
      specs.push({ name: 'p0', fifo: true });
      this.files.push({ name: 'p0', size: 0, fifo: true });
    }
    return specs;
  }

  private makeOpens(): void {
    let k = 0;
    for (const f of this.files) {
      const nOpen = f.fifo ? 1 : this.r.weighted([[6, 1], [2, 2], [1, 0]] as [number, number][]);
      for (let j = 0; j < nOpen; j++) {
        const mode = f.fifo ? 'r+' : this.r.weighted([[8, 'r+'], [3, 'r'], [1, 'rb'], [1, 'r+b'], [1, 'a+'], [1, 'w+'], [1, 'w'], [1, 'a'], [1, 'x']] as [number, string][]);
        const name = `fd${k++}`;
        this.steps.push({ op: 'open', name, file: f.name, mode });
        this.fds.push({ name, file: f.name, mode });
        if (mode.startsWith('w')) f.size = 0;
      }
    }
    if (this.r.chance(0.06)) {
      const name = `fd${k++}`;
      const dev = this.r.pick(['zero', 'null'] as const);
      this.steps.push({ op: 'open', name, dev, mode: this.r.pick(['r+', 'r']) });
      this.fds.push({ name, dev, mode: 'r+' });
    }
    if (this.r.chance(0.03)) {
      const name = `fd${k++}`;
      this.steps.push({ op: 'open', name, dir: true });
      this.fds.push({ name, dir: true, mode: 'r' });
    }
  }

  // -- constructor ----------------------------------------------------------------------------
  private newMap(): void {
    const name = `m${this.mapCount++ % 3}`;
    const r = this.r;
    const good = r.chance(0.75);
    // target
    let fd: FdModel | undefined;
    let fileno: Value = -1;
    // a good map uses an fd of a non-empty regular file (or /dev/zero) open for reading
    const usable = good
      ? this.fds.filter((f) => (f.dev === 'zero' || (f.file && (this.files.find((x) => x.name === f.file)?.size ?? 0) > 0))
        && /r|\+/.test(f.mode) && f.mode !== 'x')
      : this.fds;
    if (usable.length && r.chance(0.65)) {
      fd = r.pick(usable);
      fileno = { fd: fd.name };
    } else if (!good && r.chance(0.3)) {
      fileno = r.pick<Value>([-2, 9999, 'x', { float: 1.5 }, BIG(2n ** 40n), null]);
    }
    const file = fd?.file ? this.files.find((f) => f.name === fd!.file) : undefined;
    const fsize = file && !file.fifo ? file.size : 0;
    // offset
    let offset: Value | undefined;
    if (r.chance(0.3)) {
      offset = good
        ? r.pick([0, PS, 2 * PS].filter((o) => !file || o < fsize || o === 0))
        : r.pick<Value>([1, PS + 1, -1, -PS, 3 * PS, 100 * PS, BIG(2n ** 63n), 'x', { float: 0.5 }]);
    }
    const off = typeof offset === 'number' && offset >= 0 ? offset : 0;
    // length
    let length: Value;
    if (good) {
      if (file) {
        const room = Math.max(fsize - off, 0);
        length = r.pick([0, 0, room, Math.min(room, 1), Math.min(room, 10), Math.max(room - 1, 1)]);
      } else {
        length = r.pick([1, 10, 100, PS - 1, PS, PS + 1, 2 * PS]);
      }
    } else {
      length = r.pick<Value>([0, -1, fsize + 1, fsize - off + 1, 2 * PS, BIG(2n ** 63n), BIG(2n ** 62n), 'x', { float: 1.5 }, null, 10]);
    }
    // flags / prot / access
    let flags: string | number | undefined;
    let prot: string | number | undefined;
    let access: string | number | undefined;
    const w = good ? 0.25 : 0.5;
    const readOnlyFd = !!fd && !fd.mode.includes('+') && fd.mode.startsWith('r');
    const useAccess = good ? r.chance(readOnlyFd ? 0.6 : 0.4) : r.chance(0.5);
    if (useAccess) {
      access = r.pick<string | number>(good && readOnlyFd ? ['ACCESS_READ', 'ACCESS_COPY'] : ['ACCESS_DEFAULT', 'ACCESS_READ', 'ACCESS_WRITE', 'ACCESS_COPY',
        ...(good ? [] : [4, -1, 'x'])]);
    }
    if ((!good || !useAccess) && r.chance(w)) {
      flags = r.pick<string | number>(['MAP_SHARED', 'MAP_PRIVATE', 'MAP_PRIVATE', 'MAP_SHARED|MAP_POPULATE',
        'MAP_PRIVATE|MAP_NORESERVE', 'MAP_SHARED|MAP_STACK', 'MAP_PRIVATE|MAP_ANONYMOUS', 'MAP_SHARED|MAP_ANON',
        'MAP_PRIVATE|MAP_DENYWRITE', ...(good ? [] : [0, 3, 'MAP_SHARED|MAP_PRIVATE'])]);
    }
    if ((!good || !useAccess) && (r.chance(w) || (good && readOnlyFd && flags !== 'MAP_PRIVATE'))) {
      prot = r.pick<string | number>(good && readOnlyFd ? ['PROT_READ', 'PROT_READ|PROT_EXEC'] : ['PROT_READ', 'PROT_WRITE', 'PROT_READ|PROT_WRITE', 'PROT_READ|PROT_WRITE',
        'PROT_READ|PROT_EXEC', ...(good ? [] : [0, 'PROT_EXEC', -1, 8])]);
    }
    const cv = (x: string | number | undefined): Value | undefined =>
      x === undefined ? undefined : typeof x === 'number' ? x : x === 'x' ? 'x' : { const: x };
    // arrange positional / keyword
    const params: [string, Value | undefined, Value][] = [
      ['fileno', fileno, -1], ['length', length, 0], ['flags', cv(flags), { const: 'MAP_SHARED' }],
      ['prot', cv(prot), { const: 'PROT_READ|PROT_WRITE' }], ['access', cv(access), { const: 'ACCESS_DEFAULT' }],
      ['offset', offset, 0],
    ];
    let lastPresent = 1;
    params.forEach(([, v], i) => { if (v !== undefined) lastPresent = i; });
    const cut = r.chance(0.1) ? r.int(0, 1) : r.int(2, lastPresent + 1);
    const args: Value[] = [];
    const kwargs: Kwargs = {};
    params.forEach(([k, v, dflt], i) => {
      if (i < cut) args.push(v === undefined ? dflt : v);
      else if (v !== undefined) kwargs[k] = v;
    });
    if (!good && r.chance(0.25)) {
      const bad = r.pick(['trackfd', 'tagname', 'foo', 'too-many', 'too-few', 'trackfd0']);
      if (bad === 'trackfd') kwargs.trackfd = r.pick<Value>([false, true, 'x', 0]);
      else if (bad === 'trackfd0') kwargs.trackfd = false;
      else if (bad === 'tagname') kwargs.tagname = 'x';
      else if (bad === 'foo') kwargs.foo = 1;
      else if (bad === 'too-many') { while (args.length < 7) args.push(0); }
      else args.splice(r.int(0, 1));
    }
    const step: Step = { op: 'new', name, args };
    if (Object.keys(kwargs).length) step.kwargs = kwargs;
    this.steps.push(step);

    // model
    const fs = (s: string | number | undefined) => (typeof s === 'string' ? s : '');
    const anon = fileno === -1 || fs(flags).includes('MAP_ANON') || !!fd?.dev;
    const isPrivate = (fs(flags).includes('MAP_PRIVATE') && !fs(flags).includes('MAP_SHARED')) || access === 'ACCESS_COPY';
    const protStr = prot === undefined ? 'PROT_READ|PROT_WRITE' : String(prot);
    // PROT_NONE-like maps fault on any access; a /dev/zero map at an offset is a shmem
    // object of `length` bytes seen from page `offset`: touching it is SIGBUS
    const untouchable = (!protStr.includes('PROT_READ') && !protStr.includes('PROT_WRITE')) || (!!fd?.dev && off !== 0);
    const lenNum = typeof length === 'number' ? (length === 0 && file ? Math.max(fsize - off, 0) : length) : 0;
    const ro = access === 'ACCESS_READ' || (access === undefined && protStr === 'PROT_READ') || protStr === 'PROT_READ|PROT_EXEC';
    this.maps.set(name, {
      name, file: file && !file.fifo ? file.name : undefined, offset: off, len: Math.max(lenNum, 0),
      origLen: Math.max(lenNum, 0), sharedAnon: anon && !isPrivate, untouchable, poisoned: false, readonly: ro, good,
    });
  }

  // -- operations -----------------------------------------------------------------------------
  private opOn(m: MapModel): void {
    const r = this.r;
    const L = Math.max(m.len, 0);
    const obj = m.name;
    const call = (method: string, args: Value[] = [], kwargs?: Kwargs) => {
      const s: Step = { op: 'call', obj, method, args };
      if (kwargs) s.kwargs = kwargs;
      this.steps.push(s);
    };
    const safe = m.poisoned || m.untouchable;
    const all: [number, string][] = [
      [6, 'read'], [3, 'read_byte'], [3, 'readline'], [6, 'write'], [3, 'write_byte'], [6, 'seek'], [2, 'tell'],
      [7, 'find'], [5, 'rfind'], [3, 'flush'], [3, 'madvise'], [4, 'move'], [4, 'resize'], [2, 'size'],
      [1, 'seekable'], [1, 'close'], [2, 'closed'], [2, 'len'], [8, 'getitem'], [8, 'getslice'], [5, 'setitem'],
      [5, 'setslice'], [2, 'delitem'], [3, 'contains'], [2, 'iter'], [2, 'repr'], [1, 'enter'], [1, 'exit'],
      [1, 'pickle'], [1, 'kwargs'],
    ];
    const kind = r.weighted(safe ? all.filter(([, k]) => SAFE_OPS.includes(k)) : all);
    switch (kind) {
      case 'read': call('read', r.chance(0.3) ? [] : [r.chance(0.2) ? BIG(2n ** 70n) : this.near(L, 0.15)]); break;
      case 'read_byte': call('read_byte'); break;
      case 'readline': call('readline'); break;
      case 'write': {
        const n = r.pick([0, 1, 2, 3, 5, L, L + 1, Math.min(L, 17)]);
        call('write', [r.chance(0.05) && this.maps.size > 1 ? { ref: r.pick([...this.maps.keys()]) } : this.data(Math.min(n, 2 * PS + 1))]);
        break;
      }
      case 'write_byte':
        call('write_byte', [r.chance(0.6) ? r.pick([0, 97, 255, 10]) : r.pick<Value>([256, -1, -129, { bytes: '61' }, 'a', { float: 1.5 }, BIG(2n ** 64n)])]);
        break;
      case 'seek': {
        const whence = r.weighted<Value | undefined>([[4, undefined], [2, 0], [2, 1], [2, 2], [1, 3], [1, -1], [1, 'x']]);
        const pos = r.chance(0.5) ? (whence === 1 ? r.int(-2, 2) : whence === 2 ? -r.int(0, Math.min(L, 5)) : r.int(0, L)) : this.near(L);
        call('seek', whence === undefined ? [pos] : [pos, whence]);
        break;
      }
      case 'tell': call('tell'); break;
      case 'find':
      case 'rfind': {
        const nargs = r.int(1, 3);
        const args: Value[] = [this.needle()];
        if (nargs >= 2) args.push(this.near(L, 0.08));
        if (nargs >= 3) args.push(this.near(L, 0.08));
        call(kind, args);
        break;
      }
      case 'flush': {
        const n = r.int(0, 2);
        const args: Value[] = [];
        if (n >= 1) args.push(r.pick<Value>([0, PS, 1, L, -1, L + 1, 2 * PS]));
        if (n >= 2) args.push(r.pick<Value>([0, 1, L, L + 1, -1, PS, L - PS]));
        call('flush', args);
        break;
      }
      case 'madvise': {
        const opt: Value = r.chance(0.85) ? { const: r.pick(SAFE_MADV) } : r.pick<Value>([-1, 999, 12345, 'x']);
        const n = r.int(0, 2);
        const args: Value[] = [opt];
        if (n >= 1) args.push(r.pick<Value>([0, PS, 1, L, L - 1, -1, 2 * PS]));
        if (n >= 2) args.push(r.pick<Value>([0, 1, PS, L, L + 1, -1, 2 ** 40, BIG(2n ** 63n - 1n), null]));
        call('madvise', args);
        break;
      }
      case 'move':
        if (r.chance(0.5) && L > 0) {
          const dest = r.int(0, L);
          const src = r.int(0, L);
          call('move', [dest, src, r.int(0, L - Math.max(dest, src))]);
        } else call('move', [this.near(L, 0.05), this.near(L, 0.05), this.near(L, 0.05)]);
        break;
      case 'resize': {
        let n: Value = r.pick<Value>([0, 1, 10, L >> 1, L, L + 1, PS, PS + 1, 2 * PS, 3 * PS, -1, BIG(2n ** 63n), 'x']);
        if (typeof n === 'number' && m.sharedAnon && n > m.origLen) n = Math.min(m.origLen, L);
        if (m.poisoned || m.untouchable) n = -1;
        call('resize', [n]);
        if (typeof n === 'number' && n >= 0) {
          // (even a read-only or anonymous-flagged map: be conservative, CPython may truncate)
          if (m.file) {
            // the file is now offset + n long: every other map of the file may be past its end;
            // resize(0) truncates the file and then fails (mremap to 0): the map itself too
            for (const o of this.maps.values()) if ((o !== m || n === 0) && o.file === m.file) o.poisoned = true;
            const f = this.files.find((x) => x.name === m.file);
            if (f) f.size = m.offset + n;
          }
          if (!m.readonly) m.len = n;
        }
        break;
      }
      case 'size': call('size'); break;
      case 'seekable': call('seekable'); break;
      case 'close': call('close'); break;
      case 'closed': this.steps.push({ op: 'getattr', obj, attr: 'closed' }); break;
      case 'len': this.steps.push({ op: 'len', obj }); break;
      case 'getitem': this.steps.push({ op: 'getitem', obj, key: this.near(L, 0.15) }); break;
      case 'getslice': this.steps.push({ op: 'getitem', obj, key: this.slice(L) }); break;
      case 'setitem':
        this.steps.push({
          op: 'setitem', obj, key: r.chance(0.5) && L > 0 ? r.int(-L, L - 1) : this.near(L, 0.1),
          value: r.chance(0.6) ? r.pick([0, 1, 97, 255]) : r.pick<Value>([256, -1, { bytes: '61' }, 'a', { float: 2.5 }, null]),
        });
        break;
      case 'setslice': {
        const key = this.slice(L);
        const s = (key as { slice: Value[] }).slice.map((x) => (typeof x === 'number' ? x : null));
        const step = (key as { slice: Value[] }).slice[2];
        let n = typeof step === 'number' || step === null ? sliceLength(L, s[0], s[1], s[2]) : 1;
        if (r.chance(0.15)) n += r.pick([1, -1]);
        n = Math.max(0, Math.min(n, 2 * PS + 1));
        const value = r.weighted<Value>([[10, { bytes: this.hex(n) }], [2, { bytearray: this.hex(n) }],
          [1, { memoryview: this.hex(n) }], [1, { list: Array.from({ length: Math.min(n, 4) }, () => 1) }], [1, 'ab'], [1, 7]]);
        this.steps.push({ op: 'setitem', obj, key, value });
        break;
      }
      case 'delitem': this.steps.push({ op: 'delitem', obj, key: r.chance(0.5) ? this.near(L) : this.slice(L) }); break;
      case 'contains': this.steps.push({ op: 'contains', obj, value: r.pick<Value>([{ bytes: this.hex(1) }, { bytes: this.hex(2) }, { bytes: '' }, 0, 97, 'a']) }); break;
      case 'iter': this.steps.push({ op: 'iter', obj, limit: r.pick([0, 1, 5, 64]) }); break;
      case 'repr': this.steps.push({ op: 'repr', obj }); break;
      case 'enter': this.steps.push({ op: 'enter', obj }); break;
      case 'exit': this.steps.push({ op: 'exit', obj }); break;
      case 'pickle': this.steps.push({ op: 'pickle', obj, protocol: r.pick([0, 2, 4]) }); break;
      case 'kwargs': {
        const method = r.pick(['find', 'read', 'write', 'seek', 'flush', 'resize', 'madvise']);
        const kw: Record<string, Kwargs> = {
          find: { start: 1 }, read: { n: 1 }, write: { data: { bytes: '61' } }, seek: { whence: 0 },
          flush: { offset: 0 }, resize: { newsize: L }, madvise: { start: 0 },
        };
        const args: Record<string, Value[]> = {
          find: [{ bytes: '00' }], read: [], write: [], seek: [0], flush: [], resize: [], madvise: [{ const: 'MADV_NORMAL' }],
        };
        call(method, args[method], kw[method]);
        break;
      }
      default: break;
    }
  }

  /** Re-entrancy: now and then an integer argument (or slice bound) becomes an object whose
   *  __index__ closes, resizes or seeks the map first (the call's own map, mostly). Drawn after the
   *  sequence is made, so the other draws of a seed stay as they were. */
  private reentrant(): void {
    const r = this.r;
    const names = [...this.maps.keys()];
    if (!names.length) return;
    // (no resize from a stored value's __index__: m[i] = X with i checked before X shrinks the
    // map stores past its end in CPython, a byte a later regrow shows or a SIGSEGV; pymmap drops
    // it: shim/test/reentrancy.test.ts, "stores past the end")
    // (nor a resize of a map whose file another map also maps: the file would shrink under that
    // map, whose later steps touch its memory, SIGBUS in CPython (file-truncated-under-map-sigbus);
    // opOn() poisons such maps when it resizes, a pass over the finished sequence cannot)
    const perFile = new Map<string, number>();
    for (const m of this.maps.values()) if (m.file) perFile.set(m.file, (perFile.get(m.file) ?? 0) + 1);
    const resizable = (name: string): boolean => {
      const m = this.maps.get(name)!;
      return !m.poisoned && !m.untouchable && !(m.file !== undefined && (perFile.get(m.file) ?? 0) > 1);
    };
    const wrap = (v: Value, own: string, noResize = false): Value => {
      if (typeof v !== 'number' || !r.chance(0.35)) return v;
      const obj = r.chance(0.8) ? own : r.pick(names);
      return r.weighted<Value>([
        [4, { index: { value: v, obj, act: 'close' } }],
        [noResize || !resizable(obj) ? 0 : 4, { index: { value: v, obj, act: 'resize', arg: r.pick([1, 8, PS, PS + 8, 3 * PS]) } }],
        [2, { index: { value: v, obj, act: 'seek', arg: r.pick([0, 1, 5, PS - 1, PS]) } }],
      ]);
    };
    const wrapSlice = (v: Value, own: string): Value =>
      v !== null && typeof v === 'object' && 'slice' in v
        ? { slice: v.slice.map((b) => wrap(b, own)) as [Value, Value, Value] }
        : wrap(v, own);
    for (const st of this.steps) {
      if (!r.chance(0.06)) continue;
      if (st.op === 'call' && st.args) st.args = st.args.map((a) => wrap(a, st.obj));
      else if (st.op === 'getitem' || st.op === 'delitem') st.key = wrapSlice(st.key, st.obj);
      else if (st.op === 'setitem') {
        st.key = wrapSlice(st.key, st.obj);
        st.value = wrap(st.value, st.obj, true);
      }
    }
  }

  private slice(L: number): Value {
    const r = this.r;
    const bound = (): Value => (r.chance(0.3) ? null : r.chance(0.05) ? BIG(2n ** 63n) : this.near(L, 0));
    const step: Value = r.weighted<Value>([[6, null], [3, 1], [2, 2], [2, -1], [1, -2], [1, 3], [1, -3], [1, 0], [1, L + 1], [1, BIG(-(2n ** 63n))]]);
    return { slice: [bound(), bound(), step] };
  }

  generate(): Sequence {
    const files = this.makeFiles();
    this.makeOpens();
    const nMaps = this.r.weighted([[5, 1], [3, 2], [1, 3]] as [number, number][]);
    for (let i = 0; i < nMaps; i++) this.newMap();
    const nOps = this.r.int(3, 22);
    for (let i = 0; i < nOps; i++) {
      if (this.r.chance(0.04)) { this.newMap(); continue; }
      if (this.r.chance(0.03) && this.fds.length) {
        // a closed fd is not referenced again: its number may be reused by the next dup()
        const fd = this.r.pick(this.fds);
        this.fds = this.fds.filter((x) => x !== fd);
        this.steps.push({ op: 'closefd', fd: fd.name });
        continue;
      }
      const names = [...this.maps.keys()];
      if (!names.length) break;
      // maps that were meant to be valid get most of the operations
      const m = this.maps.get(this.r.weighted(names.map((n) => [this.maps.get(n)!.good ? 4 : 1, n] as [number, string]))) as MapModel;
      this.opOn(m);
    }
    for (const f of files) if (!('fifo' in f) && this.r.chance(0.1)) this.steps.push({ op: 'filesize', file: f.name });
    this.reentrant();
    return { id: `g${this.seed}-${this.index}`, files, steps: this.steps };
  }
}

export function generate(seed: number, index: number): Sequence {
  return new Generator(seed, index).generate();
}

export function generateMany(seed: number, count: number, start = 0): Sequence[] {
  const out: Sequence[] = [];
  for (let i = start; i < start + count; i++) out.push(generate(seed, i));
  return out;
}
