// Byte access and lifetime of one OS mapping, under the Python semantics of mmap.ts (as PyPy's
// rlib/rmmap.py sits under module/mmap/interp_mmap.py). It knows nothing of Python: callers
// check arguments and bounds; failures are the native layer's errors, made by native.ts's one
// error-mapping function.
//
// A mapping is named by a native id. `v` is its zero-copy view (a Buffer over the mapping, or
// over a private shadow of a read-only one), made on first use, for the hot paths. Pages that
// fault under a view (the file truncated) are repaired natively and counted in a process-wide
// counter (FC): after touching the view, callers compare it with the count last seen (`fc`) and
// call faulted(), which raises OSError(EFAULT) if one of this mapping's pages faulted.
// Small results are carved out of a result slab; the finalizer unmaps a mapping nobody closed.
import { Buffer } from 'buffer'; // not the global getter, looked up on every use
import { constants as osConstants } from 'os';
import type { MapMode } from './access';
import { SSIZE_MAX_N } from './convert';
import { MSG } from './messages';
import { makeError, native, NativeViewError } from './native';

/** Process-wide count of page faults repaired under views (null: views unavailable). */
const FC: Uint32Array | null = (() => {
  try {
    // External memory: never marked untransferable (Node 24 then cannot detach it at teardown
    // and aborts); it is module-internal and never handed out.
    return native.faultCounter();
  } catch {
    return null;
  }
})();

/** The control block of the one-argument hot-path calls (readlineC, copyC), or null where the
 *  runtime forbids external buffers (the five-argument calls are used then). */
const CTL: Float64Array | null = (() => {
  try {
    return native.control();
  } catch {
    return null;
  }
})();

const EMPTY = Buffer.alloc(0);

/** Slabs that results share must not be moved to another thread by a transfer list: that would
 *  empty every earlier result. Node marks its own Buffer pool the same way (structuredClone and
 *  postMessage then refuse it; Node 24 also refuses transfer()). Only for buffers JS allocated:
 *  never for external ones, which Node 24 must still be able to detach at teardown. */
function untransferable(ab: ArrayBufferLike): void {
  if (markAsUntransferable === undefined) {
    // Loaded on the first slab, not with the module: worker_threads is a fifth of the shim's load time.
    const wt = require('worker_threads') as { markAsUntransferable?: (o: object) => void };
    markAsUntransferable = typeof wt.markAsUntransferable === 'function' ? wt.markAsUntransferable : null;
  }
  if (markAsUntransferable !== null) markAsUntransferable(ab);
  // Node 22 still lets ab.transfer() through for a marked buffer (24 refuses): refuse it as 24 does.
  if (typeof (ab as { transfer?: unknown }).transfer === 'function') {
    const refuse = { value: refuseTransfer, writable: false, enumerable: false, configurable: false };
    Object.defineProperties(ab, { transfer: refuse, transferToFixedLength: refuse });
  }
}
let markAsUntransferable: ((o: object) => void) | null | undefined;
function refuseTransfer(): never {
  throw new TypeError(MSG.notDetachable);
}

/**
 * A Buffer made straight from (slab, offset, length): Buffer.from() spends more on argument
 * checks than the copy of a short line costs. Instances are Buffers in every respect that can be
 * observed (Buffer.prototype is on their chain: Buffer.isBuffer, methods, toString).
 */
class SlabBuffer extends Uint8Array {}
Object.setPrototypeOf(SlabBuffer.prototype, Buffer.prototype);
Object.defineProperty(SlabBuffer.prototype, 'constructor', { value: Buffer, writable: true, configurable: true });
function slabBuffer(ab: ArrayBuffer, off: number, n: number): Buffer {
  return new SlabBuffer(ab, off, n) as unknown as Buffer;
}

