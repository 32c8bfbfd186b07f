// The Node-API binding: thin glue between JS and the OS layer (os.h).
//
// Ownership (nothing here is shared between copies of the JS that uses it):
//  - open(makeError) gives each loaded copy of the shim its own context: its own function
//    objects, its own error factory and its own table of mappings. Jest module registries and
//    two copies of the shim in node_modules each call open() and cannot see each other's maps.
//    A context lives while any of its functions does; when the last is collected, the maps it
//    still holds are released.
//  - A mapping is named by an id that carries a generation: a stale id (closed map, reused
//    slot) is an error, never another map.
//  - Memory a view (an external ArrayBuffer) covers is a Region with a reference count: one for
//    the mapping, one for the view. It is unmapped when nobody can touch it any more: at close
//    when we detached the view ourselves, or when the view's backing store is freed if it was
//    transferred to another thread. It stays registered with the fault guard for as long as it
//    is mapped. At environment teardown Node finalizes every view, even one whose memory went
//    to another thread; such memory (and any whose fate is unknown) is left mapped.
//  - Faults repaired under a view are settled (file pages put back, or the pages made
//    inaccessible where no fd is kept) before any native access to the same mapping, so a
//    copying method never reads a patched zero page and a write never lands in one.
// Errors are built by the context's JS factory, which receives (tag, errno, code name,
// strerror, winerror) and returns the object to throw; this file knows nothing about Python.
//
// The plain Node-API C interface (node_api.h): every call is a hot path, and a C++ wrapper layer
// costs a few ns per call. Every entry reads its arguments through the checked readers below.
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "os.h"

namespace pymmap {

namespace {

// ---------------------------------------------------------------- state

// Whether an environment is gone: set by its cleanup hook and instance finalizer, read by
// finalizers that may run after it (Deno runs them after the isolate is disposed, when any
// Node-API call is fatal). Shared by the environment and everything that outlives it.
// Also the environment's thread, and the views finalized on another thread, which that thread
// finishes (see view_finalize).
struct EnvFlag {
  std::atomic<bool> dead{false};
  std::atomic<int> refs{1};
  std::thread::id thread = std::this_thread::get_id();  // made by the environment's thread
  std::mutex mu;
  std::vector<void*> deferred;  // ViewHold*, finalized on another thread
  std::atomic<bool> has_deferred{false};
  napi_threadsafe_function wake = nullptr;  // (under mu) runs drain_deferred on the environment's thread
};
EnvFlag* envflag_ref(EnvFlag* f) {
  f->refs.fetch_add(1);
  return f;
}
void envflag_unref(EnvFlag* f) {
  if (f && f->refs.fetch_sub(1) == 1) delete f;
}

// Memory that a view covers (the mapping itself, or the private shadow of a read-only map).
struct Region {
  std::atomic<int> refs{2};              // the mapping's and the view's
  std::atomic<bool> released{false};     // memory unmapped or handed back to the mapping
  uint8_t* addr = nullptr;
  uint64_t len = 0;
  GuardRange* guard = nullptr;
  bool shadow = false;
};

// Gives up the region's memory once: unmapped (munmap_it), or handed back to the mapping
// (resize); either way no longer guarded as a view's.
void region_release(Region* r, bool munmap_it) {
  if (r->released.exchange(true)) return;
  os_guard_remove(r->guard);
  r->guard = nullptr;
  if (munmap_it) os_unmap_range(r->addr, r->len);
}

void region_unref(Region* r) {
  if (r->refs.fetch_sub(1) == 1) {
    region_release(r, true);
    delete r;
  }
}

// One per view ArrayBuffer: the finalizer's hint. Lives until both the finalizer ran and the
// mapping let go of it.
struct ViewHold {
  Region* region = nullptr;
  napi_ref ab = nullptr;        // strong, while the mapping holds the view
  bool detached_by_us = false;  // we detached it (close, resize)
  bool transferred = false;     // detached by someone else: the memory moved with it
  bool checked = false;         // seen not transferred at exit (markExit), when JS could still move it
  bool released = false;        // the finalizer gave up the view's reference to the region
  bool exported = false;        // handed to code outside the shim (which may transfer it)
  EnvFlag* envflag = nullptr;   // the environment that made it
  bool finalized = false;       // the finalizer ran
  bool entry_gone = false;      // the mapping no longer points here
};

struct Entry {
  Mapping m;
  ViewHold* vh = nullptr;
  Region* region = nullptr;  // the current view's region (also in vh)
  // A placed mapping's guard (map with a target: the Pyodide bridge's wasm memory): guarded
  // like a view, repaired with the entry's fd.
  GuardRange* placed = nullptr;
  int placed_prot = 0;
  int placed_flags = 0;
};

// Stops guarding the entry's placement (before it is unmapped).
void unguard_placed(Entry* e) {
  os_guard_remove(e->placed);
  e->placed = nullptr;
}

struct Addon;

struct Ctx {
  Addon* addon = nullptr;  // nullptr once the environment is gone
  EnvFlag* envflag = nullptr;
  napi_ref make_error = nullptr;
  std::vector<Entry*> table;  // slot -> entry (nullptr: free)
  std::vector<uint32_t> gens;  // slot -> generation of the id that names it now
  std::vector<uint32_t> free_ids;
  int fns_alive = 0;
  bool released = false;  // every entry released (teardown or collection)
  // The control block of the hot-path calls (see control()): JS writes their arguments here
  // and reads their results back, so that a call passes one argument instead of five.
  double* ctl = nullptr;
};

struct Addon {
  napi_env env = nullptr;
  EnvFlag* envflag = new EnvFlag();
  std::vector<Ctx*> ctxs;
  // External Buffers over 4 GiB: what this runtime did when asked (see big_view_possible):
  // lengths up to big_ok were made, lengths from big_refused on were refused.
  size_t big_ok = 0x100000000ULL;
  size_t big_refused = SIZE_MAX;
};

constexpr int kSlotBits = 22;  // id = generation * 2^22 + slot (a double: exact below 2^53)
constexpr int64_t kSlotMask = (1LL << kSlotBits) - 1;

// ---------------------------------------------------------------- errors

// Throws the JS error for `err` made by the factory. Always returns nullptr (for `return`).
napi_value throw_error(napi_env env, Ctx* ctx, const OsError& err) {
  napi_value fn = nullptr, args[5], global, result;
  if (ctx && ctx->make_error) napi_get_reference_value(env, ctx->make_error, &fn);
  if (err.tag) napi_create_string_utf8(env, err.tag, NAPI_AUTO_LENGTH, &args[0]);
  else napi_get_null(env, &args[0]);
  int errnum = err.win ? 0 : err.code;
  napi_create_int32(env, errnum, &args[1]);
  napi_create_string_utf8(env, errnum ? os_errno_name(errnum) : "", NAPI_AUTO_LENGTH, &args[2]);
  std::string msg = err.code ? os_error_text(err) : "";
  napi_create_string_utf8(env, msg.c_str(), msg.size(), &args[3]);
  if (err.win) napi_create_int32(env, err.code, &args[4]);
  else napi_get_null(env, &args[4]);
  if (!fn) {
    std::string s = std::string("pymmap native error: ") + (err.tag ? err.tag : msg.c_str());
    napi_throw_error(env, err.tag ? err.tag : os_errno_name(errnum), s.c_str());
    return nullptr;
  }
  napi_get_global(env, &global);
  if (napi_call_function(env, global, fn, 5, args, &result) == napi_ok) napi_throw(env, result);
  return nullptr;
}

napi_value throw_tag(napi_env env, Ctx* ctx, const char* tag, int code = 0) {
  return throw_error(env, ctx, tag_error(tag, code));
}

// ---------------------------------------------------------------- arguments
// Every entry reads its arguments through these readers: each checks the JS type, throws a
// TypeError (or RangeError) naming what was expected, and returns false.

struct Args {
  napi_value argv[10];
  size_t argc = 10;
  Ctx* ctx = nullptr;
};

bool fail_type(napi_env env, const char* what) {
  napi_throw_type_error(env, nullptr, what);
  return false;
}

// A number (an id or an index; its integral part, as int64). Never a bigint: ids and indices
// come from the shim as numbers.
inline bool read_index(napi_env env, napi_value v, int64_t* out) {
  return napi_get_value_int64(env, v, out) == napi_ok || fail_type(env, "pymmap native: integer expected");
}

// An integer: a number (integral, as int64) or a bigint.
inline bool read_i64(napi_env env, napi_value v, int64_t* out) {
  if (napi_get_value_int64(env, v, out) == napi_ok) return true;
  bool lossless;
  if (napi_get_value_bigint_int64(env, v, out, &lossless) == napi_ok) return true;
  return fail_type(env, "pymmap native: integer expected");
}

// A non-negative integer (a size or an offset).
inline bool read_u64(napi_env env, napi_value v, uint64_t* out) {
  int64_t i;
  if (napi_get_value_int64(env, v, &i) == napi_ok) {
    if (i < 0) {
      napi_throw_range_error(env, nullptr, "pymmap native: negative size");
      return false;
    }
    *out = (uint64_t)i;
    return true;
  }
  bool lossless;
  if (napi_get_value_bigint_uint64(env, v, out, &lossless) == napi_ok) return true;
  return fail_type(env, "pymmap native: integer expected");
}

inline bool read_i32(napi_env env, napi_value v, int32_t* out) {
  return napi_get_value_int32(env, v, out) == napi_ok || fail_type(env, "pymmap native: integer expected");
}

inline bool read_u32(napi_env env, napi_value v, uint32_t* out) {
  return napi_get_value_uint32(env, v, out) == napi_ok || fail_type(env, "pymmap native: integer expected");
}

inline bool read_bool(napi_env env, napi_value v, bool* out) {
  return napi_get_value_bool(env, v, out) == napi_ok || fail_type(env, "pymmap native: boolean expected");
}

inline bool read_utf8(napi_env env, napi_value v, std::string* out) {
  size_t n = 0;
  if (napi_get_value_string_utf8(env, v, nullptr, 0, &n) != napi_ok) return fail_type(env, "pymmap native: string expected");
  out->resize(n + 1);
  napi_get_value_string_utf8(env, v, &(*out)[0], n + 1, &n);
  out->resize(n);
  return true;
}

// A string as UTF-16 with its terminating 0, or nothing for null and undefined.
inline bool read_utf16_or_null(napi_env env, napi_value v, std::vector<char16_t>* out) {
  napi_valuetype t = napi_undefined;
  napi_typeof(env, v, &t);
  if (t == napi_null || t == napi_undefined) return true;
  size_t n = 0;
  if (napi_get_value_string_utf16(env, v, nullptr, 0, &n) != napi_ok) return fail_type(env, "pymmap native: string or null expected");
  out->resize(n + 1);
  napi_get_value_string_utf16(env, v, out->data(), n + 1, &n);
  return true;
}

// The caller's ArrayBuffer (its data is nullptr, and its length 0, once detached).
inline bool read_arraybuffer(napi_env env, napi_value v, uint8_t** data, size_t* len) {
  void* p = nullptr;
  if (napi_get_arraybuffer_info(env, v, &p, len) != napi_ok) return fail_type(env, "pymmap native: ArrayBuffer expected");
  *data = (uint8_t*)p;
  if (!p) *len = 0;
  return true;
}

// Bytes of a TypedArray, DataView or ArrayBuffer.
bool read_bytes(napi_env env, napi_value v, uint8_t** data, size_t* len) {
  bool is;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type t;
    size_t n;
    void* p;
    napi_value ab;
    size_t off;
    napi_get_typedarray_info(env, v, &t, &n, &p, &ab, &off);
    size_t esz = 1;
    switch (t) {
      case napi_int16_array: case napi_uint16_array: esz = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: esz = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: esz = 8; break;
      default: esz = 1;
    }
    *data = (uint8_t*)p;
    *len = n * esz;
    return true;
  }
  if (napi_is_dataview(env, v, &is) == napi_ok && is) {
    size_t n, off;
    void* p;
    napi_value ab;
    napi_get_dataview_info(env, v, &n, &p, &ab, &off);
    *data = (uint8_t*)p;
    *len = n;
    return true;
  }
  if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) return read_arraybuffer(env, v, data, len);
  return fail_type(env, "pymmap native: bytes-like object expected");
}

