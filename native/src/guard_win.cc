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
// Exceptions on threads without a recovery point are left to the next handler. Built with
// MSVC (node-gyp on Windows), the guard is a plain __try/__except, as in CPython.
//
// Faults outside guarded code (a JS view touching a page that cannot be read) are not repaired
// on Windows: the registration calls exist for the binding and do nothing.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <atomic>
#include <cstring>

#include "os.h"

namespace pymmap {

namespace {

DWORD g_tls = TLS_OUT_OF_INDEXES;
volatile uint32_t g_fault_counter[2] = {0, 0};  // never moves: no repairs on Windows
// ntdll's RtlNtStatusToDosError (what LsaNtStatusToWinError calls), looked up at install.
typedef ULONG(WINAPI* status_to_error_fn)(LONG);
status_to_error_fn g_status_to_error = nullptr;

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

LONG CALLBACK handler(EXCEPTION_POINTERS* ep) {
  if (g_tls == TLS_OUT_OF_INDEXES) return EXCEPTION_CONTINUE_SEARCH;
  DWORD error = fault_error(ep->ExceptionRecord);
  if (!error) return EXCEPTION_CONTINUE_SEARCH;
  Recovery* r = static_cast<Recovery*>(TlsGetValue(g_tls));
  if (!r) return EXCEPTION_CONTINUE_SEARCH;
  r->error = error;
  // Resume in recover() on this thread's stack, below the faulting frame: 16-byte aligned as
  // after a call (the return address slot is never used: recover does not return).
  CONTEXT* c = ep->ContextRecord;
  c->Rsp = ((c->Rsp - 256) & ~(DWORD64)15) - 8;
  c->Rip = (DWORD64)(void*)&recover;
  return EXCEPTION_CONTINUE_EXECUTION;
}
#endif

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
#if !defined(_MSC_VER)
  g_tls = TlsAlloc();
  AddVectoredExceptionHandler(1, handler);
#endif
}

#if defined(_MSC_VER)
template <class F>
static OsError guarded(F&& f) {
  DWORD error = 0;
  __try {
    f();
  } __except (filter(GetExceptionInformation(), &error)) {
  }
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

// memmem / memrchr are not in the Windows C runtime.
const uint8_t* find_fwd(const uint8_t* hay, uint64_t hn, const uint8_t* nd, uint64_t nn) {
  if (nn == 1) return static_cast<const uint8_t*>(memchr(hay, nd[0], (size_t)hn));
  const uint8_t first = nd[0];
  const uint8_t* p = hay;
  const uint8_t* last = hay + (hn - nn);  // last candidate start
  while (p <= last) {
    p = static_cast<const uint8_t*>(memchr(p, first, (size_t)(last - p + 1)));
    if (!p) return nullptr;
    if (memcmp(p + 1, nd + 1, (size_t)(nn - 1)) == 0) return p;
    p++;
  }
  return nullptr;
}

const uint8_t* find_rev(const uint8_t* hay, uint64_t hn, const uint8_t* nd, uint64_t nn) {
  for (uint64_t s = hn - nn + 1; s-- > 0;) {
    if (hay[s] == nd[0] && memcmp(hay + s + 1, nd + 1, (size_t)(nn - 1)) == 0) return hay + s;
  }
  return nullptr;
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

// Views are not repaired on Windows yet: ranges are accepted and never patched.
struct GuardRange { int unused; };
static GuardRange g_dummy_range;
GuardRange* os_guard_add(uint8_t*, uint64_t) { return &g_dummy_range; }
void os_guard_remove(GuardRange*) {}
bool os_guard_pending(const GuardRange*) { return false; }
int os_guard_repair(GuardRange*, const RepairSource&) { return 0; }
volatile uint32_t* os_fault_counter() { return g_fault_counter; }

}  // namespace pymmap