// Small results are carved out of a shared slab, as Node does for Buffer.allocUnsafe: a fresh
// ArrayBuffer per 4 KiB slice costs more than copying the bytes. The slab belongs to this copy
// of the module and is passed to every native call that fills it (the addon keeps nothing), is
// zero-filled (no stale bytes of anyone else's), and cannot be transferred away.
const POOL_SIZE = 256 * 1024;
const POOL_MAX = 16 * 1024;
// The first slab is made by the first small result (room() sees an empty one).
let pool = new ArrayBuffer(0);
let poolU8 = new Uint8Array(pool); // over the slab; length 0 if the slab was detached after all
let poolOff = 0;
function newSlab(): void {
  pool = new ArrayBuffer(POOL_SIZE);
  untransferable(pool);
  poolU8 = new Uint8Array(pool);
  poolOff = 0;
  pinIfTop(pool);
}
/** Makes room for n <= POOL_SIZE bytes at poolOff (a new slab when full or detached). */
function room(n: number): void {
  if (poolOff + n > POOL_SIZE || poolU8.length === 0) newSlab();
}
/** Takes n bytes at poolOff as a result. */
function take(n: number): Buffer {
  const b = slabBuffer(pool, poolOff, n);
  poolOff = (poolOff + n + 7) & ~7;
  return b;
}

/**
 * Result memory comes from malloc (V8's ArrayBuffers), and the collector frees dead results in
 * batches: every few slabs while readline's small results die young, tens of MiB of large ones
 * (read(1 MiB)). Freed blocks at the top of glibc's brk heap are given back to the OS at once
 * (trimmed), and the next results page-fault on fresh memory. So, while a loop runs, the shim
 * keeps the highest result memory of the heap alive (a slab, or a large result of up to
 * PIN_MAX bytes: native.brkAddress says where each is): everything freed below it stays in the
 * heap and is reused. Measured over 256 MiB: readline from 8,700 page faults per pass to none
 * (about 10% of its CPU time). The pin is dropped when the current job ends (a microtask), so an
 * idle program's heap can shrink again. It is only a reference: the memory is the caller's
 * result (or a slab), never written again. Where the allocator has no brk heap, nothing is kept.
 */
let pinned: ArrayBuffer | Buffer | null = null;
let pinnedAt = 0;
let unpinQueued = false;
const PIN_MAX = 4 * 1024 * 1024;
function unpin(): void {
  pinned = null;
  pinnedAt = 0;
  unpinQueued = false;
}
function pinIfTop(mem: ArrayBuffer | Buffer): void {
  const at = native.brkAddress(mem);
  if (at <= pinnedAt) return;
  pinned = mem;
  pinnedAt = at;
  if (!unpinQueued) {
    unpinQueued = true;
    queueMicrotask(unpin);
  }
}

/** A result buffer of n bytes: from the slab when small, else Buffer.allocUnsafe(n) (MemoryError
 *  where the runtime cannot make it: over buffer.constants.MAX_LENGTH, or out of memory). */
function alloc(n: number): Buffer {
  if (n <= POOL_MAX) {
    room(n);
    return take(n);
  }
  let b: Buffer;
  try {
    b = Buffer.allocUnsafe(n);
  } catch (e) {
    if (e instanceof RangeError) throw makeError('nomemory', 0, '', '', null);
    throw e;
  }
  if (n <= PIN_MAX) pinIfTop(b);
  return b;
}

/** Native ids of mappings nobody closed, unmapped when their Mapping is collected (a placed
 *  mapping's memory is left to its owner, who may have freed it by then). close() unregisters:
 *  V8's scavenges treat a registered object as alive, so a closed Mapping left registered
 *  survives them, is promoted and costs major collections (tried: 2.4x the GC time of a
 *  map + close loop, against the 0.2 us an unregister costs). */
const finalizer = new FinalizationRegistry<number>((id) => {
  try {
    native.close(id, true);
  } catch {
    /* already closed */
  }
});

/** Lengths and offsets past 2**53 go to the addon as bigints. */
function big(n: number): number | bigint {
  return Number.isSafeInteger(n) ? n : BigInt(Math.min(n, SSIZE_MAX_N));
}

