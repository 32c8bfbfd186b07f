// Differential fuzzer: npm run fuzz -- --version 3.12 --count 10000 --seed 1
//
// Options:
//   --version V     a minor version (repeatable, or comma separated); default: every CPython
//                   3.7-3.13 found (see python.ts: $PYMMAP_PYTHON_3_12, pyenv, python3.12);
//                   pyodide-3.12 ... pyodide-3.15: python/oracle.py inside Pyodide 0.27, 0.29, 314, 315
//                   (PYMMAP_ORACLE_BRIDGE=zc|copy: over pymmap's bridge instead of the built-in)
//                   against moduleFor(v, { ssizeBits: 32 })
//   --count N       sequences per version (default 1000)
//   --seed S        generator seed (default 1); sequence ids are g<seed>-<index>
//   --start I       first sequence index (default 0)
//   --batch B       sequences per oracle call (default 200)
//   --out DIR       where divergent sequences are written (default .tmp/differential)
//   --isolate       run the shim side in a child process per sequence (slow, crash-proof)
//   --regressions   also run regressions/*.json
//   --replay FILE.. run the sequences of these files instead of generated ones
//   --print         print every divergence (default: the first 20 per version)
// Every divergent sequence is written to OUT/<version>/<id>.json: {"sequences": [seq]} plus
// the CPython and shim results and the divergences, so `python3 python/oracle.py FILE` and
// `node conformance/differential/fuzz.js --replay FILE --version V` reproduce it.
// Exit status: 0 no unknown divergence, 1 divergences, 2 error.
import * as fs from 'fs';
import * as path from 'path';
import type { Sequence } from './ops';
import { generateMany } from './generator';
import { probePythons, probePyodide, MINORS, PYODIDE_ORACLES } from './python';
import { loadKnown, describe, Divergence } from './compare';
import { differential, loadRegressions } from './differential';
import { shimChildMain } from './run-shim';

interface Args {
  versions: string[];
  count: number;
  seed: number;
  start: number;
  batch: number;
  out: string;
  isolate: boolean;
  regressions: boolean;
  replay: string[];
  print: boolean;
}

function parse(argv: string[]): Args {
  const a: Args = {
    versions: [], count: 1000, seed: 1, start: 0, batch: 200,
    out: path.resolve(__dirname, '..', '..', '.tmp', 'differential'),
    isolate: false, regressions: false, replay: [], print: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    switch (k) {
      case '--version': case '-v': a.versions.push(...v().split(',').filter(Boolean)); break;
      case '--count': case '-n': a.count = Number(v()); break;
      case '--seed': case '-s': a.seed = Number(v()); break;
      case '--start': a.start = Number(v()); break;
      case '--batch': a.batch = Math.max(1, Number(v())); break;
      case '--out': a.out = path.resolve(v()); break;
      case '--isolate': a.isolate = true; break;
      case '--regressions': a.regressions = true; break;
      case '--print': a.print = true; break;
      case '--replay':
        while (argv[i + 1] !== undefined && !argv[i + 1].startsWith('--')) a.replay.push(argv[++i]);
        break;
      default: throw new Error(`unknown option ${k}`);
    }
  }
  return a;
}

/** A short signature of a step outcome for grouping (numbers in messages elided). */
function sig(r: unknown): string {
  if (!r || typeof r !== 'object') return JSON.stringify(r);
  const o = r as Record<string, any>;
  if (o.error) return `${o.error.type}: ${String(o.error.message ?? o.error.errno ?? '').replace(/\d+/g, 'N')}`;
  if ('value' in o) return 'value';
  return JSON.stringify(o).slice(0, 60);
}

