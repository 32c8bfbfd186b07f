// The Node-API binding: thin glue between JS and the OS layer (os.h).
//
// Mappings live in a per-environment table and are named by small integer ids (a handle that
// costs nothing to pass). Errors are built by a JS function handed over once (init), which
// receives (tag, errno, code name, strerror, winerror) and returns the object to throw; this file
// knows nothing about Python.
//
// Hot calls use the raw C API (each node-addon-api wrapper layer costs a few ns per call).
#define NAPI_VERSION 8
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "os.h"

namespace pymmap {

#ifdef _WIN32
std::string os_win_message(int code);  // os_win.cc
#endif

namespace {

// Who owns the memory behind a view (an external ArrayBuffer). See close_entry().
struct ViewState {
  uint8_t* addr = nullptr;
  uint64_t len = 0;
  bool live = true;        // the mapping is open and owns the memory
  bool kept = false;       // the mapping was closed but left the memory to the buffer
  bool finalized = false;  // V8 released the buffer (after a transfer) while still live
  bool shadow = false;     // memory is the private shadow mapping, not the mapping itself
};

struct Entry {
  Mapping m;
  napi_ref view = nullptr;  // strong reference to our ArrayBuffer
  ViewState* vs = nullptr;
  bool registered = false;
};

struct Addon {
  std::vector<Entry*> table;  // id -> entry (nullptr: free)
  std::vector<uint32_t> free_ids;
  napi_ref make_error = nullptr;
  int node_major = 0;
  uint8_t* pool = nullptr;  // the shim's current slab for small results (setPool)
  size_t pool_len = 0;
};

// ---------------------------------------------------------------- errors

const char* errno_name(int e) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char* n = strerrorname_np(e);
  return n ? n : "";
#else
  switch (e) {
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENODEV: return "ENODEV";
    case EFAULT: return "EFAULT";
    case ENOENT: return "ENOENT";
    case EAGAIN: return "EAGAIN";
    case EOVERFLOW: return "EOVERFLOW";
    default: return "";
  }
#endif
}

// Throws the JS error for `err` made by the factory. Always returns nullptr (for `return`).
napi_value throw_error(napi_env env, const OsError& err) {
  Addon* a = nullptr;
  napi_get_instance_data(env, (void**)&a);
  napi_value fn = nullptr, args[5], global, result;
  if (a && a->make_error) napi_get_reference_value(env, a->make_error, &fn);
  if (err.tag) napi_create_string_utf8(env, err.tag, NAPI_AUTO_LENGTH, &args[0]);
  else napi_get_null(env, &args[0]);
  int errnum = err.win ? 0 : err.code;
  napi_create_int32(env, errnum, &args[1]);
  napi_create_string_utf8(env, errnum ? errno_name(errnum) : "", NAPI_AUTO_LENGTH, &args[2]);
  std::string msg = errnum ? strerror(errnum) : "";
#ifdef _WIN32
  if (err.win) msg = os_win_message(err.code);  // FormatMessage text, as CPython shows it
#endif
  napi_create_string_utf8(env, msg.c_str(), msg.size(), &args[3]);
  if (err.win) napi_create_int32(env, err.code, &args[4]);
  else napi_get_null(env, &args[4]);
  if (!fn) {
    std::string s = std::string("pymmap native error: ") + (err.tag ? err.tag : msg.c_str());
    napi_throw_error(env, err.tag ? err.tag : errno_name(errnum), s.c_str());
    return nullptr;
  }
  napi_get_global(env, &global);
  if (napi_call_function(env, global, fn, 5, args, &result) == napi_ok) napi_throw(env, result);
  return nullptr;
}

napi_value throw_tag(napi_env env, const char* tag, int code = 0) {
  return throw_error(env, tag_error(tag, code));
}

// ---------------------------------------------------------------- arguments

struct Args {
  napi_value argv[8];
  size_t argc = 8;
  Addon* addon = nullptr;
  bool ok = true;
};

inline bool get_args(napi_env env, napi_callback_info info, Args* a) {
  napi_get_cb_info(env, info, &a->argc, a->argv, nullptr, (void**)&a->addon);
  return true;
}

inline bool to_i64(napi_env env, napi_value v, int64_t* out) {
  if (napi_get_value_int64(env, v, out) == napi_ok) return true;
  bool lossless;
  if (napi_get_value_bigint_int64(env, v, out, &lossless) == napi_ok) return true;
  napi_throw_type_error(env, nullptr, "pymmap native: integer expected");
  return false;
}

inline bool to_u64(napi_env env, napi_value v, uint64_t* out) {
  int64_t i;
  if (napi_get_value_int64(env, v, &i) == napi_ok) {
    if (i < 0) { napi_throw_range_error(env, nullptr, "pymmap native: negative size"); return false; }
    *out = (uint64_t)i;
    return true;
  }
  bool lossless;
  if (napi_get_value_bigint_uint64(env, v, out, &lossless) == napi_ok) return true;
  napi_throw_type_error(env, nullptr, "pymmap native: integer expected");
  return false;
}

// Bytes of a TypedArray, DataView or ArrayBuffer.
bool to_bytes(napi_env env, napi_value v, uint8_t** data, size_t* len) {
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
  if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) {
    void* p;
    napi_get_arraybuffer_info(env, v, &p, len);
    *data = (uint8_t*)p;
    return true;
  }
  napi_throw_type_error(env, nullptr, "pymmap native: bytes-like object expected");
  return false;
}