/**
 * Memory a file mapping is placed over instead of where the OS chooses (the Pyodide bridge: the
 * wasm memory, so that Python's own mmap object works on the file's pages). The mapping is
 * made over it (MAP_FIXED), its pages are guarded as a view's are, it has no view, closing it
 * puts fresh zeroed pages back and gives the memory back (free), and a resize moves it to new
 * memory. POSIX only.
 */
export interface Placer {
  /** Page-aligned memory of `span` bytes (a multiple of the page size) in `buffer`, at byte
   *  `offset`; `token` is what free() takes back. Throws (MemoryError/OSError) if there is none. */
  alloc(span: number): Placement;
  free(p: Placement): void;
}
export interface Placement {
  readonly buffer: ArrayBuffer;
  readonly offset: number;
  readonly span: number;
  readonly token: number;
}

const NC = native.constants();
const PAGE: number = NC.PAGESIZE;
/** A placed mapping's pages stay writable memory of their owner: write-through only for a
 *  writable shared map, else private (a store, which Python's checks refuse anyway, stays in
 *  this process instead of faulting it). */
function placedFlagsProt(mode: MapMode): [number, number] {
  return [mode.shared && mode.writable ? NC.MAP_SHARED : NC.MAP_PRIVATE, NC.PROT_READ | NC.PROT_WRITE];
}
function spanOf(length: number): number {
  return Math.ceil(Math.max(length, 1) / PAGE) * PAGE;
}

/** What to map: an fd (-1: anonymous) and a range of it, with the mode the caller normalised. */
export interface MapRequest {
  readonly fd: number;
  readonly length: number;
  readonly offset: number;
  /** Keep a duplicate of fd (flush, size, resize and fault repairs use it): trackfd. */
  readonly keepFd: boolean;
  readonly mode: MapMode;
  /** Windows: the mapping's name (shared between maps of the same name). */
  readonly tagname?: string | null;
  /** Place a file mapping over this memory (see Placer); ignored for anonymous maps. */
  readonly placer?: Placer | null;
}

/** One OS mapping: its bytes and its lifetime. */
export class Mapping {
  /** The native id; -1 once closed. */
  id: number;
  /** Bytes mapped. */
  len: number;
  /** The zero-copy view (empty until made, and where none can be made). */
  v: Buffer = EMPTY;
  /** The fault count last seen (see FC). */
  fc: number;
  /** No view can be made: every access goes through native calls. */
  noView = false;
  readonly offset: number;
  readonly anon: boolean;
  readonly keepsFd: boolean;
  readonly mode: MapMode;
  /** mode.writable, read on the hot paths. */
  readonly writable: boolean;
  readonly tagname: string | null;

  /** Where a placed mapping is (see Placer), else null. */
  placement: Placement | null = null;
  readonly placer: Placer | null;

  constructor(req: MapRequest) {
    this.fc = FC !== null ? FC[0] : 0;
    this.anon = req.fd === -1;
    // (a length of 0 reaches the OS unplaced, as CPython's: dup's EBADF, or mmap's EINVAL)
    const placer = !this.anon && req.placer && req.length > 0 ? req.placer : null;
    this.placer = placer;
    if (placer !== null) {
      const p = placer.alloc(spanOf(req.length));
      try {
        const [flags, prot] = placedFlagsProt(req.mode);
        this.id = native.map(req.fd, req.length, flags, prot, req.offset, req.keepFd, null, req.mode.access,
          p.buffer, p.offset);
      } catch (e) {
        placer.free(p);
        throw e;
      }
      this.placement = p;
      this.noView = true;
    } else {
      this.id = native.map(req.fd, big(req.length), req.mode.flags, req.mode.prot, big(req.offset),
        !this.anon && req.keepFd, req.tagname ?? null, req.mode.access);
    }
    this.len = req.length;
    this.offset = req.offset;
    this.keepsFd = req.keepFd;
    this.mode = req.mode;
    this.writable = req.mode.writable;
    this.tagname = req.tagname ?? null;
    finalizer.register(this, this.id, this);
  }

