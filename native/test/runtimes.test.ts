// Bun and Deno (pinned devDependencies: conformance/lib/runtimes.js) in `npm test`: a subset of
// pymmap's promises, each in a child process of that runtime (fixtures/runtime-subset.js through
// the compiled package: maps, Python exceptions, sharing between two processes, a file truncated
// under the map, worker teardown, views over 4 GiB), and the one binary's smoke test
// (fixtures/smoke.js: the raw addon, the >4 GiB rule, the transfer cases). The host Node runs the
// same subset as the control. A missing binary is a skip with its reason (a failure with
// CI=true). The ported suite, the crash matrix and the Pyodide bridge on Bun and Deno are
// columns of `npm run conformance`.
import * as path from 'path';
import { cleanupTmp, describeRun, FIXTURES, hostMajor, ROOT, Runtime, runNode } from './helpers';

const skips = require('../../conformance/lib/skips');
const runtimes = require('../../conformance/lib/runtimes');

afterAll(cleanupTmp);

const SHIM = path.join(ROOT, 'shim', 'lib', 'index.js');
const GiB = 1024 ** 3;
const PS = 4096;

/** Whether a zero-copy view over 4 GiB is possible: measured (binding.cc big_view_possible). */
const BIG_VIEW: Record<string, boolean> = { node: hostMajor >= 22, bun: false, deno: true };

function subset(rt: Runtime) {
  const r = runNode(path.join(FIXTURES, 'runtime-subset.js'), [SHIM], { runtime: rt, timeout: 120000 });
  if (r.status !== 0 || !r.results.length) throw new Error(`runtime-subset.js on ${rt.label}: ${describeRun(r)}`);
  return r.results[0];
}

function checkSubset(rt: Runtime) {
  const out = subset(rt);
  expect({ on: rt.label, ...out.maps }).toEqual({
    on: rt.label, len: 4 * PS, head: 'hello', fileSees: 'hello', readline: 'line one\n', find: PS + 14, byte: 0x68,
    repr: `<mmap.mmap closed=False, access=ACCESS_DEFAULT, length=${4 * PS}, pos=N, offset=0>`, anon: 'anon',
  });
  // CPython 3.13's own words for the same calls
  expect({ on: rt.label, exceptions: out.exceptions }).toEqual({ on: rt.label, exceptions: [
    'OverflowError: memory mapped length must be positive',
    'IndexError: mmap index out of range',
    'ValueError: mmap invalid access parameter.',
    'ValueError: mmap closed or invalid',
    "TypeError: mmap can't modify a readonly memory map.",
  ] });
  expect({ on: rt.label, ...out.sharing }).toEqual({ on: rt.label, childSaw: 'hello', status: 0, parentSees: 'CHILD', stderr: '' });
  const efault = 'OSError: [Errno 14] Bad address (errno 14)';
  expect({ on: rt.label, ...out.truncation }).toEqual({ on: rt.label, getitem: efault, read: efault, viewRead: 0, check: efault, after: 0x42 });
  expect({ on: rt.label, ...out.worker }).toEqual({ on: rt.label, during: { maps: 3, fds: 3 }, after: { maps: 0, fds: 0 } });
  expect({ on: rt.label, bigView: out.bigView, bigCopy: out.bigCopy }).toEqual({
    on: rt.label,
    bigView: BIG_VIEW[rt.id] ? `view: [${4 * GiB + PS},7]`
      : 'BufferError: pymmap: no zero-copy view of this mapping (this mapping cannot be shared with JS; use the copying methods)',
    bigCopy: '000700',
  });
}

function checkSmoke(rt: Runtime) {
  const r = runNode(path.join(FIXTURES, 'smoke.js'), [], { runtime: rt, timeout: 120000 });
  if (r.status !== 0) throw new Error(`smoke.js on ${rt.label}: ${describeRun(r)}`);
  const [main, ...transfer] = r.results;
  expect({ on: rt.label, napi: Number(main.napi) >= 8, ...main.basics }).toEqual({ on: rt.label, napi: true, copyOut: true, find: true, viewWrite: true, detached: true, fault: 'fault' });
  // the version both report (Node 26) is not what decides: Bun refuses, Deno makes the view
  expect({ on: rt.label, reports: Number(main.node.slice(1).split('.')[0]) >= 22, bigView: main.bigView })
    .toEqual({ on: rt.label, reports: true, bigView: BIG_VIEW[rt.id] ? [5 * GiB, 7] : 'viewtoolarge' });
  expect(main.shim).toEqual(expect.objectContaining({ size: 4096, anon: 'hello' }));
  expect(transfer).toHaveLength(3);
  const [close, roClose, gcClose] = transfer;
  expect({ on: rt.label, ...close, view: close.view.tag, resize: close.resize.tag }).toEqual({
    on: rt.label, abLength: 0, tLength: 16384, view: 'transferred', resize: 'exported', lengthAfterResize: 16384,
    getByte: { ok: true, value: close.expect5 }, tRead: close.expect5, expect5: close.expect5, fileSeesWrite: 0x42,
    mapsAfterClose: 1, closeAgain: { ok: true }, mapsAfterGc: 0,
  });
  expect({ on: rt.label, tRead: roClose.tRead, fileByte: roClose.fileByte, mapsAfterClose: roClose.mapsAfterClose, mapsAfterGc: roClose.mapsAfterGc })
    .toEqual({ on: rt.label, tRead: roClose.expect5, fileByte: roClose.expect5, mapsAfterClose: 1, mapsAfterGc: 0 });
  expect({ on: rt.label, ...gcClose }).toEqual({ on: rt.label, getByte: { ok: true, value: expect.any(Number) }, mapsLive: 1, resize: { ok: true }, view: { ok: true, value: 8192 }, mapsAfterClose: 0 });
}

const linuxOnly = process.platform === 'linux' ? null : 'the checks read /proc (Linux only)';

describe('the same subset on the host Node (control)', () => {
  skips.testOn(linuxOnly, `maps, Python exceptions, two processes, truncation -> OSError, worker teardown, >4 GiB view (Node ${process.version})`,
    () => checkSubset(runtimes.runtime('node')), 120000);
});

for (const id of ['bun', 'deno']) {
  const rt: Runtime = runtimes.runtime(id);
  describe(rt.label, () => {
    const register = (name: string, fn: () => void) => {
      if (linuxOnly) skips.testOn(linuxOnly, name, fn, 120000);
      else skips.register(test, rt.skip, rt.kind ?? 'prerequisite', name, fn, 120000);
    };
    register('maps, Python exceptions, two processes, truncation -> OSError, worker teardown, >4 GiB view (through the package)', () => checkSubset(rt));
    register('the one binary loads (Node-API): basics, the >4 GiB view decided by what the runtime does, transfer cases', () => checkSmoke(rt));
  });
}
