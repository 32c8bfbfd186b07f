// The crash matrix: each case runs in its own child process (fixtures/crash-cases.js) and must
// end the way it should: exit 0 with the expected errors, or die of the signal that was not ours.
// The children run on the host's Node, or with PYMMAP_RUNTIME=bun|deno on that runtime (the
// Bun and Deno columns of `npm run conformance`); where a runtime behaves otherwise by its own
// doing, the case is skipped there with the reason (README, "Bun and Deno").
import * as path from 'path';
import { OSError, TypeError as PyTypeError, ValueError, BufferError } from '../../shim/builtins';
import { makeError } from '../../shim/native';
import { cleanupTmp, describeRun, FIXTURES, hostMajor, NodeTarget, nodeTargets, Runtime, runNode, testOnNode } from './helpers';

const skips = require('../../conformance/lib/skips');
const { testOn } = skips;
const runtimes = require('../../conformance/lib/runtimes');

/** The runtime the children run on (PYMMAP_RUNTIME; default the host's Node). */
const RT: Runtime = runtimes.selected();
const onRuntime = RT.id !== 'node';
/** test(), or with PYMMAP_RUNTIME=bun|deno a skip when that runtime's binary is missing (a failure with CI=true). */
const t = (name: string, fn: () => void, timeout?: number) =>
  (onRuntime ? skips.register(test, RT.skip, RT.kind, name, fn, timeout) : test(name, fn, timeout));
/** t(), except on the runtimes that `not` gives a reason for (a skip with that reason). */
const tExcept = (not: Partial<Record<Runtime['id'], string>>, name: string, fn: () => void) =>
  (not[RT.id] ? testOn(`${RT.label}: ${not[RT.id]}`, name, fn) : t(name, fn));
/** Deno's process.kill() of its own pid with SIGSEGV or SIGBUS does not kill it (Node's and Bun's do). */
const DENO_KILL = "process.kill(process.pid, 'SIGSEGV' or 'SIGBUS') does not end a Deno process " +
  "(without pymmap too: deno eval \"process.kill(process.pid, 'SIGSEGV'); setTimeout(() => console.log('alive'), 200)\" prints alive)";
/** Who runs the children, for titles. */
const WHO = onRuntime ? RT.label : 'host Node';

const SCRIPT = path.join(FIXTURES, 'crash-cases.js');
const EFAULT = 14;

function run(name: string, node?: string) {
  return runNode(SCRIPT, [name], node ? { node, flags: ['--expose-gc'] } : { runtime: onRuntime ? RT : undefined, flags: ['--expose-gc'] });
}

/** Runs a case that must exit 0 and print one RESULT. */
function ok(name: string, node?: string): any {
  const r = run(name, node);
  if (r.status !== 0 || r.results.length === 0) throw new Error(`case ${name} did not exit cleanly: ${describeRun(r)}`);
  return r.results[r.results.length - 1];
}

function expectFault(a: any, what: string) {
  expect({ what, ok: a.ok, tag: a.tag, errno: a.errno, code: a.code }).toEqual({ what, ok: false, tag: 'fault', errno: EFAULT, code: 'EFAULT' });
  // and the shim's factory turns these arguments into OSError(EFAULT)
  const e = makeError(...(a.args as [string, number, string, string, null]));
  expect(e).toBeInstanceOf(OSError);
  expect((e as OSError).errno).toBe(EFAULT);
  expect(e.message).toBe('[Errno 14] Bad address');
}

function expectTag(a: any, tag: string, what = tag) {
  expect({ what, ok: a.ok, tag: a.tag }).toEqual({ what, ok: false, tag });
}

afterAll(cleanupTmp);

// The transfer and wasm cases run on Node 22 and 24 (heavy targets: downloaded on first use,
// left out by PYMMAP_HEAVY=0), and on the host too when it has ArrayBuffer.prototype.transfer.
// With PYMMAP_RUNTIME=bun|deno they run on that runtime only (both have transfer).
const hostHasTransfer = typeof (ArrayBuffer.prototype as any).transfer === 'function';
const transferNodes: NodeTarget[] = onRuntime ? [] : nodeTargets([22, 24]);
if (!onRuntime && hostHasTransfer && !transferNodes.some((x) => x.major === hostMajor)) {
  transferNodes.unshift({ major: hostMajor, bin: process.execPath, version: process.version, skip: null, kind: 'platform' });
}
/** Registers `name (Node N)` once per Node line with transfer, or `name (Bun x.y.z)` on a runtime. */
const forTransferNodes = (name: string, fn: (n: NodeTarget) => void) => {
  if (onRuntime) {
    t(`${name} (${RT.label})`, () => fn({ major: 0, bin: '', version: RT.label, skip: null, kind: 'platform' }));
    return;
  }
  for (const x of transferNodes) testOnNode(x, name, fn);
};