// The open entry named by id `v`; a stale or closed id throws "closed".
inline Entry* entry(napi_env env, Ctx* ctx, napi_value v) {
  int64_t id;
  if (!read_index(env, v, &id)) return nullptr;
  int64_t slot = id & kSlotMask;
  if (id < 0 || (size_t)slot >= ctx->table.size() || !ctx->table[slot] ||
      ctx->gens[slot] != (uint64_t)id >> kSlotBits) {
    throw_tag(env, ctx, "closed");
    return nullptr;
  }
  return ctx->table[slot];
}

// Where the real pages of an entry's view come from (for repairs).
RepairSource repair_source(const Entry* e) {
  RepairSource src;
  src.fd = e->m.fd;
  src.offset = e->m.offset;
  if (e->region && e->region->shadow) {
    src.prot = 3;  // PROT_READ | PROT_WRITE
    src.flags = 2;  // MAP_PRIVATE
  } else {
    src.prot = e->m.prot;
    src.flags = e->m.flags;
  }
  return src;
}

// Pages of this entry's view that faulted (file truncated) are put back before we touch the
// mapping: the file's pages again, or inaccessible ones where no fd is kept.
inline void settle(Entry* e) {
  if (e->region && os_guard_pending(e->region->guard)) os_guard_repair(e->region->guard, repair_source(e));
}

// start, start+step, ..., start+(n-1)*step all lie in [0, length) (n >= 1), without
// overflowing (portable: MSVC has no __builtin_*_overflow).
inline bool stride_in_range(int64_t start, int64_t step, uint64_t n, uint64_t length) {
  if (start < 0 || (uint64_t)start >= length) return false;
  if (n <= 1 || step == 0) return true;
  uint64_t k = n - 1;
  uint64_t mag = step < 0 ? (uint64_t)0 - (uint64_t)step : (uint64_t)step;
  if (mag > length || k > length / mag) return false;  // |span| >= length: out of range
  uint64_t span = k * mag;
  return step > 0 ? span < length - (uint64_t)start : span <= (uint64_t)start;
}

// Checks [start, start+n) lies within the mapping.
inline bool in_range(napi_env env, Ctx* ctx, Entry* e, uint64_t start, uint64_t n) {
  if (start > e->m.length || n > e->m.length - start) {
    throw_tag(env, ctx, "range");
    return false;
  }
  return true;
}

napi_value num(napi_env env, double d) {
  napi_value r;
  napi_create_double(env, d, &r);
  return r;
}

napi_value undef(napi_env env) {
  napi_value r;
  napi_get_undefined(env, &r);
  return r;
}

inline bool too_few(size_t argc, size_t n) { return argc < n; }

// The arguments of an entry, at least n of them, and its context.
#define ARGS(n)                        \
  Args A;                              \
  napi_get_cb_info(env, info, &A.argc, A.argv, nullptr, (void**)&A.ctx); \
  Ctx* ctx = A.ctx;                    \
  if (ctx) drain_deferred(env, ctx->envflag, false); \
  if (too_few(A.argc, (n))) {          \
    napi_throw_type_error(env, nullptr, "pymmap native: missing arguments"); \
    return nullptr;                    \
  }

// The open entry named by argument idx, with its view's faulted pages settled first (calls
// that read or write the memory).
#define ENTRY(var, idx)                             \
  Entry* var = entry(env, ctx, A.argv[idx]);        \
  if (!var) return nullptr;                         \
  settle(var);

// The open entry, for calls that do not touch its memory.
#define ENTRY_NOMEM(var, idx)                       \
  Entry* var = entry(env, ctx, A.argv[idx]);        \
  if (!var) return nullptr;

// ---------------------------------------------------------------- views

// Whether this environment can still run JS. Node-API refuses calls that may run JS during
// teardown (napi_pending_exception), so a failing property read means "tearing down".
bool js_can_run(napi_env env) {
  napi_value g = nullptr, r = nullptr;
  return napi_get_global(env, &g) == napi_ok && g &&
         napi_get_named_property(env, g, "undefined", &r) == napi_ok;
}

