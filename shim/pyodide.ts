/**
 * Makes `import mmap` inside a Pyodide instance use real host mappings through pymmap.
 * @module pymmap/pyodide
 */
//
//   const { installMmap } = require('pymmap/pyodide');
//   const pyodide = await loadPyodide();
//   installMmap(pyodide);                 // or installMmap(pyodide, { strict: true })
//   pyodide.runPython('import mmap; ...');
//
// Which maps are real host mappings: files on NODEFS mounts (the Emscripten fd is translated
// to the host fd of its stream) and anonymous maps. Zero-copy (the default on Linux and macOS
// with the addon's mapFixed): the host file is mapped MAP_FIXED into page-aligned wasm memory
// under a built-in mmap object (a "carrier"), so CPython's own mmap code reads and writes the
// file's pages; otherwise (zeroCopy: false, or Windows) every operation is a call into pymmap.
// Files without a host fd (MEMFS, devices) get Pyodide's built-in mmap, or OSError(ENODEV)
// with { strict: true }.
//
// The Python side is python/pymmap_bridge.py (shipped in the package), executed into
// sys.modules['mmap'] (mmap is a builtin module: BuiltinImporter is first on sys.meta_path, so
// a registered JS module or an mmap.py on sys.path would lose); its compiled bytecode is kept
// in python/__pycache__/ (option `cache`). This file registers the JS side as '_pymmap_js': fd
// translation, the placement of maps in wasm memory and their carriers, the mmap.__new__
// audit event forwarded to Python's sys.audit, bytes arguments as zero-copy views of the wasm
// heap, and the error classification used by the bridge's one error-mapping function.
// Calling installMmap again on the same instance replaces the module (e.g. to turn strict on).
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ACCESS_READ } from './access';
import * as builtins from './builtins';
import type { SliceBound } from './builtins';
import { gateFor, versions } from './gates';
import { closedMapError, constructPlaced, gateOf, mappingOf, openChecked, sizeOf } from './mmap';
import type { Mapping, Placement as MapPlacement, Placer } from './mapping';
import { MSG } from './messages';
import { moduleFor, type MmapModule } from './module';
import { native as nat } from './native';
import * as pysys from './sys';

/** The options of installMmap(). */
export interface InstallMmapOptions {
  /** Files without a host fd (MEMFS, devices): OSError(ENODEV) instead of Pyodide's built-in
   *  mmap. */
  strict?: boolean;
  /** Zero-copy maps (the host file mapped into the wasm memory). Default: when the native
   *  addon supports it. */
  zeroCopy?: boolean;
  /** The pymmap module to forward to (one of this copy of pymmap: `moduleFor(v)` from
   *  'pymmap/versions'). Default: the module of the running Python's version. */
  module?: MmapModule<unknown>;
  /** Python version gate to use ('3.14'); default: the running Python's version. */
  version?: string;
  /** Keep the compiled bridge (marshalled bytecode, keyed by the source and the Python build)
   *  in python/__pycache__/ next to its source, as CPython keeps .pyc files, and in memory:
   *  compiling it costs more than everything else installMmap does. Default true; the
   *  directory is skipped silently when it cannot be written. */
  cache?: boolean;
}

/** What installMmap() installed. */
export interface InstalledMmap {
  /** The Python version gate in use. */
  version: string;
  /** The pymmap module object the bridge forwards to. */
  module: MmapModule<unknown>;
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

/** The bridge's operator.index() of its pending argument k (see PyIndex): the int, or undefined
 *  (None) if it raised (the exception stays in Python). A persistent proxy, set by setIndexer. */
let indexFn: ((k: number) => unknown) | null = null;

/**
 * An argument of the copying path whose type has __index__: pymmap converts it where CPython
 * converts it (after the argument count, keyword and validity checks that come first, in the
 * version's order), so the user's __index__ runs then, once, or not at all.
 */
class PyIndex {
  readonly __pytype__: string;
  readonly k: number;
  constructor(name: string, k: number) {
    this.__pytype__ = name;
    this.k = k;
  }
  __index__(): unknown {
    const r = indexFn!(this.k);
    if (r === undefined || r === null) throw new PyRaised();
    return r;
  }
}

// The audit hook is process-wide (pymmap's sys hooks cannot be removed): one hook, which
// forwards the event to the Python sys.audit of the constructor call in progress.
interface AuditCtx { audit: ((...a: unknown[]) => unknown) | null; fd: unknown }
/** Python code that pymmap ran (an audit hook for mmap.__new__, an argument's __index__) raised:
 *  the exception stays in Python, where the bridge raises it. */
class PyRaised extends Error {
  constructor() { super('pymmap: Python code it called raised'); }
}
let auditCtx: AuditCtx | null = null;
let hookInstalled = false;
function ensureAuditHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  pysys.addaudithook((event: string, args: unknown[]) => {
    const c = auditCtx;
    if (c === null || event !== 'mmap.__new__') return;
    auditCtx = null; // once per constructor call
    // The bridge's function returns false when a Python hook raised (the exception stays in
    // Python, which raises it): abort the constructor.
    if (c.audit && c.audit(event, c.fd, ...args.slice(1)) === false) throw new PyRaised();
  });
}

function loadModule(version: string, options: InstallMmapOptions): MmapModule<unknown> {
  if (options.module) return options.module;
  // Pyodide's Python is 32-bit (wasm32): Py_ssize_t and C long overflow at 2**31 there
  return moduleFor((versions as readonly string[]).includes(version) ? version : '3.15', { ssizeBits: 32 });
}

function bridgeSource(): [string, string] {
  // shim/lib/pyodide.js -> ../../python, shim/pyodide.ts -> ../python
  const here = __dirname;
  const cands = [path.resolve(here, '..', 'python', 'pymmap_bridge.py'),
    path.resolve(here, '..', '..', 'python', 'pymmap_bridge.py')];
  for (const c of cands) {
    if (fs.existsSync(c)) return [c, fs.readFileSync(c, 'utf8')];
  }
  throw new Error(MSG.bridgeNotFound(cands));
}

// Compiled bridge code by cache key (several Pyodide instances in one process).
const codeCache = new Map<string, Uint8Array>();

function codeCachePath(file: string, key: string): string {
  return path.join(path.dirname(file), '__pycache__', `pymmap_bridge.pyodide-${key.slice(0, 24)}.marshal`);
}

