/*
 * Real packages (issue 11, item 8): pure-Python packages that use mmap, from Debian's archive
 * (conformance/packages/debs.json: pefile, smmap, gitdb, dulwich, Whoosh, bitstring,
 * python-periphery, versions pinned), run on real inputs (7-Zip's Windows builds from the npm package 7zip-bin, a git
 * repository made here with git, their own sources as text) under CPython 3.13 with CPython's
 * own mmap, and inside Pyodide with pymmap's bridge, zero-copy and copying path. Every output
 * must be CPython's, and so must the maps the packages made (the audit hook's mmap.__new__
 * events). run.js does the work (one process per side, all at once); README.md in this folder
 * says what each workload does. One more Pyodide job runs periphery_mmio with Pyodide's
 * built-in mmap, an emulation whose maps are not shared, and must differ: the workloads can
 * tell a real shared map from a copy.
 *
 * Prerequisites are decided when the tests are registered: apt-get and dpkg-deb (the debs are
 * fetched and unpacked on first use into ~/.cache/pymmap-debs), CPython 3.13, git, the npm
 * packages pyodide and 7zip-bin, the built shim. A missing one skips every test with the reason
 * (a failure with CI=true). Nothing here is timed.
 */
/* eslint-disable @typescript-eslint/no-var-requires */
const runner = require('./run.js');
const debs = require('./debs.js');
const inputs = require('./inputs.js');
const pyenv = require('../lib/pyenv');
const { testIf } = require('../lib/skips');
const { spawnSync } = require('child_process');

const WORKLOADS = ['pefile_pe', 'smmap_windows', 'gitdb_odb', 'dulwich_pack', 'whoosh_index', 'bitstring_scan', 'periphery_mmio'];
const MODES: [string, string][] = [['bridge', 'zero-copy'], ['copy', 'copying path']];

function missing(): string | null {
  const pre = runner.preflight();
  if (pre) return pre;
  const py = pyenv.findPython(runner.CPYTHON);
  if (!py.interpreter) return py.reason;
  if (!inputs.sevenZipDir()) return 'the npm package 7zip-bin (a devDependency) is not installed: npm install';
  if (spawnSync('git', ['--version']).status !== 0) return 'git is not installed (the git repository input is made with it)';
  const d = debs.ensureDebs(); // fetched on first use: a few hundred KB
  return d.missing || null;
}

const why: string | null = missing();
let run: any = null;
let runError: unknown = null;

beforeAll(async () => {
  if (why) return;
  try {
    // periphery_mmio also under Pyodide's built-in mmap, whose maps are not shared
    run = await runner.runAll({ modes: MODES.map(([m]) => m), anchor: 'periphery_mmio' });
    if (run.missing) runError = new Error(run.missing);
  } catch (e) {
    runError = e;
  }
}, 600000);

const cp = (w: string) => run.cpython.results[w];

