// Issue 10's reliability classes through the shim, each case in a child process
// (fixtures/reliability-cases.js, on the compiled shim) so that a crash is seen as a signal and
// the test runner survives. Node 22/24 come from npm (native/test/helpers otherNodes).
import { constants as bufferConstants } from 'buffer';
import * as path from 'path';
import { cleanupTmp, describeRun, hostMajor, NodeTarget, nodeTargets, runNode, testOnNode } from '../../native/test/helpers';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { testOn } = require('../../conformance/lib/skips');

const SCRIPT = path.join(__dirname, 'fixtures', 'reliability-cases.js');
const EFAULT = { ok: false, type: 'OSError', errno: 14, message: '[Errno 14] Bad address' };

function ok(name: string, bin?: string): any {
  const r = runNode(SCRIPT, [name], { node: bin, timeout: 60000 });
  if (r.status !== 0 || r.results.length === 0) throw new Error(`case ${name} did not exit cleanly: ${describeRun(r)}`);
  return r.results[r.results.length - 1];
}

// the host's Node, and Node 22/24 from npm (a skip with its reason where one cannot be had)
const nodes: NodeTarget[] = nodeTargets([hostMajor, 22, 24]);
afterAll(cleanupTmp);

describe('class 2: the result slab cannot be taken away', () => {
  for (const n of nodes) {
    testOnNode(n, 'structuredClone/postMessage/transfer of a result\'s buffer never empties earlier results; no stale bytes', () => {
      const r = ok('slab-untransferable', n.bin);
      expect({ after: r.after, tail: r.tail }).toEqual({ after: { a: 'hello', next: ' world' }, tail: true });
      if (n.major >= 22) {
        // refused, as for Node's own Buffer pool (Node 20 copies instead: `a` stays whole)
        expect(r.structuredClone).toEqual(expect.objectContaining({ ok: false, type: 'DOMException' }));
        expect(r.postMessage).toEqual(expect.objectContaining({ ok: false, type: 'DOMException' }));
        expect(r.transfer).toEqual(expect.objectContaining({ ok: false, type: 'TypeError' }));
      }
    }, 60000);
  }
});

describe('class 4: truncated, then regrown', () => {
  test('a view access past the end raises every time; after regrowing, reads see the file and writes reach it; resize works', () => {
    const r = ok('truncate-regrow');
    expect(r).toEqual({
      first: true, getitem: EFAULT, getitemAgain: EFAULT, setitem: EFAULT, read: EFAULT,
      afterRegrow: { getitem: true, read: true, slice: true, find: true },
      writesReachFile: true, resize: { ok: true, value: 5 * 4096 },
    });
  });
  test('a raw view (memoryview) touching a lost page does not leave a zero page for the copying methods', () => {
    const r = ok('truncate-raw-view-then-copy');
    expect(r).toEqual({ raw: 0, readWhileShort: EFAULT, writeWhileShort: EFAULT, readAfter: true, writeAfter: { ok: true, value: 1 }, fileHasWrite: true });
  });
  test('ACCESS_READ (view over a private shadow) recovers; trackfd=False (no fd to recover from) raises every time', () => {
    const r = ok('truncate-readonly-and-trackfd');
    expect(r.ro).toEqual({ short: EFAULT, again: EFAULT, regrown: true });
    expect(r.notrack).toEqual({ first: EFAULT, second: EFAULT, afterRegrow: EFAULT, read: EFAULT, otherPage: true });
  });
});

describe('class 8: exhaustion is an exception', () => {
  test('mapping until the kernel limit: OSError(ENOMEM) with room left, and the process goes on', () => {
    const r = ok('map-limit');
    expect(r.err).toEqual({ type: 'OSError', errno: 12, message: '[Errno 12] Cannot allocate memory' });
    expect(r.count).toBeGreaterThan(1000);
    expect({ alive: r.alive, s: r.s, big: r.big, wasm: r.wasm }).toEqual({ alive: 'alive', s: true, big: 16 << 20, wasm: true });
  });
  // A file larger than buffer.constants.MAX_LENGTH can only be made where that is 4 GiB (Node 20).
  const tooBig = bufferConstants.MAX_LENGTH > 2 ** 40
    ? `this Node's Buffer holds up to ${bufferConstants.MAX_LENGTH} bytes: no file can exceed it here (Node 20 only)` : null;
  testOn(tooBig, 'read() of more than one Buffer can hold raises MemoryError (Node 20: 4 GiB), not a RangeError', () => {
    expect(ok('read-too-large')).toEqual({ read: { ok: false, type: 'MemoryError', message: '' }, pos: 0, sliced: 'MemoryError' });
  });
});