function loadReplay(files: string[]): Sequence[] {
  const out: Sequence[] = [];
  for (const f of files) {
    const doc = JSON.parse(fs.readFileSync(f, 'utf8'));
    out.push(...(Array.isArray(doc) ? doc : doc.sequences ?? [doc]));
  }
  return out;
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--shim-child') {
    shimChildMain(argv[1]);
    return 0;
  }
  const args = parse(argv);
  const known = loadKnown();
  const wanted = args.versions.length ? args.versions : MINORS;
  // "pyodide-3.14", "pyodide-3.15": the oracle inside Pyodide vs moduleFor(v, { ssizeBits: 32 })
  const probes = wanted.map((v) => {
    const o = PYODIDE_ORACLES.find((x) => x.version === v);
    return o ? probePyodide(o) : probePythons([v])[0];
  });
  const fixed: Sequence[] = [
    ...(args.replay.length ? loadReplay(args.replay) : []),
    ...(args.regressions ? loadRegressions() : []),
  ];
  let failed = false;
  const summary: string[] = [];
  for (const p of probes) {
    if (!p.interpreter) {
      console.log(`${p.minor}: skipped: ${p.reason}`);
      summary.push(`${p.minor}: skipped`);
      continue;
    }
    const exe = p.interpreter.exe;
    let n = 0;
    let divergentSeqs = 0;
    let divergences = 0;
    let knownCount = 0;
    let crashed = 0;
    let printed = 0;
    const groups = new Map<string, { n: number; example: string }>();
    const t0 = Date.now();
    const batches: Sequence[][] = [];
    if (args.replay.length || args.regressions) {
      for (let i = 0; i < fixed.length; i += args.batch) batches.push(fixed.slice(i, i + args.batch));
    }
    if (!args.replay.length) {
      for (let i = 0; i < args.count; i += args.batch) {
        batches.push(generateMany(args.seed, Math.min(args.batch, args.count - i), args.start + i));
      }
    }
    const dir = path.join(args.out, p.minor);
    for (const seqs of batches) {
      const res = differential(seqs, p.minor, exe, known, {
        isolate: args.isolate, inflightFile: path.join(dir, 'inflight.json'),
      });
      n += seqs.length;
      crashed += res.crashedInPython.length;
      divergences += res.divergences.length;
      knownCount += res.known.length;
      const bySeq = new Map<string, Divergence[]>();
      for (const d of res.divergences) {
        if (!bySeq.has(d.sequence)) bySeq.set(d.sequence, []);
        bySeq.get(d.sequence)!.push(d);
      }
      divergentSeqs += bySeq.size;
      if (bySeq.size) fs.mkdirSync(dir, { recursive: true });
      for (const [id, ds] of bySeq) {
        const seq = seqs.find((s) => s.id === id)!;
        const file = path.join(dir, `${id.replace(/[^A-Za-z0-9_.-]+/g, '_')}.json`);
        fs.writeFileSync(file, JSON.stringify({
          version: p.minor, python: res.python.python, sequences: [seq],
          cpython: res.python.results.find((r) => r.id === id),
          shim: res.shim.results.find((r) => r.id === id),
          divergences: ds,
        }, null, 1));
        const first = ds[0];
        const key = `${first.kind} ${first.op?.op === 'call' ? first.op.method : first.op?.op ?? first.file ?? ''}: ` +
          `CPython ${sig(first.python)} | shim ${sig(first.shim)}`;
        const g = groups.get(key) ?? { n: 0, example: `${id} step ${first.step ?? '-'} ${path.relative(process.cwd(), file)}` };
        g.n++;
        groups.set(key, g);
        for (const d of ds) {
          if (args.print || printed < 20) {
            console.log(describe(d));
            printed++;
          }
        }
      }
    }
    if (groups.size) {
      console.log(`${p.minor}: distinct first divergences (first divergence of each sequence, grouped):`);
      for (const [key, g] of [...groups].sort((a, b) => b[1].n - a[1].n)) {
        console.log(`  ${String(g.n).padStart(5)}  ${key}\n         e.g. ${g.example}`);
      }
    }
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    const line = `${p.minor} (CPython ${p.interpreter.full}): ${n} sequences, ${crashed} crashed CPython, ` +
      `${divergentSeqs} divergent sequences, ${divergences} divergences, ${knownCount} known; ${secs}s` +
      (divergentSeqs ? ` -> ${dir}` : '');
    console.log(line);
    summary.push(line);
    if (divergences) failed = true;
  }
  console.log('\nsummary:\n' + summary.map((s) => '  ' + s).join('\n'));
  return failed ? 1 : 0;
}