  get closed(): boolean {
    return this.id < 0;
  }

  close(): void {
    const id = this.id;
    if (id < 0) return;
    this.id = -1;
    this.v = EMPTY;
    finalizer.unregister(this);
    const p = this.placement;
    if (p === null) {
      native.close(id);
      return;
    }
    this.placement = null;
    try {
      native.close(id);
    } finally {
      this.placer!.free(p);
    }
  }

  /** The zero-copy view, made on first use; null where none can be made. */
  view(): Buffer | null {
    const v = this.v;
    if (v.length !== 0) return v;
    if (this.noView || this.len === 0 || FC === null || this.id < 0) return null;
    try {
      this.v = Buffer.from(native.view(this.id));
      this.fc = FC[0];
      return this.v;
    } catch (e) {
      if (e instanceof NativeViewError) {
        this.noView = true;
        return null;
      }
      throw e;
    }
  }

  /** Never make a view: every access goes through native calls (tests, and runtimes where
   *  views misbehave). */
  disableView(): void {
    this.noView = true;
    this.v = EMPTY;
  }

  /** The view for code outside the shim (a PEP 688 export): flagged as handed out, so teardown
   *  keeps its memory if it was transferred to another thread. Null where none can be made. */
  exportView(): Uint8Array | null {
    const v = this.view();
    if (v === null) return null;
    native.view(this.id, true); // the same buffer, now flagged
    return new Uint8Array(v.buffer, v.byteOffset, v.length);
  }

  /** After touching the view: raises OSError(EFAULT) if one of this mapping's pages faulted. */
  checkFaults(): void {
    if (FC !== null && FC[0] !== this.fc) this.faulted();
  }

  /** The fault counter moved: repair this mapping's faulted pages; raise if there were any. */
  faulted(): void {
    this.fc = FC![0];
    if (this.id >= 0 && native.repair(this.id) > 0) {
      this.fc = FC![0];
      throw makeError('fault', osConstants.errno.EFAULT ?? 14, 'EFAULT', MSG.strerrorEFAULT, null);
    }
  }

  /** The byte at i of the view (0 <= i < v.length: the caller checked). */
  viewByte(i: number): number {
    const b = this.v[i];
    if (FC![0] !== this.fc) this.faulted();
    return b;
  }

  /** The byte at i (0 <= i < len). */
  byteAt(i: number): number {
    if (this.v.length !== 0 || this.view() !== null) return this.viewByte(i);
    return native.getByte(this.id, i);
  }

  /** Stores the byte at i (0 <= i < len). */
  setByte(i: number, b: number): void {
    if (this.writable && (this.v.length !== 0 || this.view() !== null)) {
      this.v[i] = b;
      if (FC![0] !== this.fc) this.faulted();
      return;
    }
    native.setByte(this.id, i, b);
  }

  /** A copy of [start, start+n) (n >= 0, in range). */
  copy(start: number, n: number): Buffer {
    if (n <= 0) return Buffer.alloc(0);
    if (n <= POOL_MAX) {
      room(n);
      const c = CTL;
      if (c !== null) {
        c[0] = this.id;
        c[1] = start;
        c[2] = n;
        c[3] = poolOff;
        native.copyC(pool); // guarded: no fault counter to check
      } else {
        native.copyToPool(this.id, start, n, poolOff, pool);
      }
      return take(n);
    }
    // One native call even where there is a view: out is fresh, cold memory, which the native
    // copy fills with streaming stores (native/src/copy.h; Buffer#copy is a memmove).
    const out = alloc(n);
    native.copyOut(this.id, start, n, out, 0);
    return out;
  }

  /** The n bytes at start, start+step, ... (n >= 1, in range). */
  copyStep(start: number, step: number, n: number): Buffer {
    const out = alloc(n);
    native.copyStep(this.id, start, step, n, out);
    return out;
  }

