// The typed surface, as a consumer of the published package sees it: the package is built and
// packed from a copy of this checkout (`npm pack`), unpacked into a consumer's node_modules, and
// types/consumer.ts is compiled there with `tsc --noEmit` (strict, module nodenext) as CommonJS
// (.cts) and as an ES module (.mts), with cjs-only.cts and esm-only.mts for the import forms of
// each. Plain calls must compile; calls marked @ts-expect-error must not (TypeScript reports an
// unused marker as an error), so a signature that regresses either way fails here. The .d.ts
// files of the package are checked too (skipLibCheck off).
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

jest.setTimeout(300000);

const ROOT = path.resolve(__dirname, '..', '..');
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const HERE = path.join(__dirname, 'types');
let work = '';

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'NODE_OPTIONS') env[k] = v;
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 240000, maxBuffer: 64 * 1024 * 1024 });
}

function check(label: string, r: SpawnSyncReturns<string>): void {
  if (r.status !== 0) {
    throw new Error(`${label} failed (status ${r.status}, ${r.error?.message ?? ''})\n${r.stdout}\n${r.stderr}`);
  }
}

/** Builds (tsc + the ESM entry points) and packs a copy of the package; returns the tarball. */
function pack(): string {
  const src = path.join(work, 'src');
  const copy = (rel: string) => fs.cpSync(path.join(ROOT, rel), path.join(src, rel), { recursive: true });
  fs.mkdirSync(path.join(src, 'shim'), { recursive: true });
  for (const f of ['package.json', 'README.md', 'tsconfig.json', 'native/binding.gyp', 'native/install.js', 'native/src', 'python']) {
    if (fs.existsSync(path.join(ROOT, f))) copy(f);
  }
  for (const f of fs.readdirSync(path.join(ROOT, 'shim'))) if (/\.(ts|js)$/.test(f)) copy(`shim/${f}`);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(src, 'node_modules'), 'dir');
  // shim/esm.js loads the compiled module (and so the addon) to list its names
  fs.symlinkSync(path.join(ROOT, 'native', 'build'), path.join(src, 'native', 'build'), 'dir');
  check('tsc (build)', run(process.execPath, [TSC, '-p', 'tsconfig.json'], src));
  check('shim/esm.js', run(process.execPath, ['shim/esm.js'], src));
  const out = path.join(work, 'out');
  fs.mkdirSync(out);
  const r = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out, '--loglevel=error'], src);
  check('npm pack', r);
  return path.join(out, JSON.parse(r.stdout.slice(r.stdout.indexOf('[')))[0].filename);
}

const built = fs.existsSync(path.join(ROOT, 'native', 'build'));
(built ? describe : describe.skip)(`the packed package's types${built ? '' : ' -- skipped: native/build missing (npm run build)'}`, () => {
  let app = '';
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'pymmap-types-'));
    const tarball = pack();
    app = path.join(work, 'app');
    const modules = path.join(app, 'node_modules');
    fs.mkdirSync(path.join(modules, '@types'), { recursive: true });
    check('tar', run('tar', ['-xzf', tarball, '-C', modules], app));
    fs.renameSync(path.join(modules, 'package'), path.join(modules, 'pymmap'));
    fs.symlinkSync(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(modules, '@types', 'node'), 'dir');
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    const consumer = fs.readFileSync(path.join(HERE, 'consumer.ts'), 'utf8');
    fs.writeFileSync(path.join(app, 'consumer.cts'), consumer);
    fs.writeFileSync(path.join(app, 'consumer.mts'), consumer);
    for (const f of ['cjs-only.cts', 'esm-only.mts']) fs.copyFileSync(path.join(HERE, f), path.join(app, f));
    fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022',
        lib: ['es2022', 'esnext.disposable'], types: ['node'], noEmit: true, skipLibCheck: false,
      },
      files: ['consumer.cts', 'consumer.mts', 'cjs-only.cts', 'esm-only.mts'],
    }));
  });
  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('consumer.ts compiles as CommonJS and as an ES module; every @ts-expect-error is an error', () => {
    const r = run(process.execPath, [TSC, '-p', 'tsconfig.json'], app);
    expect((r.stdout + r.stderr).trim()).toBe('');
    expect(r.status).toBe(0);
  });

  test('a call that must fail does fail (the check is not vacuous)', () => {
    fs.writeFileSync(path.join(app, 'bad.cts'), "import { mmap } from 'pymmap';\nnew mmap(-1, 16).find('needle');\n");
    const r = run(process.execPath, [TSC, '--strict', '--module', 'nodenext', '--types', 'node', '--noEmit', 'bad.cts'], app);
    expect(r.stdout).toMatch(/bad\.cts\(2,.*error TS2769|bad\.cts\(2,.*error TS2345/);
  });

  test('the package ships no internal name on its public types', () => {
    const dts = fs.readFileSync(path.join(app, 'node_modules', 'pymmap', 'shim', 'lib', 'mmap.d.ts'), 'utf8');
    const cls = dts.slice(dts.indexOf('export declare class mmap'));
    expect(cls.match(/^\s+_[a-z]\w*[(:?]/gm)).toBeNull();
  });
});
