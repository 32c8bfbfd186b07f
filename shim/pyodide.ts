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
import { mappingOf, type mmap } from './mmap';
import type { Mapping } from './mapping';
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

// The audit hook is process-wide (pymmap's sys hooks cannot be removed): one hook, which
// forwards the event to the Python sys.audit of the constructor call in progress.
interface AuditCtx { audit: ((...a: unknown[]) => void) | null; fd: unknown }
let auditCtx: AuditCtx | null = null;
let hookInstalled = false;
function ensureAuditHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  pysys.addaudithook((event: string, args: unknown[]) => {
    const c = auditCtx;
    if (c === null || event !== 'mmap.__new__') return;
    auditCtx = null; // once per constructor call
    if (c.audit) c.audit(event, c.fd, ...args.slice(1));
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
  // Pyodide 0.26-0.29 do not export malloc/free to JS (314 does): Python's raw allocator is
  // malloc/free in them, and is exported by all.
  const [wasmMalloc, wasmFree] = typeof Module?._malloc === 'function' ? [Module._malloc, Module._free]
    : [Module?._PyMem_RawMalloc, Module?._PyMem_RawFree];
  const layout = carrierLayout(pyBuild.split(' ')[0]);
  const zeroCopy = options.zeroCopy !== false && process.platform !== 'win32' && layout !== null &&
    typeof wasmMalloc === 'function' && typeof wasmFree === 'function' && !!Module?.HEAPU8 &&
    typeof Module._PyType_GenericAlloc === 'function' && typeof Module._Py_DecRef === 'function';
  const P: number = M.PAGESIZE;
  const MAP_SHARED: number = M.MAP_SHARED;
  const MAP_PRIVATE: number = M.MAP_PRIVATE;
  const PROT_RW: number = M.PROT_READ | M.PROT_WRITE;

  // ---- zero-copy placement: page-aligned wasm memory, with the file mapped over it
  interface Placement { ptr: number; addr: number; span: number; anon: boolean; shared: boolean }
  function placeAlloc(h: mmap, length: number): Placement {
    const span = Math.ceil(length / P) * P;
    const ptr: number = wasmMalloc(span + P);
    if (!ptr) throw builtins.OSError.fromErrno(12, MSG.strerrorENOMEM, 'ENOMEM');
    const addr = Math.ceil(ptr / P) * P;
    const m = mappingOf(h);
    // Written through to the file: a shared map that allows stores.
    const shared = !m.anon && m.mode.shared && m.mode.writable;
    return { ptr, addr, span, anon: m.anon, shared };
  }
  function placeMap(h: mmap, p: Placement, fd: number): void {
    const buf: ArrayBuffer = Module.HEAPU8.buffer;
    if (p.anon) nat.unmapFixed(buf, p.addr, p.span); // fresh zero pages
    // Read-only and copy-on-write maps get a private mapping: stores (there should be none)
    // stay in this process instead of faulting the whole process.
    else nat.mapFixed(buf, p.addr, p.span, fd, PROT_RW, p.shared ? MAP_SHARED : MAP_PRIVATE, mappingOf(h).offset);
  }
  function placeFree(p: Placement): void {
    wasmFree(p.ptr);
  }

  // ---- zero-copy carriers: built-in mmap objects over a placement (python/pymmap_bridge.py).
  // mmap_object of Modules/mmapmodule.c on wasm32 (carrierLayout: per Python version); the
  // bridge checks the layout by behaviour before using it (and falls back to the copying path
  // if it does not match).
  let carrierType = 0;
  let emFlags = { shared: 0, private: 0, anon: 0 };
  /** A new built-in mmap object (PyType_GenericAlloc: no constructor, so no audit event and
   *  no Emscripten mapping) with its fields set; returns its address (a new reference). */
  function makeCarrier(addr: number, size: number, pos: number, offset: number, trackfd: boolean,
    shared: boolean, anon: boolean, access: number): number {
    const o: number = Module._PyType_GenericAlloc(carrierType, 0);
    if (!o) {
      if (typeof Module._PyErr_Clear === 'function') Module._PyErr_Clear();
      throw new builtins.MemoryError();
    }
    const H32 = Module.HEAP32;
    const MO = layout!; // (carriers exist only with zero-copy, which needs a layout)
    H32[(o + MO.data) >> 2] = addr;
    H32[(o + MO.size) >> 2] = size;
    H32[(o + MO.pos) >> 2] = pos;
    H32[(o + MO.offset) >> 2] = offset % 0x100000000;
    H32[(o + MO.offset + 4) >> 2] = Math.floor(offset / 0x100000000);
    H32[(o + MO.fd) >> 2] = -1;
    if (MO.trackfd >= 0) Module.HEAPU8[o + MO.trackfd] = trackfd ? 1 : 0;
    if (MO.flags >= 0) H32[(o + MO.flags) >> 2] = (shared ? emFlags.shared : emFlags.private) | (anon ? emFlags.anon : 0);
    H32[(o + MO.access) >> 2] = access;
    return o;
  }
  ensureAuditHook();

  const isPlain = (a: unknown): a is Record<string, unknown> =>
    a !== null && typeof a === 'object' && Object.getPrototypeOf(a) === Object.prototype;
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

  const api = {
    /** Python's None where Pyodide has no jsnull (< 0.28, where None reaches JS as undefined,
     *  "left out"): conv() and the slice functions turn it into null. */
    none: NONE,
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
    decref: (o: number) => { Module._Py_DecRef(o); },
    exportsOf: (o: number) => Module.HEAP32[(o + layout!.exports) >> 2],
    setData(o: number, addr: number, size: number): void {
      Module.HEAP32[(o + layout!.data) >> 2] = addr;
      Module.HEAP32[(o + layout!.size) >> 2] = size;
    },
    /** find/rfind of `sub` (a bytes PyProxy) in [start, end) of pymmap's own mapping `h` of
     *  a carrier's file (the addon's memmem: twice as fast as CPython's search compiled to
     *  wasm, or Buffer.indexOf); -1 when absent. */
    findHost(h: mmap, start: number, end: number, sub: unknown, reverse: boolean): number {
      const held: any[] = [];
      try {
        return mappingOf(h).find(start, end, conv(sub, held) as Uint8Array, reverse);
      } finally {
        release(held);
      }
    },
    memmove(dst: number, src: number, n: number): void {
      Module.HEAPU8.copyWithin(dst, src, src + n);
    },
    /** Where construct() leaves its numbers (a Python-owned double[10] in the wasm heap: cheaper
     *  than any JS value crossing into Python). */
    setInfo(addr: number): void {
      infoAddr = addr;
    },

    /** new M.mmap(...args), the mmap.__new__ audit event going to Python's sys.audit with the
     *  Emscripten fd (as Python reports it). With `translate`, the fileno argument is first
     *  turned into the host fd (hostFd); a file without one returns undefined (None) and
     *  nothing is done. With `zc`, the map is also placed in the wasm memory when possible,
     *  with a carrier over it. Leaves [length, placed, ptr, addr, span, anon, shared, carrier,
     *  searchable] at setInfo's address and returns the pymmap object; searchable: the pymmap
     *  object's own mapping always holds the carrier's bytes (a shared or read-only map of a
     *  file), so searches can run on it. */
    construct(translate: boolean, zc: boolean, ...args: unknown[]): any {
      const held: any[] = [];
      const prev = auditCtx;
      let m: any;
      let mp: Mapping;
      try {
        const conv = convAll(args, held);
        const n = conv.length;
        const kw = n > 0 && isPlain(conv[n - 1]) ? (conv[n - 1] as Record<string, unknown>) : null;
        const npos = kw ? n - 1 : n;
        const fd = npos > 0 ? conv[0] : kw?.fileno;
        let hostfd = fd;
        if (translate && typeof fd === 'number') {
          hostfd = api.hostFd(fd);
          if (hostfd === undefined) return undefined;
          if (npos > 0) conv[0] = hostfd;
          else kw!.fileno = hostfd;
        }
        auditCtx = { audit: auditFn, fd };
        m = new M.mmap(...conv);
        mp = mappingOf(m);
        auditCtx = prev;
        const info = Module.HEAPF64;
        const at = infoAddr / 8;
        info[at] = mp.len;
        info[at + 1] = 0;
        if (zc && typeof hostfd === 'number') {
          let p: Placement | null = null;
          try {
            p = placeAlloc(m, mp.len);
            placeMap(m, p, hostfd);
          } catch {
            if (p) placeFree(p);
            p = null;
          }
          if (p) {
            let c: number;
            try {
              c = makeCarrier(p.addr, mp.len, 0, mp.offset, mp.keepsFd, p.shared, p.anon, mp.mode.access);
            } catch (e) {
              api.unplace(m, p.ptr, p.addr, p.span);
              throw e;
            }
            const info = Module.HEAPF64; // (again: the allocation may have grown the memory)
            info[at + 1] = 1;
            info[at + 2] = p.ptr;
            info[at + 3] = p.addr;
            info[at + 4] = p.span;
            info[at + 5] = p.anon ? 1 : 0;
            info[at + 6] = p.shared ? 1 : 0;
            info[at + 7] = c;
            info[at + 8] = !p.anon && (p.shared || mp.mode.access === ACCESS_READ) ? 1 : 0;
          }
        }
        return m;
      } finally {
        auditCtx = prev;
        release(held);
      }
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
    // zero-copy resize (python/pymmap_bridge.py, _carrier_resize)
    place_alloc: (h: mmap, length: number) => placeAlloc(h, length),
    place_map: (h: mmap, p: Placement, fd: number) => placeMap(h, p, fd),
    place_free: (p: Placement) => placeFree(p),
    /** Gives placed wasm pages back (fresh zeroed pages, then free) and closes `h` if given. */
    unplace(h: any, ptr: number, addr: number, span: number): void {
      try {
        nat.unmapFixed(Module.HEAPU8.buffer, addr, span);
        wasmFree(ptr);
      } finally {
        if (h) h.close();
      }
    },
    fdOf: (h: mmap) => mappingOf(h).fd(),
    /** memoryview(m) for the copy-based path: the export pins the map (close/resize raise
     *  BufferError) until release(); check() raises OSError(EFAULT) if a page faulted under
     *  the view while it was copied (file truncated under the map). */
    export(m: any, flags: number): any {
      const e = m.__buffer__(flags);
      const view = u8(e.view) as Uint8Array;
      return { view, length: view.length, readonly: !!e.readonly, release: () => e.release(), check: () => e.check() };
    },
  };

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
    c = compile(src, file, 'exec')
    if want_code:
        import marshal
        code_out = marshal.dumps(c)
mod = type(sys)('mmap')
mod.__file__ = file
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
            return importlib.machinery.ModuleSpec('mmap', self.loader, origin=file)
        return None

mod.__spec__ = importlib.machinery.ModuleSpec('mmap', _PymmapLoader(mod), origin=file)
mod.__loader__ = mod.__spec__.loader
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != '_PymmapFinder']
sys.meta_path.insert(0, _PymmapFinder(mod))
sys.modules['mmap'] = mod
zero_copy = mod._ZERO_COPY
`;
