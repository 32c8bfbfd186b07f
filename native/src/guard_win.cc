// Fault guard (Windows): guarded memory routines and a vectored exception handler.
//
// CPython 3.13 wraps every access to the mapped memory in __try/__except and turns
// EXCEPTION_IN_PAGE_ERROR (the file's pages could not be read: a network drive gone, a disk
// error) and EXCEPTION_ACCESS_VIOLATION into OSError. mingw has no __try, so:
//  - a guarded routine records a recovery point (__builtin_setjmp) in a TLS slot;
//  - the vectored handler, seeing one of those two exceptions on a thread that has a recovery
//    point, stores the Win32 error (LsaNtStatusToWinError of the page error's status, or
//    ERROR_NOACCESS) and resumes the thread in a small function that __builtin_longjmp's back
//    (resuming through EXCEPTION_CONTINUE_EXECUTION lets the system finish its exception
//    dispatch normally before we leave the faulting frames);
//  - the routine returns tag "fault" with the Win32 error (win=true).
// Built with MSVC (node-gyp on Windows), the guard is a plain __try/__except, as in CPython
// (the TLS slot then only says "inside a guarded routine").
//
// Faults outside guarded code, under a JS view (a page of a file on a share that went away, a
// page that cannot be read), are repaired by the same vectored handler and counted, as on POSIX:
// see "faults under JS views" below. Other exceptions are left to the next handler.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#include <psapi.h>

#include <atomic>
#include <cstring>
#include <new>

#include "os.h"
#include "copy.h"
#include "search.h"
#include "slot_registry.h"

