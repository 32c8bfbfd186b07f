// The hot paths in a real Bun (JavaScriptCore: the shim's paths are tuned on V8, and m[i] once
// cost 5.5x there): readline and small slices (slab copies made by the control-block calls)
// give the right bytes as Buffers in every observable way, results do not change when the file
// does, pages of a truncated file raise OSError(EFAULT) (not a crash, not zeros), and m[i]
// (its extra-argument path forwarded with apply) works.
// Bun: $PYMMAP_BUN, or the npm package `bun` in node_modules.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const skips = require('../../conformance/lib/skips');

const ROOT = path.resolve(__dirname, '..', '..');

function findBun(): { bin: string; reason: string | null } {
  const cands = [process.env.PYMMAP_BUN, path.join(ROOT, 'node_modules/bun/bin/bun.exe')].filter(Boolean) as string[];
  for (const c of cands) {
    try {
      execFileSync(c, ['--version'], { stdio: 'ignore' });
      return { bin: c, reason: null };
    } catch {
      /* next */
    }
  }
  return { bin: '', reason: 'no bun binary ($PYMMAP_BUN, or the npm package bun in node_modules)' };
}

const bun = findBun();

const SCRIPT = `
const M = require(${JSON.stringify(path.join(ROOT, 'shim/lib/index.js'))});
const { slice } = require(${JSON.stringify(path.join(ROOT, 'shim/lib/builtins.js'))});
const fs = require('fs');
const f = process.argv[2];
const line = 'abcdefghij'.repeat(6) + '\\n';
const out = [];
for (const [name, access] of [['READ', M.ACCESS_READ], ['WRITE', M.ACCESS_WRITE], ['COPY', M.ACCESS_COPY]]) {
  fs.writeFileSync(f, line.repeat(Math.ceil(5 * 4096 / line.length)));
  const fd = fs.openSync(f, 'r+');
  const m = new M.mmap(fd, 0, { access });
  const r = { access: name };
  const l1 = m.readline();
  const s1 = m.__getitem__(new slice(5, 21));
  r.line = l1.toString();
  r.slice = s1.toString();
  r.isBuffer = Buffer.isBuffer(l1) && Buffer.isBuffer(s1) && l1.constructor === Buffer;
  r.byte = m.__getitem__(3);
  r.byteExtra = (() => { try { m.__getitem__(3, 4); return 'no error'; } catch (e) { return e.name; } })();
  // the file changes: results already returned do not
  const w = fs.openSync(f, 'r+');
  fs.writeSync(w, Buffer.from('XXXXXXXXXXXXXXXXXXXXXXXX'), 0, 24, 0);
  fs.closeSync(w);
  r.lineKept = l1.toString() === line && s1.toString() === line.slice(5, 21);
  m.seek(0);
  r.lineNow = m.readline().toString();
  // truncated under the map: OSError, then the map works again once the file regrows
  fs.ftruncateSync(fd, 4096);
  m.seek(8192);
  try { m.readline(); r.truncReadline = 'no error'; } catch (e) { r.truncReadline = e.name + ' ' + e.errno; }
  try { m.__getitem__(new slice(9000, 9016)); r.truncSlice = 'no error'; } catch (e) { r.truncSlice = e.name + ' ' + e.errno; }
  fs.ftruncateSync(fd, 5 * 4096);
  m.seek(0);
  r.afterRegrow = m.readline().length;
  m.close();
  fs.closeSync(fd);
  out.push(r);
}
console.log(JSON.stringify(out));
`;

describe('Bun: the hot paths', () => {
  skips.register(test, bun.reason, 'prerequisite', 'readline, slices and m[i] in Bun', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-bun-'));
    try {
      const script = path.join(dir, 'check.js');
      fs.writeFileSync(script, SCRIPT);
      const r = spawnSync(bun.bin, [script, path.join(dir, 'data.bin')], { encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const line = 'abcdefghij'.repeat(6) + '\n';
      const got = JSON.parse(r.stdout);
      expect(got).toEqual(['READ', 'WRITE', 'COPY'].map((access) => ({
        access, line, slice: line.slice(5, 21), isBuffer: true, byte: 'd'.charCodeAt(0), byteExtra: 'TypeError',
        lineKept: true, lineNow: 'X'.repeat(24) + line.slice(24),
        truncReadline: 'OSError 14', truncSlice: 'OSError 14', afterRegrow: line.length,
      })));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
