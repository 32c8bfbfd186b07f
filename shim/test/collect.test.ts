// A map nobody closed is unmapped when it is collected, as CPython's dealloc closes it: the
// mapping and the duplicate fd go (mapping.ts, the FinalizationRegistry). A map that was closed
// is not closed again when it is collected later, even after its native slot went to a new map.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import * as vm from 'vm';
import * as M from '../index';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { testOn } = require('../../conformance/lib/skips');

const bun = (globalThis as any).Bun;
const gc: () => void = bun ? () => bun.gc(true) : (v8.setFlagsFromString('--expose-gc'), vm.runInNewContext('gc'));
const linuxOnly = process.platform === 'linux' ? null : 'the checks read /proc/self (Linux only)';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-collect-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const mapsOf = (file: string) => fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.endsWith(file)).length;
const fdsOf = (file: string) => fs.readdirSync('/proc/self/fd').filter((f) => {
  try { return fs.readlinkSync(`/proc/self/fd/${f}`) === file; } catch { return false; }
}).length;

async function collect(until: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !until(); i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
}

function makeFile(name: string, size: number, fill: number): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, Buffer.alloc(size, fill));
  return f;
}

testOn(linuxOnly, 'a map nobody closed is unmapped, and its fd closed, once it is collected', async () => {
  const f = makeFile('unclosed.bin', 3 * 4096, 7);
  const fd = fs.openSync(f, 'r+');
  (() => {
    for (let i = 0; i < 3; i++) {
      const m = new M.mmap(fd, 0);
      expect(m.__getitem__(i)).toBe(7);
    }
    const a = new M.mmap(fd, 0, { access: M.ACCESS_READ });
    a.read(100);
  })();
  fs.closeSync(fd);
  expect({ maps: mapsOf(f), fds: fdsOf(f) }).toEqual({ maps: 4, fds: 4 });
  await collect(() => mapsOf(f) === 0 && fdsOf(f) === 0);
  expect({ maps: mapsOf(f), fds: fdsOf(f) }).toEqual({ maps: 0, fds: 0 });
});

testOn(linuxOnly, 'a closed map collected later leaves the map that took its native slot alone', async () => {
  const f = makeFile('old.bin', 4096, 1);
  const g = makeFile('new.bin', 4096, 2);
  const fdf = fs.openSync(f, 'r');
  const fdg = fs.openSync(g, 'r');
  const kept: M.mmap[] = [];
  (() => {
    for (let i = 0; i < 20; i++) {
      new M.mmap(fdf, 0, { access: M.ACCESS_READ }).close(); // closed, left to the collector
      kept.push(new M.mmap(fdg, 0, { access: M.ACCESS_READ })); // takes the freed slot
    }
  })();
  fs.closeSync(fdf);
  fs.closeSync(fdg);
  for (let i = 0; i < 10; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
  expect({ maps: mapsOf(g), fds: fdsOf(g), old: mapsOf(f) + fdsOf(f) }).toEqual({ maps: 20, fds: 20, old: 0 });
  expect(kept.map((m) => m.__getitem__(0))).toEqual(Array(20).fill(2));
  for (const m of kept) m.close();
  expect({ maps: mapsOf(g), fds: fdsOf(g) }).toEqual({ maps: 0, fds: 0 });
});
