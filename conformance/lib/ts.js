/*
 * Loads TypeScript sources in plain Node scripts (outside jest): require() of a .ts file is
 * compiled on the fly with @swc/core (a devDependency), to CommonJS, with inline source maps.
 * Used by conformance/differential/fuzz.js and conformance/lib/registrations.js.
 */
'use strict';

const fs = require('fs');

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

module.exports = { registerTs };
