// Worker threads: the addon loads in several workers at once, and a worker's maps are unmapped
// when it exits. Runs in a child process (fixtures/workers.js) so /proc/self/maps is its own.
import * as path from 'path';
import { cleanupTmp, describeRun, FIXTURES, runNode } from './helpers';

afterAll(cleanupTmp);

const SCRIPT = path.join(FIXTURES, 'workers.js');

function ok(name: string): any {
  const r = runNode(SCRIPT, [name]);
  if (r.status !== 0 || r.results.length !== 1) throw new Error(`case ${name}: ${describeRun(r)}`);
  return r.results[0];
}

test('maps a worker leaves open are there while it runs and gone (maps and fds) after terminate()', () => {
  const r = ok('alive');
  expect(r.during).toEqual({ maps: 3, fds: 2 }); // rw map, ro map, ro shadow; two dup fds
  expect(r.after).toEqual({ maps: 0, fds: 0 });
});

test('a worker that exits without close() leaves no mapping and no fd behind', () => {
  const r = ok('leak');
  expect(r.msg).toEqual({ mapped: true, sum: expect.any(Number) });
  expect(r.code).toBe(0);
  expect(r.after).toEqual({ maps: 0, fds: 0 });
  expect(r.written).toBe(0x5a); // what it wrote through its view reached the file
});

test('the addon loads and works in four workers and the main thread at once; guarded faults stay per thread', () => {
  const r = ok('parallel');
  expect(r.mainOk).toBe(true);
  expect(r.results).toHaveLength(4);
  for (const w of r.results) {
    expect(w.code).toBe(0);
    expect(w.got).toEqual({
      faultCounter: 2,
      fault: expect.objectContaining({ ok: false, tag: 'fault', errno: 14, code: 'EFAULT' }),
      after: { ok: true, value: expect.any(Number) },
    });
  }
});
