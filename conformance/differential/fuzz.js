#!/usr/bin/env node
// Plain-JS entry for the differential fuzzer: compiles the TypeScript sources on the fly
// (conformance/lib/ts.js), then runs fuzz.ts.
//   node conformance/differential/fuzz.js --version 3.12 --count 10000 --seed 1
//   node conformance/differential/fuzz.js --replay .tmp/differential/3.12/g1-17.json
// Also the child entry of run-shim.ts's isolated mode (--shim-child VERSION).
'use strict';
const path = require('path');
const { registerTs } = require('../lib/ts');

registerTs();
const { main } = require(path.join(__dirname, 'fuzz.ts'));
Promise.resolve(main(process.argv.slice(2))).then(
  (code) => { process.exitCode = typeof code === 'number' ? code : 0; },
  (err) => { console.error(err && err.stack ? err.stack : err); process.exitCode = 2; },
);
