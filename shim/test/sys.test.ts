// sys.addaudithook / sys.audit: the 'mmap.__new__' event (3.8+), raised after the argument
// checks with the derived access, before the file is looked at; a hook that throws aborts the
// construction with nothing mapped and no fd leaked. (Hooks cannot be removed: jest gives this
// file its own module registry, hence its own sys.)
import * as fs from 'fs';
import M = require('../index');
import * as sys from '../sys';
import { moduleFor } from '../versions';
import { mappingsOf, openFdCount, raises, Scratch } from './helpers';

const PS = M.PAGESIZE;
const events: Array<[string, unknown[]]> = [];
let failWith: Error | null = null;
let s: Scratch;

beforeAll(() => {
  s = new Scratch('sys');
  sys.addaudithook((event, args) => {
    if (!event.startsWith('mmap')) return;
    events.push([event, [...args]]);
    if (failWith) throw failWith;
  });
});
afterAll(() => s.cleanup());
beforeEach(() => {
  events.length = 0;
  failWith = null;
});

describe('addaudithook / audit', () => {
  test('validates the hook and calls every hook with (event, args)', () => {
    expect(() => sys.addaudithook(42 as any)).toThrow(TypeError);
    const seen: unknown[] = [];
    sys.addaudithook((ev, args) => { if (ev === 'test.event') seen.push(args); });
    sys.audit('test.event', 1, 'a');
    expect(seen).toEqual([[1, 'a']]);
    expect(sys.auditing()).toBe(true);
  });

  test('mmap.__new__ with (fileno, length, access, offset), access derived', () => {
    const fd = s.fd('audit', Buffer.alloc(2 * PS));
    const a = new M.mmap(fd, 0, { offset: PS });
    const b = new M.mmap(-1, 10, { access: M.ACCESS_WRITE });
    const c = new M.mmap(-1, 10, { prot: M.PROT_READ });
    const d = new M.mmap(-1, 10, { prot: M.PROT_WRITE });
    const e = new M.mmap(fd, 10n, { flags: M.MAP_PRIVATE });
    for (const m of [a, b, c, d, e]) m.close();
    // length is the argument (0 stays 0: the file size is looked up afterwards)
    expect(events).toEqual([
      ['mmap.__new__', [fd, 0, M.ACCESS_DEFAULT, PS]],
      ['mmap.__new__', [-1, 10, M.ACCESS_WRITE, 0]],
      ['mmap.__new__', [-1, 10, M.ACCESS_READ, 0]],
      ['mmap.__new__', [-1, 10, M.ACCESS_WRITE, 0]],
      ['mmap.__new__', [fd, 10, M.ACCESS_DEFAULT, 0]],
    ]);
  });

  test('not raised when the argument checks fail; raised before the file size checks', () => {
    const fd = s.fd('audit-empty');
    raises(() => new M.mmap(-1, -5), 'OverflowError', 'memory mapped length must be positive');
    raises(() => new M.mmap(fd, 10, { access: 7 }), 'ValueError', 'mmap invalid access parameter.');
    raises(() => new M.mmap(fd, 10, { flags: M.MAP_PRIVATE, access: M.ACCESS_READ }), 'ValueError',
      "mmap can't specify both access and flags, prot.");
    raises(() => new M.mmap('x', 10), 'TypeError', "'str' object cannot be interpreted as an integer");
    expect(events).toEqual([]);
    raises(() => new M.mmap(fd, 0), 'ValueError', 'cannot mmap an empty file');
    raises(() => new M.mmap(-2, 10), 'OSError', '[Errno 9] Bad file descriptor');
    expect(events).toEqual([
      ['mmap.__new__', [fd, 0, M.ACCESS_DEFAULT, 0]],
      ['mmap.__new__', [-2, 10, M.ACCESS_DEFAULT, 0]],
    ]);
  });

  test('3.7 has no audit event; 3.8 has', () => {
    new (moduleFor('3.7').mmap)(-1, 10).close();
    expect(events).toEqual([]);
    new (moduleFor('3.8').mmap)(-1, 10).close();
    expect(events).toEqual([['mmap.__new__', [-1, 10, 0, 0]]]);
  });

  test('a hook that throws aborts the construction: nothing mapped, no fd leaked', () => {
    const p = s.file('audit-abort', Buffer.alloc(PS, 0x61));
    const fd = s.open(p);
    // sanity: a successful map does show up and does take an fd
    const ok = new M.mmap(fd, 0);
    expect(mappingsOf(p).length).toBe(1);
    ok.close();
    expect(mappingsOf(p)).toEqual([]);

    const fdsBefore = openFdCount();
    events.length = 0;
    const boom = new Error('audit says no');
    failWith = boom;
    let caught: unknown;
    try {
      new M.mmap(fd, 0);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(boom);
    expect(events.length).toBe(1);
    expect(mappingsOf(p)).toEqual([]);
    expect(openFdCount()).toBe(fdsBefore);
    // also for trackfd=False and ACCESS_COPY
    expect(() => new M.mmap(fd, 0, { trackfd: false })).toThrow(boom);
    expect(() => new M.mmap(fd, 0, { access: M.ACCESS_COPY })).toThrow(boom);
    expect(mappingsOf(p)).toEqual([]);
    expect(openFdCount()).toBe(fdsBefore);
    failWith = null;
    const again = new M.mmap(fd, 0);
    expect(again.read(1)).toEqual(Buffer.from('a'));
    again.close();
    expect(fs.statSync(p).size).toBe(PS);
  });
});