describe('views after close and resize', () => {
  t('a view read after close is length 0 and does not crash', () => {
    const r = ok('view-after-close');
    expect(r).toEqual({ before: expect.any(Number), byteLength: 0, u8Length: 0, u8_5: 'undefined', bufferRead: 'TypeError', maps: 0 });
  });
  t('a view read after resize is length 0; view() then gives a new buffer of the new size', () => {
    const r = ok('view-after-resize');
    expect(r.byteLength).toBe(0);
    expect(r.u8Length).toBe(0);
    expect(r.u8_5).toBe('undefined');
    expect(r.same).toBe(false);
    expect(r.newByteLength).toBe(8192);
    expect(r.new5).toBe(r.expect5);
  });
});

describe('file truncated under the map: guarded routines raise EFAULT', () => {
  const readers = ['copyOut', 'copyOutLarge', 'getByte', 'find', 'rfind', 'findByte', 'copyStep'];
  const writers = ['setByte', 'copyIn', 'storeStep', 'move'];
  for (const [label, name, writable] of [
    ['shared, read-write', 'truncate-copy-routines', true],
    ['shared, read-only', 'truncate-copy-routines-readonly', false],
    ['private (copy-on-write)', 'truncate-copy-routines-private', true],
  ] as const) t(label, () => {
    const r = ok(name);
    expect(r.control).toEqual({ ok: true, value: r.expectControl });
    for (const k of readers) expectFault(r[k], k);
    if (writable) for (const k of writers) expectFault(r[k], k);
    expect(r.controlAfter).toEqual({ ok: true, value: r.expectControl }); // the guard reset cleanly
    expect(r.fileSize).toBe(4096);
  });
});

describe('file truncated under a JS view: the process lives, the fault is counted and repaired', () => {
  for (const [label, name] of [
    ['read-write map (view over the mapping)', 'truncate-view'],
    ['read-only map (view over the shadow)', 'truncate-view-readonly'],
    ['read-write map at a file offset', 'truncate-view-offset'],
    ['read-only map at a file offset', 'truncate-view-readonly-offset'],
  ]) t(label, () => {
    const r = ok(name);
    expect(r.first).toBe(r.expectFirst);
    expect(r.read).toBe(0); // a zero page was patched in
    expect(r.fc1).toBe(r.fc0 + 1); // faultCounter moved
    expect(r.repair1).toBe(1); // repair(id) reports the page
    expect(r.repairAgain).toBe(0);
    expect(r.read2).toBe(0);
    expect(r.read3).toBe(0);
    expect(r.fc2).toBe(r.fc1 + 2); // the repaired page faults again, and the other one too
    expect(r.repair2).toBe(2);
    expect(r.fc3).toBe(r.fc2 + 1); // stores are absorbed the same way
    expect(r.repair3).toBe(1);
    expect(r.read4).toBe(r.expect4); // file whole again: the repaired page is the file's again
    expect(r.fc4).toBe(r.fc3);
    expect(r.repair4).toBe(0);
    expect(r.guarded).toEqual({ ok: true, value: r.expect4 });
    expect(r.firstAfter).toBe(r.expectFirst);
  });
});

describe('many lost pages in one JS operation', () => {
  t('a copy over 1500 lost pages of a view survives; every page is counted and repaired', () => {
    const r = run('view-many-lost-pages');
    // BUG (guard_posix.cc handler(), kPatches = 1024): the handler records each patched page in a
    // fixed table of 1024; the 1025th lost page touched before repair() finds no free record, is
    // chained to SIG_DFL and the process dies of SIGBUS. Through the shim: read() of a >4 MiB
    // file truncated under the map kills the process.
    expect({ status: r.status, signal: r.signal, last: r.results[r.results.length - 1] })
      .toEqual({ status: 0, signal: null, last: { survived: true, faults: 1500, repaired: 1500, allZero: true } });
  });
});

