/*
 * What CPython 3.14's Lib/test/test_mmap.py has beyond the 3.13.0 file, run against
 * the module of the 3.14 version gate:
 *   - new tests: test_resize_up_anonymous_mapping, test_resize_up_private_anonymous_mapping,
 *     test_resize_down_anonymous_mapping (gh-138204; they replace the two Windows-only
 *     *_when_mapped_to_pagefile tests);
 *   - tests whose body changed: test_madvise (an __index__ length and a str length),
 *     test_flush_return_value (skips the EINVAL check under systemd-nspawn --suppress-sync).
 * Every other test of the 3.14 file is textually the one of 3.13.0 and runs from
 * test_mmap_313.test.ts (see manifest.json).
 * Source: the 3.14 test file as vendored by RustPython (Lib/test/test_mmap.py, commit
 * 0ba7048ac9947db0b4f89f908294555edef9cb55), RustPython's own decorators removed.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import {
  testFile, loadMmapModule, TestCase, testcase, skipUnless,
  makeTESTFN, unlink, exists, with_, addCleanup,
  assertEqual, assertIsNone, assertRaises, assertRaisesRegex,
  slice, ValueError, PyTypeError, OverflowError, OSError, isPyExc, len, b, rep, randbytes, indexable,
  IS_LINUX, IS_POSIX, MAXSIZE, in_systemd_nspawn_sync_suppressed,
} from './support';

testFile(__filename);
const mmap: any = loadMmapModule('3.14');

const PAGESIZE: number = mmap.PAGESIZE;
const TESTFN = makeTESTFN(__filename);

TestCase('MmapTests', {
  setUp() {
    if (exists(TESTFN)) unlink(TESTFN);
  },
  tearDown() {
    try { unlink(TESTFN); } catch { /* OSError: pass */ }
  },
}, () => {

  testcase('test_flush_return_value', () => {
    // mm.flush() should return None on success, raise an
    // exception on error under all platforms.
    const mm = new mmap.mmap(-1, 16);
    addCleanup(() => mm.close());
    mm.write(b('python'));
    const result = mm.flush();
    assertIsNone(result);
    if (IS_LINUX && !in_systemd_nspawn_sync_suppressed()) {
      // 'offset' must be a multiple of mmap.PAGESIZE on Linux.
      // See bpo-34754 for details.
      assertRaises(OSError, () => mm.flush(1, len(b('python'))));
    }
  });

  testcase('test_madvise', skipUnless(typeof mmap.mmap?.prototype?.madvise === 'function', 'needs madvise'), () => {
    const size = 2 * PAGESIZE;
    const m = new mmap.mmap(-1, size);

    // class Number: def __index__(self): return 2
    const Number = () => indexable(2);

    assertRaisesRegex(ValueError, 'madvise start out of bounds', () => m.madvise(mmap.MADV_NORMAL, size));
    assertRaisesRegex(ValueError, 'madvise start out of bounds', () => m.madvise(mmap.MADV_NORMAL, -1));
    assertRaisesRegex(ValueError, 'madvise length invalid', () => m.madvise(mmap.MADV_NORMAL, 0, -1));
    assertRaisesRegex(OverflowError, 'madvise length too large', () => m.madvise(mmap.MADV_NORMAL, PAGESIZE, MAXSIZE));
    assertRaisesRegex(PyTypeError, "'str' object cannot be interpreted as an integer",
      () => m.madvise(mmap.MADV_NORMAL, PAGESIZE, 'Not a Number'));
    assertEqual(m.madvise(mmap.MADV_NORMAL), null);
    assertEqual(m.madvise(mmap.MADV_NORMAL, PAGESIZE), null);
    assertEqual(m.madvise(mmap.MADV_NORMAL, PAGESIZE, size), null);
    assertEqual(m.madvise(mmap.MADV_NORMAL, 0, 2), null);
    assertEqual(m.madvise(mmap.MADV_NORMAL, 0, Number()), null);
    assertEqual(m.madvise(mmap.MADV_NORMAL, 0, size), null);
  });

  testcase('test_resize_up_anonymous_mapping', () => {
    // If the mmap is backed by the pagefile ensure a resize up can happen
    // and that the original data is still in place
    const start_size = PAGESIZE;
    const new_size = 2 * start_size;
    const data = randbytes(start_size);

    with_(new mmap.mmap(-1, start_size), (m) => {
      m.__setitem__(new slice(null, null), data);
      if (IS_LINUX) {
        // Can't expand a shared anonymous mapping on Linux.
        // See https://bugzilla.kernel.org/show_bug.cgi?id=8691
        assertRaises(ValueError, () => m.resize(new_size));
      } else {
        let resized = true;
        try {
          m.resize(new_size);
        } catch (e) {
          if (!isPyExc(e, 'SystemError')) throw e;
          resized = false;
        }
        if (resized) {
          assertEqual(len(m), new_size);
          assertEqual(m.__getitem__(new slice(null, start_size)), data);
          assertEqual(m.__getitem__(new slice(start_size, null)), rep(b('\0'), new_size - start_size));
        }
      }
    });
  });

  testcase('test_resize_up_private_anonymous_mapping', skipUnless(IS_POSIX, 'requires Posix'), () => {
    const start_size = PAGESIZE;
    const new_size = 2 * start_size;
    const data = randbytes(start_size);

    with_(new mmap.mmap(-1, start_size, { flags: mmap.MAP_PRIVATE }), (m) => {
      m.__setitem__(new slice(null, null), data);
      let resized = true;
      try {
        m.resize(new_size);
      } catch (e) {
        if (!isPyExc(e, 'SystemError')) throw e;
        resized = false;
      }
      if (resized) {
        assertEqual(len(m), new_size);
        assertEqual(m.__getitem__(new slice(null, start_size)), data);
        assertEqual(m.__getitem__(new slice(start_size, null)), rep(b('\0'), new_size - start_size));
      }
    });
  });

  testcase('test_resize_down_anonymous_mapping', () => {
    // If the mmap is backed by the pagefile ensure a resize down up can happen
    // and that a truncated form of the original data is still in place
    const start_size = 2 * PAGESIZE;
    const new_size = Math.floor(start_size / 2);
    const data = randbytes(start_size);

    with_(new mmap.mmap(-1, start_size), (m) => {
      m.__setitem__(new slice(null, null), data);
      let resized = true;
      try {
        m.resize(new_size);
      } catch (e) {
        if (!isPyExc(e, 'SystemError')) throw e;
        resized = false;
      }
      if (resized) {
        assertEqual(len(m), new_size);
        assertEqual(m.__getitem__(new slice(null, null)), data.subarray(0, new_size));
        if (IS_LINUX) {
          // Can't expand to its original size.
          assertRaises(ValueError, () => m.resize(start_size));
        }
      }
    });
  });
});
