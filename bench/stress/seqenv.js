'use strict';
// The environment the sequential segment's operations run in, as source text: the segment
// evaluates it with model hooks, and every saved trace (a standalone repro script) starts with
// the same text, so a trace replays exactly what ran.
//
// S.m[k]   the maps          S.x[j]  held buffer exports     S.fd / S.fd2  two fds per file
// S.b(hex) a Buffer          S.sl(a, b, c)  a slice          S.ix(v, fn)   an index-like object
// S.act(name, ...)  an action run from inside __index__ (close, resize, trunc, export, release,
//                   write, seek, boom)
// S.op(n, fn)       one traced operation: prints its outcome when replayed
const PRELUDE = String.raw`
const S = (() => {
  const fs = require('fs');
  const path = require('path');
  const os = require('os');
  const M = require(process.env.PYMMAP_SHIM || SHIM_PATH);
  const B = require(process.env.PYMMAP_BUILTINS || BUILTINS_PATH);
  const S = { M, B, mmap: M.mmap, m: [], x: [], fd: [], fd2: [], files: [], hooks: null, quiet: false, nonpy: 0 };
  class Boom extends Error { constructor() { super('boom from __index__'); this.name = 'Boom'; this.__boom = true; } }
  class Idx {
    constructor(v, fn) { this.v = v; this.fn = fn; }
    __index__() { if (this.fn) { const f = this.fn; this.fn = null; f(); } return this.v; }
  }
  S.Boom = Boom;
  S.b = (hex) => Buffer.from(hex, 'hex');
  S.sl = (a, b, c) => new B.slice(a, b, c);
  S.ix = (v, fn) => new Idx(v, fn);
  S.setup = (contents) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-seq-'));
    S.dir = dir;
    contents.forEach((hex, i) => {
      const p = path.join(dir, 'f' + i);
      fs.writeFileSync(p, Buffer.from(hex, 'hex'));
      S.files.push(p);
      S.fd.push(fs.openSync(p, 'r+'));
      S.fd2.push(fs.openSync(p, 'r+'));
    });
    if (!S.hooks) process.on('exit', () => { try { fs.rmSync(dir, { recursive: true, force: true }); } catch {} });
  };
  S.describe = (e) => {
    if (e && e.__boom) return 'Boom';
    if (e instanceof B.BaseException) return (e.name === 'SystemError' ? 'NONPY ' : '') + e.name + (e.code ? '[' + e.code + ']' : '') + ': ' + e.message;
    return 'NONPY ' + (e && e.constructor && e.constructor.name) + ': ' + (e && e.message);
  };
  const show = (v) => Buffer.isBuffer(v) ? 'bytes(' + v.length + ') ' + v.subarray(0, 24).toString('hex') : (v && v.view) ? 'export(' + v.view.length + ')' : (v instanceof M.mmap) ? 'mmap' : String(v);
  S.act = (name, ...a) => {
    const h = S.hooks;
    let ok = true, r, err;
    try {
      switch (name) {
        case 'boom': throw new Boom();
        case 'close': r = S.m[a[0]].close(); break;
        case 'resize': r = S.m[a[0]].resize(a[1]); break;
        case 'trunc': r = fs.ftruncateSync(S.fd2[a[0]], a[1]); break;
        case 'export': r = S.x[a[1]] = S.m[a[0]].__buffer__(0); break;
        case 'release': r = S.x[a[0]].release(); break;
        case 'write': r = S.m[a[0]].__setitem__(S.sl(a[1], a[1] + a[2].length / 2), S.b(a[2])); break;
        case 'seek': r = S.m[a[0]].seek(a[1]); break;
      }
    } catch (e) {
      if (e && e.__boom) throw e;
      ok = false; err = e;
    }
    if (h) h(name, a, ok, err);
    else {
      if (!ok && S.describe(err).startsWith('NONPY')) S.nonpy++;
      if (!S.quiet) console.log('    act ' + name + '(' + a.join(', ') + '): ' + (ok ? 'ok' : S.describe(err)));
    }
  };
  S.outcomes = {};
  S.lens = {};
  S.op = (n, fn) => {
    S.lens[n] = S.m.map((m) => { try { return m ? m.__len__() : -1; } catch (e) { return -1; } });
    try {
      const r = fn();
      S.outcomes[n] = 'ok';
      if (!S.quiet) console.log('op ' + n + ': ok ' + show(r));
      return r;
    } catch (e) {
      const d = S.describe(e);
      S.outcomes[n] = d;
      if (d.startsWith('NONPY')) S.nonpy++;
      if (!S.quiet) console.log('op ' + n + ': ' + d);
    }
  };
  // what the stress campaign found wrong with op n, checked again
  S.expect = (n, what) => {
    const o = S.outcomes[n] || 'not run';
    const ok = what === 'raises' ? o !== 'ok' && !o.startsWith('NONPY') : what === 'python' ? !o.startsWith('NONPY') && S.nonpy === 0 : true;
    console.log((ok ? 'CHECK ok' : 'CHECK FAILED') + ': op ' + n + ' ' + what + ' (it gave: ' + o + ')');
    if (!ok) process.exitCode = 3;
  };
  // op n returned success although file offset o of file f is in a page wholly past the end of
  // the file (it must raise OSError there)
  S.expectPastEof = (n, f, o, k, i) => {
    const size = fs.fstatSync(S.fd[f]).size;
    const past = o >= Math.ceil(size / 4096) * 4096;
    // map k (where file offset o is index i) reached that offset when op n began
    const covers = k === undefined || (S.lens[n] && S.lens[n][k] > i);
    const bad = S.outcomes[n] === 'ok' && past && covers;
    console.log((bad ? 'CHECK FAILED' : 'CHECK ok') + ': op ' + n + ' gave ' + (S.outcomes[n] || 'not run') + '; its file offset ' + o + ' is ' + (past ? '' : 'not ') + 'past the end of file ' + f + ' (' + size + ' bytes)');
    if (bad) process.exitCode = 3;
  };
  S.expectBytes = (f, o, cands) => {
    const b = fs.readFileSync(S.files[f]);
    const ok = cands.includes(b[o]);
    console.log((ok ? 'CHECK ok' : 'CHECK FAILED') + ': file ' + f + ' byte ' + o + ' is ' + b[o] + ', expected one of ' + JSON.stringify(cands));
    if (!ok) process.exitCode = 3;
  };
  return S;
})();
`;

/** The prelude with the shim paths filled in. */
function prelude(shimPath, builtinsPath) {
  return PRELUDE.replace('SHIM_PATH', JSON.stringify(shimPath)).replace('BUILTINS_PATH', JSON.stringify(builtinsPath));
}

module.exports = { prelude };
