/*
 * The Pyodide versions pymmap's bridge is tested on: each installed from npm as a devDependency
 * (an alias, pinned: package.json), with the Python it embeds and the CPython test_mmap.py run
 * inside it (the file of the same Python, read from the interpreters installed here; for 3.14
 * and 3.15, which have no interpreter here, the newest file there is: 3.13's).
 *
 * `inJest`: also run by `npm test` (conformance/pyodide/pyodide.test.ts): the newest release
 * of each Python line with a test file of its own Python (0.27 for 3.12, 0.29 for 3.13) and
 * the `pyodide` devDependency itself (314). Every version runs in `npm run test:pyodide` and
 * `npm run conformance`, and every version's zero-copy is checked by `npm test`.
 */
'use strict';

const PYODIDES = [
  { key: '0.26', pkg: 'pyodide-0.26', python: '3.12', testFile: '3.12', inJest: false },
  { key: '0.27', pkg: 'pyodide-0.27', python: '3.12', testFile: '3.12', inJest: true },
  { key: '0.28', pkg: 'pyodide-0.28', python: '3.13', testFile: '3.13', inJest: false },
  { key: '0.29', pkg: 'pyodide-0.29', python: '3.13', testFile: '3.13', inJest: true },
  { key: '314', pkg: 'pyodide', python: '3.14', testFile: '3.13', inJest: true },
  { key: '315', pkg: 'pyodide-315', python: '3.15', testFile: '3.13', inJest: false },
];

/** The entry of a key ('0.29', '314'); an Error naming the keys otherwise. */
function pyodideFor(key) {
  const p = PYODIDES.find((x) => x.key === String(key));
  if (!p) throw new Error(`unknown Pyodide ${key} (${PYODIDES.map((x) => x.key).join(', ')})`);
  return p;
}

/** The installed version of an entry's package ('0.29.5'), or null when it is not installed. */
function installedVersion(p) {
  try {
    return require(`${p.pkg}/package.json`).version;
  } catch {
    return null;
  }
}

/** The short key of a column: '29' for 0.29, '314' for 314. */
const shortKey = (key) => String(key).replace(/^0\./, '');

module.exports = { PYODIDES, pyodideFor, installedVersion, shortKey };
