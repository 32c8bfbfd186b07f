// The OS layer: memory mappings and guarded memory access, nothing about Python or Node.
// Every call returns an OsError (code 0 = success). The backend files implement this header for
// one platform each (os_posix.cc + guard_posix.cc, os_win.cc + guard_win.cc), and every function
// they share with the binding or with each other is declared here: the platform's #ifdefs stay
// in them.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>

namespace pymmap {

// What went wrong, in OS terms. `code` is errno (POSIX) or a Win32 error (Windows, with
// `win` set); `tag` names failures that are not OS errors (a fault inside a guarded access,
// a refused write to a read-only map, ...). The binding turns this into a JS error.
struct OsError {
  int code = 0;         // errno or Win32 error; 0 = no error
  bool win = false;     // code is a Win32 error (GetLastError)
  const char* tag = nullptr;  // non-OS failure: "fault", "readonly", "range", "toolarge", ...
  bool ok() const { return code == 0 && tag == nullptr; }
};

// Platform constants (constants.cc): {name, value} pairs, ended by {nullptr, 0}.
struct ConstantDef { const char* name; long long value; };
extern const ConstantDef kConstants[];

inline OsError errno_error(int e) { OsError r; r.code = e; return r; }
inline OsError tag_error(const char* t, int e = 0) { OsError r; r.tag = t; r.code = e; return r; }

// "posix" or "win32": which backend this build has.
extern const char kBackend[];
// The text of an error as Python shows it: strerror(errno), or FormatMessage's for a Win32 code.
std::string os_error_text(const OsError& err);
// The symbolic name of an errno value ("EBADF"), or "" when unknown.
const char* os_errno_name(int e);
// The names of the errno values pymmap's own errors use, for C libraries that cannot name them.
inline const char* basic_errno_name(int e) {
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
    case ENOSYS: return "ENOSYS";
    default: return "";
  }
}

// Mapping request (Unix meaning of flags/prot; Windows backend reads `access` instead).
struct MapRequest {
  int64_t fd = -1;        // -1: anonymous
  uint64_t length = 0;
  int flags = 0;          // MAP_* (POSIX)
  int prot = 0;           // PROT_* (POSIX)
  uint64_t offset = 0;
  bool dup_fd = true;     // keep a duplicate of fd (false: keep no fd at all)
  // POSIX: map at this page-aligned address (MAP_FIXED) over memory the caller owns (the
  // Pyodide bridge's wasm memory), instead of where the OS chooses. Unmapping puts fresh
  // zeroed private pages back there (os_unmap_fixed). Windows refuses ("noview").
  uint8_t* fixed = nullptr;
  // Windows only
  int access = 0;         // ACCESS_* (0 default, 1 read, 2 write, 3 copy)
  const char16_t* tagname = nullptr;
};

struct Mapping {
  uint8_t* addr = nullptr;  // nullptr for a zero-length mapping
  uint64_t length = 0;      // bytes the caller may touch
  uint64_t offset = 0;
  int64_t fd = -1;          // duplicated fd (POSIX) or -1
  int flags = 0;
  int prot = 0;
  bool writable = false;    // stores are allowed
  void* os = nullptr;       // backend data (Windows: handles)
  // A second, private, writable mapping of the same pages, used only to give out a view of
  // a mapping that is not writable (stores through it never reach the file nor fault).
  uint8_t* shadow = nullptr;
  bool fixed = false;       // placed over the caller's memory (MapRequest::fixed)
};

// ---- lifetime
OsError os_map(const MapRequest& req, Mapping* out);
// Unmaps and closes the fd. Safe on a zeroed Mapping. keep_memory: leave addr mapped
// (someone else owns it now) but release everything else.
OsError os_unmap(Mapping* m, bool keep_memory = false);
OsError os_unmap_range(uint8_t* addr, uint64_t length);
// On failure the mapping is unchanged, or (Windows, which unmaps before it remaps) gone: addr
// is then nullptr.
OsError os_resize(Mapping* m, uint64_t new_length);
// A placed mapping (MapRequest::fixed) resized to new_length at new_addr (page aligned, caller's
// memory): the file is truncated as by os_resize, the file range is mapped at new_addr, a
// private mapping's bytes are copied over (guarded: tag "fault"), and the old range gets fresh
// zeroed pages. On failure the mapping is unchanged (new_addr's range is zeroed pages again).
OsError os_resize_fixed(Mapping* m, uint64_t new_length, uint8_t* new_addr);
OsError os_sync(Mapping* m, uint64_t offset, uint64_t length, int flags);
OsError os_advise(Mapping* m, uint64_t offset, uint64_t length, int advice);
OsError os_set_name(Mapping* m, const char* name);
// Size of the file behind fd (st_size) and whether it is a regular file.
OsError os_fstat(int64_t fd, uint64_t* size, bool* regular);
OsError os_fd_size(Mapping* m, uint64_t* size);
OsError os_shadow(Mapping* m);  // create m->shadow (for views of read-only maps)