// The view's backing store was released (Node calls this when the memory is free, in whichever
// thread the buffer went to) -- or the environment is tearing down: then Node calls it for every
// external buffer, after detaching it, even if the memory went to another thread with
// transfer() and is still used there. At teardown the memory is freed only when we know it did
// not move: we detached it ourselves, markExit saw it in place when JS could last move it, or it
// was never handed out of the shim (view(id) without `exported`: only the shim's own hot paths
// hold it). Otherwise it stays mapped, and guarded, for the rest of the process.
void finalize_view_now(napi_env env, ViewHold* vh, bool surely_teardown) {
  vh->finalized = true;
  bool teardown = surely_teardown || vh->envflag->dead.load() || !js_can_run(env);
  if (!vh->detached_by_us && teardown && (vh->transferred || (vh->exported && !vh->checked))) {
    vh->transferred = true;  // the region keeps this reference: never unmapped
  } else {
    region_unref(vh->region);
    vh->released = true;
  }
  if (vh->entry_gone) {
    envflag_unref(vh->envflag);
    delete vh;
  }
}

void view_finalize(napi_env env, void*, void* hint) {
  ViewHold* vh = (ViewHold*)hint;
  EnvFlag* f = vh->envflag;
  if (std::this_thread::get_id() != f->thread && !f->dead.load()) {
    // Deno calls this on a V8 background thread when it frees the backing store of a buffer
    // that was transferred (Node posts it to the environment's thread, as Node-API promises).
    // No Node-API call can be made there (V8 dies: "Cannot create a handle without a
    // HandleScope") and the entry is the environment thread's: that thread finishes it at its
    // next call into the addon (drain_deferred), or at teardown.
    std::lock_guard<std::mutex> lock(f->mu);
    f->deferred.push_back(vh);
    f->has_deferred.store(true, std::memory_order_release);
    if (f->wake) napi_call_threadsafe_function(f->wake, nullptr, napi_tsfn_nonblocking);
    return;
  }
  finalize_view_now(env, vh, false);
}

// Finishes, on the environment's thread, the views finalized on another thread.
void drain_deferred(napi_env env, EnvFlag* f, bool teardown) {
  if (!f || !f->has_deferred.load(std::memory_order_acquire)) return;
  std::vector<void*> list;
  {
    std::lock_guard<std::mutex> lock(f->mu);
    list.swap(f->deferred);
    f->has_deferred.store(false, std::memory_order_relaxed);
  }
  for (void* p : list) finalize_view_now(env, (ViewHold*)p, teardown);
}

// The environment's thread, woken by view_finalize from another thread.
void wake_call(napi_env env, napi_value, void* context, void*) {
  if (env) drain_deferred(env, (EnvFlag*)context, false);
}

// No more wake-ups: the environment is going away (its views are finished by drain_deferred).
void stop_wake(EnvFlag* f) {
  napi_threadsafe_function w = nullptr;
  {
    std::lock_guard<std::mutex> lock(f->mu);
    w = f->wake;
    f->wake = nullptr;
  }
  if (w) napi_release_threadsafe_function(w, napi_tsfn_abort);
}

// Lets go of the entry's view before close (for_close) or resize. The memory is unmapped now
// if no JS can reach it any more (we detached the view, or it was collected); if the view was
// transferred away, the memory goes with it (close), or the resize is refused (returns false,
// nothing changed). js: JS handles may be used (false in finalizers).
bool release_view(napi_env env, Entry* e, bool for_close, bool js) {
  ViewHold* vh = e->vh;
  if (!vh) return true;
  Region* r = e->region;
  bool moved = vh->transferred;
  if (!vh->finalized && !moved) {
    if (js) {
      napi_value ab = nullptr;
      bool detached = false;
      napi_get_reference_value(env, vh->ab, &ab);
      if (ab) napi_is_detached_arraybuffer(env, ab, &detached);
      if (detached) {
        moved = true;
      } else if (ab) {
        napi_detach_arraybuffer(env, ab);
        vh->detached_by_us = true;
      }
    } else {
      // Cannot look (finalizer, teardown): a view never handed out of the shim cannot have
      // moved; one that was may still be used in another thread, unless markExit saw it in
      // place when JS could last move it (Deno tears a worker down before its views'
      // finalizers run: without this, every export a worker held at its end stayed mapped).
      moved = vh->exported && !vh->checked;
    }
  }
  if (moved && !vh->released) {
    if (!for_close) return false;
    vh->transferred = true;  // the view's reference keeps the memory mapped and guarded
  } else {
    region_release(r, for_close || r->shadow);  // resize: the mapping's memory stays the mapping's
  }
  if (vh->ab) {
    if (env) napi_delete_reference(env, vh->ab);  // env == nullptr: the environment is gone
    vh->ab = nullptr;
  }
  e->vh = nullptr;
  e->region = nullptr;
  if (r->shadow) e->m.shadow = nullptr;
  region_unref(r);
  vh->entry_gone = true;
  if (vh->finalized) {
    envflag_unref(vh->envflag);
    delete vh;
  }
  return true;
}

// Closes slot `slot` of ctx: the view first (see release_view), then the mapping and its fd.
// abandon: a placed mapping's memory is left as it is (its owner may have freed it already:
// collection, teardown); only an explicit close puts zeroed pages back there.
void close_slot(napi_env env, Ctx* ctx, uint32_t slot, bool js, bool abandon = false) {
  Entry* e = ctx->table[slot];
  if (!e) return;
  bool main_region = e->region && !e->region->shadow;
  release_view(env, e, true, js);
  unguard_placed(e);
  // A main-memory region took care of the memory (unmapped it, or left it to the view).
  os_unmap(&e->m, /*keep_memory=*/main_region || (e->m.fixed && abandon));
  delete e;
  ctx->table[slot] = nullptr;
  ctx->gens[slot]++;
  ctx->free_ids.push_back(slot);
}

// Releases every map of ctx. js: JS handles may be used; env == nullptr: the environment is gone
// (no handle of it may be touched).
void release_ctx(napi_env env, Ctx* ctx, bool js) {
  if (ctx->released) return;
  ctx->released = true;
  for (uint32_t slot = 0; slot < ctx->table.size(); slot++) close_slot(env, ctx, slot, js, true);
}

// ---------------------------------------------------------------- functions

uint8_t* placed_range(napi_env env, napi_value ab, int64_t offset, int64_t length);

napi_value Constants(napi_env env, napi_callback_info) {
  napi_value obj;
  napi_create_object(env, &obj);
  for (const ConstantDef* c = kConstants; c->name; c++) {
    napi_set_named_property(env, obj, c->name, num(env, (double)c->value));
  }
  napi_set_named_property(env, obj, "PAGESIZE", num(env, (double)os_pagesize()));
  napi_set_named_property(env, obj, "ALLOCATIONGRANULARITY", num(env, (double)os_granularity()));
  return obj;
}

// fstat(fd) -> [size, isRegular]
napi_value Fstat(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t fd;
  if (!read_i64(env, A.argv[0], &fd)) return nullptr;
  uint64_t size;
  bool reg;
  OsError err = os_fstat(fd, &size, &reg);
  if (!err.ok()) return throw_error(env, ctx, err);
  napi_value arr, b;
  napi_create_array_with_length(env, 2, &arr);
  napi_set_element(env, arr, 0, num(env, (double)size));
  napi_get_boolean(env, reg, &b);
  napi_set_element(env, arr, 1, b);
  return arr;
}

// regularSize(fd) -> st_size of a regular file, -1 for anything else (the constructor's fstat
// without the [size, isRegular] array that fstat() builds)
napi_value RegularSize(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t fd;
  if (!read_i64(env, A.argv[0], &fd)) return nullptr;
  uint64_t size;
  bool reg;
  OsError err = os_fstat(fd, &size, &reg);
  if (!err.ok()) return throw_error(env, ctx, err);
  return num(env, reg ? (double)size : -1.0);
}