function readCode(file: string, key: string): Uint8Array | null {
  const hit = codeCache.get(key);
  if (hit) return hit;
  try {
    const b = fs.readFileSync(codeCachePath(file, key));
    const u = new Uint8Array(b.buffer, b.byteOffset, b.length);
    codeCache.set(key, u);
    return u;
  } catch {
    return null;
  }
}

function writeCode(file: string, key: string, code: Uint8Array): void {
  codeCache.set(key, code);
  const dst = codeCachePath(file, key);
  const dir = path.dirname(dst);
  const tmp = `${dst}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, dst);
    for (const f of fs.readdirSync(dir)) { // older builds of the bridge
      if (f.startsWith('pymmap_bridge.pyodide-') && f.endsWith('.marshal') && path.join(dir, f) !== dst) {
        fs.rmSync(path.join(dir, f), { force: true });
      }
    }
  } catch {
    try { fs.rmSync(tmp, { force: true }); } catch { /* read-only */ }
  }
}

/** Byte offsets of the fields of CPython's mmap_object (Modules/mmapmodule.c) on wasm32, as
 *  Pyodide builds it, by Python version (-1: no such field); null: unknown. Measured on Pyodide
 *  0.26.4/0.27.8 (3.12.1/3.12.7), 0.28.3/0.29.5 (3.13.2), 314.0.7 (3.14.2), 315.0.0a2
 *  (3.15.0rc1) by reading objects of known state: 3.12 has no `trackfd` (3.13) and no `flags`
 *  (3.14, with the refusal to grow shared anonymous maps), which sits before weakreflist; 3.15
 *  moved `trackfd` after `access`. `release`: "3.13.2". */
function carrierLayout(release: string): {
  basicsize: number; data: number; size: number; pos: number; offset: number; exports: number;
  fd: number; trackfd: number; flags: number; access: number;
} | null {
  const common = { data: 8, size: 12, pos: 16, offset: 24, exports: 32, fd: 36 };
  const [, minor, micro] = release.split('.').map((x) => parseInt(x, 10));
  // 3.13.8 has 3.14's fix and field (not measured: no Pyodide has it; the bridge's check at
  // import is what decides)
  const version = minor === 13 && micro >= 8 ? '3.14' : `3.${minor}`;
  switch (version) {
    case '3.12': return { ...common, basicsize: 48, trackfd: -1, flags: -1, access: 44 };
    case '3.13': return { ...common, basicsize: 56, trackfd: 40, flags: -1, access: 48 };
    case '3.14': return { ...common, basicsize: 56, trackfd: 40, flags: 44, access: 52 };
    case '3.15': return { ...common, basicsize: 56, trackfd: 52, flags: 40, access: 48 };
    default: return null;
  }
}

/** None from Pyodide < 0.28 (see api.none), and its conversion (a class instance: never taken
 *  for a trailing keyword object). */
class PyNone {}
const NONE = Object.freeze(new PyNone());
const nn = <T>(v: T): T | null => ((v as unknown) === NONE ? null : v);

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
    throw new TypeError(MSG.notPyodide);
  }
  // "3.14" and the interpreter's build ("3.14.2 (main, ...) [Clang ...]", a key of the
  // bytecode cache)
  const pySys = pyodide.pyimport('sys');
  const pyBuild = String(pySys.version);
  pySys.destroy();
  const version: string = options.version ?? /^\d+\.\d+/.exec(pyBuild)![0];
  const M: any = loadModule(version, options);
  const FS = pyodide.FS;
  const NODEFS = FS.filesystems?.NODEFS;
  const PyProxy = pyodide.ffi?.PyProxy;
  const Module = pyodide._module;
  // CPython's C API as Pyodide exports it, looked up once: Module has thousands of properties,
  // and a property load on it costs more than the call on the hot paths.
  // Wasm returns an i32 as a signed number: an address past 2 GiB (a large heap) would come back
  // negative, so the functions that return pointers have theirs made unsigned (>>> 0), as
  // Emscripten's own wrappers do for malloc. (Every address is used unsigned here: >>> 2.)
  const PTR_RESULT = new Set(['PyType_GenericAlloc', 'PyLong_FromLong', 'PyTuple_New', 'PyTuple_GetItem', 'PyObject_Call',
    'PyObject_CallNoArgs', 'PyObject_CallOneArg', 'PyObject_Vectorcall', 'PyErr_GetRaisedException', 'PyErr_Occurred',
    'PyDescr_NewMethod', 'PyDescr_NewClassMethod', 'PyUnicode_InternFromString', 'PyDict_GetItem']);
  const unsignedResult = (f: (...a: number[]) => number) => (a: number, b: number, c: number, d: number) => f(a, b, c, d) >>> 0;
  const CAPI: Record<string, (...a: number[]) => number> = Object.fromEntries(
    ['PyDescr_NewClassMethod', 'PyDescr_NewMethod', 'PyDict_DelItem', 'PyDict_GetItem', 'PyDict_SetItem', 'PyDict_Size', 'PyErr_Clear', 'PyErr_GetRaisedException', 'PyErr_NoMemory', 'PyErr_Occurred', 'PyErr_SetObject', 'PyErr_SetRaisedException', 'PyLong_AsLong', 'PyLong_FromLong', 'PyObject_Call', 'PyObject_CallNoArgs', 'PyObject_CallOneArg', 'PyObject_Vectorcall', 'PySet_Add', 'PySet_Discard', 'PyTuple_GetItem', 'PyTuple_New', 'PyTuple_SetItem', 'PyTuple_Size', 'PyType_GenericAlloc', 'PyUnicode_InternFromString', 'Py_DecRef', 'Py_IncRef'].map((k) => {
      const f = Module?.['_' + k];
      return [k, typeof f !== 'function' ? undefined : PTR_RESULT.has(k) ? unsignedResult(f) : f];
    }));
  // Pyodide 0.26-0.29 do not export malloc/free to JS (314 does): Python's raw allocator is
  // malloc/free in them, and is exported by all.
  const [rawMalloc, wasmFree] = typeof Module?._malloc === 'function' ? [Module._malloc, Module._free]
    : [Module?._PyMem_RawMalloc, Module?._PyMem_RawFree];
  const wasmMalloc = typeof rawMalloc === 'function' ? (n: number): number => rawMalloc(n) >>> 0 : rawMalloc;
  const layout = carrierLayout(pyBuild.split(' ')[0]);
  // (only read with zero-copy, which needs a layout)
  const MO = layout ?? carrierLayout('3.14.0')!;
  const zeroCopy = options.zeroCopy !== false && process.platform !== 'win32' && layout !== null &&
    typeof wasmMalloc === 'function' && typeof wasmFree === 'function' && !!Module?.HEAPU8 &&
    typeof Module._PyType_GenericAlloc === 'function' && typeof Module._Py_DecRef === 'function';
  const P: number = M.PAGESIZE;
  /** The version gate of M (pymmap's checks and messages for this Python). */
  const G = gateOf(M.mmap);
  const MS_SYNC: number = nat.constants().MS_SYNC ?? 4;
  const MAP_SHARED: number = M.MAP_SHARED;
  const MAP_PRIVATE: number = M.MAP_PRIVATE;
  const PROT_RW: number = M.PROT_READ | M.PROT_WRITE;

  // ---- zero-copy placement: page-aligned wasm memory. A file map is pymmap's own mapping
  // placed there (mapping.ts's Placer: one mmap(MAP_FIXED), guarded as the mapping's pages, put
  // back to zeroed pages by its close); an anonymous map is plain wasm memory, zeroed.
  const wasmPlacer: Placer = {
    alloc(span: number): WasmPlacement {
      const ptr: number = wasmMalloc(span + P);
      if (!ptr) throw builtins.OSError.fromErrno(12, MSG.strerrorENOMEM, 'ENOMEM');
      // (read after malloc, which may have grown the memory: a new buffer)
      return { buffer: Module.HEAPU8.buffer, offset: Math.ceil(ptr / P) * P, span, token: ptr };
    },
    free(p: WasmPlacement): void {
      wasmFree(p.token);
    },
  };
  type WasmPlacement = MapPlacement;
  /** Page-aligned wasm memory for an anonymous map, zeroed: fresh pages for large ones (one
   *  call, no touching), a fill for small ones. */
  function anonAlloc(length: number): WasmPlacement {
    const p = wasmPlacer.alloc(Math.ceil(Math.max(length, 1) / P) * P);
    try {
      if (p.span > 1 << 16) nat.unmapFixed(p.buffer, p.offset, p.span);
      else Module.HEAPU8.fill(0, p.offset, p.offset + p.span);
    } catch (e) {
      wasmPlacer.free(p);
      throw e;
    }
    return p;
  }

  // ---- zero-copy carriers: built-in mmap objects over a placement (python/pymmap_bridge.py).
  // mmap_object of Modules/mmapmodule.c on wasm32 (carrierLayout: per Python version); the
  // bridge checks the layout by behaviour before using it (and falls back to the copying path
  // if it does not match).
  let carrierType = 0;
  let emFlags = { shared: 0, private: 0, anon: 0 };
  /** A new built-in mmap object (PyType_GenericAlloc: no constructor, so no audit event and
   *  no Emscripten mapping) with its fields set; returns its address (a new reference). */
  function makeCarrier(type: number, addr: number, size: number, pos: number, offset: number,
    trackfd: boolean, shared: boolean, anon: boolean, access: number): number {
    const o: number = CAPI.PyType_GenericAlloc(type || carrierType, 0);
    if (!o) {
      if (typeof Module._PyErr_Clear === 'function') CAPI.PyErr_Clear();
      throw new builtins.MemoryError();
    }
    const H32 = Module.HEAP32;
    H32[(o + MO.data) >>> 2] = addr;
    H32[(o + MO.size) >>> 2] = size;
    H32[(o + MO.pos) >>> 2] = pos;
    H32[(o + MO.offset) >>> 2] = offset % 0x100000000;
    H32[(o + MO.offset + 4) >>> 2] = Math.floor(offset / 0x100000000);
    H32[(o + MO.fd) >>> 2] = -1;
    if (MO.trackfd >= 0) Module.HEAPU8[o + MO.trackfd] = trackfd ? 1 : 0;
    if (MO.flags >= 0) H32[(o + MO.flags) >>> 2] = (shared ? emFlags.shared : emFlags.private) | (anon ? emFlags.anon : 0);
    H32[(o + MO.access) >>> 2] = access;
    return o;
  }
  ensureAuditHook();

  const isPlain = (a: unknown): a is Record<string, unknown> =>
    a !== null && a !== NONE && typeof a === 'object' && Object.getPrototypeOf(a) === Object.prototype;
  const isPyProxy = (v: unknown): boolean =>
    PyProxy ? v instanceof PyProxy : (typeof v === 'function' || typeof v === 'object') && v !== null && typeof (v as any).toJs === 'function';

  /** PyProxy of a bytes-like object -> Uint8Array over its bytes in the wasm heap; NONE -> null. */
  function conv(v: unknown, held: any[]): unknown {
    if (!isPyProxy(v)) return v === NONE ? null : v;
    const p = v as any;
    if (typeof p.getBuffer !== 'function') return new PyForeign(String(p.type));
    const b = p.getBuffer('u8');
    held.push(b);
    if (!b.c_contiguous) {
      throw new builtins.BufferError(MSG.notContiguous);
    }
    const d: Uint8Array = b.data;
    const off = b.offset ?? 0;
    return off === 0 && d.length === b.nbytes ? d : d.subarray(off, off + b.nbytes);
  }
  function convAll(args: unknown[], held: any[]): unknown[] {
    const out = new Array(args.length);
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (i === args.length - 1 && isPlain(a)) {
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
  const pickleMessage = gateFor((versions as readonly string[]).includes(version) ? version : '3.15').pickleMessage;

  let auditFn: any = null;
  let infoAddr = 0;

  /** new M.mmap(...conv) with the audit event and (translate) the host fd, its file mapping
   *  placed by `placer` if given; undefined for a file without a host fd. */
  function newMap(translate: boolean, conv: unknown[], placer: Placer | null = null): any {
    const n = conv.length;
    const kw = n > 0 && isPlain(conv[n - 1]) ? (conv[n - 1] as Record<string, unknown>) : null;
    const npos = kw ? n - 1 : n;
    const fd = npos > 0 ? conv[0] : kw?.fileno;
    // (an fd that is not a C int stays as it is: pymmap's fileno conversion raises for it)
    if (translate && typeof fd === 'number' && Number.isInteger(fd) && fd >= -0x80000000 && fd < 0x80000000) {
      const hostfd = api.hostFd(fd);
      if (hostfd === undefined) return undefined;
      if (npos > 0) conv[0] = hostfd;
      else kw!.fileno = hostfd;
    }
    const prev = auditCtx;
    try {
      auditCtx = { audit: auditFn, fd };
      return placer ? constructPlaced(M.mmap, placer, conv) : new M.mmap(...conv);
    } finally {
      auditCtx = prev;
    }
  }

  // Zero-copy maps by object address: a file map's pymmap map (placed in wasm memory; the host
  // side of flush, size, madvise, resize), or an anonymous map's wasm memory.
  type Placed = { h: Mapping; p: null; shared: boolean } | { h: null; p: WasmPlacement; shared: boolean };
  const placed = new Map<number, Placed>();

  /** A carrier of type `cls` over pymmap map `m` (placed, or anonymous: then closed and replaced
   *  by wasm memory); returns its address (a new reference). Python's Py_ssize_t is 32-bit
   *  here: a longer map is refused. */
  function placeNew(cls: number, mp: Mapping): number {
    const m = mp;
    if (mp.len > 0x7fffffff) {
      m.close();
      throw new builtins.ValueError(MSG.lengthTooLarge);
    }
    if (mp.anon) {
      // pymmap checked the arguments and raised the audit event; the pages are wasm memory's
      const shared = mp.mode.shared;
      const access = mp.mode.access;
      const len = mp.len;
      const trackfd = mp.keepsFd;
      m.close();
      return anonNew(cls, len, shared, access, trackfd);
    }
    const p = mp.placement;
    if (p === null) { // (never: a file map of length 0 fails in the OS)
      m.close();
      throw new builtins.SystemError('pymmap bridge: a file map without a placement');
    }
    let c: number;
    try {
      c = makeCarrier(cls, p.offset, mp.len, 0, mp.offset, mp.keepsFd, mp.mode.shared && mp.mode.writable, false,
        mp.mode.access);
    } catch (e) {
      m.close();
      throw e;
    }
    placed.set(c, { h: mp, p: null, shared: mp.mode.shared });
    return c;
  }

  /** An anonymous map of `cls` over fresh zeroed wasm memory (no host side); returns its
   *  address (a new reference). */
  function anonNew(cls: number, length: number, shared: boolean, access: number, trackfd: boolean): number {
    const p = anonAlloc(length);
    let c: number;
    try {
      c = makeCarrier(cls, p.offset, length, 0, 0, trackfd, shared, true, access);
    } catch (e) {
      wasmPlacer.free(p);
      throw e;
    }
    placed.set(c, { h: null, p, shared });
    return c;
  }

  /** Ends a zero-copy map's host side: the file map closed (its pages zeroed, its memory freed),
   *  or the anonymous map's memory freed. */
  function endPlaced(r: Placed): void {
    if (r.h !== null) r.h.close();
    else wasmPlacer.free(r.p);
  }


  // The constructors and the zero-copy entry points do not throw into Python: Pyodide < 0.28 sometimes loses a JS
  // error on its way back ("SystemError: error return without exception set", seen on
  // constructor errors). They return FAILED and keep the error for takeError().
  const FAILED = -1;
  let lastError: unknown = null;
  function noThrow<A extends unknown[], R>(fn: (...a: A) => R): (...a: A) => R | typeof FAILED {
    return (...a: A) => {
      try {
        return fn(...a);
      } catch (e) {
        lastError = e;
        return FAILED;
      }
    };
  }

  const api = {
    /** Python's None where Pyodide has no jsnull (< 0.28, where None reaches JS as undefined,
     *  "left out"): conv() and the slice functions turn it into null. */
    none: NONE,
    options: { strict: !!options.strict },
    zeroCopy,
    pickleMessage,
    /** pymmap's messages table (CPython's words): the bridge raises a few itself. */
    messages: () => Object.fromEntries(Object.entries(MSG).filter(([, v]) => typeof v === 'string')),
    constants: () => constants,
    methods: () => methods,
    foreign: (name: string) => new PyForeign(name),
    /** The copying path's placeholder for its pending argument k that has __index__. */
    indexArg: (name: string, k: number) => new PyIndex(name, k),
    setIndexer(fn: any): void {
      indexFn = fn;
    },

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

    /** Python's sys.audit (a persistent proxy), called for mmap.__new__. */
    setAudit(fn: any): void {
      auditFn = fn;
    },
    /** The built-in mmap type (its address) and its MAP_SHARED, MAP_PRIVATE, MAP_ANONYMOUS
     *  values: enables carriers. */
    /** The built-in mmap type's __basicsize__ that the carrier layout expects. */
    carrierBasicsize: layout ? layout.basicsize : 0,
    setCarrierType(typeAddr: number, shared: number, priv: number, anon: number): boolean {
      if (!zeroCopy) return false;
      carrierType = typeAddr;
      emFlags = { shared, private: priv, anon };
      return true;
    },
    carrier: makeCarrier,
    /** Py_DECREF of an object address (after Python took its own reference). */
    decref: (o: number) => { CAPI.Py_DecRef(o); },
    exportsOf: (o: number) => Module.HEAP32[(o + layout!.exports) >>> 2],
    setData(o: number, addr: number, size: number): void {
      Module.HEAP32[(o + layout!.data) >>> 2] = addr;
      Module.HEAP32[(o + layout!.size) >>> 2] = size;
    },
    /** A method of the host side of zero-copy map `o` (ints only), after reporting a fault
     *  under its placement (OSError(EFAULT)): flush, size, madvise, resize. */
    hostCall(o: number, name: 'flush' | 'size' | 'madvise' | 'resize', ...args: number[]): number | undefined {
      const r = placed.get(o);
      if (!r || r.h === null) throw new builtins.ValueError(MSG.closed);
      const h = r.h;
      h.checkFaults();
      // (CPython's checks ran in the C type's method before this: the OS call is what is left)
      switch (name) {
        case 'flush': h.flush(args[0], args[1], args.length > 2 ? args[2] : MS_SYNC); return undefined;
        case 'size': return sizeOf(G, h);
        case 'madvise': h.advise(args[1], args[2], args[0]); return undefined;
        case 'resize': h.resize(args[0]); return undefined;
      }
    },
    /** The OSError a Linux host gives the system call CPython makes on a map an argument's
     *  __index__ closed (see closedMapError), or undefined (None) when the call succeeds. */
    closedMapError: (call: 'msync' | 'mremap', start: number, length: number) => closedMapError(call, start, length) ?? undefined,
    /** What map object `o` is to the bridge (its table is the one record of it): -1 not placed
     *  (closed, or the built-in's own), 0 a file map, 1 a private anonymous map, 2 a shared one. */
    kindOf(o: number): number {
      const r = placed.get(o);
      return r === undefined ? -1 : r.h !== null ? 0 : r.shared ? 2 : 1;
    },
    /** anonNew for Python's plain call (its arguments checked, its audit event raised). */
    anonNew: (cls: number, length: number, shared: boolean, access: number, trackfd: boolean) =>
      anonNew(cls, length, shared, access, trackfd),
    /** Closes zero-copy map `o`: its data pointer is cleared (size kept, as CPython's close
     *  keeps it), its placement given back (fresh zero pages, then free) and its host side (if
     *  any) closed. False, with nothing done, while buffer exports exist (unless forced: the
     *  object is being deallocated). True when `o` is not placed (nothing to do). */
    release(o: number, force: boolean): boolean {
      const r = placed.get(o);
      if (!r) return true;
      if (!force && Module.HEAP32[(o + MO.exports) >>> 2] > 0) return false;
      placed.delete(o);
      Module.HEAP32[(o + MO.data) >>> 2] = 0;
      endPlaced(r);
      return true;
    },
    /** After a resize: map object `o` over its pages' new place. A file map's host side moved
     *  them already (its resize); an anonymous map gets fresh zeroed memory with the old bytes
     *  copied, and its old memory is freed. Where there was no placement (pages Emscripten
     *  allocated), returns a built-in mmap object over them (a new reference) whose
     *  deallocation frees them; else 0. */
    replace(o: number, newsize: number): number {
      const r = placed.get(o);
      const H32 = Module.HEAP32;
      if (r && r.h !== null) {
        H32[(o + MO.data) >>> 2] = r.h.placement!.offset;
        H32[(o + MO.size) >>> 2] = newsize;
        return 0;
      }
      const oldAddr: number = Module.HEAPU32[(o + MO.data) >>> 2]; // (an address: unsigned)
      const oldSize: number = H32[(o + MO.size) >>> 2];
      const p = anonAlloc(newsize);
      const n = Math.min(oldSize, newsize);
      if (n > 0) Module.HEAPU8.copyWithin(p.offset, oldAddr, oldAddr + n);
      let old = 0;
      if (r) {
        wasmPlacer.free(r.p);
      } else if (oldAddr) {
        old = makeCarrier(carrierType, oldAddr, oldSize, 0, 0, false, false, true, 2);
      }
      // (the allocations above may have grown the memory: a view taken before it is detached,
      // and a store through it would be lost without a sound)
      Module.HEAP32[(o + MO.data) >>> 2] = p.offset;
      Module.HEAP32[(o + MO.size) >>> 2] = newsize;
      placed.set(o, { h: null, p, shared: r ? r.shared : false });
      return old;
    },
    /** Where construct() leaves its numbers (a Python-owned double[10] in the wasm heap: cheaper
     *  than any JS value crossing into Python). */
    setInfo(addr: number): void {
      infoAddr = addr;
    },

    /** new M.mmap(...args) (copying path), the mmap.__new__ audit event going to Python's
     *  sys.audit with the Emscripten fd (as Python reports it). With `translate`, the fileno
     *  argument is first turned into the host fd (hostFd); a file without one returns
     *  undefined (None) and nothing is done. */
    construct(translate: boolean, _zc: number, ...args: unknown[]): any {
      const held: any[] = [];
      try {
        return newMap(translate, convAll(args, held));
      } finally {
        release(held);
      }
    },

    /** Zero-copy: a map of `cls` (the bridge's subclass of the built-in mmap type, or a
     *  subclass of it) from Python arguments (as construct). Returns the new object's address
     *  (a new reference), or undefined (None) for a file without a host fd. */
    constructZc(cls: number, ...args: unknown[]): number | undefined {
      const held: any[] = [];
      try {
        const m = newMap(true, convAll(args, held), wasmPlacer);
        if (m === undefined) return undefined;
        return placeNew(cls, mappingOf(m)); // (the map's Mapping is the host side from now on)
      } finally {
        release(held);
      }
    },

    /** constructZc for the plain file call: every argument an int, in CPython's positional
     *  order (the defaults of the ones not given are CPython's, whose checks compare values),
     *  left by Python at the info address: fd, length, flags, prot, access, offset, trackfd
     *  (each JS argument crossing from Python costs more than the whole array). Python has
     *  raised the audit event (its checks before the event pass for these arguments). */
    constructInts(cls: number): number | undefined {
      const F = Module.HEAPF64;
      const at = infoAddr / 8;
      const fd = F[at], length = F[at + 1], flags = F[at + 2], prot = F[at + 3];
      const access = F[at + 4], offset = F[at + 5], trackfd = F[at + 6] !== 0;
      const hostfd = api.hostFd(fd);
      if (hostfd === undefined) return undefined;
      return placeNew(cls, openChecked(G, hostfd, length, flags, prot, access, offset, trackfd, wasmPlacer, false));
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
    getslice(m: any, a: SliceBound, b: SliceBound, c: SliceBound): unknown {
      return u8(m.__getitem__(new builtins.slice(nn(a), nn(b), nn(c))));
    },
    setslice(m: any, a: SliceBound, b: SliceBound, c: SliceBound, v: unknown): unknown {
      const held: any[] = [];
      try {
        return m.__setitem__(new builtins.slice(nn(a), nn(b), nn(c)), conv(v, held));
      } finally {
        release(held);
      }
    },
    delslice(m: any, a: SliceBound, b: SliceBound, c: SliceBound): unknown {
      return m.__delitem__(new builtins.slice(nn(a), nn(b), nn(c)));
    },
    /** memoryview(m) for the copy-based path: the export pins the map (close/resize raise
     *  BufferError) until release(); check() raises OSError(EFAULT) if a page faulted under
     *  the view while it was copied (file truncated under the map). */
    export(m: any, flags: number): any {
      const e = m.__buffer__(flags);
      const view = u8(e.view) as Uint8Array;
      return { view, length: view.length, readonly: !!e.readonly, release: () => e.release(), check: () => e.check() };
    },
  };

  // ---- C-level entry points (zero-copy). The bridge's class gets tp_new, close and __exit__
  // (and tp_finalize) that are JS functions in the wasm function table, which CPython calls as
  // the C functions they stand for: no Python frame (a C module's errors show none), and no
  // Pyodide conversion layer (a call from Python into a JsProxy costs 0.3-0.7 us; one through
  // the table, 30-50 ns). They take and return object addresses, use CPython's C API exported
  // by every Pyodide, and never let a JS exception unwind through C: an error becomes the
  // Python exception the bridge's one mapping function (_js_error) makes, set with
  // PyErr_SetObject, and the function returns NULL. tp_new handles the plain call (2 to 6 ints
  // in range, no keywords); every other call goes to the bridge's Python __new__ (_zc_new).
  // PyTypeObject on wasm32 (3.12-3.15): tp_new at 156, tp_finalize at 196, tp_vectorcall at
  // 200; Py_TYPE at 4 (tuples change: 3.14 caches their hash; the C API reads them). Python
  // checks all of it by behaviour.
  const TP_NEW = 156;
  const TP_FINALIZE = 196;
  const TP_VECTORCALL = 200;
  interface CRefs {
    intType: number; none: number; slowNew: number; audit: number; eventStr: number;
    baseClose: number; baseExit: number; args: number;
    /** The constructor's keyword names as interned str objects, by position. */
    kwNames: number[];
  }
  let C: CRefs | null = null;
  /** What every C-level entry point needs (both paths): the bridge's _js_error() and
   *  _strip_tb(exc), set by cInit. */
  let CB: { jsError: number; strip: number } | null = null;
  let cFastNews = 0;
  const cNames: number[] = []; // C strings kept for the method table (never freed)
  /** Sets the Python exception for JS error `e` (through the bridge's _js_error) and returns 0
   *  (NULL). */
  function cRaise(e: unknown): 0 {
    try {
      lastError = e;
      const exc: number = CAPI.PyObject_CallNoArgs(CB!.jsError);
      if (exc) {
        CAPI.PyErr_SetObject(Module.HEAPU32[(exc + 4) >>> 2], exc);
        CAPI.Py_DecRef(exc);
      }
    } catch {
      CAPI.PyErr_NoMemory(); // (the mapping function itself failed: something must be set)
    }
    return 0;
  }
  function pyInt(n: number): number {
    return CAPI.PyLong_FromLong(n);
  }
  /** sys.audit('mmap.__new__', fd, length, access, offset): < 0 when a hook raised. */
  function cAudit(fd: number, length: number, access: number, offset: number): number {
    // the four ints made first (an allocation may grow the memory: the view is taken after),
    // kept in locals (no array per call); a failed one (MemoryError set) ends the call
    const o1 = pyInt(fd), o2 = pyInt(length), o3 = pyInt(access), o4 = pyInt(offset);
    let r = 0;
    if (o1 && o2 && o3 && o4) {
      const at = C!.args >>> 2;
      const H32 = Module.HEAP32;
      H32[at] = C!.eventStr;
      H32[at + 1] = o1;
      H32[at + 2] = o2;
      H32[at + 3] = o3;
      H32[at + 4] = o4;
      r = CAPI.PyObject_Vectorcall(C!.audit, C!.args, 5, 0);
    }
    if (o1) CAPI.Py_DecRef(o1);
    if (o2) CAPI.Py_DecRef(o2);
    if (o3) CAPI.Py_DecRef(o3);
    if (o4) CAPI.Py_DecRef(o4);
    if (!r) return -1;
    CAPI.Py_DecRef(r);
    return 0;
  }
  /** Python function `fn` called with (first, *args) and kwds; on an error, the bridge's frames
   *  are dropped from the traceback (cStrip). The bridge's Python __new__ for tp_new's other
   *  calls, and the bodies of the wrapped methods. */
  function cCallWith(fn: number, first: number, args: number, kwds: number): number {
    const n: number = CAPI.PyTuple_Size(args);
    const t: number = CAPI.PyTuple_New(n + 1);
    if (!t) return 0;
    CAPI.Py_IncRef(first);
    CAPI.PyTuple_SetItem(t, 0, first);
    for (let i = 0; i < n; i++) {
      const it: number = CAPI.PyTuple_GetItem(args, i);
      CAPI.Py_IncRef(it);
      CAPI.PyTuple_SetItem(t, i + 1, it);
    }
    const r: number = CAPI.PyObject_Call(fn, t, kwds);
    CAPI.Py_DecRef(t);
    if (!r) cStrip();
    return r;
  }
  function cSlowNew(type: number, args: number, kwds: number): number {
    return cCallWith(C!.slowNew, type, args, kwds);
  }
  /** The exception being raised loses the bridge's frames from its traceback (the Python code
   *  behind a C-level entry point; a C function adds none). */
  function cStrip(): void {
    const exc: number = CAPI.PyErr_GetRaisedException();
    if (!exc) return;
    const r: number = CAPI.PyObject_CallOneArg(CB!.strip, exc);
    if (r) CAPI.Py_DecRef(r);
    else CAPI.PyErr_Clear();
    CAPI.PyErr_SetRaisedException(exc);
  }
  /** A C-level method (METH_VARARGS | METH_KEYWORDS) that calls Python function `impl` with
   *  (self, *args, **kwds): the bridge's host-reaching methods, without their frames. */
  function cWrapped(impl: number) {
    return (self: number, args: number, kwds: number): number => {
      try {
        return cCallWith(impl, self, args, kwds);
      } catch (e) {
        return cRaise(e);
      }
    };
  }
  const cVals = [0, 0, 0, 0, 0, 0];
  /** tp_new(type, args, kwds). */
  function cNew(type: number, args: number, kwds: number): number {
    try {
      const n: number = CAPI.PyTuple_Size(args);
      const nk: number = kwds ? CAPI.PyDict_Size(kwds) : 0;
      if (n > 6 || n + nk < 2) return cSlowNew(type, args, kwds);
      const v = cVals;
      v[2] = MAP_SHARED; v[3] = PROT_RW; v[4] = 0; v[5] = 0;
      let found = 0;
      for (let i = 0; i < 6; i++) {
        let it: number;
        if (i < n) {
          it = CAPI.PyTuple_GetItem(args, i);
        } else {
          if (found === nk) {
            if (i < 2) return cSlowNew(type, args, kwds); // (fileno or length missing)
            break;
          }
          it = CAPI.PyDict_GetItem(kwds, C!.kwNames[i]); // (borrowed; NULL when absent)
          if (!it) {
            if (i < 2) return cSlowNew(type, args, kwds);
            continue;
          }
          found++;
        }
        if (Module.HEAPU32[(it + 4) >>> 2] !== C!.intType) return cSlowNew(type, args, kwds);
        const x: number = CAPI.PyLong_AsLong(it);
        if (x === -1 && CAPI.PyErr_Occurred()) {
          CAPI.PyErr_Clear();
          return cSlowNew(type, args, kwds);
        }
        v[i] = x;
      }
      // (a keyword that is not one of these, trackfd, or one given twice: the Python __new__)
      if (found !== nk) return cSlowNew(type, args, kwds);
      const [fd, length, flags, prot, access, offset] = v;
      if (length < 0 || offset < 0) return cSlowNew(type, args, kwds);
      // CPython's checks before its audit event pass (access excludes flags and prot)
      const plainAccess = access === 0 || access >= ACCESS_READ && access <= 3 && flags === MAP_SHARED && prot === PROT_RW;
      if (!plainAccess) return cSlowNew(type, args, kwds);
      if (fd === -1) {
        // an anonymous map whose pages are read-write memory, as _zc_new's fast path
        if (!length || offset || !(access === 0 ? prot === PROT_RW && (flags === MAP_SHARED || flags === MAP_PRIVATE) : true)) {
          return cSlowNew(type, args, kwds);
        }
        if (cAudit(-1, length, access, 0) < 0) return 0;
        const shared = access === 0 ? flags === MAP_SHARED : access !== 3;
        const c = anonNew(type, length, shared, access, true);
        cFastNews++;
        return c;
      }
      const hostfd = api.hostFd(fd);
      if (hostfd === undefined) return cSlowNew(type, args, kwds); // MEMFS, devices: the built-in
      let dacc = access;
      if (access === 0 && (prot & PROT_RW) !== PROT_RW) dacc = prot & M.PROT_WRITE ? 2 : ACCESS_READ;
      if (cAudit(fd, length, dacc, offset) < 0) return 0;
      const c = placeNew(type, openChecked(G, hostfd, length, flags, prot, access, offset, true, wasmPlacer, false));
      cFastNews++;
      return c;
    } catch (e) {
      return cRaise(e);
    }
  }
  /** close() and __exit__(*args): the C type's own for maps the bridge did not place. */
  function cClose(self: number, base: number): number {
    try {
      const r = placed.get(self);
      if (!r) return CAPI.PyObject_CallOneArg(base, self);
      if (Module.HEAP32[(self + MO.exports) >>> 2] > 0) throw new builtins.BufferError(MSG.closeExported);
      placed.delete(self);
      Module.HEAP32[(self + MO.data) >>> 2] = 0;
      endPlaced(r);
      CAPI.Py_IncRef(C!.none);
      return C!.none;
    } catch (e) {
      return cRaise(e);
    }
  }
  /** __exit__(*args): CPython's checks its arguments (3.14: exactly 3, TypeError before
   *  closing), then closes. A placed map whose arguments pass is closed here; every other call
   *  goes to the C type's own __exit__ with its arguments. */
  function cExit(self: number, args: number): number {
    try {
      if (placed.has(self) && (!G.clinic || CAPI.PyTuple_Size(args) === 3)) return cClose(self, C!.baseExit);
      return cCallWith(C!.baseExit, self, args, 0);
    } catch (e) {
      return cRaise(e);
    }
  }
  /** tp_finalize: a map dropped without close gives its pages back (never raises; the
   *  exception being raised, if any, is kept). */
  function cFinalize(self: number): void {
    const r = placed.get(self);
    if (!r) return;
    placed.delete(self);
    Module.HEAP32[(self + MO.data) >>> 2] = 0;
    const exc: number = CAPI.PyErr_GetRaisedException();
    try {
      endPlaced(r);
    } catch { /* (nothing can be reported from a finalizer) */ }
    CAPI.PyErr_SetRaisedException(exc);
  }
  /** A PyMethodDef {name, meth, flags, doc} in wasm memory for fn. */
  function methodDef(name: string, fn: number, flags: number, doc: number): number {
    const d: number = wasmMalloc(16);
    const nb = Buffer.from(name + '\0', 'utf8');
    const np: number = wasmMalloc(nb.length);
    Module.HEAPU8.set(nb, np);
    cNames.push(np);
    const H32 = Module.HEAP32;
    H32[d >>> 2] = np;
    H32[(d >>> 2) + 1] = fn;
    H32[(d >>> 2) + 2] = flags;
    H32[(d >>> 2) + 3] = doc;
    return d;
  }
  const METH_VARARGS = 1;
  const METH_KEYWORDS = 2;
  const METH_NOARGS = 4;
  /** Keeps the bridge's _js_error and _strip_tb (object addresses) for every C-level entry
   *  point; false when this Pyodide lacks what they need (addFunction, the C API above). */
  function cInit(jsError: number, strip: number): boolean {
    if (typeof Module.addFunction !== 'function' || Object.values(CAPI).some((f) => typeof f !== 'function')) return false;
    if (CB === null) {
      CAPI.Py_IncRef(jsError); // kept for good
      CAPI.Py_IncRef(strip);
      CB = { jsError, strip };
    }
    return true;
  }
  /** C-level methods of type `T` (method descriptors, new references) named `names`
   *  (comma-separated) that call Python functions `impls` (cWrapped); null if one could not be
   *  made (no exception left set). A name starting with '+' is a class method (self: the
   *  type, for a __new__). */
  function cMethods(T: number, names: string, ...impls: number[]): number[] | null {
    const out: number[] = [];
    for (const [i, n] of names.split(',').entries()) {
      CAPI.Py_IncRef(impls[i]); // kept for good
      const cm = n.startsWith('+');
      const def = methodDef(cm ? n.slice(1) : n, Module.addFunction(cWrapped(impls[i]), 'iiii'), METH_VARARGS | METH_KEYWORDS, 0);
      const d: number = cm ? CAPI.PyDescr_NewClassMethod(T, def) : CAPI.PyDescr_NewMethod(T, def);
      if (!d) {
        CAPI.PyErr_Clear();
        for (const o of out) CAPI.Py_DecRef(o);
        return null;
      }
      out.push(d);
    }
    return out;
  }
  /** Installs the C-level entry points on class `cls` (a subclass of base type `T`); leaves the
   *  close and __exit__ method descriptors (new references) at info[7] and info[8]. The
   *  other arguments are object addresses (see CRefs). */
  function cInstall(cls: number, T: number, intType: number, none: number, slowNew: number, jsError: number,
    audit: number, eventStr: number, baseClose: number, baseExit: number, strip: number, wrapNames: string,
    ...impls: number[]): boolean {
    if (!cInit(jsError, strip)) return false;
    const args: number = wasmMalloc(4 * 8);
    const kwNames = ['fileno', 'length', 'flags', 'prot', 'access', 'offset'].map((k) => {
      const b = Buffer.from(k + '\0', 'utf8');
      const p: number = wasmMalloc(b.length);
      Module.HEAPU8.set(b, p);
      const o: number = CAPI.PyUnicode_InternFromString(p);
      wasmFree(p);
      return o;
    });
    if (kwNames.some((o) => !o)) {
      CAPI.PyErr_Clear();
      return false;
    }
    C = { intType, none, slowNew, audit, eventStr, baseClose, baseExit, args, kwNames };
    for (const o of [slowNew, audit, eventStr, baseClose, baseExit]) CAPI.Py_IncRef(o); // kept for good
    const H32 = Module.HEAP32;
    if (H32[(cls + TP_VECTORCALL) >>> 2] !== 0) return false; // (a class call would not reach tp_new)
    const newFn: number = Module.addFunction(cNew, 'iiii');
    const closeFn: number = Module.addFunction((self: number) => cClose(self, C!.baseClose), 'iii');
    const exitFn: number = Module.addFunction(cExit, 'iii');
    const finFn: number = Module.addFunction(cFinalize, 'vi');
    const closeDescr: number = CAPI.PyDescr_NewMethod(T, methodDef('close', closeFn, METH_NOARGS, 0));
    const exitDescr: number = CAPI.PyDescr_NewMethod(T, methodDef('__exit__', exitFn, METH_VARARGS, 0));
    // the wrapped methods' descriptors go to info[0..] (Python takes them before anything else
    // writes there)
    const wrapped = cMethods(T, wrapNames, ...impls);
    if (!closeDescr || !exitDescr || !wrapped) {
      CAPI.PyErr_Clear();
      return false;
    }
    wrapped.forEach((d, i) => { Module.HEAPF64[infoAddr / 8 + i] = d; });
    const HS = Module.HEAP32; // (a fresh view: the allocations above may have grown the memory)
    cSaved = { cls, tpNew: HS[(cls + TP_NEW) >>> 2], tpFinalize: HS[(cls + TP_FINALIZE) >>> 2] };
    HS[(cls + TP_NEW) >>> 2] = newFn;
    HS[(cls + TP_FINALIZE) >>> 2] = finFn;
    Module.HEAPF64[infoAddr / 8 + 7] = closeDescr;
    Module.HEAPF64[infoAddr / 8 + 8] = exitDescr;
    return true;
  }
  let cSaved: { cls: number; tpNew: number; tpFinalize: number } | null = null;
  /** Puts back the class's own tp_new and tp_finalize (the bridge's self-test failed). */
  function cUninstall(): void {
    if (cSaved === null) return;
    Module.HEAP32[(cSaved.cls + TP_NEW) >>> 2] = cSaved.tpNew;
    Module.HEAP32[(cSaved.cls + TP_FINALIZE) >>> 2] = cSaved.tpFinalize;
    cSaved = null;
  }
  /** How many maps tp_new made itself (the bridge's self-test). */
  const cCount = () => cFastNews;

  const zcApi = api as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const k of ['construct', 'constructZc', 'constructInts', 'anonNew', 'hostCall', 'replace']) zcApi[k] = noThrow(zcApi[k]);
  /** The error a zero-copy entry point kept when it returned FAILED (-1). */
  zcApi.takeError = () => {
    const e = lastError;
    lastError = null;
    return e;
  };
  // The copying path's calls into JS do not throw into Python either (see noThrow): on an
  // error they return undefined (None), keep the error for takeError() and set info[9] to 1,
  // which the bridge reads after each call (a number in a shared array costs less than any
  // JS value crossing into Python).
  const FLAG = 9;
  for (const k of ['call', 'len', 'getitem', 'setitem', 'repr', 'getslice', 'setslice', 'delslice', 'export']) {
    const fn = zcApi[k];
    zcApi[k] = (...a: unknown[]) => {
      try {
        return fn(...a);
      } catch (e) {
        lastError = e;
        Module.HEAPF64[infoAddr / 8 + FLAG] = 1;
        return undefined;
      }
    };
  }
  zcApi.cInstall = cInstall as (...a: unknown[]) => unknown;
  /** The copying path's C-level methods: cInit, then cMethods (an array of descriptor
   *  addresses, new references), or null. */
  zcApi.cMethods = ((jsError: number, strip: number, T: number, names: string, ...impls: number[]) =>
    (cInit(jsError, strip) ? cMethods(T, names, ...impls) : null)) as (...a: unknown[]) => unknown;
  zcApi.cCount = cCount;
  zcApi.cUninstall = cUninstall;
  pyodide.registerJsModule('_pymmap_js', api);
  const [file, src] = bridgeSource();
  const useCache = options.cache !== false;
  const key = crypto.createHash('sha256').update(`${file}\0${pyBuild}\0${pyodide.version}\0${src}`).digest('hex');
  const cached = useCache ? readCode(file, key) : null;
  const ns = pyodide.toPy({ src, file, want_code: useCache && !cached });
  let zc = false;
  try {
    ns.set('code', cached ?? undefined); // (undefined: None; null would be jsnull)
    // builtins.exec rather than runPython, whose own parsing costs ~10 ms at start-up
    const pyBuiltins = pyodide.pyimport('builtins');
    try {
      pyBuiltins.exec(INSTALL_PY, ns);
    } finally {
      pyBuiltins.destroy();
    }
    zc = ns.get('zero_copy') === true && zeroCopy;
    if (useCache && !cached) {
      const out = ns.get('code_out');
      if (out) {
        writeCode(file, key, out.toJs());
        out.destroy();
      }
    }
  } finally {
    ns.destroy();
  }
  return { version, module: M, zeroCopy: zc };
}

// Executes the bridge source (or its cached bytecode) as module 'mmap', puts it in
// sys.modules and in front of the import system (so `del sys.modules['mmap']; import mmap` and
// importlib.reload keep it). Leaves the module's _ZERO_COPY in zero_copy.
const INSTALL_PY = `
import sys, importlib.machinery
sys.modules.pop('_pymmap_js', None)    # an earlier installMmap's (registerJsModule keeps it)
c = None
if code is not None:
    import marshal
    try:
        c = marshal.loads(code.to_bytes())
    except Exception:
        c = None
if c is None:
    c = compile(src, '<pymmap>', 'exec')
    if want_code:
        import marshal
        code_out = marshal.dumps(c)
mod = type(sys)('mmap')
exec(c, mod.__dict__)
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
            return importlib.machinery.ModuleSpec('mmap', self.loader, origin='pymmap')
        return None

mod.__spec__ = importlib.machinery.ModuleSpec('mmap', _PymmapLoader(mod), origin='pymmap')
mod.__loader__ = mod.__spec__.loader
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != '_PymmapFinder']
sys.meta_path.insert(0, _PymmapFinder(mod))
sys.modules['mmap'] = mod
zero_copy = mod._ZERO_COPY
`;