  /** [start, start+len(data)) = data. */
  store(start: number, data: Uint8Array): void {
    native.copyIn(this.id, start, data);
  }

  /** The bytes at start, start+step, ... = data[0:n]. */
  storeStep(start: number, step: number, n: number, data: Uint8Array): void {
    native.storeStep(this.id, start, step, n, data);
  }

  move(dest: number, src: number, n: number): void {
    native.move(this.id, dest, src, n);
  }

  /** The first (or, reverse, last) index of needle in [start, end), or -1. */
  find(start: number, end: number, needle: Uint8Array, reverse: boolean): number {
    return reverse ? native.rfind(this.id, start, end, needle) : native.find(this.id, start, end, needle);
  }

  /** Whether the byte occurs in the mapping. */
  hasByte(byte: number): boolean {
    if (this.len === 0) return false;
    const v = this.view();
    if (v === null) return native.findByte(this.id, 0, this.len, byte) >= 0;
    const at = v.indexOf(byte);
    this.checkFaults();
    return at >= 0;
  }

  /** The line at pos (through the first '\n', or to the end; pos < len). */
  readLine(pos: number): Buffer {
    // One native call finds the line and copies it into the slab; a line longer than the room
    // left (or than POOL_MAX) takes the general path.
    room(256);
    const fits = POOL_SIZE - poolOff;
    const c = CTL;
    let got: number;
    if (c !== null) {
      c[0] = this.id;
      c[1] = pos;
      c[2] = poolOff;
      c[3] = fits < POOL_MAX ? fits : POOL_MAX;
      native.readlineC(pool);
      got = c[3];
    } else {
      got = native.readlineToPool(this.id, pos, poolOff, fits < POOL_MAX ? fits : POOL_MAX, pool);
    }
    if (got > 0) return take(got);
    const v = this.view();
    let eol: number;
    if (v !== null) {
      eol = v.indexOf(10, pos);
      this.checkFaults();
    } else {
      eol = native.findByte(this.id, pos, this.len, 10);
    }
    return this.copy(pos, (eol < 0 ? this.len : eol + 1) - pos);
  }

  /** All the bytes for use as another call's argument: the view where there is one, else a
   *  copy. */
  bytes(): Uint8Array {
    const v = this.view();
    return v !== null ? v : this.copy(0, this.len);
  }

  flush(offset: number, size: number, flags: number): void {
    native.flush(this.id, offset, size, flags);
  }

  advise(start: number, length: number, advice: number): void {
    native.advise(this.id, start, length, advice);
  }

  /** Resizes the mapping (and the file behind it); the view becomes empty. Windows unmaps before
   *  remapping: a failed remap there leaves no mapping, and the mapping is then closed. */
  resize(newsize: number): void {
    this.v = EMPTY;
    if (this.placement !== null) {
      this.resizePlaced(newsize);
      return;
    }
    try {
      native.resize(this.id, newsize);
    } catch (e) {
      if (native.backend === 'win32') {
        try {
          native.length(this.id);
        } catch {
          this.id = -1;
          finalizer.unregister(this);
        }
      }
      throw e;
    }
    this.len = newsize;
  }

  /** resize() of a placed mapping: to new memory, the old given back. */
  private resizePlaced(newsize: number): void {
    const placer = this.placer!;
    const p = placer.alloc(spanOf(newsize));
    try {
      native.resize(this.id, newsize, p.buffer, p.offset);
    } catch (e) {
      placer.free(p);
      throw e;
    }
    const old = this.placement!;
    this.placement = p;
    this.len = newsize;
    placer.free(old);
  }

  setName(name: string): void {
    native.setName(this.id, name);
  }

  /** The size of the file behind the mapping (st_size). */
  fileSize(): number {
    return native.fdSize(this.id);
  }

  /** The fd the mapping keeps (its duplicate), or -1. */
  fd(): number {
    return this.id >= 0 ? native.fdOf(this.id) : -1;
  }
}