// map(fd, length, flags, prot, offset, dupFd[, tagname, access[, target, targetOffset]]) -> id
// tagname (string or null) and access (ACCESS_*) are read by the Windows backend only. With
// target (an ArrayBuffer) the file is mapped over [targetOffset, targetOffset + length rounded
// up to pages) of it, which must be page aligned and inside it (POSIX; the Pyodide bridge's
// wasm memory): a placed mapping. Its pages are guarded (a page past a truncated end is
// repaired, counted and reported by repair(id)); close puts fresh zeroed pages back there; it
// has no view; resize moves it to a new target range (resize's target arguments).
napi_value Map(napi_env env, napi_callback_info info) {
  ARGS(6);
  MapRequest req;
  std::vector<char16_t> tagname;
  if (!read_i64(env, A.argv[0], &req.fd) || !read_u64(env, A.argv[1], &req.length) ||
      !read_i32(env, A.argv[2], &req.flags) || !read_i32(env, A.argv[3], &req.prot) ||
      !read_u64(env, A.argv[4], &req.offset) || !read_bool(env, A.argv[5], &req.dup_fd) ||
      (A.argc > 6 && !read_utf16_or_null(env, A.argv[6], &tagname)) ||
      (A.argc > 7 && !read_i32(env, A.argv[7], &req.access)))
    return nullptr;
  if (!tagname.empty()) req.tagname = tagname.data();
  if (ctx->released) return throw_tag(env, ctx, "closed");
  GuardRange* guard = nullptr;
  if (A.argc > 9) {
    int64_t off;
    if (!read_i64(env, A.argv[9], &off)) return nullptr;
    uint64_t ps = os_pagesize();
    if (req.fd == -1 || req.length == 0 || req.length > (uint64_t)INT64_MAX - ps) {
      napi_throw_range_error(env, nullptr, "pymmap native: a placed mapping needs a file and a length");
      return nullptr;
    }
    int64_t span = (int64_t)((req.length + ps - 1) / ps * ps);
    req.fixed = placed_range(env, A.argv[8], off, span);
    if (!req.fixed) return nullptr;
    guard = os_guard_add(req.fixed, (uint64_t)span);  // before the file is there
    if (!guard) return throw_error(env, ctx, errno_error(ENOMEM));
  }
  uint32_t slot;
  if (!ctx->free_ids.empty()) {
    slot = ctx->free_ids.back();
  } else {
    if (ctx->table.size() > (size_t)kSlotMask) return throw_error(env, ctx, errno_error(ENOMEM));
    slot = (uint32_t)ctx->table.size();
  }
  Entry* e = new (std::nothrow) Entry();
  if (!e) {
    os_guard_remove(guard);
    return throw_error(env, ctx, errno_error(ENOMEM));
  }
  OsError err = os_map(req, &e->m);
  if (!err.ok()) {
    delete e;
    os_guard_remove(guard);
    return throw_error(env, ctx, err);
  }
  if (guard) {
    e->placed = guard;
    e->placed_prot = req.prot;
    e->placed_flags = req.flags;
  }
  if (!ctx->free_ids.empty()) {
    ctx->free_ids.pop_back();
    ctx->table[slot] = e;
  } else {
    ctx->table.push_back(e);
    ctx->gens.push_back(1);
  }
  return num(env, (double)ctx->gens[slot] * (double)(1LL << kSlotBits) + (double)slot);
}

// close(id[, abandon]): closing a closed (or never opened) id does nothing. abandon (the
// collector's close): a placed mapping's memory is left as it is (see close_slot).
napi_value Close(napi_env env, napi_callback_info info) {
  ARGS(1);
  int64_t id;
  bool abandon = false;
  if (!read_index(env, A.argv[0], &id) || (A.argc > 1 && !read_bool(env, A.argv[1], &abandon))) return nullptr;
  int64_t slot = id & kSlotMask;
  if (id >= 0 && (size_t)slot < ctx->table.size() && ctx->table[slot] &&
      ctx->gens[slot] == (uint64_t)id >> kSlotBits)
    close_slot(env, ctx, (uint32_t)slot, true, abandon);
  return undef(env);
}

napi_value FdSize(napi_env env, napi_callback_info info) {
  ARGS(1);
  ENTRY_NOMEM(e, 0);
  uint64_t size;
  OsError err = os_fd_size(&e->m, &size);
  if (!err.ok()) return throw_error(env, ctx, err);
  return num(env, (double)size);
}

napi_value Length(napi_env env, napi_callback_info info) {
  ARGS(1);
  ENTRY_NOMEM(e, 0);
  return num(env, (double)e->m.length);
}

// (id, offset, length, int) -> an OS call on that range of the mapping: flush (msync flags),
// advise (madvise advice).
template <OsError (*Op)(Mapping*, uint64_t, uint64_t, int)>
napi_value RangeCall(napi_env env, napi_callback_info info) {
  ARGS(4);
  ENTRY(e, 0);
  uint64_t off, len;
  int32_t arg;
  if (!read_u64(env, A.argv[1], &off) || !read_u64(env, A.argv[2], &len) || !read_i32(env, A.argv[3], &arg))
    return nullptr;
  if (!in_range(env, ctx, e, off, len)) return nullptr;
  OsError err = Op(&e->m, off, len, arg);
  if (!err.ok()) return throw_error(env, ctx, err);
  return undef(env);
}

napi_value Flush(napi_env env, napi_callback_info info) { return RangeCall<os_sync>(env, info); }
napi_value Advise(napi_env env, napi_callback_info info) { return RangeCall<os_advise>(env, info); }

// A placed mapping's resize(id, newLength, target, targetOffset): to a new range of target (see
// map), guarded before the file is there; the old range is no longer guarded.
napi_value ResizePlaced(napi_env env, Ctx* ctx, Entry* e, uint64_t len, napi_value target, napi_value off_v) {
  int64_t off;
  if (!target || !read_i64(env, off_v, &off)) {
    if (!target) napi_throw_range_error(env, nullptr, "pymmap native: a placed mapping resizes to a new target");
    return nullptr;
  }
  uint64_t ps = os_pagesize();
  if (len > (uint64_t)INT64_MAX - ps) return throw_error(env, ctx, errno_error(ENOMEM));
  int64_t span = len ? (int64_t)((len + ps - 1) / ps * ps) : (int64_t)ps;
  uint8_t* addr = placed_range(env, target, off, span);
  if (!addr) return nullptr;
  GuardRange* g = os_guard_add(addr, (uint64_t)span);
  if (!g) return throw_error(env, ctx, errno_error(ENOMEM));
  OsError err = os_resize_fixed(&e->m, len, addr);
  if (!err.ok()) {
    os_guard_remove(g);
    return throw_error(env, ctx, err);
  }
  os_guard_remove(e->placed);
  e->placed = g;
  return undef(env);
}

// resize(id, newLength): the view is detached first (it becomes length 0); a view that was
// transferred away refuses the resize ("exported").
napi_value Resize(napi_env env, napi_callback_info info) {
  ARGS(2);
  ENTRY(e, 0);
  uint64_t len;
  if (!read_u64(env, A.argv[1], &len)) return nullptr;
  if (e->m.fixed) return ResizePlaced(env, ctx, e, len, A.argc > 3 ? A.argv[2] : nullptr, A.argc > 3 ? A.argv[3] : nullptr);
  if (!release_view(env, e, false, true)) return throw_tag(env, ctx, "exported");
  bool had_memory = e->m.addr != nullptr;
  OsError err = os_resize(&e->m, len);
  if (!err.ok() && had_memory && !e->m.addr) {
    // The remap failed and left no mapping (Windows unmaps before it remaps): CPython's map is
    // then closed ("mmap closed or invalid"). Drop the entry (its id is stale from now on).
    int64_t id = 0;
    read_index(env, A.argv[0], &id);
    close_slot(env, ctx, (uint32_t)(id & kSlotMask), true);
  }
  if (!err.ok()) return throw_error(env, ctx, err);
  return undef(env);
}

napi_value SetName(napi_env env, napi_callback_info info) {
  ARGS(2);
  ENTRY_NOMEM(e, 0);
  std::string name;
  if (!read_utf8(env, A.argv[1], &name)) return nullptr;
  OsError err = os_set_name(&e->m, name.c_str());
  if (!err.ok()) return throw_error(env, ctx, err);
  return undef(env);
}