describe('more views than the old 4096-slot table', () => {
  t('4200 live views over one file, file truncated: all guarded, touching the last view does not kill the process', () => {
    const r = run('many-views');
    // BUG (guard_posix.cc os_register, kSlots = 4096): registration silently fails when the slot
    // table is full; the view is handed out anyway, unguarded, and a lost page under it is a
    // plain SIGBUS. Expected: either the view is refused (noview, the shim falls back to the
    // guarded copy routines) or the fault is absorbed and counted.
    expect({ status: r.status, signal: r.signal }).toEqual({ status: 0, signal: null });
    const last = r.results[r.results.length - 1];
    expect(last.survived).toBe(true);
    // the registry grows: every view is handed out, and every one is guarded
    expect(last.withView).toBe(4200);
    expect(last.last).toBe(0);
    expect(last.faults).toBeGreaterThanOrEqual(1);
    expect(last.guardedLast).toBe('fault');
  });
});

describe('WebAssembly traps (V8, JavaScriptCore)', () => {
  // the engine's own wording, measured in the child before any guarded fault
  const TRAP = /^RuntimeError: (memory access out of bounds|Out of bounds memory access)/;
  const trapped = (r: any) => ({ status: r.status, signal: r.signal, before: r.results[0]?.before, after: r.results[0]?.after,
    control: TRAP.test(r.results[0]?.control) ? 'RuntimeError: out of bounds' : r.results[0]?.control,
    trapSameAsControl: r.results[0]?.trap === r.results[0]?.control });
  const expected = { status: 0, signal: null, before: 'fault', after: 'fault', control: 'RuntimeError: out of bounds', trapSameAsControl: true };
  t(`after a guarded fault, a wasm out-of-bounds load still throws RuntimeError (${WHO})`, () => {
    // BUG (guard_posix.cc guarded()/handler()): on a CPU with PKU (here: pku, ospke in
    // /proc/cpuinfo) the kernel resets PKRU when it enters the signal handler and restores it
    // only at sigreturn. siglongjmp skips sigreturn, so after the first guarded fault the thread
    // keeps the handler's PKRU, which denies access to pages under non-default protection keys.
    // Node 20's V8 protects wasm code with PKU (--wasm-memory-protection-keys, on by default):
    // the next wasm call through a jump table faults, V8 finds no landing pad, and the process
    // dies of SIGSEGV. Node 22/24 do not use PKU for wasm code.
    const r = run('wasm-trap');
    expect(trapped(r)).toEqual(expected);
  });
  testOn(onRuntime ? `the flag is a Node 20 (V8 11.3) flag; this run is on ${RT.label}`
    : hostMajor === 20 ? null : `the flag is a Node 20 (V8 11.3) flag; the host is Node ${hostMajor}`,
    'control: the same with --no-wasm-memory-protection-keys on Node 20 (the cause is PKU)', () => {
    const r = runNode(SCRIPT, ['wasm-trap'], { flags: ['--no-wasm-memory-protection-keys'] });
    expect(trapped(r)).toEqual(expected);
  });
  for (const t of transferNodes.filter((x) => x.major !== hostMajor)) {
    testOnNode(t, 'the same case', (n) => {
      const r = run('wasm-trap', n.bin);
      expect({ node: n.version, ...trapped(r) }).toEqual({ node: n.version, ...expected });
    });
  }
});

describe('other faults inside guarded routines', () => {
  t('map past the end of file, PROT_NONE, a shared anonymous map grown by mremap', () => {
    const r = ok('guarded-misc');
    expectFault(r.pastEofGet, 'getByte on a page past EOF');
    expectFault(r.pastEofFind, 'findByte on a page past EOF');
    expectFault(r.protNoneGet, 'getByte on PROT_NONE');
    expectFault(r.protNoneCopyOut, 'copyOut on PROT_NONE');
    // the native layer lets mremap grow a shared anonymous map; its new pages have no backing
    // (kernel bug 8438), which is why the shim refuses like CPython does
    expect(r.anonGrow).toEqual({ ok: true });
    expect(r.anonOld).toEqual({ ok: true, value: 0 });
    expectFault(r.anonNew, 'getByte on a grown shared anonymous page');
    expect(r.after).toEqual({ ok: true, value: expect.any(Number) });
  });
});