inline Entry* entry(napi_env env, Addon* a, napi_value v) {
  uint32_t id;
  if (napi_get_value_uint32(env, v, &id) != napi_ok || id >= a->table.size() || !a->table[id]) {
    throw_tag(env, "closed");
    return nullptr;
  }
  return a->table[id];
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
inline bool in_range(napi_env env, Entry* e, uint64_t start, uint64_t n) {
  if (start > e->m.length || n > e->m.length - start) {
    throw_tag(env, "range");
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

#define ARGS(n)                        \
  Args A;                              \
  get_args(env, info, &A);             \
  if (A.argc < (n)) {                  \
    napi_throw_type_error(env, nullptr, "pymmap native: missing arguments"); \
    return nullptr;                    \
  }

#define ENTRY(var, idx)                        \
  Entry* var = entry(env, A.addon, A.argv[idx]); \
  if (!var) return nullptr;

// ---------------------------------------------------------------- views

void view_finalize(napi_env, void*, void* hint) {
  ViewState* vs = (ViewState*)hint;
  if (vs->kept) {
    os_unmap_range(vs->addr, vs->len);
    delete vs;
  } else if (vs->live) {
    vs->finalized = true;  // the entry deletes it
  } else {
    delete vs;
  }
}

// Drops the view before close or resize. Returns false if the buffer was transferred away and
// still owns the memory (then `transferred` is set and nothing was changed).
bool release_view(napi_env env, Entry* e, bool* transferred) {
  *transferred = false;
  if (!e->view) return true;
  napi_value ab = nullptr;
  napi_get_reference_value(env, e->view, &ab);
  bool detached = false;
  if (ab) napi_is_detached_arraybuffer(env, ab, &detached);
  ViewState* vs = e->vs;
  if (detached && !vs->finalized) {
    *transferred = true;  // someone moved it away (ArrayBuffer.prototype.transfer)
    return false;
  }
  if (!detached && ab) napi_detach_arraybuffer(env, ab);
  napi_delete_reference(env, e->view);
  e->view = nullptr;
  if (vs->finalized) delete vs;
  else vs->live = false;
  e->vs = nullptr;
  return true;
}

void close_entry(napi_env env, Addon* a, uint32_t id) {
  Entry* e = a->table[id];
  if (!e) return;
  bool transferred = false;
  if (!release_view(env, e, &transferred)) {
    // The memory now belongs to the transferred buffer: leave it mapped for its finalizer.
    ViewState* vs = e->vs;
    napi_delete_reference(env, e->view);
    e->view = nullptr;
    e->vs = nullptr;
    vs->live = false;
    vs->kept = true;
    if (vs->shadow) {
      os_unmap(&e->m);
    } else {
      uint8_t* shadow = e->m.shadow;
      os_unmap(&e->m, /*keep_memory=*/true);
      os_unmap_range(shadow, vs->len);
    }
  } else {
    uint8_t* shadow = e->m.shadow;
    uint64_t len = e->m.length;
    os_unmap(&e->m);
    os_unmap_range(shadow, len);
  }
  delete e;
  a->table[id] = nullptr;
  a->free_ids.push_back(id);
}

// ---------------------------------------------------------------- functions

napi_value Init(napi_env env, napi_callback_info info) {
  ARGS(1);
  if (A.addon->make_error) napi_delete_reference(env, A.addon->make_error);
  napi_create_reference(env, A.argv[0], 1, &A.addon->make_error);
  return undef(env);
}

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
  if (!to_i64(env, A.argv[0], &fd)) return nullptr;
  uint64_t size;
  bool reg;
  OsError err = os_fstat(fd, &size, &reg);
  if (!err.ok()) return throw_error(env, err);
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
  if (!to_i64(env, A.argv[0], &fd)) return nullptr;
  uint64_t size;
  bool reg;
  OsError err = os_fstat(fd, &size, &reg);
  if (!err.ok()) return throw_error(env, err);
  return num(env, reg ? (double)size : -1.0);
}

// map(fd, length, flags, prot, offset, dupFd[, tagname, access]) -> id
// tagname (string or null) and access (ACCESS_*) are read by the Windows backend only.
napi_value Map(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  Addon* addon = nullptr;
  napi_get_cb_info(env, info, &argc, argv, nullptr, (void**)&addon);
  if (argc < 6) {
    napi_throw_type_error(env, nullptr, "pymmap native: missing arguments");
    return nullptr;
  }
  MapRequest req;
  bool dup;
  if (!to_i64(env, argv[0], &req.fd) || !to_u64(env, argv[1], &req.length)) return nullptr;
  int32_t flags, prot;
  napi_get_value_int32(env, argv[2], &flags);
  napi_get_value_int32(env, argv[3], &prot);
  if (!to_u64(env, argv[4], &req.offset)) return nullptr;
  napi_get_value_bool(env, argv[5], &dup);
  req.flags = flags;
  req.prot = prot;
  req.dup_fd = dup;
  std::vector<char16_t> tagname;
  if (argc > 6) {
    napi_valuetype t = napi_undefined;
    napi_typeof(env, argv[6], &t);
    if (t == napi_string) {
      size_t n = 0;
      napi_get_value_string_utf16(env, argv[6], nullptr, 0, &n);
      tagname.resize(n + 1);
      napi_get_value_string_utf16(env, argv[6], tagname.data(), n + 1, &n);
      req.tagname = tagname.data();
    }
  }
  if (argc > 7) {
    int32_t access;
    if (napi_get_value_int32(env, argv[7], &access) == napi_ok) req.access = access;
  }
  Entry* e = new Entry();
  OsError err = os_map(req, &e->m);
  if (!err.ok()) {
    delete e;
    return throw_error(env, err);
  }
  uint32_t id;
  if (!addon->free_ids.empty()) {
    id = addon->free_ids.back();
    addon->free_ids.pop_back();
    addon->table[id] = e;
  } else {
    id = (uint32_t)addon->table.size();
    addon->table.push_back(e);
  }
  return num(env, id);
}

napi_value Close(napi_env env, napi_callback_info info) {
  ARGS(1);
  uint32_t id;
  if (napi_get_value_uint32(env, A.argv[0], &id) != napi_ok) {
    napi_throw_type_error(env, nullptr, "pymmap native: integer expected");
    return nullptr;
  }
  if (id < A.addon->table.size()) close_entry(env, A.addon, id);
  return undef(env);
}

napi_value FdSize(napi_env env, napi_callback_info info) {
  ARGS(1);
  ENTRY(e, 0);
  uint64_t size;
  OsError err = os_fd_size(&e->m, &size);
  if (!err.ok()) return throw_error(env, err);
  return num(env, (double)size);
}

napi_value Length(napi_env env, napi_callback_info info) {
  ARGS(1);
  ENTRY(e, 0);
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
  if (!to_u64(env, A.argv[1], &off) || !to_u64(env, A.argv[2], &len)) return nullptr;
  if (napi_get_value_int32(env, A.argv[3], &arg) != napi_ok) {
    napi_throw_type_error(env, nullptr, "pymmap native: integer expected");
    return nullptr;
  }
  if (!in_range(env, e, off, len)) return nullptr;
  OsError err = Op(&e->m, off, len, arg);
  if (!err.ok()) return throw_error(env, err);
  return undef(env);
}

napi_value Flush(napi_env env, napi_callback_info info) { return RangeCall<os_sync>(env, info); }
napi_value Advise(napi_env env, napi_callback_info info) { return RangeCall<os_advise>(env, info); }

// resize(id, newLength): views are detached first (they become length 0).
napi_value Resize(napi_env env, napi_callback_info info) {
  ARGS(2);
  ENTRY(e, 0);
  uint64_t len;
  if (!to_u64(env, A.argv[1], &len)) return nullptr;
  bool transferred;
  if (e->view) {
    napi_value ab = nullptr;
    bool detached = false;
    napi_get_reference_value(env, e->view, &ab);
    if (ab) napi_is_detached_arraybuffer(env, ab, &detached);
    if (detached && !e->vs->finalized) return throw_tag(env, "exported");
  }
  uint8_t* shadow = e->m.shadow;
  uint64_t old_len = e->m.length;
  release_view(env, e, &transferred);
  if (e->registered) {
    os_unregister(&e->m);
    e->registered = false;
  }
  if (shadow) {
    os_unmap_range(shadow, old_len);
    e->m.shadow = nullptr;
  }
  OsError err = os_resize(&e->m, len);
#ifdef _WIN32
  if (!err.ok() && !e->m.addr) {
    // The remap failed and left no section: CPython's map is then closed ("mmap closed or
    // invalid"). Drop the entry; its id is not reused, since the JS object still holds it.
    uint32_t id;
    napi_get_value_uint32(env, A.argv[0], &id);
    os_unmap(&e->m);
    delete e;
    A.addon->table[id] = nullptr;
  }
#endif
  if (!err.ok()) return throw_error(env, err);
  return undef(env);
}

napi_value SetName(napi_env env, napi_callback_info info) {
  ARGS(2);
  ENTRY(e, 0);
  size_t n;
  char buf[256];
  napi_get_value_string_utf8(env, A.argv[1], buf, sizeof buf, &n);
  OsError err = os_set_name(&e->m, buf);
  if (!err.ok()) return throw_error(env, err);
  return undef(env);
}

// getByte(id, index) -> number
napi_value GetByte(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  Addon* a;
  napi_get_cb_info(env, info, &argc, argv, nullptr, (void**)&a);
  uint32_t id;
  int64_t i;
  if (napi_get_value_uint32(env, argv[0], &id) != napi_ok ||
      napi_get_value_int64(env, argv[1], &i) != napi_ok) {
    napi_throw_type_error(env, nullptr, "pymmap native: integer expected");
    return nullptr;
  }
  if (id >= a->table.size() || !a->table[id]) return throw_tag(env, "closed");
  Entry* e = a->table[id];
  if (i < 0 || (uint64_t)i >= e->m.length) return throw_tag(env, "range");
  uint8_t v;
  OsError err = g_get(e->m.addr + i, &v);
  if (!err.ok()) return throw_error(env, err);
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
  if (napi_get_value_int64(env, A.argv[1], &i) != napi_ok ||
      napi_get_value_uint32(env, A.argv[2], &v) != napi_ok) {
    napi_throw_type_error(env, nullptr, "pymmap native: integer expected");
    return nullptr;
  }
  if (!e->m.writable) return throw_tag(env, "readonly");
  if (i < 0 || (uint64_t)i >= e->m.length) return throw_tag(env, "range");
  OsError err = g_set(e->m.addr + i, (uint8_t)v);
  if (!err.ok()) return throw_error(env, err);
  return undef(env);
}

// copyOut(id, start, n, dst, dstOffset): mapping[start:start+n] -> dst[dstOffset:]
napi_value CopyOut(napi_env env, napi_callback_info info) {
  ARGS(5);
  ENTRY(e, 0);
  uint64_t start, n, doff;
  if (!to_u64(env, A.argv[1], &start) || !to_u64(env, A.argv[2], &n) ||
      !to_u64(env, A.argv[4], &doff))
    return nullptr;
  uint8_t* dst;
  size_t dlen;
  if (!to_bytes(env, A.argv[3], &dst, &dlen)) return nullptr;
  if (!in_range(env, e, start, n)) return nullptr;
  if (doff > dlen || n > dlen - doff) return throw_tag(env, "range");
  OsError err = g_copy_out(e->m.addr + start, dst + doff, n);
  if (!err.ok()) return throw_error(env, err);
  return undef(env);
}

// copyStep(id, start, step, n, dst): dst[k] = mapping[start + k*step]
napi_value CopyStep(napi_env env, napi_callback_info info) {
  ARGS(5);
  ENTRY(e, 0);
  int64_t start, step;
  uint64_t n;
  if (!to_i64(env, A.argv[1], &start) || !to_i64(env, A.argv[2], &step) ||
      !to_u64(env, A.argv[3], &n))
    return nullptr;
  uint8_t* dst;
  size_t dlen;
  if (!to_bytes(env, A.argv[4], &dst, &dlen)) return nullptr;
  if (n > dlen) return throw_tag(env, "range");
  if (n) {
    if (!stride_in_range(start, step, n, e->m.length)) return throw_tag(env, "range");
  }
  OsError err = g_copy_step(e->m.addr, start, step, n, dst);
  if (!err.ok()) return throw_error(env, err);
  return undef(env);
}

// copyIn(id, start, src): mapping[start:start+len(src)] = src (overlap-safe)
napi_value CopyIn(napi_env env, napi_callback_info info) {
  ARGS(3);
  ENTRY(e, 0);
  uint64_t start;
  if (!to_u64(env, A.argv[1], &start)) return nullptr;
  uint8_t* src;
  size_t n;
  if (!to_bytes(env, A.argv[2], &src, &n)) return nullptr;
  if (!e->m.writable) return throw_tag(env, "readonly");
  if (!in_range(env, e, start, n)) return nullptr;
  OsError err = g_copy_in(e->m.addr + start, src, n);
  if (!err.ok()) return throw_error(env, err);
  return undef(env);
}

// storeStep(id, start, step, n, src): mapping[start + k*step] = src[k]
napi_value StoreStep(napi_env env, napi_callback_info info) {
  ARGS(5);
  ENTRY(e, 0);
  int64_t start, step;
  uint64_t n;
  if (!to_i64(env, A.argv[1], &start) || !to_i64(env, A.argv[2], &step) ||
      !to_u64(env, A.argv[3], &n))
    return nullptr;
  uint8_t* src;
  size_t slen;
  if (!to_bytes(env, A.argv[4], &src, &slen)) return nullptr;
  if (!e->m.writable) return throw_tag(env, "readonly");
  if (n > slen) return throw_tag(env, "range");
  if (n) {
    if (!stride_in_range(start, step, n, e->m.length)) return throw_tag(env, "range");
  }
  // src may alias the mapping: copy it first.
  std::vector<uint8_t> tmp(n);
  OsError cerr = g_copy_out(src, tmp.data(), n);
  if (!cerr.ok()) return throw_error(env, cerr);
  OsError err = g_store_step(e->m.addr, start, step, n, tmp.data());
  if (!err.ok()) return throw_error(env, err);
  return undef(env);
}

// move(id, dest, src, count)
napi_value Move(napi_env env, napi_callback_info info) {
  ARGS(4);
  ENTRY(e, 0);
  uint64_t d, s, n;
  if (!to_u64(env, A.argv[1], &d) || !to_u64(env, A.argv[2], &s) || !to_u64(env, A.argv[3], &n))
    return nullptr;
  if (!e->m.writable) return throw_tag(env, "readonly");
  if (!in_range(env, e, d, n) || !in_range(env, e, s, n)) return nullptr;
  OsError err = g_move(e->m.addr, d, s, n);
  if (!err.ok()) return throw_error(env, err);
  return undef(env);
}

// find(id, start, end, needle) / rfind(...) -> index or -1
napi_value FindImpl(napi_env env, napi_callback_info info, bool reverse) {
  ARGS(4);
  ENTRY(e, 0);
  uint64_t start, end;
  if (!to_u64(env, A.argv[1], &start) || !to_u64(env, A.argv[2], &end)) return nullptr;
  uint8_t* nd;
  size_t nn;
  if (!to_bytes(env, A.argv[3], &nd, &nn)) return nullptr;
  if (end > e->m.length) end = e->m.length;
  if (start > end) return num(env, -1);
  int64_t at;
  // The needle may live in this mapping (a view): copy it so a fault is ours to report.
  std::vector<uint8_t> needle;
  const uint8_t* np = nd;
  if (nn <= 4096 || (nd >= e->m.addr && nd < e->m.addr + e->m.length)) {
    needle.resize(nn);
    OsError cerr = g_copy_out(nd, needle.data(), nn);
    if (!cerr.ok()) return throw_error(env, cerr);
    np = needle.data();
  }
  OsError err = reverse ? g_rfind(e->m.addr + start, end - start, np, nn, &at)
                        : g_find(e->m.addr + start, end - start, np, nn, &at);
  if (!err.ok()) return throw_error(env, err);
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
  if (!to_u64(env, A.argv[1], &start) || !to_u64(env, A.argv[2], &end)) return nullptr;
  napi_get_value_uint32(env, A.argv[3], &c);
  if (end > e->m.length) end = e->m.length;
  if (start >= end) return num(env, -1);
  int64_t at;
  OsError err = g_memchr(e->m.addr + start, end - start, (uint8_t)c, &at);
  if (!err.ok()) return throw_error(env, err);
  return num(env, at < 0 ? -1.0 : (double)(at + (int64_t)start));
}

// setPool(arrayBuffer): the slab the shim carves small results out of; copyToPool and
// readlineToPool write into it by offset (no typed array is made for the source). The shim
// keeps the slab alive while it is current and checks it was not transferred away.
napi_value SetPool(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Addon* a;
  napi_get_cb_info(env, info, &argc, argv, nullptr, (void**)&a);
  void* p = nullptr;
  size_t n = 0;
  if (argc < 1 || napi_get_arraybuffer_info(env, argv[0], &p, &n) != napi_ok) {
    napi_throw_type_error(env, nullptr, "pymmap native: ArrayBuffer expected");
    return nullptr;
  }
  a->pool = (uint8_t*)p;
  a->pool_len = n;
  return nullptr;
}

// The arguments (id, x, y, z) of the pool routines: the open entry and three integers.
bool pool_args(napi_env env, napi_callback_info info, Addon** a, Entry** e, int64_t v[3]) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, (void**)a);
  uint32_t id;
  if (argc < 4 || napi_get_value_uint32(env, argv[0], &id) != napi_ok ||
      napi_get_value_int64(env, argv[1], &v[0]) != napi_ok ||
      napi_get_value_int64(env, argv[2], &v[1]) != napi_ok ||
      napi_get_value_int64(env, argv[3], &v[2]) != napi_ok) {
    napi_throw_type_error(env, nullptr, "pymmap native: integer expected");
    return false;
  }
  if (id >= (*a)->table.size() || !(*a)->table[id]) {
    throw_tag(env, "closed");
    return false;
  }
  *e = (*a)->table[id];
  return true;
}