// getByte(id, index) -> number
napi_value GetByte(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  Ctx* ctx;
  napi_get_cb_info(env, info, &argc, argv, nullptr, (void**)&ctx);
  int64_t i;
  if (argc < 2) return fail_type(env, "pymmap native: missing arguments"), nullptr;
  if (!read_index(env, argv[1], &i)) return nullptr;
  Entry* e = entry(env, ctx, argv[0]);
  if (!e) return nullptr;
  settle(e);
  if (i < 0 || (uint64_t)i >= e->m.length) return throw_tag(env, ctx, "range");
  uint8_t v;
  OsError err = g_get(e->m.addr + i, &v);
  if (!err.ok()) return throw_error(env, ctx, err);
  napi_value r;
  napi_create_uint32(env, v, &r);
  return r;
}

// setByte(id, index, value)
napi_value SetByte(napi_env env, napi_callback_info info) {
  ARGS(3);
  ENTRY(e, 0);
  int64_t i;
  uint32_t v;
  if (!read_index(env, A.argv[1], &i) || !read_u32(env, A.argv[2], &v)) return nullptr;
  if (!e->m.writable) return throw_tag(env, ctx, "readonly");
  if (i < 0 || (uint64_t)i >= e->m.length) return throw_tag(env, ctx, "range");
  OsError err = g_set(e->m.addr + i, (uint8_t)v);
  if (!err.ok()) return throw_error(env, ctx, err);
  return undef(env);
}

// copyOut(id, start, n, dst, dstOffset): mapping[start:start+n] -> dst[dstOffset:]. dst is a
// result the caller has just allocated (cold memory: copy.h streams large copies into it).
napi_value CopyOut(napi_env env, napi_callback_info info) {
  ARGS(5);
  ENTRY(e, 0);
  uint64_t start, n, doff;
  if (!read_u64(env, A.argv[1], &start) || !read_u64(env, A.argv[2], &n) ||
      !read_u64(env, A.argv[4], &doff))
    return nullptr;
  uint8_t* dst;
  size_t dlen;
  if (!read_bytes(env, A.argv[3], &dst, &dlen)) return nullptr;
  if (!in_range(env, ctx, e, start, n)) return nullptr;
  if (doff > dlen || n > dlen - doff) return throw_tag(env, ctx, "range");
  OsError err = g_copy_fresh(e->m.addr + start, dst + doff, n);
  if (!err.ok()) return throw_error(env, ctx, err);
  return undef(env);
}

// copyStep(id, start, step, n, dst): dst[k] = mapping[start + k*step]
napi_value CopyStep(napi_env env, napi_callback_info info) {
  ARGS(5);
  ENTRY(e, 0);
  int64_t start, step;
  uint64_t n;
  if (!read_i64(env, A.argv[1], &start) || !read_i64(env, A.argv[2], &step) ||
      !read_u64(env, A.argv[3], &n))
    return nullptr;
  uint8_t* dst;
  size_t dlen;
  if (!read_bytes(env, A.argv[4], &dst, &dlen)) return nullptr;
  if (n > dlen) return throw_tag(env, ctx, "range");
  if (n) {
    if (!stride_in_range(start, step, n, e->m.length)) return throw_tag(env, ctx, "range");
  }
  OsError err = g_copy_step(e->m.addr, start, step, n, dst);
  if (!err.ok()) return throw_error(env, ctx, err);
  return undef(env);
}

// copyIn(id, start, src): mapping[start:start+len(src)] = src (overlap-safe)
napi_value CopyIn(napi_env env, napi_callback_info info) {
  ARGS(3);
  ENTRY(e, 0);
  uint64_t start;
  if (!read_u64(env, A.argv[1], &start)) return nullptr;
  uint8_t* src;
  size_t n;
  if (!read_bytes(env, A.argv[2], &src, &n)) return nullptr;
  if (!e->m.writable) return throw_tag(env, ctx, "readonly");
  if (!in_range(env, ctx, e, start, n)) return nullptr;
  OsError err = g_copy_in(e->m.addr + start, src, n);
  if (!err.ok()) return throw_error(env, ctx, err);
  return undef(env);
}

// storeStep(id, start, step, n, src): mapping[start + k*step] = src[k]
napi_value StoreStep(napi_env env, napi_callback_info info) {
  ARGS(5);
  ENTRY(e, 0);
  int64_t start, step;
  uint64_t n;
  if (!read_i64(env, A.argv[1], &start) || !read_i64(env, A.argv[2], &step) ||
      !read_u64(env, A.argv[3], &n))
    return nullptr;
  uint8_t* src;
  size_t slen;
  if (!read_bytes(env, A.argv[4], &src, &slen)) return nullptr;
  if (!e->m.writable) return throw_tag(env, ctx, "readonly");
  if (n > slen) return throw_tag(env, ctx, "range");
  if (n) {
    if (!stride_in_range(start, step, n, e->m.length)) return throw_tag(env, ctx, "range");
  }
  // src may alias the mapping: copy it first.
  std::vector<uint8_t> tmp(n);
  OsError cerr = g_copy_out(src, tmp.data(), n);
  if (!cerr.ok()) return throw_error(env, ctx, cerr);
  OsError err = g_store_step(e->m.addr, start, step, n, tmp.data());
  if (!err.ok()) return throw_error(env, ctx, err);
  return undef(env);
}

// move(id, dest, src, count)
napi_value Move(napi_env env, napi_callback_info info) {
  ARGS(4);
  ENTRY(e, 0);
  uint64_t d, s, n;
  if (!read_u64(env, A.argv[1], &d) || !read_u64(env, A.argv[2], &s) || !read_u64(env, A.argv[3], &n))
    return nullptr;
  if (!e->m.writable) return throw_tag(env, ctx, "readonly");
  if (!in_range(env, ctx, e, d, n) || !in_range(env, ctx, e, s, n)) return nullptr;
  OsError err = g_move(e->m.addr, d, s, n);
  if (!err.ok()) return throw_error(env, ctx, err);
  return undef(env);
}

// find(id, start, end, needle) / rfind(...) -> index or -1
napi_value FindImpl(napi_env env, napi_callback_info info, bool reverse) {
  ARGS(4);
  ENTRY(e, 0);
  uint64_t start, end;
  if (!read_u64(env, A.argv[1], &start) || !read_u64(env, A.argv[2], &end)) return nullptr;
  uint8_t* nd;
  size_t nn;
  if (!read_bytes(env, A.argv[3], &nd, &nn)) return nullptr;
  if (end > e->m.length) end = e->m.length;
  if (start > end) return num(env, -1);
  int64_t at;
  // The needle may live in this mapping (a view): copy it so a fault is ours to report.
  std::vector<uint8_t> needle;
  const uint8_t* np = nd;
  if (nn <= 4096 || (nd >= e->m.addr && nd < e->m.addr + e->m.length)) {
    needle.resize(nn);
    OsError cerr = g_copy_out(nd, needle.data(), nn);
    if (!cerr.ok()) return throw_error(env, ctx, cerr);
    np = needle.data();
  }
  OsError err = reverse ? g_rfind(e->m.addr + start, end - start, np, nn, &at)
                        : g_find(e->m.addr + start, end - start, np, nn, &at);
  if (!err.ok()) return throw_error(env, ctx, err);
  return num(env, at < 0 ? -1.0 : (double)(at + (int64_t)start));
}

napi_value Find(napi_env env, napi_callback_info info) { return FindImpl(env, info, false); }
napi_value RFind(napi_env env, napi_callback_info info) { return FindImpl(env, info, true); }

// findByte(id, start, end, byte) -> index or -1 (readline)
napi_value FindByte(napi_env env, napi_callback_info info) {
  ARGS(4);
  ENTRY(e, 0);
  uint64_t start, end;
  uint32_t c;
  if (!read_u64(env, A.argv[1], &start) || !read_u64(env, A.argv[2], &end) || !read_u32(env, A.argv[3], &c))
    return nullptr;
  if (end > e->m.length) end = e->m.length;
  if (start >= end) return num(env, -1);
  int64_t at;
  OsError err = g_memchr(e->m.addr + start, end - start, (uint8_t)c, &at);
  if (!err.ok()) return throw_error(env, ctx, err);
  return num(env, at < 0 ? -1.0 : (double)(at + (int64_t)start));
}