describe('read-only maps refuse writes through the copy routines', () => {
  t('copyIn, setByte, move, storeStep -> readonly; view stores stay in the shadow; file unchanged', () => {
    const r = ok('readonly-writes');
    for (const label of ['fd-r', 'fd-rw']) {
      const x = r[label];
      for (const k of ['copyIn', 'setByte', 'move', 'storeStep']) expectTag(x[k], 'readonly', `${label} ${k}`);
      expect(makeError('readonly', 0, '', '', null)).toBeInstanceOf(PyTypeError);
      expect(x.viewWrite.shadow).toBe(0xee);
      expect(x.viewWrite.mapping).not.toBe(0xee);
      expect(x.viewWrite.fc).toBe(0); // no fault
      expect(x.unchanged).toBe(true);
      expect(x.unchangedAfterClose).toBe(true);
    }
  });
});

describe('signals that are not ours are passed on', () => {
  tExcept({ deno: DENO_KILL }, 'process.kill(pid, SIGSEGV) still kills with SIGSEGV', () => {
    const r = run('foreign-sigsegv');
    expect(r.results[0]).toEqual({ guarded: { ok: true, value: 3 } });
    expect({ signal: r.signal, survived: r.results.some((x) => x.survived) }).toEqual({ signal: 'SIGSEGV', survived: false });
  });
  tExcept({ deno: DENO_KILL }, 'process.kill(pid, SIGBUS) still kills with SIGBUS (and is not swallowed)', () => {
    const r = run('foreign-sigbus');
    expectFault(r.results[0].guarded, 'guarded fault before the signal');
    // BUG (guard_posix.cc chain()): a SIGBUS sent with kill() is swallowed: the handler resets
    // SIGBUS to SIG_DFL and returns, the process goes on without its guard, and dies at the next
    // guarded fault instead.
    expect({ signal: r.signal, survived: r.results.some((x) => x.survived) }).toEqual({ signal: 'SIGBUS', survived: false });
  });
});

describe('strided routines with a span that overflows int64', () => {
  t('copyStep/storeStep raise a range error and write nothing', () => {
    const r = ok('step-overflow');
    // BUG (binding.cc CopyStep/StoreStep): start + (n-1)*step overflows, wraps into range, and
    // the routine walks wild addresses (caught as 'fault' only because they are unmapped);
    // storeStep has already stored its first byte.
    expectTag(r.copyStep62, 'range', 'copyStep step=2^62');
    expectTag(r.copyStep44, 'range', 'copyStep step=2^44 n=2^20+1');
    expectTag(r.copyStepNeg, 'range', 'copyStep step=-2^62');
    expectTag(r.storeStep62, 'range', 'storeStep step=2^62');
    expect(r.byte1After).toBe(r.byte1Before);
  });
});

describe('arguments that alias a lost page of the mapping itself', () => {
  t('find/rfind needle and storeStep source read through the guard (EFAULT, no silent zero page)', () => {
    const r = ok('alias-fault');
    // controls: copyIn and copyOut touch the aliasing buffer inside the guard
    expectFault(r.copyIn, 'copyIn src aliasing a lost page');
    expect(r.copyInFc).toBe(0);
    expectFault(r.copyOutInto, 'copyOut dst aliasing a lost page');
    // BUG (binding.cc FindImpl/StoreStep): the needle / source is copied with an unguarded
    // std::vector copy; the fault is absorbed by the view handler (a zero page patched in,
    // faultCounter moves) and the call "succeeds" on zeros.
    expectFault(r.find, 'find needle aliasing a lost page');
    expectFault(r.rfind, 'rfind needle aliasing a lost page');
    expectFault(r.storeStep, 'storeStep src aliasing a lost page');
  });
});