// copyToPool(id, start, n, poolOffset): pool[poolOffset:+n] = mapping[start:start+n]
napi_value CopyToPool(napi_env env, napi_callback_info info) {
  Addon* a;
  Entry* e;
  int64_t v[3];
  if (!pool_args(env, info, &a, &e, v)) return nullptr;
  const int64_t start = v[0], n = v[1], off = v[2];
  if (start < 0 || n < 0 || off < 0 || (uint64_t)start > e->m.length ||
      (uint64_t)n > e->m.length - (uint64_t)start || (size_t)off > a->pool_len ||
      (size_t)n > a->pool_len - (size_t)off)
    return throw_tag(env, "range");
  OsError err = g_copy_out(e->m.addr + start, a->pool + off, (uint64_t)n);
  if (!err.ok()) return throw_error(env, err);
  return nullptr;
}

// readlineToPool(id, pos, poolOffset, room) -> n: the line at pos (through '\n', or to the end)
// copied to pool[poolOffset:+n] when n <= room; otherwise nothing is copied and -n returned.
napi_value ReadlineToPool(napi_env env, napi_callback_info info) {
  Addon* a;
  Entry* e;
  int64_t v[3];
  if (!pool_args(env, info, &a, &e, v)) return nullptr;
  const int64_t pos = v[0], off = v[1], room = v[2];
  if (pos < 0 || (uint64_t)pos > e->m.length || off < 0 || room < 0 ||
      (size_t)off > a->pool_len || (size_t)room > a->pool_len - (size_t)off)
    return throw_tag(env, "range");
  int64_t n;
  OsError err = g_line_out(e->m.addr + pos, e->m.length - (uint64_t)pos, a->pool + off,
                           (uint64_t)room, &n);
  if (!err.ok()) return throw_error(env, err);
  return num(env, (double)n);
}

