/*
 * Compiles the TypeScript that the ported tests need to CommonJS with @swc/core, into a tree
 * with the repository's layout (so the tests' relative requires work), for the runtimes that
 * run them without jest: the Windows node.exe under wine (conformance/windows/run.js), Bun and
 * Deno (conformance/runtimes/run.js). shim/*.ts goes to both shim/ and shim/lib/ (tests that
 * start a child process use shim/lib), conformance/test_mmap/*.ts to conformance/test_mmap/,
 * conformance/lib/*.js is copied (support.ts records skips through it), and so is
 * conformance/windows/harness.js (the part of jest the ported files use) as harness.js.
 */
'use strict';

const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');

/** One .ts file to CommonJS. */
function compileFile(src, dst) {
  const swc = require('@swc/core');
  const { code } = swc.transformFileSync(src, {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
    sourceMaps: false,
  });
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  fs.writeFileSync(dst, code);
}

/**
 * Makes outRoot anew. `extra`: [[dir, suffix]] more files to compile, each to the same place
 * relative to the repository (e.g. [conformance/windows, '.wine.ts']).
 */
function compileTree(outRoot, extra = []) {
  fs.rmSync(outRoot, { recursive: true, force: true });
  for (const f of fs.readdirSync(path.join(ROOT, 'shim'))) {
    if (!f.endsWith('.ts') || f.endsWith('.d.ts')) continue;
    const js = f.replace(/\.ts$/, '.js');
    compileFile(path.join(ROOT, 'shim', f), path.join(outRoot, 'shim', js));
    compileFile(path.join(ROOT, 'shim', f), path.join(outRoot, 'shim', 'lib', js));
  }
  const tdir = path.join(ROOT, 'conformance', 'test_mmap');
  for (const f of fs.readdirSync(tdir)) {
    if (f.endsWith('.ts')) compileFile(path.join(tdir, f), path.join(outRoot, 'conformance', 'test_mmap', f.replace(/\.ts$/, '.js')));
  }
  for (const [dir, suffix] of extra) {
    for (const f of fs.readdirSync(dir)) {
      if (f.endsWith(suffix)) compileFile(path.join(dir, f), path.join(outRoot, path.relative(ROOT, dir), f.replace(/\.ts$/, '.js')));
    }
  }
  fs.copyFileSync(path.join(ROOT, 'conformance', 'windows', 'harness.js'), path.join(outRoot, 'harness.js'));
  const lib = path.join(ROOT, 'conformance', 'lib');
  fs.mkdirSync(path.join(outRoot, 'conformance', 'lib'), { recursive: true });
  for (const f of fs.readdirSync(lib)) if (f.endsWith('.js')) fs.copyFileSync(path.join(lib, f), path.join(outRoot, 'conformance', 'lib', f));
  // CommonJS, whatever the runtime's default (Deno reads a .js file as ESM without it)
  fs.writeFileSync(path.join(outRoot, 'package.json'), JSON.stringify({ private: true, type: 'commonjs' }) + '\n');
}

module.exports = { compileFile, compileTree };
