"""Runs CPython's own Lib/test/test_mmap.py inside Pyodide (conformance/pyodide/job.js).

job.js sets these globals before running this file:
  TEST_SRC   the source of test_mmap.py, read at run time from the CPython installed on the
             machine (never copied into the repository)
  TEST_NAME  its file name, for tracebacks
  SUPPORT    where the same CPython's Lib/test/ directory is mounted, for test.support
  WORKDIR    the working directory (a NODEFS mount of a host temporary directory: TESTFN)
  ONLY       a substring of test ids to select ('' for all)

The only change made to the test file is the module-level Emscripten skip:

    if is_emscripten:
        raise unittest.SkipTest("incompatible with Emscripten's mmap emulation.")

becomes `if False:`. Everything else (the tests, their decorators and their run-time skips) is
CPython's. The result is a JSON string: {"mmap": repr of the mmap module, "results": [{"test":
"MmapTests.test_basic", "status": "ok"|"FAIL"|"ERROR"|"skip"|"xfail"|"XPASS", "ms", "detail"}]}.
"""
import json
import os
import sys
import time
import types
import unittest

GUARD = 'if is_emscripten:\n    raise unittest.SkipTest('


def _load_module():
    if TEST_SRC.count(GUARD) != 1:
        raise RuntimeError('%s: the module-level Emscripten skip was not found exactly once'
                           % TEST_NAME)
    src = TEST_SRC.replace(GUARD, 'if False:\n    raise unittest.SkipTest(')
    mod = types.ModuleType('test_mmap_pyodide')
    mod.__file__ = TEST_NAME
    sys.modules[mod.__name__] = mod
    exec(compile(src, TEST_NAME, 'exec'), mod.__dict__)
    return mod


def _short_id(test):
    return test.id().split('.', 1)[1]          # MmapTests.test_basic


class _Result(unittest.TestResult):
    """Collects one record per test; a test whose subtests failed is one FAIL/ERROR record
    with every failing subtest in its detail."""

    def __init__(self, results):
        super().__init__()
        self.records = results
        self._t0 = 0.0
        self._sub = None

    def startTest(self, test):
        super().startTest(test)
        self._t0 = time.time()
        self._sub = None

    def _record(self, test, status, detail=''):
        self.records.append(dict(test=_short_id(test), status=status,
                                 ms=round((time.time() - self._t0) * 1000), detail=detail))

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            kind = 'FAIL' if issubclass(err[0], test.failureException) else 'ERROR'
            prev_kind, prev = self._sub or (kind, '')
            self._sub = (prev_kind, prev + '%s %s\n%s' % (
                subtest.id(), subtest._subDescription(), self._exc_info_to_string(err, test)))

    def stopTest(self, test):
        if self._sub and not any(r['test'] == _short_id(test) for r in self.records):
            self._record(test, *self._sub)
        self._sub = None
        super().stopTest(test)

    def addSuccess(self, test):
        super().addSuccess(test)
        if not self._sub:                      # subtest failures are recorded in stopTest
            self._record(test, 'ok')

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._record(test, 'FAIL', self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._record(test, 'ERROR', self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._record(test, 'skip', reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._record(test, 'xfail', self._exc_info_to_string(err, test))

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._record(test, 'XPASS')


def _flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from _flatten(t)
        else:
            yield t


def main():
    sys.dont_write_bytecode = True             # nothing is written into the CPython tree
    sys.path.insert(0, os.path.dirname(SUPPORT))
    os.chdir(WORKDIR)
    mod = _load_module()
    import mmap
    suite = unittest.defaultTestLoader.loadTestsFromModule(mod)
    if ONLY:
        suite = unittest.TestSuite([t for t in _flatten(suite) if ONLY in t.id()])
    results = []
    suite.run(_Result(results))
    return json.dumps(dict(mmap=repr(mmap), results=results))


main()