// The arguments (id, x, y, z, pool) of the pool routines: the open entry (settled), three
// integers, and the caller's slab (an ArrayBuffer the caller owns and keeps alive: nothing of
// it is remembered here).
bool pool_args(napi_env env, napi_callback_info info, Ctx** ctx, Entry** e, int64_t v[3],
               uint8_t** pool, size_t* pool_len) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, (void**)ctx);
  if (argc < 5) return fail_type(env, "pymmap native: missing arguments");
  if (!read_index(env, argv[1], &v[0]) || !read_index(env, argv[2], &v[1]) || !read_index(env, argv[3], &v[2]) ||
      !read_arraybuffer(env, argv[4], pool, pool_len))
    return false;
  *e = entry(env, *ctx, argv[0]);
  if (!*e) return false;
  settle(*e);
  return true;
}

// copyToPool(id, start, n, poolOffset, pool): pool[poolOffset:+n] = mapping[start:start+n]
napi_value CopyToPool(napi_env env, napi_callback_info info) {
  Ctx* ctx;
  Entry* e;
  int64_t v[3];
  uint8_t* pool;
  size_t pool_len;
  if (!pool_args(env, info, &ctx, &e, v, &pool, &pool_len)) return nullptr;
  const int64_t start = v[0], n = v[1], off = v[2];
  if (start < 0 || n < 0 || off < 0 || (uint64_t)start > e->m.length ||
      (uint64_t)n > e->m.length - (uint64_t)start || (size_t)off > pool_len ||
      (size_t)n > pool_len - (size_t)off)
    return throw_tag(env, ctx, "range");
  OsError err = g_copy_out(e->m.addr + start, pool + off, (uint64_t)n);
  if (!err.ok()) return throw_error(env, ctx, err);
  return nullptr;
}

// readlineToPool(id, pos, poolOffset, room, pool) -> n: the line at pos (through '\n', or to
// the end) copied to pool[poolOffset:+n] when n <= room; otherwise nothing is copied and -n
// returned.
napi_value ReadlineToPool(napi_env env, napi_callback_info info) {
  Ctx* ctx;
  Entry* e;
  int64_t v[3];
  uint8_t* pool;
  size_t pool_len;
  if (!pool_args(env, info, &ctx, &e, v, &pool, &pool_len)) return nullptr;
  const int64_t pos = v[0], off = v[1], room = v[2];
  if (pos < 0 || (uint64_t)pos > e->m.length || off < 0 || room < 0 ||
      (size_t)off > pool_len || (size_t)room > pool_len - (size_t)off)
    return throw_tag(env, ctx, "range");
  int64_t n;
  OsError err = g_line_out(e->m.addr + pos, e->m.length - (uint64_t)pos, pool + off,
                           (uint64_t)room, &n);
  if (!err.ok()) return throw_error(env, ctx, err);
  return num(env, (double)n);
}

void probe_finalize(napi_env, void*, void*) {}

// Whether this runtime makes an external Buffer of `len` bytes (over 4 GiB): asked once per
// length class, by making one over `mem` (the mapping, never touched) with a finalizer that does
// nothing, and remembered. Not decided from the reported Node version: Node 20 (V8 11) refuses,
// Node 22+ and Deno make them, and Bun reports Node 26 but refuses ("Cannot create a Buffer
// larger than 0x100000000 bytes"). A refused create may run its finalizer, which is why the
// real view (whose finalizer frees the region) is never the one that finds out.
bool big_view_possible(napi_env env, Addon* a, uint8_t* mem, size_t len) {
  if (len <= a->big_ok) return true;
  if (len >= a->big_refused) return false;
  napi_value buf;
  napi_status st = napi_create_external_buffer(env, len, mem, probe_finalize, nullptr, &buf);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) {
    napi_value ex;
    napi_get_and_clear_last_exception(env, &ex);
  }
  if (st == napi_ok) a->big_ok = len;  // (the probe is unreachable: collected, and its finalizer does nothing)
  else a->big_refused = len;
  return st == napi_ok;
}

// ---------------------------------------------------------------- control-block calls
// The hot paths (readline, small copies) called once per line or slice: a Node-API call costs
// a few ns per argument read and per number returned, as much as the copy of a short line.
// These calls take only the caller's slab; the integers go through the context's control block
// (control(): a Float64Array(kCtlSlots) over memory the context owns), written by JS just
// before the call and read back just after. Nothing runs in between, so nothing else can
// write it; each copy of the shim has its own context and so its own block.
constexpr int kCtlSlots = 8;

// A control slot as an integer in [0, 2^53): false (and a RangeError-like "range" tag) if
// not one.
inline bool ctl_int(double d, int64_t* out) {
  if (!(d >= 0 && d <= 9007199254740991.0)) return false;
  int64_t v = (int64_t)d;
  if ((double)v != d) return false;
  *out = v;
  return true;
}

// The open entry whose id is in ctl[0] (settled), and the slab argument.
bool ctl_args(napi_env env, napi_callback_info info, Ctx** ctx, Entry** e, uint8_t** pool,
              size_t* pool_len) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, (void**)ctx);
  if (argc < 1) return fail_type(env, "pymmap native: missing arguments");
  if (!(*ctx)->ctl) return fail_type(env, "pymmap native: no control block");
  if (!read_arraybuffer(env, argv[0], pool, pool_len)) return false;
  int64_t id;
  Ctx* c = *ctx;
  if (!ctl_int(c->ctl[0], &id)) {
    throw_tag(env, c, "closed");
    return false;
  }
  int64_t slot = id & kSlotMask;
  if ((size_t)slot >= c->table.size() || !c->table[slot] || c->gens[slot] != (uint64_t)id >> kSlotBits) {
    throw_tag(env, c, "closed");
    return false;
  }
  *e = c->table[slot];
  settle(*e);
  return true;
}

// brkAddress(bytes) -> the address of its memory if that lies in the C heap's brk area, else 0
// (os_brk_address). The shim keeps the highest such result alive while a loop runs, so that
// the blocks freed below it are reused rather than trimmed off the heap and faulted in again.
napi_value BrkAddress(napi_env env, napi_callback_info info) {
  ARGS(1);
  uint8_t* p = nullptr;
  size_t n = 0;
  if (!read_bytes(env, A.argv[0], &p, &n)) return nullptr;
  return num(env, n ? (double)os_brk_address(p) : 0);
}

// control() -> the context's control block, a Float64Array(8) (made once per context).
napi_value Control(napi_env env, napi_callback_info info) {
  ARGS(0);
  if (!ctx->ctl) {
    ctx->ctl = new (std::nothrow) double[kCtlSlots]();
    if (!ctx->ctl) return throw_error(env, ctx, errno_error(ENOMEM));
  }
  napi_value ab, arr;
  // No finalizer: the memory belongs to the context (freed with it), and only the shim that
  // owns the context holds this array. Never marked untransferable (see faultCounter).
  if (napi_create_external_arraybuffer(env, ctx->ctl, sizeof(double) * kCtlSlots, nullptr, nullptr, &ab) !=
      napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value ex;
      napi_get_and_clear_last_exception(env, &ex);
    }
    return throw_tag(env, ctx, "noexternal");
  }
  napi_create_typedarray(env, napi_float64_array, kCtlSlots, ab, 0, &arr);
  return arr;
}

// readlineC(pool): ctl = [id, pos, poolOffset, room] -> ctl[3] = n, as readlineToPool returns.
napi_value ReadlineC(napi_env env, napi_callback_info info) {
  Ctx* ctx;
  Entry* e;
  uint8_t* pool;
  size_t pool_len;
  if (!ctl_args(env, info, &ctx, &e, &pool, &pool_len)) return nullptr;
  int64_t pos, off, room;
  double* c = ctx->ctl;
  if (!ctl_int(c[1], &pos) || !ctl_int(c[2], &off) || !ctl_int(c[3], &room) ||
      (uint64_t)pos > e->m.length || (size_t)off > pool_len || (size_t)room > pool_len - (size_t)off)
    return throw_tag(env, ctx, "range");
  int64_t n;
  OsError err = g_line_out(e->m.addr + pos, e->m.length - (uint64_t)pos, pool + off, (uint64_t)room, &n);
  if (!err.ok()) return throw_error(env, ctx, err);
  c[3] = (double)n;
  return nullptr;
}