// view(id) -> ArrayBuffer over the mapping (writable maps) or over a private shadow mapping
// of the same pages (maps that are not writable: stores never reach the file nor fault).
// Created once per mapping; detached on close and resize.
napi_value View(napi_env env, napi_callback_info info) {
  ARGS(1);
  ENTRY(e, 0);
  if (e->view) {
    napi_value ab;
    napi_get_reference_value(env, e->view, &ab);
    bool detached = false;
    napi_is_detached_arraybuffer(env, ab, &detached);
    if (!detached) return ab;
    return throw_tag(env, "transferred");
  }
  if (!e->m.addr || e->m.length == 0) return throw_tag(env, "noview");
  if (A.addon->node_major < 22 && e->m.length > 0x100000000ULL) return throw_tag(env, "viewtoolarge");
#ifndef _WIN32
  bool readable = (e->m.prot & 1 /*PROT_READ*/) || e->m.writable;
  if (!readable) return throw_tag(env, "noview");
#endif
  uint8_t* mem = e->m.addr;
  bool shadow = false;
  if (!e->m.writable) {
    OsError err = os_shadow(&e->m);
    if (!err.ok()) return throw_error(env, err);
    mem = e->m.shadow;
    shadow = true;
  }
  if (!e->registered) {
    if (!os_register(&e->m)) return throw_tag(env, "noview");  // no slot: no unguarded view
    e->registered = true;
  }
  ViewState* vs = new ViewState();
  vs->addr = mem;
  vs->len = e->m.length;
  vs->shadow = shadow;
  napi_value ab;
  napi_status st = napi_create_external_arraybuffer(env, mem, (size_t)e->m.length, view_finalize,
                                                   vs, &ab);
  if (st != napi_ok) {
    // Do not touch vs: a failing create may already have run the finalizer (Node 20, >4 GiB).
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value ex;
      napi_get_and_clear_last_exception(env, &ex);
    }
    return throw_tag(env, st == 22 /* napi_no_external_buffers_allowed */ ? "noexternal" : "noview");
  }
  napi_create_reference(env, ab, 1, &e->view);
  e->vs = vs;
  return ab;
}

