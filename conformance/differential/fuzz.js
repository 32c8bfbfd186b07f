#!/usr/bin/env node
// Plain-JS entry for the differential fuzzer: compiles the TypeScript sources on the fly with
// @swc/core (a devDependency), then runs fuzz.ts.
//   node conformance/differential/fuzz.js --version 3.12 --count 10000 --seed 1
//   node conformance/differential/fuzz.js --replay .tmp/differential/3.12/g1-17.json
// Also the child entry of run-shim.ts's isolated mode (--shim-child VERSION).
'use strict';
const fs = require('fs');
const path = require('path');

function registerTs() {
  if (require.extensions['.ts']) return; // already registered (jest, ts-node, ...)
  const swc = require('@swc/core');
  require.extensions['.ts'] = function compileTs(module, filename) {
    const src = fs.readFileSync(filename, 'utf8');
    const out = swc.transformSync(src, {
      filename,
      sourceMaps: 'inline',
      swcrc: false,
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        target: 'es2022',
        keepClassNames: true,
      },
      module: { type: 'commonjs' },
    });
    module._compile(out.code, filename);
  };
}

registerTs();
const { main } = require(path.join(__dirname, 'fuzz.ts'));
Promise.resolve(main(process.argv.slice(2))).then(
  (code) => { process.exitCode = typeof code === 'number' ? code : 0; },
  (err) => { console.error(err && err.stack ? err.stack : err); process.exitCode = 2; },
);