namespace pymmap {

namespace {

DWORD g_tls = TLS_OUT_OF_INDEXES;
volatile uint32_t g_fault_counter[2] = {0, 0};  // [0]: faults repaired under views so far
// ntdll's RtlNtStatusToDosError (what LsaNtStatusToWinError calls), looked up at install.
typedef ULONG(WINAPI* status_to_error_fn)(LONG);
status_to_error_fn g_status_to_error = nullptr;
// kernel32's K32QueryWorkingSetEx (Windows 7 on), looked up at install.
typedef BOOL(WINAPI* query_ws_fn)(HANDLE, PVOID, DWORD);
query_ws_fn g_query_ws = nullptr;

// The Win32 error CPython reports for the exception, or 0 if it is not one we handle.
DWORD fault_error(const EXCEPTION_RECORD* rec) {
  if (rec->ExceptionCode == EXCEPTION_IN_PAGE_ERROR) {
    DWORD e = 0;
    if (rec->NumberParameters >= 3 && g_status_to_error) e = g_status_to_error((LONG)rec->ExceptionInformation[2]);
    return e ? e : ERROR_READ_FAULT;
  }
  if (rec->ExceptionCode == EXCEPTION_ACCESS_VIOLATION) return ERROR_NOACCESS;
  return 0;
}

OsError fault(DWORD error) {
  OsError e;
  e.tag = "fault";
  e.code = (int)error;
  e.win = true;
  return e;
}

// Faults under registered ranges (JS views): handled or retried, else passed on.
enum FaultAction { kPass, kRetry, kHandled };
FaultAction view_fault(const EXCEPTION_RECORD* rec, bool guarded);

#if defined(_MSC_VER)
// MSVC has structured exception handling: the guard is CPython's own __try/__except.
DWORD filter(EXCEPTION_POINTERS* ep, DWORD* error) {
  *error = fault_error(ep->ExceptionRecord);
  return *error ? EXCEPTION_EXECUTE_HANDLER : EXCEPTION_CONTINUE_SEARCH;
}
#else
// One guarded call in progress on this thread (lives on that call's stack).
struct Recovery {
  void* jb[5];           // __builtin_setjmp buffer
  volatile DWORD error;  // Win32 error of the fault
};

__attribute__((noinline, noreturn)) void recover() {
  Recovery* r = static_cast<Recovery*>(TlsGetValue(g_tls));
  TlsSetValue(g_tls, nullptr);
  __builtin_longjmp(r->jb, 1);
}
#endif

// The vectored handler (first in line). TlsGetValue clears the thread's last error: it is put
// back, the interrupted code may be between a failing call and its GetLastError.
LONG CALLBACK handler(EXCEPTION_POINTERS* ep) {
  if (g_tls == TLS_OUT_OF_INDEXES) return EXCEPTION_CONTINUE_SEARCH;
  DWORD error = fault_error(ep->ExceptionRecord);
  if (!error) return EXCEPTION_CONTINUE_SEARCH;
  DWORD last = GetLastError();
  void* in_guarded = TlsGetValue(g_tls);
  LONG verdict = EXCEPTION_CONTINUE_SEARCH;
  if (view_fault(ep->ExceptionRecord, in_guarded != nullptr) != kPass) {
    verdict = EXCEPTION_CONTINUE_EXECUTION;  // repaired (or a swap was in the way): run it again
  }
#if !defined(_MSC_VER)
  else if (in_guarded) {
    Recovery* r = static_cast<Recovery*>(in_guarded);
    r->error = error;
    // Resume in recover() on this thread's stack, below the faulting frame: 16-byte aligned as
    // after a call (the return address slot is never used: recover does not return).
    CONTEXT* c = ep->ContextRecord;
    c->Rsp = ((c->Rsp - 256) & ~(DWORD64)15) - 8;
    c->Rip = (DWORD64)(void*)&recover;
    verdict = EXCEPTION_CONTINUE_EXECUTION;
  }
#endif
  SetLastError(last);
  return verdict;
}

// Thread-local record of the last access violation retried on this thread (see view_fault).
DWORD g_tls_addr = TLS_OUT_OF_INDEXES, g_tls_gen = TLS_OUT_OF_INDEXES;

}  // namespace

void os_install_guard() {
  static std::atomic<bool> installed{false};
  bool expected = false;
  if (!installed.compare_exchange_strong(expected, true)) return;
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  if (ntdll) {
    FARPROC p = GetProcAddress(ntdll, "RtlNtStatusToDosError");
    g_status_to_error = reinterpret_cast<status_to_error_fn>(reinterpret_cast<void*>(p));
  }
  HMODULE k32 = GetModuleHandleW(L"kernel32.dll");
  if (k32) {
    FARPROC p = GetProcAddress(k32, "K32QueryWorkingSetEx");
    g_query_ws = reinterpret_cast<query_ws_fn>(reinterpret_cast<void*>(p));
  }
  g_tls_addr = TlsAlloc();
  g_tls_gen = TlsAlloc();
  g_tls = TlsAlloc();
  AddVectoredExceptionHandler(1, handler);
}

#if defined(_MSC_VER)
template <class F>
static OsError guarded(F&& f) {
  DWORD error = 0;
  void* outer = TlsGetValue(g_tls);
  TlsSetValue(g_tls, (void*)1);  // the handler leaves faults in here to __except
  __try {
    f();
  } __except (filter(GetExceptionInformation(), &error)) {
  }
  TlsSetValue(g_tls, outer);
  return error ? fault(error) : OsError{};
}
#else
template <class F>
static OsError guarded(F&& f) {
  Recovery r;
  r.error = 0;
  if (__builtin_setjmp(r.jb) == 0) {
    TlsSetValue(g_tls, &r);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    f();
    std::atomic_signal_fence(std::memory_order_seq_cst);
    TlsSetValue(g_tls, nullptr);
    return OsError{};
  }
  std::atomic_signal_fence(std::memory_order_seq_cst);
  TlsSetValue(g_tls, nullptr);
  return fault(r.error);
}
#endif

OsError g_copy_out(const uint8_t* src, uint8_t* dst, uint64_t n) {
  if (n == 0) return {};
  return guarded([&] { memcpy(dst, src, (size_t)n); });
}

OsError g_copy_fresh(const uint8_t* src, uint8_t* dst, uint64_t n) {
  if (n == 0) return {};
  return guarded([&] { copy_fresh(dst, src, (size_t)n); });
}

OsError g_copy_in(uint8_t* dst, const uint8_t* src, uint64_t n) {
  if (n == 0) return {};
  return guarded([&] { memmove(dst, src, (size_t)n); });
}

OsError g_copy_step(const uint8_t* base, int64_t start, int64_t step, uint64_t n, uint8_t* dst) {
  return guarded([&] {
    const volatile uint8_t* p = base + start;
    for (uint64_t i = 0; i < n; i++, p += step) dst[i] = *p;
  });
}

OsError g_store_step(uint8_t* base, int64_t start, int64_t step, uint64_t n, const uint8_t* src) {
  return guarded([&] {
    volatile uint8_t* p = base + start;
    for (uint64_t i = 0; i < n; i++, p += step) *p = src[i];
  });
}

OsError g_move(uint8_t* base, uint64_t dst, uint64_t src, uint64_t n) {
  if (n == 0) return {};
  return guarded([&] { memmove(base + dst, base + src, (size_t)n); });
}

OsError g_get(const uint8_t* p, uint8_t* out) {
  return guarded([&] { *out = *(volatile const uint8_t*)p; });
}

OsError g_set(uint8_t* p, uint8_t v) {
  return guarded([&] { *(volatile uint8_t*)p = v; });
}

namespace {

// memmem / memrchr are not in the Windows C runtime: search.h needs neither (linear worst
// case both ways, memchr/SSE2 prefilter; no allocation, no exceptions, no destructors).
const uint8_t* find_fwd(const uint8_t* hay, uint64_t hn, const uint8_t* nd, uint64_t nn) {
  if (nn == 1) return static_cast<const uint8_t*>(memchr(hay, nd[0], (size_t)hn));
  int64_t r = fastfind::find(hay, (size_t)hn, nd, (size_t)nn);
  return r < 0 ? nullptr : hay + r;
}

const uint8_t* find_rev(const uint8_t* hay, uint64_t hn, const uint8_t* nd, uint64_t nn) {
  if (nn == 1) return fastfind::mem_rchr(hay, nd[0], (size_t)hn);
  int64_t r = fastfind::rfind(hay, (size_t)hn, nd, (size_t)nn);
  return r < 0 ? nullptr : hay + r;
}

}  // namespace

OsError g_find(const uint8_t* hay, uint64_t hn, const uint8_t* nd, uint64_t nn, int64_t* at) {
  *at = -1;
  if (nn > hn) return {};
  if (nn == 0) { *at = 0; return {}; }
  return guarded([&] {
    const uint8_t* r = find_fwd(hay, hn, nd, nn);
    *at = r ? r - hay : -1;
  });
}

OsError g_rfind(const uint8_t* hay, uint64_t hn, const uint8_t* nd, uint64_t nn, int64_t* at) {
  *at = -1;
  if (nn > hn) return {};
  if (nn == 0) { *at = (int64_t)hn; return {}; }
  return guarded([&] {
    const uint8_t* r = find_rev(hay, hn, nd, nn);
    *at = r ? r - hay : -1;
  });
}

OsError g_memchr(const uint8_t* hay, uint64_t hn, uint8_t c, int64_t* at) {
  *at = -1;
  if (hn == 0) return {};
  return guarded([&] {
    const void* r = memchr(hay, c, (size_t)hn);
    *at = r ? static_cast<const uint8_t*>(r) - hay : -1;
  });
}

OsError g_line_out(const uint8_t* src, uint64_t hn, uint8_t* dst, uint64_t room, int64_t* n) {
  *n = 0;
  if (hn == 0) return {};
  return guarded([&] {
    const void* r = memchr(src, '\n', (size_t)hn);
    uint64_t len = r ? (uint64_t)(static_cast<const uint8_t*>(r) - src) + 1 : hn;
    if (len <= room) {
      memcpy(dst, src, (size_t)len);
      *n = (int64_t)len;
    } else {
      *n = -(int64_t)len;
    }
  });
}

namespace {

// ---------------------------------------------------------------- faults under JS views
//
// Memory that JS views touch is registered (os_guard_add). A registry of ranges the handler
// reads without a lock: blocks of slots, linked once and never freed (as in guard_posix.cc).
// A range lies in one of our views (os_win.cc notes every view: section, offset, access), or,
// if os_win.cc does not know the memory, in plain memory (tests).
//
// One page cannot be replaced inside a MapViewOfFile view, and placeholders (VirtualAlloc2 /
// MapViewOfFile3, Windows 10 1803) are refused by wine 8 (VirtualAlloc2 with
// MEM_RESERVE_PLACEHOLDER: ERROR_INVALID_PARAMETER), so the repair works on the whole view, with
// plain Win32 calls that wine runs:
//  - an in-page error under a view, outside guarded code: the view is unmapped and zeroed
//    private memory is committed at the same base address (VirtualAlloc), the faulting access
//    is resumed (it completes on the zeros), the range is marked "zeroed", its pending count and
//    the process-wide counter go up (one count per swap: while swapped out the view cannot
//    fault again). For a copy-on-write view (ACCESS_COPY, or the private shadow of a read-only
//    map) the pages written so far (VirtualQuery: PAGE_READWRITE among PAGE_WRITECOPY; wine 8
//    leaves them PAGE_WRITECOPY, so also the working set: valid and not shared) are copied into
//    the zeroed memory first, so no private data is lost.
//  - os_guard_repair (the binding calls it before any native access once pending is set, and the
//    shim through repair(id) when it saw the counter move): the private memory is released and
//    the section mapped again at the same base (MapViewOfFileEx), so the next access reads the
//    file again, or faults again and is counted again; written copy-on-write pages are copied
//    back (through the guarded copy: if even that faults, see "sealed"). If the view cannot be
//    mapped back there, the address is held with private memory (the same contents) made
//    inaccessible ("sealed"): the next touch raises an access violation, which makes it
//    readable again and is counted, so it is reported again -- never a silent zero; the next
//    repair tries the mapping again.
//  - plain memory: an access violation on a committed, inaccessible private page makes that
//    page readable, zeroed, marked and counted; a repair makes the marked pages inaccessible
//    again (guard_posix.cc's repair without a file).
//
// What the handler is shown: Windows raises EXCEPTION_IN_PAGE_ERROR for a page of a view that
// cannot be read. Wine 8 raises EXCEPTION_ACCESS_VIOLATION instead (its SIGBUS for a page past
// the end of the file becomes an access violation on a page VirtualQuery calls readable). An
// access violation on a page that is readable (or writable, for a store) now is also what a
// thread sees that touched the view while another thread was swapping it: such a fault is
// retried once; a second one on the same thread, at the same address, with no swap in between
// (the range's `gen` unchanged), is taken as a page that cannot be read.
//
// Races accepted (documented, not fixed):
//  - between a fault and the repair the whole view is detached from the file, not one page:
//    reads of other pages see zeros (or the copy-on-write pages kept), stores to other pages are
//    kept only in private memory and dropped by the repair (copy-on-write pages excepted). The
//    thread that faulted learns it from the counter after its access; another thread touching
//    the same view meanwhile sees the counter move too (it is process-wide) but its own repair
//    call names its own mapping.
//  - no placeholders: between UnmapViewOfFile and VirtualAlloc (fault), and between VirtualFree
//    and MapViewOfFileEx (repair), the address range is free for a moment; another thread's
//    allocation landing exactly there makes the swap fail: at a fault, the view is mapped back
//    if possible and the exception goes on (the process dies, as before this guard); at a
//    repair, the range is "sealed" if the address can still be held, else it is dropped from
//    the registry ("lost": the view's memory is no longer ours, later faults are not handled).
//  - another thread's guarded routine (the binding's copies) reading the same view while it is
//    swapped out reads zeros without a fault (as it reads a patched zero page on POSIX); the
//    binding settles a map before its own native access, so this takes two threads on one view.
//  - a store by another thread to a copy-on-write page of the same view while the handler
//    copies the written pages out may be lost.
//  - a thread touching a view while another thread swaps it spins in the handler until the swap
//    is over (a fault inside the swap itself, on the swapping thread, is passed on).

enum : LONG { kMapped = 0, kZeroed = 1, kSealed = 2, kLost = 3 };

}  // namespace

struct GuardRange {
  std::atomic<uintptr_t> start{0};  // 0: free (the handler skips it)
  std::atomic<uintptr_t> end{0};
  std::atomic<uint32_t> epoch{0};   // bumped when the slot is taken or given back
  std::atomic<DWORD> owner{0};      // thread id holding the range (transitions, repair)
  std::atomic<uint32_t> gen{0};     // bumped by every swap of the memory under the range
  std::atomic<LONG> state{kMapped};
  std::atomic<uint32_t> pending{0};  // faults handled since the last repair
  // The view the range lies in (section nullptr: plain memory). Read under `owner`.
  uintptr_t base = 0;
  SIZE_T bytes = 0;    // view size in bytes (MapViewOfFileEx)
  SIZE_T size = 0;     // the same, rounded up to pages (VirtualAlloc)
  HANDLE section = nullptr;
  uint64_t offset = 0;
  DWORD access = 0;
  // Plain memory: one bit per page made readable by the handler.
  std::atomic<uint64_t>* bits = nullptr;
  size_t words = 0;
  size_t used = 0;     // words of bits this range uses (its pages / 64)
  // Copy-on-write views, while swapped out: the written pages (see save_private).
  uint8_t* saved = nullptr;
  GuardRange* next_free = nullptr;
};

namespace {

// Registered ranges, walked by the handler without a lock (slot_registry.h).
SlotRegistry<GuardRange> g_ranges;  // take/give_back under g_reg
SRWLOCK g_reg = SRWLOCK_INIT;

SIZE_T page_size() {
  static const SIZE_T ps = [] {
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return (SIZE_T)si.dwPageSize;
  }();
  return ps;
}

// Takes the range for this thread; false if this thread already holds it (a fault inside our
// own swap or repair: not ours to handle).
bool take(GuardRange* r, DWORD self) {
  if (r->owner.load(std::memory_order_relaxed) == self) return false;
  for (unsigned spins = 0;; spins++) {
    DWORD none = 0;
    if (r->owner.compare_exchange_weak(none, self, std::memory_order_acquire)) return true;
    if (spins < 64) YieldProcessor();
    else SwitchToThread();
  }
}

void give(GuardRange* r) { r->owner.store(0, std::memory_order_release); }

void count_fault(GuardRange* r) {
  r->pending.fetch_add(1);
  InterlockedIncrement(reinterpret_cast<volatile LONG*>(&g_fault_counter[0]));
}

bool readable(DWORD protect) {
  if (protect & (PAGE_GUARD | PAGE_NOACCESS)) return false;
  return (protect & (PAGE_READONLY | PAGE_READWRITE | PAGE_WRITECOPY | PAGE_EXECUTE_READ |
                     PAGE_EXECUTE_READWRITE | PAGE_EXECUTE_WRITECOPY)) != 0;
}

bool writable(DWORD protect) {
  if (protect & (PAGE_GUARD | PAGE_NOACCESS)) return false;
  return (protect & (PAGE_READWRITE | PAGE_WRITECOPY | PAGE_EXECUTE_READWRITE |
                     PAGE_EXECUTE_WRITECOPY)) != 0;
}

// ---- the pages of a copy-on-write view that were written (private copies): kept across a swap.
// saved: [run count, table capacity][offset, length] x capacity, then the runs' bytes;
// VirtualAlloc'ed (no heap lock is taken in the handler).
struct Run {
  uint64_t off, len;
};
inline uint64_t& saved_count(uint8_t* saved) { return reinterpret_cast<uint64_t*>(saved)[0]; }
inline Run* saved_table(uint8_t* saved) { return reinterpret_cast<Run*>(saved + 16); }
inline uint8_t* saved_data(uint8_t* saved) {
  return saved + 16 + reinterpret_cast<uint64_t*>(saved)[1] * sizeof(Run);
}

void drop_saved(GuardRange* r) {
  if (r->saved) VirtualFree(r->saved, 0, MEM_RELEASE);
  r->saved = nullptr;
}

// Calls f(offset, length) for each run of pages of the view at r->base that are this process's
// own copies (written copy-on-write pages): VirtualQuery says PAGE_READWRITE where the others
// are PAGE_WRITECOPY (Windows), or the working set says valid and not shared (wine 8 leaves
// written pages PAGE_WRITECOPY).
template <class F>
void private_runs(GuardRange* r, F&& f) {
  const SIZE_T ps = page_size();
  const uintptr_t end = r->base + r->size;
  uintptr_t run = 0;  // start of the current run (0: none)
  auto mark = [&](uintptr_t p, bool own) {
    if (own && !run) {
      run = p;
    } else if (!own && run) {
      f(run - r->base, p - run);
      run = 0;
    }
  };
  uintptr_t p = r->base;
  while (p < end) {
    MEMORY_BASIC_INFORMATION mbi;
    if (!VirtualQuery(reinterpret_cast<void*>(p), &mbi, sizeof mbi)) break;
    uintptr_t next = reinterpret_cast<uintptr_t>(mbi.BaseAddress) + mbi.RegionSize;
    if (next > end) next = end;
    bool committed = mbi.State == MEM_COMMIT && !(mbi.Protect & (PAGE_GUARD | PAGE_NOACCESS));
    if (committed && (mbi.Protect & (PAGE_READWRITE | PAGE_EXECUTE_READWRITE))) {
      for (; p < next; p += ps) mark(p, true);
    } else if (committed && g_query_ws) {
      PSAPI_WORKING_SET_EX_INFORMATION ws[128];
      while (p < next) {
        DWORD k = 0;
        for (; k < 128 && p + k * ps < next; k++) ws[k].VirtualAddress = reinterpret_cast<void*>(p + k * ps);
        bool ok = g_query_ws(GetCurrentProcess(), ws, k * (DWORD)sizeof ws[0]) != FALSE;
        for (DWORD i = 0; i < k; i++)
          mark(p + i * ps, ok && ws[i].VirtualAttributes.Valid && !ws[i].VirtualAttributes.Shared);
        p += k * ps;
      }
    } else {
      for (; p < next; p += ps) mark(p, false);
    }
    p = next;
  }
  mark(p < end ? p : end, false);
}

// Copies the written pages of a copy-on-write view at r->base out (they are private memory:
// reading them does not touch the file). False if there is no memory for it.
bool save_private(GuardRange* r) {
  drop_saved(r);
  if (r->access != FILE_MAP_COPY) return true;
  uint64_t runs = 0, data = 0;
  private_runs(r, [&](uint64_t, uint64_t len) {
    runs++;
    data += len;
  });
  if (runs == 0) return true;
  r->saved = static_cast<uint8_t*>(
      VirtualAlloc(nullptr, (SIZE_T)(16 + runs * sizeof(Run) + data), MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE));
  if (!r->saved) return false;
  reinterpret_cast<uint64_t*>(r->saved)[1] = runs;
  Run* table = saved_table(r->saved);
  uint8_t* out = saved_data(r->saved);
  uint64_t n = 0, bytes = 0;
  private_runs(r, [&](uint64_t off, uint64_t len) {
    if (n >= runs || bytes + len > data) return;  // written meanwhile: what fits is kept
    table[n++] = Run{off, len};
    memcpy(out + bytes, reinterpret_cast<const void*>(r->base + off), (size_t)len);
    bytes += len;
  });
  saved_count(r->saved) = n;
  return true;
}

// The saved runs' bytes refreshed from the (private, readable) memory at r->base.
void refresh_saved(GuardRange* r) {
  if (!r->saved) return;
  uint64_t n = saved_count(r->saved);
  const Run* table = saved_table(r->saved);
  uint8_t* data = saved_data(r->saved);
  for (uint64_t i = 0; i < n; i++) {
    memcpy(data, reinterpret_cast<const void*>(r->base + table[i].off), (size_t)table[i].len);
    data += table[i].len;
  }
}

// Writes the saved runs at r->base: plainly into private memory, or through the guarded copy
// into a fresh copy-on-write view (making the copy reads the file's page, which may fail).
bool restore_saved(GuardRange* r, bool into_view) {
  if (!r->saved) return true;
  uint64_t n = saved_count(r->saved);
  const Run* table = saved_table(r->saved);
  const uint8_t* data = saved_data(r->saved);
  for (uint64_t i = 0; i < n; i++) {
    uint8_t* dst = reinterpret_cast<uint8_t*>(r->base + table[i].off);
    if (into_view) {
      if (!g_copy_in(dst, data, table[i].len).ok()) return false;
    } else {
      memcpy(dst, data, (size_t)table[i].len);
    }
    data += table[i].len;
  }
  return true;
}

void* map_back(GuardRange* r) {
  return MapViewOfFileEx(r->section, r->access, (DWORD)(r->offset >> 32), (DWORD)(r->offset & 0xFFFFFFFFu),
                         r->bytes, reinterpret_cast<void*>(r->base));
}

// Zeroed private memory at r->base, with the saved runs written in; `sealed`: inaccessible.
// False if the address could not be had (someone else's allocation took it).
bool private_at_base(GuardRange* r, bool sealed) {
  void* p = VirtualAlloc(reinterpret_cast<void*>(r->base), r->size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
  if (p != reinterpret_cast<void*>(r->base)) return false;
  restore_saved(r, false);
  DWORD old;
  if (sealed) VirtualProtect(p, r->size, PAGE_NOACCESS, &old);
  return true;
}

// The range's view no longer exists at its base: stop matching it.
void lose(GuardRange* r) {
  drop_saved(r);
  r->state.store(kLost);
  r->start.store(0, std::memory_order_release);
  r->end.store(0);
}

// Fault under a mapped view (held by this thread): the view becomes zeroed private memory.
bool swap_out(GuardRange* r) {
  if (!save_private(r)) return false;
  if (!UnmapViewOfFile(reinterpret_cast<void*>(r->base))) {
    drop_saved(r);
    return false;
  }
  bool ok = private_at_base(r, false);
  if (!ok && map_back(r) != reinterpret_cast<void*>(r->base)) lose(r);
  if (ok) r->state.store(kZeroed);
  else drop_saved(r);
  r->gen.fetch_add(1);
  return ok;
}

// Repair of a swapped view (held by this thread): the section mapped back at the base.
void swap_in(GuardRange* r) {
  LONG st = r->state.load();
  if (st != kZeroed && st != kSealed) return;
  DWORD old;
  if (st == kSealed) VirtualProtect(reinterpret_cast<void*>(r->base), r->size, PAGE_READWRITE, &old);
  refresh_saved(r);
  VirtualFree(reinterpret_cast<void*>(r->base), 0, MEM_RELEASE);
  void* v = map_back(r);
  if (v == reinterpret_cast<void*>(r->base)) {
    if (restore_saved(r, true)) {
      drop_saved(r);
      r->state.store(kMapped);
      r->gen.fetch_add(1);
      return;
    }
    // The written copy-on-write pages cannot be put back (the file's page under one of them
    // cannot be read): back to private memory, sealed, so the next touch is reported again.
    UnmapViewOfFile(v);
  }
  if (private_at_base(r, true)) r->state.store(kSealed);
  else lose(r);
  r->gen.fetch_add(1);
}

// Whether an access violation on a page readable/writable now is the second one on this thread
// at this address with no swap in between (else it is recorded and the access retried).
bool seen_before(uintptr_t a, uint32_t gen) {
  if (g_tls_addr == TLS_OUT_OF_INDEXES) return true;
  uintptr_t last = reinterpret_cast<uintptr_t>(TlsGetValue(g_tls_addr));
  uint32_t last_gen = (uint32_t) reinterpret_cast<uintptr_t>(TlsGetValue(g_tls_gen));
  if (last == a && last_gen == gen) {
    TlsSetValue(g_tls_addr, nullptr);
    return true;
  }
  TlsSetValue(g_tls_addr, reinterpret_cast<void*>(a));
  TlsSetValue(g_tls_gen, reinterpret_cast<void*>((uintptr_t)gen));
  return false;
}

// The range holding a, with its epoch when found; nullptr if none.
GuardRange* find_range(uintptr_t a, uint32_t* epoch) {
  return g_ranges.find([&](GuardRange& r) {
    uint32_t e = r.epoch.load(std::memory_order_acquire);
    uintptr_t s = r.start.load(std::memory_order_acquire);
    if (s == 0 || a < s || a >= r.end.load(std::memory_order_acquire)) return false;
    *epoch = e;
    return true;
  });
}

// A fault at a in range r (held by this thread).
FaultAction range_fault(GuardRange* r, uintptr_t a, DWORD code, ULONG_PTR kind, bool guarded) {
  MEMORY_BASIC_INFORMATION mbi;
  bool committed = VirtualQuery(reinterpret_cast<void*>(a), &mbi, sizeof mbi) && mbi.State == MEM_COMMIT;
  bool allowed = committed && (kind == 1 ? writable(mbi.Protect) : readable(mbi.Protect));
  LONG st = r->state.load();
  bool lost_page = false;  // the page's contents could not be read
  if (code == EXCEPTION_IN_PAGE_ERROR) {
    if (st != kMapped) return kRetry;  // the view was swapped since: the memory is ours now
    lost_page = true;
  } else if (!allowed) {
    if (guarded) return kPass;
    if (r->section && st == kSealed && committed) {
      DWORD old;
      if (!VirtualProtect(reinterpret_cast<void*>(r->base), r->size, PAGE_READWRITE, &old)) return kPass;
      r->state.store(kZeroed);
      r->gen.fetch_add(1);
      count_fault(r);
      return kHandled;
    }
    if (!r->section && committed && mbi.Type == MEM_PRIVATE) {
      const SIZE_T ps = page_size();
      uintptr_t page = a & ~(uintptr_t)(ps - 1);
      DWORD old;
      if (!VirtualProtect(reinterpret_cast<void*>(page), ps, PAGE_READWRITE, &old)) return kPass;
      memset(reinterpret_cast<void*>(page), 0, ps);
      size_t idx = (page - (r->start.load() & ~(uintptr_t)(ps - 1))) / ps;
      if (r->bits && idx / 64 < r->words) r->bits[idx / 64].fetch_or(1ull << (idx % 64));
      r->gen.fetch_add(1);
      count_fault(r);
      return kHandled;
    }
    return kPass;
  } else {
    // Allowed now: a swap by another thread was in the way (retry), or -- the second time --
    // wine's form of an in-page error.
    if (!seen_before(a, r->gen.load())) return kRetry;
    lost_page = true;
  }
  if (!lost_page || guarded || !r->section) return kPass;
  if (st != kMapped) return kRetry;
  if (!swap_out(r)) return kPass;
  count_fault(r);
  return kHandled;
}

// The handler's part for registered ranges.
FaultAction view_fault(const EXCEPTION_RECORD* rec, bool guarded) {
  if (rec->NumberParameters < 2) return kPass;
  ULONG_PTR kind = rec->ExceptionInformation[0];  // 0 read, 1 write, 8 execute
  if (kind == 8) return kPass;
  uintptr_t a = (uintptr_t)rec->ExceptionInformation[1];
  DWORD self = GetCurrentThreadId();
  for (int attempt = 0; attempt < 4; attempt++) {
    uint32_t epoch;
    GuardRange* r = find_range(a, &epoch);
    if (!r) return kPass;
    if (!take(r, self)) return kPass;
    if (r->epoch.load() != epoch || r->start.load() == 0 || a < r->start.load() || a >= r->end.load()) {
      give(r);  // removed (or reused) meanwhile: look again
      continue;
    }
    FaultAction act = range_fault(r, a, rec->ExceptionCode, kind, guarded);
    give(r);
    return act;
  }
  return kPass;
}

}  // namespace

GuardRange* os_guard_add(uint8_t* addr, uint64_t length) {
  if (!addr || !length) return nullptr;
  // The view the range lies in (its base: the range's start, or the allocation holding it).
  HANDLE section = nullptr;
  uint64_t offset = 0, bytes = 0;
  DWORD access = 0;
  uintptr_t base = reinterpret_cast<uintptr_t>(addr);
  if (!os_win_view_source(addr, &section, &offset, &bytes, &access)) {
    MEMORY_BASIC_INFORMATION mbi;
    if (VirtualQuery(addr, &mbi, sizeof mbi) && mbi.AllocationBase &&
        os_win_view_source(mbi.AllocationBase, &section, &offset, &bytes, &access))
      base = reinterpret_cast<uintptr_t>(mbi.AllocationBase);
  }
  if (section && base + bytes < reinterpret_cast<uintptr_t>(addr) + length) {
    CloseHandle(section);  // the range is not inside that view: plain memory
    section = nullptr;
  }
  const SIZE_T ps = page_size();
  size_t pages = (size_t)((length + ps - 1) / ps) + 1;
  size_t words = (pages + 63) / 64;
  AcquireSRWLockExclusive(&g_reg);
  GuardRange* r = g_ranges.take();
  if (!r) {
    ReleaseSRWLockExclusive(&g_reg);
    if (section) CloseHandle(section);
    return nullptr;
  }
  if (r->words < words) {
    // An old bitmap is never freed: a handler on another thread may still be reading it.
    std::atomic<uint64_t>* bits = new (std::nothrow) std::atomic<uint64_t>[words];
    if (!bits) {
      g_ranges.give_back(r);
      ReleaseSRWLockExclusive(&g_reg);
      if (section) CloseHandle(section);
      return nullptr;
    }
    r->bits = bits;
    r->words = words;
  }
  ReleaseSRWLockExclusive(&g_reg);
  // The slot is ours alone (start is 0: no handler matches it).
  // Only the words this range uses: a recycled slot's bitmap may be far larger (a 256 MiB range
  // once: 1024 words, zeroed on every add, was most of a small map's cost). Relaxed stores: the
  // range is published by the release store of `start` below (or, Windows, under the lock).
  r->used = words;
  for (size_t w = 0; w < words; w++) r->bits[w].store(0, std::memory_order_relaxed);
  r->base = section ? base : reinterpret_cast<uintptr_t>(addr);
  r->bytes = (SIZE_T)bytes;
  r->size = (SIZE_T)((bytes + ps - 1) / ps * ps);
  r->section = section;
  r->offset = offset;
  r->access = access;
  r->saved = nullptr;
  r->pending.store(0);
  r->state.store(kMapped);
  r->epoch.fetch_add(1);
  r->end.store(reinterpret_cast<uintptr_t>(addr) + length);
  r->start.store(reinterpret_cast<uintptr_t>(addr), std::memory_order_release);
  return r;
}

void os_guard_remove(GuardRange* r) {
  if (!r) return;
  take(r, GetCurrentThreadId());  // waits for a swap in progress on another thread
  LONG st = r->state.load();
  if (r->section && (st == kZeroed || st == kSealed)) {
    // Whoever removes the range unmaps the memory or hands it back to the mapping: a view again.
    swap_in(r);
    st = r->state.load();
    if (st == kSealed) {
      DWORD old;  // readable at least (a resize copies a paging-file map's old view)
      VirtualProtect(reinterpret_cast<void*>(r->base), r->size, PAGE_READWRITE, &old);
    }
    if (st == kSealed || st == kZeroed) os_win_view_replaced(reinterpret_cast<void*>(r->base));
  }
  r->start.store(0, std::memory_order_release);  // the handler stops matching it first
  r->end.store(0);
  r->epoch.fetch_add(1);
  drop_saved(r);
  if (r->section) CloseHandle(r->section);
  r->section = nullptr;
  r->state.store(kMapped);
  r->pending.store(0);
  give(r);
  AcquireSRWLockExclusive(&g_reg);
  g_ranges.give_back(r);
  ReleaseSRWLockExclusive(&g_reg);
}

bool os_guard_pending(const GuardRange* r) {
  return r && r->pending.load(std::memory_order_relaxed) != 0;
}

// RepairSource is not used on Windows: the section, offset and access of the view were taken
// when the range was added (os_win_view_source), and the binding has no descriptor there.
int os_guard_repair(GuardRange* r, const RepairSource&) {
  if (!r || !r->start.load()) return 0;
  if (!take(r, GetCurrentThreadId())) return 0;
  if (!r->start.load()) {
    give(r);
    return 0;
  }
  int n = (int)r->pending.exchange(0);
  if (r->section) {
    swap_in(r);
  } else {
    // Plain memory: the pages the handler made readable are made inaccessible again, so every
    // later touch is reported again.
    const SIZE_T ps = page_size();
    uintptr_t s = r->start.load() & ~(uintptr_t)(ps - 1);
    for (size_t w = 0; w < r->used; w++) {
      uint64_t bits = r->bits[w].load();
      while (bits) {
        int b = 0;
        while (!((bits >> b) & 1)) b++;
        bits &= bits - 1;
        DWORD old;
        VirtualProtect(reinterpret_cast<void*>(s + (w * 64 + b) * ps), ps, PAGE_NOACCESS, &old);
      }
    }
  }
  give(r);
  return n;
}

volatile uint32_t* os_fault_counter() { return g_fault_counter; }

}  // namespace pymmap