// faultCounter() -> Uint32Array(2) over the process-wide count of faults repaired outside
// guarded code (JS compares it after touching a view).
napi_value FaultCounter(napi_env env, napi_callback_info) {
  napi_value ab, arr;
  if (napi_create_external_arraybuffer(env, (void*)os_fault_counter(), 8, nullptr, nullptr, &ab) !=
      napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value ex;
      napi_get_and_clear_last_exception(env, &ex);
    }
    return throw_tag(env, "noexternal");
  }
  napi_create_typedarray(env, napi_uint32_array, 2, ab, 0, &arr);
  return arr;
}

}  // namespace

int os_repair_count(Mapping* m);

namespace {

// repair(id) -> number of pages of this mapping that had faulted (put back from the file)
napi_value Repair(napi_env env, napi_callback_info info) {
  ARGS(1);
  ENTRY(e, 0);
  return num(env, os_repair_count(&e->m));
}

void cleanup(void* arg) {
  Addon* a = (Addon*)arg;
  for (uint32_t id = 0; id < a->table.size(); id++) {
    Entry* e = a->table[id];
    if (!e) continue;
    // The environment is going away: unmap everything; view finalizers that run later only
    // free their state (live=false).
    if (e->vs) {
      if (e->vs->finalized) delete e->vs;
      else e->vs->live = false;
    }
    uint8_t* shadow = e->m.shadow;
    uint64_t len = e->m.length;
    os_unmap(&e->m);
    os_unmap_range(shadow, len);
    delete e;
    a->table[id] = nullptr;
  }
}

// ---------------------------------------------------------------- placing mappings (Pyodide)
// The Pyodide bridge maps a file into the wasm memory of a Pyodide instance, over pages it
// allocated there, so that Python's own mmap object works on the file pages (zero copy).

#ifndef _WIN32
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
#endif

// mapFixed(target, targetOffset, length, fd, prot, flags, fileOffset): mmap(fd) with MAP_FIXED
// over [targetOffset, targetOffset + length) of ArrayBuffer `target` (page aligned, inside it).
napi_value MapFixed(napi_env env, napi_callback_info info) {
  ARGS(7);
#ifdef _WIN32
  return throw_tag(env, "noview");
#else
  int64_t off, len, fd, foff, prot, flags;
  if (!to_i64(env, A.argv[1], &off) || !to_i64(env, A.argv[2], &len) || !to_i64(env, A.argv[3], &fd) ||
      !to_i64(env, A.argv[4], &prot) || !to_i64(env, A.argv[5], &flags) || !to_i64(env, A.argv[6], &foff))
    return nullptr;
  uint8_t* addr = placed_range(env, A.argv[0], off, len);
  if (!addr) return nullptr;
  OsError err = os_map_fixed(addr, (uint64_t)len, (int)prot, (int)flags, fd, (uint64_t)foff);
  if (!err.ok()) return throw_error(env, err);
  return undef(env);
#endif
}

// unmapFixed(target, targetOffset, length): replaces the range with fresh zeroed private
// anonymous read-write pages (what the wasm memory had before mapFixed).
napi_value UnmapFixed(napi_env env, napi_callback_info info) {
  ARGS(3);
#ifdef _WIN32
  return throw_tag(env, "noview");
#else
  int64_t off, len;
  if (!to_i64(env, A.argv[1], &off) || !to_i64(env, A.argv[2], &len)) return nullptr;
  uint8_t* addr = placed_range(env, A.argv[0], off, len);
  if (!addr) return nullptr;
  OsError err = os_unmap_fixed(addr, (uint64_t)len);
  if (!err.ok()) return throw_error(env, err);
  return undef(env);
#endif
}

// fdOf(id): the fd the mapping keeps (its dup), or -1.
napi_value FdOf(napi_env env, napi_callback_info info) {
  ARGS(1);
  ENTRY(e, 0);
  return num(env, (double)e->m.fd);
}

void addon_finalize(napi_env, void* data, void*) { delete (Addon*)data; }

}  // namespace