// Placing a file over memory the caller owns (the Pyodide bridge maps files into wasm memory):
// mmap(fd) with MAP_FIXED over [addr, addr+length), and back to zeroed private pages. POSIX
// (Windows refuses: tag "noview").
OsError os_map_fixed(uint8_t* addr, uint64_t length, int prot, int flags, int64_t fd, uint64_t offset);
OsError os_unmap_fixed(uint8_t* addr, uint64_t length);

uint64_t os_pagesize();
// The address of p if it lies in the C heap's brk area (below the program break: glibc and musl
// on Linux serve blocks there, and give memory back by lowering the break), else 0.
uint64_t os_brk_address(const void* p);
uint64_t os_granularity();

// ---- guarded access: a fault (SIGBUS/SIGSEGV or EXCEPTION_IN_PAGE_ERROR) inside one of these
// returns tag "fault" instead of killing the process.
void os_install_guard();
OsError g_copy_out(const uint8_t* src, uint8_t* dst, uint64_t n);
// The same into result memory just allocated (cold): streaming stores for large n (copy.h).
OsError g_copy_fresh(const uint8_t* src, uint8_t* dst, uint64_t n);
OsError g_copy_in(uint8_t* dst, const uint8_t* src, uint64_t n);
OsError g_copy_step(const uint8_t* base, int64_t start, int64_t step, uint64_t n, uint8_t* dst);
OsError g_store_step(uint8_t* base, int64_t start, int64_t step, uint64_t n, const uint8_t* src);
OsError g_move(uint8_t* base, uint64_t dst, uint64_t src, uint64_t n);
OsError g_get(const uint8_t* p, uint8_t* out);
OsError g_set(uint8_t* p, uint8_t v);
// Searches return the index relative to hay, or -1.
OsError g_find(const uint8_t* hay, uint64_t hn, const uint8_t* nd, uint64_t nn, int64_t* at);
OsError g_rfind(const uint8_t* hay, uint64_t hn, const uint8_t* nd, uint64_t nn, int64_t* at);
OsError g_memchr(const uint8_t* hay, uint64_t hn, uint8_t c, int64_t* at);
// The line at src (through the first '\n', or all hn bytes) copied to dst if it fits in room:
// *n = its length, or minus its length when it does not fit (nothing copied).
OsError g_line_out(const uint8_t* src, uint64_t hn, uint8_t* dst, uint64_t room, int64_t* n);

// ---- faults outside guarded code (a JS view touching pages past a truncated file's end).
// Memory that views may touch is registered as a GuardRange for as long as it is mapped
// (whoever unmaps it removes the range first). A SIGBUS inside a range is repaired with a zero
// page (so the access completes), the page is marked, the range's pending count and the
// process-wide counter JS reads without a call are bumped. Any number of ranges: the registry
// grows in blocks the handler walks lock-free; the limit is the kernel's.
struct GuardRange;
GuardRange* os_guard_add(uint8_t* addr, uint64_t length);  // nullptr: out of memory
void os_guard_remove(GuardRange* r);                       // nullptr is fine
// Pages patched since the last repair (one atomic load: callers check it before every access).
bool os_guard_pending(const GuardRange* r);
// Where the real pages come from, for os_guard_repair.
struct RepairSource {
  int64_t fd = -1;          // the file (-1: none kept, e.g. trackfd=False)
  uint64_t offset = 0;      // file offset of the range's first byte
  int prot = 0;             // PROT_* of the range
  int flags = 0;            // MAP_SHARED or MAP_PRIVATE
};
// Puts the file's pages back over every patched page (so a later access reads the file again,
// or faults again if it is still short), or, with no fd, makes them inaccessible: the next
// touch faults again and is reported again, never a silent zero. Returns how many pages had
// been patched since the last repair (0: nothing happened to this range).
int os_guard_repair(GuardRange* r, const RepairSource& src);
volatile uint32_t* os_fault_counter();

// ---- exhaustion: mappings are refused with ENOMEM while fewer than a safety margin of the
// kernel's per-process mapping limit is left, so the runtime keeps room for its own heap.
void os_count_mapping(int delta);  // every mmap/munmap of ours that makes or ends one

// ---- between the Windows backend files (defined in os_win.cc, used by guard_win.cc)
// What is mapped at a view's base: its section (a HANDLE, duplicated for the caller), the file
// offset, size and FILE_MAP_* access (a DWORD). False when `base` is not a view of ours.
bool os_win_view_source(const void* base, void** section, uint64_t* offset, uint64_t* size,
                        unsigned long* access);
// The view at `base` is now private memory of the same size (the guard could not map the
// section back there): unmapping it releases that memory instead.
void os_win_view_replaced(const void* base);

}  // namespace pymmap
