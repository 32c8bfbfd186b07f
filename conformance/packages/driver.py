"""Runs the package workloads (conformance/packages/workloads/) and prints one JSON document.

The same file runs under CPython (the pyenv interpreter, CPython's own mmap) and inside
Pyodide (conformance/packages/job.js, with pymmap's bridge installed); the jest test compares
the two documents. Under CPython:

    python3 driver.py SITE_PACKAGES DATA_DIR WORK_DIR [NAME,...]

SITE_PACKAGES is the unpacked debs' dist-packages, DATA_DIR the inputs of inputs.js (read
only), WORK_DIR an empty folder the workloads write in. The document is {"results": {name: ...},
"seconds": {name: ...}} (the seconds are for the person reading, never compared). For each
workload the results hold its result (or the exception it raised, as `error`) and the maps it made, as seen by the audit
hook on "mmap.__new__" (fileno -1 or a file, length, access, offset; counted, and hashed in
sorted order): so both sides must make the same maps, not only give the same answers.
PYMMAP_PACKAGES_ALL_MAPS=1 adds every map, in order, to the summary.
"""

import importlib
import json
import os
import sys
import time
import traceback

WORKLOADS = ['pefile_pe', 'smmap_windows', 'gitdb_odb', 'dulwich_pack', 'whoosh_index', 'bitstring_scan', 'periphery_mmio']

_events = []
_hooked = False


def _hook(event, args):
    if event == 'mmap.__new__':
        fileno, length, access, offset = args
        _events.append(['anon' if fileno == -1 else 'file', length, access, offset])


def _maps_summary(events):
    """The maps a workload made, in an order of their own: packages list folders (os.listdir),
    whose order is the file system's under CPython and sorted under Pyodide (Node's readdir),
    and they map the files in the order they list them."""
    import hashlib
    ordered = sorted(events)
    summary = {
        'count': len(events),
        'anonymous': sum(1 for e in events if e[0] == 'anon'),
        'file': sum(1 for e in events if e[0] == 'file'),
        'digest': hashlib.sha256(json.dumps(ordered).encode()).hexdigest(),
    }
    if os.environ.get('PYMMAP_PACKAGES_ALL_MAPS'):  # for a person looking into a difference
        summary['all'] = events
    return summary


def run(site, data, work, only=''):
    global _hooked
    here = os.path.dirname(os.path.abspath(__file__))
    for p in (site, here):
        if p not in sys.path:
            sys.path.insert(0, p)
    if not _hooked:
        sys.addaudithook(_hook)
        _hooked = True
    names = [n for n in WORKLOADS if not only or n in only.split(',')]
    out = {}
    seconds = {}
    for name in names:
        wdir = os.path.join(work, name)
        os.makedirs(wdir, exist_ok=True)
        del _events[:]
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module('workloads.' + name)
            result = mod.run(data, wdir)
        except BaseException as e:  # reported, compared like any result
            tb = traceback.extract_tb(e.__traceback__)
            where = ['%s:%d %s' % (os.path.basename(f.filename), f.lineno, f.name) for f in tb[-4:]]
            result = {'error': '%s: %s' % (type(e).__name__, e), 'where': where}
        seconds[name] = round(time.perf_counter() - t0, 3)
        out[name] = {'result': result, 'maps': _maps_summary(list(_events))}
    return json.dumps({'results': out, 'seconds': seconds}, sort_keys=True)


if __name__ == '__main__':
    argv = sys.argv[1:]
    print(run(argv[0], argv[1], argv[2], argv[3] if len(argv) > 3 else ''))