/** What each workload must have done under CPython, so that "the same output" means something. */
const SUBSTANCE: Record<string, (r: any, maps: any) => void> = {
  pefile_pe: (r, maps) => {
    expect(Object.keys(r).sort()).toEqual(['arm64', 'ia32', 'x64']);
    for (const a of ['x64', 'ia32', 'arm64']) {
      expect(r[a].is_mmap).toBe(true);
      expect(r[a].sections.length).toBeGreaterThanOrEqual(5);
      expect(r[a].imports.length).toBeGreaterThan(3);
      expect(r[a].resources.length).toBeGreaterThan(0);
      expect(r[a].version_info.some((v: any) => v[1] === 'CompanyName' && v[2] === 'Igor Pavlov')).toBe(true);
      expect(r[a].file_unchanged).toBe(true);
      expect(r[a].rewritten[0]).toBe(0x5eed);
    }
    expect(r.x64.exceptions).toBeGreaterThan(1000);
    expect(r.ia32.is_mmap_before_write).toBe(false); // the checksum swapped the map for a copy
    expect(maps).toEqual(expect.objectContaining({ count: 6, file: 6 }));
  },
  smmap_windows: (r, maps) => {
    expect(r.mismatches).toEqual([]);
    expect(r.windows.length).toBe(600);
    expect(r.buffers.every((b: any) => b[2].slice(0, -1).every((p: any) => p[3] === true))).toBe(true);
    expect(r.static.every((s: any) => s[6] === true)).toBe(true);
    expect(maps.file).toBeGreaterThan(200); // windows at offsets, unmapped and mapped again
  },
  gitdb_odb: (r, maps) => {
    expect(r.bad).toEqual([]);
    expect(r.count).toBeGreaterThan(150);
    expect(r.packs).toHaveLength(2);
    for (const p of r.packs) {
      expect(p.valid_crc).toBe(p.objects[0]);
      expect(p.delta_depths.length).toBeGreaterThan(1);
    }
    expect(r.loose_written).toEqual([60, 60, 60]);
    expect(r.pack_written[1]).toBe(r.pack_written[0]);
    expect(r.small_windows[1]).toMatch(/^(BufferError|ValueError): /); // gitdb's own failure
    expect(maps.anonymous).toBeGreaterThan(100); // one per delta resolved, written by gitdb
  },
  dulwich_pack: (r, maps) => {
    expect(r.packs).toHaveLength(2);
    for (const p of r.packs) {
      expect(p.all_ids_match).toBe(true);
      expect(p.checksums_agree).toEqual([true, true]);
    }
    expect(r.walk).toHaveLength(12);
    expect(r.store[0]).toBeGreaterThan(150);
    expect(r.store[2]).toBe(r.store[0]);
    expect(r.loose_packed).toBeGreaterThan(10);
    expect(r.new_packs.every((p: any) => p[2] === true)).toBe(true);
    expect(maps.file).toBeGreaterThan(5);
  },
  whoosh_index: (r, maps) => {
    expect(r.documents).toBeGreaterThan(50);
    expect(r.segments_before).toBe(3);
    expect(r.before.find((q: any) => q[0] === 'mmap')[1]).toBeGreaterThan(3);
    expect(r.after.find((q: any) => q[0] === 'mmap')[2].length).toBeGreaterThan(3);
    expect(maps.file).toBeGreaterThanOrEqual(4); // three segments, then the merged one
  },
  bitstring_scan: (r, maps) => {
    for (const a of ['x64', 'ia32', 'arm64']) {
      expect(r[a].sig).toBe('50450000');
      expect(r[a].sections).toHaveLength(r[a].coff[1]);
    }
    expect(r.packs.map((p: any) => p.sig)).toEqual(['PACK', 'PACK']);
    expect(maps.file).toBeGreaterThanOrEqual(8);
  },
  periphery_mmio: (r, maps) => {
    expect(r.writes).toBe(300);
    expect(r.all_seen_at_once).toBe(true); // by a second map and by os.pread, without flush
    expect(r.errors.every((e: any) => typeof e === 'string' && e.startsWith('ValueError: '))).toBe(true);
    expect(r.after_close[2]).toBe(true);
    expect(r.file.slice(2)).toEqual([true, true]); // nothing written outside the register block
    expect(r.missing_device).toEqual(['MMIOError', true, true, true]);
    expect(maps).toEqual(expect.objectContaining({ count: 3, file: 3 }));
  },
};

describe('real packages: CPython against Pyodide with the bridge', () => {
  testIf(why, 'the runs finish (debs fetched, inputs made, CPython and both Pyodide jobs)', () => {
    expect(runError).toBeNull();
    expect(run.cpython.error).toBeUndefined();
    for (const [m] of MODES) {
      expect(run.pyodide[m].error).toBeUndefined();
    }
    expect(run.pyodide.bridge.zeroCopy).toBe(true);
    expect(run.pyodide.copy.zeroCopy).toBe(false);
  });

  testIf(why, 'no input file changed (the packages map them read-only or private, or only read them)', () => {
    expect(run.inputFiles).toBeGreaterThan(50); // the PE files, the git repository, the corpus
    expect(run.inputsChanged).toEqual([]);
  });

  testIf(why, "the comparison has teeth: under Pyodide's built-in mmap (maps not shared) periphery_mmio differs", () => {
    expect(run.anchor.error).toBeUndefined();
    expect(run.anchor.zeroCopy).toBeNull();
    const r = run.anchor.results.periphery_mmio;
    expect(r.result.error).toBeUndefined();
    expect(r.result.all_seen_at_once).toBe(false); // the second map and os.pread miss the writes
    expect(r).not.toEqual(cp('periphery_mmio'));
  });

  for (const w of WORKLOADS) {
    testIf(why, `${w}: CPython ${runner.CPYTHON} runs it, with substance`, () => {
      expect(cp(w).result.error).toBeUndefined();
      SUBSTANCE[w](cp(w).result, cp(w).maps);
    });
    for (const [m, title] of MODES) {
      testIf(why, `${w}: Pyodide with the bridge (${title}) gives CPython's output and maps`, () => {
        const job = run.pyodide[m];
        expect(job.error).toBeUndefined();
        expect(job.results[w]).toEqual(cp(w));
      });
    }
  }
});