napi_value InitModule(napi_env env, napi_value exports) {
  os_install_guard();
  Addon* a = new Addon();
  const napi_node_version* ver = nullptr;
  if (napi_get_node_version(env, &ver) == napi_ok && ver) a->node_major = (int)ver->major;
  napi_set_instance_data(env, a, addon_finalize, nullptr);
  napi_add_env_cleanup_hook(env, cleanup, a);
  struct { const char* name; napi_callback cb; } fns[] = {
      {"init", Init},         {"constants", Constants}, {"fstat", Fstat},       {"regularSize", RegularSize},
      {"map", Map},           {"close", Close},         {"fdSize", FdSize},
      {"length", Length},     {"flush", Flush},         {"advise", Advise},
      {"resize", Resize},     {"setName", SetName},     {"getByte", GetByte},
      {"setByte", SetByte},   {"copyOut", CopyOut},     {"copyStep", CopyStep},
      {"copyIn", CopyIn},     {"storeStep", StoreStep}, {"move", Move},
      {"find", Find},         {"rfind", RFind},         {"findByte", FindByte},
      {"view", View},         {"setPool", SetPool},     {"copyToPool", CopyToPool},
      {"readlineToPool", ReadlineToPool},         {"faultCounter", FaultCounter}, {"repair", Repair},
      {"mapFixed", MapFixed}, {"unmapFixed", UnmapFixed}, {"fdOf", FdOf},
  };
  for (auto& f : fns) {
    napi_value fn;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, a, &fn);
    napi_set_named_property(env, exports, f.name, fn);
  }
  napi_value platform;
#ifdef _WIN32
  napi_create_string_utf8(env, "win32", NAPI_AUTO_LENGTH, &platform);
#else
  napi_create_string_utf8(env, "posix", NAPI_AUTO_LENGTH, &platform);
#endif
  napi_set_named_property(env, exports, "backend", platform);
  return exports;
}

}  // namespace pymmap

NAPI_MODULE_INIT() { return pymmap::InitModule(env, exports); }
