// 'pymmap/pyodide': makes `import mmap` inside a Pyodide instance forward to pymmap.
//
//   const { installMmap } = require('pymmap/pyodide');
//   const pyodide = await loadPyodide();
//   installMmap(pyodide);                 // or installMmap(pyodide, { strict: true })
//   pyodide.runPython('import mmap; ...');
//
// The Python side is python/pymmap_bridge.py (shipped in the package), executed into
// sys.modules['mmap'] (mmap is a builtin module: BuiltinImporter is first on sys.meta_path, so
// a registered JS module or an mmap.py on sys.path would lose). This file registers the JS side
// as '_pymmap_js': fd translation (Emscripten fd -> the host fd of a NODEFS stream), the
// mmap.__new__ audit event forwarded to Python's sys.audit, bytes arguments as zero-copy views
// of the wasm heap, and the error classification used by the bridge's one error-mapping
// function.
import * as fs from 'fs';
import * as path from 'path';
import * as builtins from './builtins';
import * as pysys from './sys';

export interface InstallMmapOptions {
  /** Files without a host fd (MEMFS, devices): OSError(ENODEV) instead of Pyodide's built-in
   *  mmap. */
  strict?: boolean;
  /** Zero-copy maps (the host file mapped into the wasm memory). Default: when the native
   *  addon supports it. */
  zeroCopy?: boolean;
  /** The pymmap module to forward to. Default: the module of the running Python's version. */
  module?: any;
  /** Python version gate to use ('3.14'); default: the running Python's version. */
  version?: string;
}

export interface InstalledMmap {
  /** The Python version gate in use. */
  version: string;
  /** The pymmap module object the bridge forwards to. */
  module: any;
  /** Whether maps of host files are zero-copy. */
  zeroCopy: boolean;
}

const PY_MRO = Symbol.for('pymmap.pyMro');

/** Pyodide converts typed arrays by constructor name and does not know Buffer. */
function u8(r: unknown): unknown {
  return Buffer.isBuffer(r) ? new Uint8Array(r.buffer, r.byteOffset, r.length) : r;
}

/** A Python object of a type pymmap cannot represent: carries the type name for messages. */
class PyForeign {
  readonly __pytype__: string;
  constructor(name: string) { this.__pytype__ = name; }
}

// The audit hook is process-wide (pymmap's sys hooks cannot be removed): one hook, which
// forwards the event to the Python sys.audit of the constructor call in progress.
interface AuditCtx { audit: (...a: unknown[]) => void; fd: unknown }
let auditCtx: AuditCtx | null = null;
let hookInstalled = false;
function ensureAuditHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  pysys.addaudithook((event: string, args: unknown[]) => {
    const c = auditCtx;
    if (c === null || event !== 'mmap.__new__') return;
    auditCtx = null; // once per constructor call
    c.audit(event, c.fd, ...args.slice(1));
  });
}

function loadModule(version: string, options: InstallMmapOptions): any {
  if (options.module) return options.module;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const v = require('./versions');
    if (typeof v.moduleFor === 'function' && (v.versions as readonly string[]).includes(version)) {
      return v.moduleFor(version);
    }
  } catch (e) {
    if ((e as any)?.code !== 'MODULE_NOT_FOUND') throw e;
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return require('./index');
}

function bridgeSource(): [string, string] {
  // shim/lib/pyodide.js -> ../../python, shim/pyodide.ts -> ../python
  const here = __dirname;
  const cands = [path.resolve(here, '..', 'python', 'pymmap_bridge.py'),
    path.resolve(here, '..', '..', 'python', 'pymmap_bridge.py')];
  for (const c of cands) {
    if (fs.existsSync(c)) return [c, fs.readFileSync(c, 'utf8')];
  }
  throw new Error(`pymmap: python/pymmap_bridge.py not found (looked in ${cands.join(', ')})`);
}

function protoNames(cls: any): string[] {
  const names = new Set<string>();
  const seen = new Set<string>();
  for (let p = cls?.prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) {
      if (k === 'constructor' || seen.has(k)) continue;
      seen.add(k);
      const d = Object.getOwnPropertyDescriptor(p, k)!;
      if (d.get || d.value !== undefined) names.add(k); // a version without it defines undefined
    }
  }
  return [...names];
}

/**
 * Installs pymmap as the `mmap` module of a Pyodide instance. Afterwards `import mmap` in that
 * instance yields a Python module forwarding to pymmap under the running Python's version gate.
 */
