/*
 * Issue 11, item 3: the Pyodide bridge's copying path loses nothing. A CPython peer process
 * (CPython's own mmap on the host file) and Python inside Pyodide (pymmap's bridge) write to
 * one shared file, interleaved, acknowledging each other, while a memoryview export of
 * Python's map is held (on the copying path: a copy of the whole map, written back on release
 * and before each operation on the map). Every byte of both writers is in a model; the file
 * must equal it byte for byte at the end, so one byte of the peer's reverted by a write-back
 * (or one of Python's lost) fails. The same run in zero-copy mode, where it holds trivially,
 * keeps both modes to it. Each run is its own process (conformance/pyodide/copyback.js); nothing
 * is timed (the cost of an export is in bench/pyodide.js).
 */
/* eslint-disable @typescript-eslint/no-var-requires */
import * as path from 'path';
import { execFile } from 'child_process';

const runner = require('./run.js');
const pyenv = require('../lib/pyenv');
const { testIf } = require('../lib/skips');

const DRIVER = path.join(__dirname, 'copyback.js');

function findPeer(): { exe: string | null; why: string | null } {
  const tried: string[] = [];
  for (const minor of ['3.13', '3.12', '3.11']) {
    const r = pyenv.findPython(minor);
    if (r.interpreter) return { exe: r.interpreter.exe, why: null };
    tried.push(r.reason);
  }
  return { exe: null, why: `no CPython for the peer process: ${tried.join('; ')}` };
}

const pre: string | null = runner.preflight();
const peer = pre ? { exe: null, why: null } : findPeer();
const why = pre ?? peer.why;

function run(mode: string): Promise<any> {
  return new Promise((resolve) => {
    execFile(process.execPath, [DRIVER, '--mode', mode, '--python', peer.exe as string, '--rounds', '3'],
      { timeout: 240000, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
        const line = String(stdout).trim().split('\n').pop() || '';
        try {
          resolve(JSON.parse(line));
        } catch {
          resolve({ ok: false, error: `${err ? err.message : 'no result'}: ${String(stderr).trim().slice(-2000)}` });
        }
      });
  });
}

describe('Pyodide bridge: a CPython peer and Python write to one file while an export is held', () => {
  for (const mode of ['copy', 'bridge']) {
    const title = mode === 'copy' ? 'copying path' : 'zero-copy';
    testIf(why, `${title}: no byte of either writer is lost or reverted`, async () => {
      const r = await run(mode);
      expect(r.error ?? null).toBeNull();
      expect(r.ok).toBe(true);
      expect(r.zeroCopy).toBe(mode === 'bridge');
      const rep = r.report;
      expect(rep.first_wrong).toEqual([]);      // [offset, in the file, expected, last writer]
      expect(rep.wrong_bytes).toBe(0);
      expect(rep.window_bad).toEqual([]);       // the map showed the peer's bytes after its ack
      expect(rep.seen_bad).toEqual([]);         // the peer saw Python's bytes after a sync
      expect(rep.file_sha256).toBe(rep.model_sha256);
      expect(rep.peer_sha256).toBe(rep.model_sha256);
      expect(rep.host_sha256).toBe(rep.model_sha256);
      expect(rep.size).toBeGreaterThan(3 << 20);
    }, 300000);
  }
});