// copyC(pool): ctl = [id, start, n, poolOffset]: pool[poolOffset:+n] = mapping[start:start+n].
napi_value CopyC(napi_env env, napi_callback_info info) {
  Ctx* ctx;
  Entry* e;
  uint8_t* pool;
  size_t pool_len;
  if (!ctl_args(env, info, &ctx, &e, &pool, &pool_len)) return nullptr;
  int64_t start, n, off;
  double* c = ctx->ctl;
  if (!ctl_int(c[1], &start) || !ctl_int(c[2], &n) || !ctl_int(c[3], &off) ||
      (uint64_t)start > e->m.length || (uint64_t)n > e->m.length - (uint64_t)start ||
      (size_t)off > pool_len || (size_t)n > pool_len - (size_t)off)
    return throw_tag(env, ctx, "range");
  OsError err = g_copy_out(e->m.addr + start, pool + off, (uint64_t)n);
  if (!err.ok()) return throw_error(env, ctx, err);
  return nullptr;
}

// view(id[, exported]) -> ArrayBuffer over the mapping (writable maps) or over a private
// shadow mapping of the same pages (maps that are not writable: stores never reach the file nor
// fault). Created once per mapping; detached on close and resize. `exported`: the caller hands
// it to code that may transfer it to another thread (see view_finalize).
napi_value View(napi_env env, napi_callback_info info) {
  ARGS(1);
  ENTRY(e, 0);
  bool exported = false;
  if (A.argc > 1 && !read_bool(env, A.argv[1], &exported)) return nullptr;
  if (e->vh) {
    if (exported) e->vh->exported = true;
    napi_value ab = nullptr;
    napi_get_reference_value(env, e->vh->ab, &ab);
    bool detached = false;
    if (ab) napi_is_detached_arraybuffer(env, ab, &detached);
    if (ab && !detached) return ab;
    return throw_tag(env, ctx, "transferred");
  }
  Addon* addon = ctx->addon;
  if (!addon || !e->m.addr || e->m.length == 0 || e->m.fixed) return throw_tag(env, ctx, "noview");
  if (!big_view_possible(env, addon, e->m.addr, (size_t)e->m.length)) return throw_tag(env, ctx, "viewtoolarge");
  bool readable = (e->m.prot & 1 /*PROT_READ*/) || e->m.writable;  // (Windows: prot 1 or 3)
  if (!readable) return throw_tag(env, ctx, "noview");
  uint8_t* mem = e->m.addr;
  bool shadow = false;
  if (!e->m.writable) {
    OsError err = os_shadow(&e->m);
    if (!err.ok()) return throw_error(env, ctx, err);
    mem = e->m.shadow;
    shadow = true;
  }
  auto undo_shadow = [&] {
    if (shadow) {
      os_unmap_range(e->m.shadow, e->m.length);
      e->m.shadow = nullptr;
    }
  };
  Region* r = new (std::nothrow) Region();
  ViewHold* vh = r ? new (std::nothrow) ViewHold() : nullptr;
  GuardRange* guard = vh ? os_guard_add(mem, e->m.length) : nullptr;
  if (!guard) {  // no unguarded view, ever
    delete vh;
    delete r;
    undo_shadow();
    return throw_error(env, ctx, errno_error(ENOMEM));
  }
  r->addr = mem;
  r->len = e->m.length;
  r->guard = guard;
  r->shadow = shadow;
  vh->region = r;
  vh->exported = exported;
  vh->envflag = envflag_ref(ctx->envflag);
  // An external *Buffer*, whose finalizer Node ties to the backing store (it runs when the
  // memory is released, in whichever thread it went to, posted back to this one). Node 22/24's
  // external ArrayBuffer ties it to the JS object instead: after transfer() the old object dies
  // and the finalizer would unmap memory another buffer still uses.
  napi_value buf, ab = nullptr;
  napi_status st = napi_create_external_buffer(env, (size_t)e->m.length, mem, view_finalize, vh, &buf);
  if (st == napi_ok) st = napi_get_typedarray_info(env, buf, nullptr, nullptr, nullptr, &ab, nullptr);
  if (st != napi_ok) {
    // A failing create may already have run the finalizer (Node 20, > 4 GiB): vh and r are
    // then gone; otherwise free them here. Either way the memory is the mapping's again.
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value ex;
      napi_get_and_clear_last_exception(env, &ex);
    }
    region_release(r, false);  // the memory is the mapping's (or the shadow's, below)
    envflag_unref(vh->envflag);
    delete vh;
    delete r;
    undo_shadow();
    return throw_tag(env, ctx, st == 22 /* napi_no_external_buffers_allowed */ ? "noexternal" : "noview");
  }
  napi_create_reference(env, ab, 1, &vh->ab);
  e->vh = vh;
  e->region = r;
  return ab;
}

// faultCounter() -> Uint32Array(2) over the process-wide count of faults repaired outside
// guarded code (JS compares it after touching a view). Static memory: never freed.
napi_value FaultCounter(napi_env env, napi_callback_info info) {
  ARGS(0);
  napi_value ab, arr;
  if (napi_create_external_arraybuffer(env, (void*)os_fault_counter(), 8, nullptr, nullptr, &ab) !=
      napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value ex;
      napi_get_and_clear_last_exception(env, &ex);
    }
    return throw_tag(env, ctx, "noexternal");
  }
  napi_create_typedarray(env, napi_uint32_array, 2, ab, 0, &arr);
  return arr;
}

// repair(id) -> number of pages of this mapping's view that had faulted since the last repair
// (they are put back from the file, or made inaccessible where no fd is kept).
napi_value Repair(napi_env env, napi_callback_info info) {
  ARGS(1);
  ENTRY_NOMEM(e, 0);
  int n = e->region ? os_guard_repair(e->region->guard, repair_source(e)) : 0;
  if (e->placed) {
    RepairSource src;
    src.fd = e->m.fd;
    src.offset = e->m.offset;
    src.prot = e->placed_prot;
    src.flags = e->placed_flags;
    n += os_guard_repair(e->placed, src);
  }
  return num(env, n);
}

// markExit(): called by the shim from process.on('exit') (the last moment JS runs in this
// environment): records, for every live view, whether it went to another buffer (transfer())
// or is still ours, which teardown can no longer tell (see view_finalize).
napi_value MarkExit(napi_env env, napi_callback_info info) {
  ARGS(0);
  for (Entry* e : ctx->table) {
    if (!e || !e->vh || e->vh->finalized || e->vh->detached_by_us) continue;
    napi_value ab = nullptr;
    bool detached = false;
    napi_get_reference_value(env, e->vh->ab, &ab);
    if (ab) napi_is_detached_arraybuffer(env, ab, &detached);
    if (detached) e->vh->transferred = true;
    else e->vh->checked = true;
  }
  return undef(env);
}

// ---------------------------------------------------------------- placing mappings (Pyodide)
// The Pyodide bridge maps a file into the wasm memory of a Pyodide instance, over pages it
// allocated there, so that Python's own mmap object works on the file pages (zero copy).

// Start address of [offset, offset + length) inside ArrayBuffer `ab`, which must be page
// aligned and inside the buffer; nullptr (with a JS RangeError/TypeError pending) otherwise.
uint8_t* placed_range(napi_env env, napi_value ab, int64_t offset, int64_t length) {
  void* data = nullptr;
  size_t bytes = 0;
  if (napi_get_arraybuffer_info(env, ab, &data, &bytes) != napi_ok || data == nullptr) {
    napi_throw_type_error(env, nullptr, "pymmap native: target must be a (non-detached) ArrayBuffer");
    return nullptr;
  }
  uint64_t ps = os_pagesize();
  uintptr_t addr = (uintptr_t)data + (uintptr_t)offset;
  if (offset < 0 || length <= 0 || (uint64_t)offset + (uint64_t)length > bytes || addr % ps || (uint64_t)length % ps) {
    napi_throw_range_error(env, nullptr, "pymmap native: target range not page aligned or outside the buffer");
    return nullptr;
  }
  return (uint8_t*)addr;
}