export function installMmap(pyodide: any, options: InstallMmapOptions = {}): InstalledMmap {
  if (!pyodide || typeof pyodide.runPython !== 'function' || !pyodide.FS) {
    throw new TypeError('installMmap: expected a Pyodide instance (from loadPyodide())');
  }
  const version: string = options.version ??
    pyodide.runPython('import sys as _s; "%d.%d" % _s.version_info[:2]');
  const M = loadModule(version, options);
  const FS = pyodide.FS;
  const NODEFS = FS.filesystems?.NODEFS;
  const PyProxy = pyodide.ffi?.PyProxy;
  const Module = pyodide._module;
  const nat: any = loadNative();
  const zeroCopy = options.zeroCopy !== false && process.platform !== 'win32' && !!nat &&
    typeof nat.mapFixed === 'function' && typeof nat.unmapFixed === 'function' &&
    typeof Module?._malloc === 'function' && !!Module?.HEAPU8;
  const P: number = M.PAGESIZE;
  const MAP_SHARED: number = M.MAP_SHARED;
  const MAP_PRIVATE: number = M.MAP_PRIVATE;
  const PROT_RW: number = M.PROT_READ | M.PROT_WRITE;

  // ---- zero-copy placement: page-aligned wasm memory, with the file mapped over it
  interface Placement { ptr: number; addr: number; span: number; anon: boolean; shared: boolean }
  function placeAlloc(h: any, length: number): Placement {
    const span = Math.ceil(length / P) * P;
    const ptr: number = Module._malloc(span + P);
    if (!ptr) throw builtins.OSError.fromErrno(12, 'Cannot allocate memory', 'ENOMEM');
    const addr = Math.ceil(ptr / P) * P;
    const anon = !!h._anon;
    const access = h._access;
    const shared = !anon && (h._flags & MAP_SHARED) !== 0 && (access === M.ACCESS_DEFAULT || access === M.ACCESS_WRITE);
    return { ptr, addr, span, anon, shared };
  }
  function placeMap(h: any, p: Placement, fd: number): void {
    const buf: ArrayBuffer = Module.HEAPU8.buffer;
    if (p.anon) nat.unmapFixed(buf, p.addr, p.span); // fresh zero pages
    // Read-only and copy-on-write maps get a private mapping: stores (there should be none)
    // stay in this process instead of faulting the whole process.
    else nat.mapFixed(buf, p.addr, p.span, fd, PROT_RW, p.shared ? MAP_SHARED : MAP_PRIVATE, h._offset);
  }
  function placeFree(p: Placement): void {
    Module._free(p.ptr);
  }
  ensureAuditHook();

  const isPyProxy = (v: unknown): boolean =>
    PyProxy ? v instanceof PyProxy : (typeof v === 'function' || typeof v === 'object') && v !== null && typeof (v as any).toJs === 'function';

  /** PyProxy of a bytes-like object -> Uint8Array over its bytes in the wasm heap. */
  function conv(v: unknown, held: any[]): unknown {
    if (!isPyProxy(v)) return v;
    const p = v as any;
    if (typeof p.getBuffer !== 'function') return new PyForeign(String(p.type));
    const b = p.getBuffer('u8');
    held.push(b);
    if (!b.c_contiguous) {
      throw new builtins.BufferError('memoryview: underlying buffer is not C-contiguous');
    }
    const d: Uint8Array = b.data;
    const off = b.offset ?? 0;
    return off === 0 && d.length === b.nbytes ? d : d.subarray(off, off + b.nbytes);
  }
  function convAll(args: unknown[], held: any[]): unknown[] {
    const out = new Array(args.length);
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (i === args.length - 1 && a !== null && typeof a === 'object' && Object.getPrototypeOf(a) === Object.prototype) {
        const kw: Record<string, unknown> = {};
        for (const k of Object.keys(a)) kw[k] = conv((a as any)[k], held);
        out[i] = kw;
      } else {
        out[i] = conv(a, held);
      }
    }
    return out;
  }
  function release(held: any[]): void {
    for (const b of held) { try { b.release(); } catch { /* already released */ } }
  }

  const constants: Record<string, number> = {};
  for (const k of Object.keys(M)) {
    const v = M[k];
    if (/^[A-Z][A-Z0-9_]*$/.test(k) && typeof v === 'number') constants[k] = v;
  }
  const methods = protoNames(M.mmap);
  let pickleMessage = "cannot pickle 'mmap.mmap' object";
  try {
    const gate = require('./versions').gateFor?.(version);
    if (gate?.pickleMessage) pickleMessage = gate.pickleMessage;
  } catch { /* default */ }

  const api = {
    options: { strict: !!options.strict },
    zeroCopy,
    pickleMessage,
    constants: () => constants,
    methods: () => methods,
    foreign: (name: string) => new PyForeign(name),

    /** Emscripten fd -> host fd: -1 stays anonymous; a NODEFS file gives its stream's host fd;
     *  an fd with no stream gives -2 (an fd the host rejects with EBADF, where CPython would);
     *  an open file without a host fd (MEMFS, devices) gives undefined (None; JS null would
     *  reach Python as jsnull). */
    hostFd(fd: number): number | undefined {
      if (fd === -1) return -1;
      let stream: any = null;
      try { stream = FS.getStream(fd); } catch { stream = null; }
      if (!stream) return fd < 0 ? fd : -2;
      const node = stream.node;
      if (NODEFS && node?.mount?.type === NODEFS && typeof stream.nfd === 'number') return stream.nfd;
      return undefined;
    },

    /** 'os' for OSError (and subclasses), Python's type name for other pymmap errors,
     *  undefined (None) for anything that is not a pymmap (Python) exception. */
    errorKind(e: any): string | undefined {
      if (e === null || typeof e !== 'object' || !(PY_MRO in e)) return undefined;
      if (e instanceof builtins.OSError) return 'os';
      return String(e.name);
    },

    /** new M.mmap(...args) with mmap.__new__ forwarded to Python's sys.audit (with the
     *  Emscripten fd, as Python would report it). Returns [m, length] or, when `zc` and the
     *  map could be placed in the wasm memory, [m, length, ptr, addr, span, anon, shared,
     *  offset, trackfd, access] (one call: every JS value crossing into Python costs). */
    construct(audit: any, fd: unknown, zc: boolean, ...args: unknown[]): unknown[] {
      const held: any[] = [];
      const prev = auditCtx;
      auditCtx = { audit, fd };
      let m: any;
      try {
        m = new M.mmap(...convAll(args, held));
      } finally {
        auditCtx = prev;
        release(held);
      }
      if (!zc) return [m, m._len];
      const last = args[args.length - 1] as any;
      const hostfd = args.length && typeof args[0] === 'number' ? args[0] : last?.fileno;
      let p: Placement;
      try {
        p = placeAlloc(m, m._len);
      } catch {
        return [m, m._len];
      }
      try {
        placeMap(m, p, hostfd);
      } catch {
        placeFree(p);
        return [m, m._len];
      }
      return [m, m._len, p.ptr, p.addr, p.span, p.anon, p.shared, m._offset, m._trackfd, m._access];
    },

    /** m[name](...args) with PyProxy arguments converted (bytes-like: zero-copy views). */
    call(m: any, name: string, ...args: unknown[]): unknown {
      const held: any[] = [];
      try {
        return u8(m[name](...convAll(args, held)));
      } finally {
        release(held);
      }
    },
    // JsProxy reserves Python's dunder names, so these go through plain functions.
    len: (m: any) => m.__len__(),
    getitem: (m: any, k: unknown) => u8(m.__getitem__(k)),
    setitem: (m: any, k: unknown, v: unknown) => m.__setitem__(k, v),
    repr: (m: any) => m.__repr__(),
    getslice(m: any, a: unknown, b: unknown, c: unknown): unknown {
      return u8(m.__getitem__(new builtins.slice(a, b, c)));
    },
    setslice(m: any, a: unknown, b: unknown, c: unknown, v: unknown): unknown {
      const held: any[] = [];
      try {
        return m.__setitem__(new builtins.slice(a, b, c), conv(v, held));
      } finally {
        release(held);
      }
    },
    delslice(m: any, a: unknown, b: unknown, c: unknown): unknown {
      return m.__delitem__(new builtins.slice(a, b, c));
    },
    // zero-copy resize (python/pymmap_bridge.py, _carrier_resize)
    place_alloc: (h: any, length: number) => placeAlloc(h, length),
    place_map: (h: any, p: Placement, fd: number) => placeMap(h, p, fd),
    place_free: (p: Placement) => placeFree(p),
    unplace(ptr: number, addr: number, span: number): void {
      try {
        nat.unmapFixed(Module.HEAPU8.buffer, addr, span);
      } finally {
        Module._free(ptr);
      }
    },
    fdOf: (h: any) => (h._id >= 0 ? nat.fdOf(h._id) : -1),
    /** memoryview(m) for the copy-based path: the export pins the map (close/resize raise
     *  BufferError) until release(). */
    export(m: any, flags: number): any {
      const e = m.__buffer__(flags);
      const view = u8(e.view) as Uint8Array;
      return { view, length: view.length, readonly: !!e.readonly, release: () => e.release() };
    },
  };

  pyodide.registerJsModule('_pymmap_js', api);
  const [file, src] = bridgeSource();
  const ns = pyodide.toPy({ src, file });
  try {
    pyodide.runPython(INSTALL_PY, { globals: ns });
  } finally {
    ns.destroy();
  }
  const zc = zeroCopy && pyodide.runPython('import sys as _s; _s.modules["mmap"]._ZERO_COPY') === true;
  return { version, module: M, zeroCopy: zc };
}

function loadNative(): any {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require('./native').native;
  } catch {
    return null;
  }
}

// Executes the bridge source as module 'mmap', puts it in sys.modules and in front of the
// import system (so `del sys.modules['mmap']; import mmap` and importlib.reload keep it).
const INSTALL_PY = `
import sys, importlib.machinery
mod = type(sys)('mmap')
mod.__file__ = file
exec(compile(src, file, 'exec'), mod.__dict__)
mod.__doc__ = None

class _PymmapLoader:
    def __init__(self, mod):
        self.mod = mod
    def create_module(self, spec):
        return self.mod
    def exec_module(self, module):
        pass

class _PymmapFinder:
    def __init__(self, mod):
        self.loader = _PymmapLoader(mod)
    def find_spec(self, name, path=None, target=None):
        if name == 'mmap':
            return importlib.machinery.ModuleSpec('mmap', self.loader, origin=file)
        return None

mod.__spec__ = importlib.machinery.ModuleSpec('mmap', _PymmapLoader(mod), origin=file)
mod.__loader__ = mod.__spec__.loader
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != '_PymmapFinder']
sys.meta_path.insert(0, _PymmapFinder(mod))
sys.modules['mmap'] = mod
`;