describe('transfer (Node 22/24)', () => {
  forTransferNodes('transfer then close: close leaves the memory to the transferred buffer; GC unmaps it', (n) => {
    const r = ok('transfer-close', n.bin);
    expect({ node: n.version, ...r }).toEqual({
      node: n.version, abLength: 0, tLength: 16384,
      view: expect.objectContaining({ ok: false, tag: 'transferred' }),
      resize: expect.objectContaining({ ok: false, tag: 'exported' }),
      lengthAfterResize: 16384, getByte: { ok: true, value: r.expect5 },
      tRead: r.expect5, expect5: r.expect5, fileSeesWrite: 0x42,
      mapsAfterClose: 1, closeAgain: { ok: true }, mapsAfterGc: 0,
    });
    expect(makeError('exported', 0, '', '', null)).toBeInstanceOf(BufferError);
  });
  forTransferNodes('transfer of a read-only map\'s view (the shadow) then close', (n) => {
    const r = ok('transfer-readonly-close', n.bin);
    expect({ node: n.version, ...r }).toEqual({
      node: n.version, resize: expect.objectContaining({ ok: false, tag: 'exported' }),
      tRead: r.expect5, expect5: r.expect5, fileByte: r.expect5, mapsAfterClose: 1, mapsAfterGc: 0,
    });
  });
  forTransferNodes('transferred buffer collected while the map lives: resize and a new view work, close unmaps', (n) => {
    const r = ok('transfer-gc-then-close', n.bin);
    expect({ node: n.version, ...r }).toEqual({
      node: n.version, getByte: { ok: true, value: expect.any(Number) }, mapsLive: 1,
      resize: { ok: true }, view: { ok: true, value: 8192 }, mapsAfterClose: 0,
    });
  });
  forTransferNodes('transfer, close, truncate: the kept memory stays guarded (counted zero page, no SIGBUS)', (n) => {
    const r = run('transfer-close-truncate', n.bin);
    const last = r.results[r.results.length - 1] ?? {};
    // (the patched zero page splits the file's mapping in two: still mapped while held)
    expect({ node: n.version, status: r.status, signal: r.signal, survived: last.survived, v: last.v, counted: last.counted, held: last.mapsWhileHeld >= 1 })
      .toEqual({ node: n.version, status: 0, signal: null, survived: true, v: 0, counted: 1, held: true });
  });
  forTransferNodes('a view transferred out of a worker outlives the worker (open or closed map): file pages, no SIGSEGV', (n) => {
    const r = ok('view-outlives-worker', n.bin);
    for (const k of ['open', 'closed']) {
      // (the raw addon in these workers never calls markExit: memory whose fate teardown cannot
      // tell stays mapped, so the first round's map is still there in the second)
      expect({ node: n.version, k, ...r[k], maps: r[k].maps >= 1 }).toEqual({ node: n.version, k, len: 16384, b: r[k].expect, expect: r[k].expect, maps: true, fileSees: 0x5a });
    }
  });
});

function workerExitReleases(n: { bin: string; version: string }) {
  const r = ok('worker-exit-releases', n.bin);
  expect({ node: n.version, ...r.plain }).toEqual({ node: n.version, msg: null, maps: 0 });
  if (r.transferred !== 'no transfer') {
    expect({ node: n.version, ...r.transferred }).toEqual({ node: n.version, len: 16384, b: r.transferred.expect, expect: r.transferred.expect, maps: 1 });
  }
}
const WORKER_EXIT = 'worker exit through the shim: unclosed maps and views are released; a transferred view stays readable';
// (Deno tears a worker down before its views' finalizers run: binding.cc release_view)
t(`${WORKER_EXIT} (${WHO})`, () => workerExitReleases({ bin: onRuntime ? '' : process.execPath, version: onRuntime ? RT.label : process.version }));
for (const t of transferNodes.filter((x) => x.major !== hostMajor)) testOnNode(t, WORKER_EXIT, workerExitReleases);

t('a real SIGBUS in memory that is not ours (a file placed over wasm memory) still kills with SIGBUS', () => {
  const r = run('foreign-real-sigbus');
  expect({ signal: r.signal, touching: r.results.some((x) => x.touching), survived: r.results.some((x) => x.survived) })
    .toEqual({ signal: 'SIGBUS', touching: true, survived: false });
});

t('ids carry a generation: a closed id is an error, never the map that reused its slot', () => {
  const r = ok('stale-id');
  expect(r.same).toBe(false);
  expect(r.getByte).toEqual(expect.objectContaining({ ok: false, tag: 'closed' }));
  expect(r.setByte).toEqual(expect.objectContaining({ ok: false, tag: 'closed' }));
  expect(r.fileB0).toBe(r.expectB0);
  expect(r.forged).toEqual(Array(7).fill('closed'));
});

t('closed ids map to ValueError', () => {
  expect(makeError('closed', 0, '', '', null)).toBeInstanceOf(ValueError);
});
