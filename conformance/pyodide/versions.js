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

/** Pyodide 0.26-0.29 build CPython with a 32-bit C long off_t as far as Python sees it:
 *  `f.seek(2**32)` raises OverflowError ("Python int too large to convert to C long"), so
 *  test_mmap.py's LargeMmapTests cannot make their 5 GiB sparse file and skip themselves with
 *  this reason (also with the built-in mmap, before any map is made). 314 and 315 can. */
const NO_LARGE_FILES = 'filesystem does not have largefile support';

/** Tests of 3.13's file whose expectation 3.15 changed (Pyodide 315 runs 3.13's file): counted
 *  as skipped with this reason when they fail (the built-in mmap, CPython 3.15's own code,
 *  fails them the same way). */
const CHANGED_IN_315 = {
  'MmapTests.test_trackfd_parameter': "3.13's expectation: 3.15's size() with trackfd=False raises ValueError (\"can't get size with trackfd=False\"), not OSError",
  'MmapTests.test_trackfd_neg1': "3.13's expectation: 3.15's size() of an anonymous map is its length, and with trackfd=False raises ValueError, not OSError",
};

const PYODIDES = [
  { key: '0.26', pkg: 'pyodide-0.26', python: '3.12', testFile: '3.12', inJest: false, platformSkips: [NO_LARGE_FILES] },
  { key: '0.27', pkg: 'pyodide-0.27', python: '3.12', testFile: '3.12', inJest: true, platformSkips: [NO_LARGE_FILES] },
  { key: '0.28', pkg: 'pyodide-0.28', python: '3.13', testFile: '3.13', inJest: false, platformSkips: [NO_LARGE_FILES] },
  { key: '0.29', pkg: 'pyodide-0.29', python: '3.13', testFile: '3.13', inJest: true, platformSkips: [NO_LARGE_FILES] },
  { key: '314', pkg: 'pyodide', python: '3.14', testFile: '3.13', inJest: true, platformSkips: [] },
  { key: '315', pkg: 'pyodide-315', python: '3.15', testFile: '3.13', inJest: false, platformSkips: [], changed: CHANGED_IN_315 },
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
