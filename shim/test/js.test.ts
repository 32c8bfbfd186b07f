// What a JS user reaches for, none of it shadowing a Python name: the repr in console.log and
// util.inspect, `slice` exported from 'pymmap' (CommonJS and ES module), names a version lacks
// being absent (as Python's dir() shows), internals out of reach.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { inspect } from 'util';
import M = require('../index');
import { slice } from '../builtins';
import { moduleFor, versions } from '../versions';

const LIB = path.resolve(__dirname, '..', 'lib');

test('console.log and util.inspect show the repr', () => {
  const m = new M.mmap(-1, 16);
  expect(inspect(m)).toBe('<mmap.mmap closed=False, access=ACCESS_DEFAULT, length=16, pos=0, offset=0>');
  m.close();
  expect(inspect(m)).toBe('<mmap.mmap closed=True>');
  expect(inspect(new (moduleFor('3.7').mmap)(-1, 16))).toMatch(/^<mmap\.mmap object at 0x[0-9a-f]+>$/);
});

test('slice is exported from pymmap, and is not one of the module\'s Python names', () => {
  expect(M.slice).toBe(slice);
  expect(Object.keys(M)).not.toContain('slice');
});

const esmSkip = fs.existsSync(path.join(LIB, 'index.mjs')) ? null : 'shim/lib not built (npm run build:ts)';
(esmSkip ? test.skip : test)(`ES module named exports: mmap, slice, the constants${esmSkip ? ` -- skipped: ${esmSkip}` : ''}`, () => {
  const url = (f: string) => JSON.stringify(`file://${path.join(LIB, f)}`);
  const script = `
    import pymmap, { mmap, slice, ACCESS_READ, PAGESIZE } from ${url('index.mjs')};
    import { slice as builtinSlice } from ${url('builtins.mjs')};
    const m = new mmap(-1, PAGESIZE);
    m.write(Buffer.from('hello'));
    console.log(JSON.stringify({
      same: slice === builtinSlice && pymmap.mmap === mmap, access: ACCESS_READ,
      head: m.__getitem__(new slice(0, 5)).toString(),
    }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60000 });
  expect(r.stderr).toBe('');
  expect(JSON.parse(r.stdout)).toEqual({ same: true, access: 1, head: 'hello' });
});

test('a version lacks the names its Python lacks: not even as undefined', () => {
  const has = (v: string, name: string) => name in new (moduleFor(v).mmap)(-1, 16);
  expect(has('3.7', 'madvise')).toBe(false);
  expect(has('3.8', 'madvise')).toBe(true);
  expect(has('3.12', 'seekable')).toBe(false);
  expect(has('3.13', 'seekable')).toBe(true);
  expect(has('3.11', '__buffer__')).toBe(false);
  expect(has('3.12', '__buffer__')).toBe(true);
  for (const v of versions) expect(has(v, 'set_name')).toBe(v === '3.15' && process.platform === 'linux');
  expect(has('3.15', '__sizeof__')).toBe(false); // Windows only
});

test('no internal state is reachable by name', () => {
  const m = new M.mmap(-1, 16);
  const names = new Set<string | symbol>();
  for (let o: object | null = m; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const k of Reflect.ownKeys(o)) names.add(k);
  }
  const internal = [...names].filter((k) => typeof k === 'string' && /^_[a-z]/.test(k));
  expect(internal).toEqual([]);
  expect(Object.keys(m)).toEqual([]);
  m.close();
});