// mapFixed(target, targetOffset, length, fd, prot, flags, fileOffset): mmap(fd) with MAP_FIXED
// over [targetOffset, targetOffset + length) of ArrayBuffer `target` (page aligned, inside it).
// Not guarded: a placed mapping (map with a target) is what the Pyodide bridge uses for files.
napi_value MapFixed(napi_env env, napi_callback_info info) {
  ARGS(7);
  int64_t off, len, fd, foff, prot, flags;
  if (!read_i64(env, A.argv[1], &off) || !read_i64(env, A.argv[2], &len) || !read_i64(env, A.argv[3], &fd) ||
      !read_i64(env, A.argv[4], &prot) || !read_i64(env, A.argv[5], &flags) || !read_i64(env, A.argv[6], &foff))
    return nullptr;
  uint8_t* addr = placed_range(env, A.argv[0], off, len);
  if (!addr) return nullptr;
  OsError err = os_map_fixed(addr, (uint64_t)len, (int)prot, (int)flags, fd, (uint64_t)foff);
  if (!err.ok()) return throw_error(env, ctx, err);
  return undef(env);
}

// unmapFixed(target, targetOffset, length): replaces the range with fresh zeroed private
// anonymous read-write pages (what the wasm memory had before mapFixed; the bridge's anonymous
// maps are zeroed so).
napi_value UnmapFixed(napi_env env, napi_callback_info info) {
  ARGS(3);
  int64_t off, len;
  if (!read_i64(env, A.argv[1], &off) || !read_i64(env, A.argv[2], &len)) return nullptr;
  uint8_t* addr = placed_range(env, A.argv[0], off, len);
  if (!addr) return nullptr;
  OsError err = os_unmap_fixed(addr, (uint64_t)len);
  if (!err.ok()) return throw_error(env, ctx, err);
  return undef(env);
}

// fdOf(id): the fd the mapping keeps (its dup), or -1.
napi_value FdOf(napi_env env, napi_callback_info info) {
  ARGS(1);
  ENTRY_NOMEM(e, 0);
  return num(env, (double)e->m.fd);
}

// ---------------------------------------------------------------- contexts

// Contexts opened on this thread. When the thread ends, whatever they still map is released:
// runtimes that end a worker without running its environment's cleanup (Deno's terminate())
// would otherwise leave its maps and fds behind. In Node the cleanup has run by then.
struct ThreadReaper {
  std::vector<Ctx*> ctxs;
  ~ThreadReaper() {
    for (Ctx* ctx : ctxs) release_ctx(nullptr, ctx, false);
  }
};
thread_local ThreadReaper t_reaper;

void forget_ctx(Ctx* ctx) {
  auto& v = t_reaper.ctxs;
  for (size_t i = 0; i < v.size(); i++)
    if (v[i] == ctx) { v.erase(v.begin() + (long)i); break; }
}

// A context's function was collected; the last one takes the context (and what it still
// maps) with it. No JS handles here: views still alive keep their memory (see release_view).
void fn_finalize(napi_env env, void* data, void*) {
  Ctx* ctx = (Ctx*)data;
  if (--ctx->fns_alive > 0) return;
  bool dead = ctx->envflag->dead.load();
  release_ctx(dead ? nullptr : env, ctx, false);
  if (ctx->make_error && !dead) napi_delete_reference(env, ctx->make_error);
  envflag_unref(ctx->envflag);
  if (ctx->addon) {
    auto& v = ctx->addon->ctxs;
    for (size_t i = 0; i < v.size(); i++)
      if (v[i] == ctx) { v.erase(v.begin() + (long)i); break; }
  }
  forget_ctx(ctx);
  delete[] ctx->ctl;
  delete ctx;
}

const struct { const char* name; napi_callback cb; } kFunctions[] = {
    {"constants", Constants}, {"fstat", Fstat},       {"regularSize", RegularSize},
    {"map", Map},             {"close", Close},       {"fdSize", FdSize},
    {"length", Length},       {"flush", Flush},       {"advise", Advise},
    {"resize", Resize},       {"setName", SetName},   {"getByte", GetByte},
    {"setByte", SetByte},     {"copyOut", CopyOut},   {"copyStep", CopyStep},
    {"copyIn", CopyIn},       {"storeStep", StoreStep}, {"move", Move},
    {"find", Find},           {"rfind", RFind},       {"findByte", FindByte},
    {"view", View},           {"copyToPool", CopyToPool}, {"readlineToPool", ReadlineToPool},
    {"faultCounter", FaultCounter}, {"repair", Repair}, {"mapFixed", MapFixed},
    {"unmapFixed", UnmapFixed}, {"fdOf", FdOf}, {"markExit", MarkExit},
    {"control", Control},     {"readlineC", ReadlineC}, {"copyC", CopyC},
    {"brkAddress", BrkAddress},
};

// open(makeError) -> a fresh object with every function, bound to a new context whose errors
// are made by makeError.
napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Addon* addon;
  napi_get_cb_info(env, info, &argc, argv, nullptr, (void**)&addon);
  napi_valuetype t = napi_undefined;
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function) {
    napi_throw_type_error(env, nullptr, "pymmap native: open(makeError) needs a function");
    return nullptr;
  }
  Ctx* ctx = new Ctx();
  ctx->addon = addon;
  ctx->envflag = envflag_ref(addon->envflag);
  napi_create_reference(env, argv[0], 1, &ctx->make_error);
  napi_value obj;
  napi_create_object(env, &obj);
  for (auto& f : kFunctions) {
    napi_value fn;
    if (napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, ctx, &fn) != napi_ok) continue;
    if (napi_add_finalizer(env, fn, ctx, fn_finalize, nullptr, nullptr) == napi_ok) ctx->fns_alive++;
    napi_set_named_property(env, obj, f.name, fn);
  }
  addon->ctxs.push_back(ctx);
  t_reaper.ctxs.push_back(ctx);
  return obj;
}

// Environment teardown: every context releases what it maps. Node has run the view finalizers
// by now (before any cleanup hook); Deno has not. A view not finalized is treated as gone
// elsewhere unless markExit saw it in place (release_view).
void cleanup(void* arg) {
  Addon* a = (Addon*)arg;
  stop_wake(a->envflag);
  drain_deferred(a->env, a->envflag, true);
  for (Ctx* ctx : a->ctxs) release_ctx(a->env, ctx, false);
  a->envflag->dead.store(true);
}

void addon_finalize(napi_env env, void* data, void*) {
  Addon* a = (Addon*)data;
  bool dead = a->envflag->dead.exchange(true);
  if (!dead) stop_wake(a->envflag);
  drain_deferred(env, a->envflag, true);
  for (Ctx* ctx : a->ctxs) {
    release_ctx(dead ? nullptr : env, ctx, false);  // if teardown skipped the cleanup hook
    ctx->addon = nullptr;
  }
  envflag_unref(a->envflag);
  delete a;
}

}  // namespace

napi_value InitModule(napi_env env, napi_value exports) {
  os_install_guard();
  Addon* a = new Addon();
  a->env = env;
  napi_set_instance_data(env, a, addon_finalize, nullptr);
  {
    // (a wake-up for views finalized on another thread: Deno; unref'd, it keeps nothing alive)
    napi_value name;
    napi_create_string_utf8(env, "pymmap view finalizer", NAPI_AUTO_LENGTH, &name);
    napi_threadsafe_function w = nullptr;
    if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, a->envflag, wake_call, &w) ==
        napi_ok) {
      napi_unref_threadsafe_function(env, w);
      std::lock_guard<std::mutex> lock(a->envflag->mu);
      a->envflag->wake = w;
    }
  }
  napi_add_env_cleanup_hook(env, cleanup, a);
  napi_value fn;
  napi_create_function(env, "open", NAPI_AUTO_LENGTH, Open, a, &fn);
  napi_set_named_property(env, exports, "open", fn);
  napi_value backend;
  napi_create_string_utf8(env, kBackend, NAPI_AUTO_LENGTH, &backend);
  napi_set_named_property(env, exports, "backend", backend);
  return exports;
}

}  // namespace pymmap

NAPI_MODULE_INIT() { return pymmap::InitModule(env, exports); }
