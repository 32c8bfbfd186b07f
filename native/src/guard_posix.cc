// Fault guard (POSIX): guarded memory routines and the SIGBUS/SIGSEGV handler.
//
// Two kinds of faults are survived:
//  1. inside a guarded routine (g_*): the handler siglongjmp's back and the routine returns
//     tag "fault". Works for any address.
//  2. outside (a JS typed array over a registered range touching pages past the end of a
//     truncated file): the handler maps a zero page over the faulting page, records it and
//     bumps a counter that JS reads without a call; the caller then raises and asks us to put
//     the file pages back (os_guard_repair), so the next access faults again. Without an fd to
//     take the file pages from, the repair makes the pages inaccessible instead: the SIGSEGV of
//     the next touch is handled the same way (zero page, counted), so it is reported again.
// Faults that are neither are passed on to the previous handler (or the default action).
#include "os.h"
#include "copy.h"
#include "search.h"
#include "slot_registry.h"

#include <atomic>
#include <cerrno>
#include <csetjmp>
#include <csignal>
#include <cstring>
#include <mutex>
#include <sys/mman.h>
#include <unistd.h>

namespace pymmap {

namespace {

// initial-exec: a direct %fs access instead of a __tls_get_addr call on every guarded access
// (the addon is dlopen'ed; one word fits in glibc's static TLS surplus).
__attribute__((tls_model("initial-exec"))) thread_local sigjmp_buf* volatile t_jmp = nullptr;

struct sigaction g_old_bus, g_old_segv;
std::once_flag g_installed;

}  // namespace

struct GuardRange {
  std::atomic<uintptr_t> start{0};  // 0: free (the handler skips it)
  std::atomic<uintptr_t> end{0};
  std::atomic<uint64_t>* bits = nullptr;  // one bit per page: patched (or poisoned)
  size_t words = 0;                       // capacity of bits
  size_t used = 0;                        // words of bits this range uses (its pages / 64)
  std::atomic<uint32_t> pending{0};       // pages patched since the last repair
  GuardRange* next_free = nullptr;
};

namespace {

// Registered ranges (views may touch them from JS), walked by the handler without a lock.
SlotRegistry<GuardRange> g_ranges;  // take/give_back under g_mu
std::mutex g_mu;

volatile uint32_t g_fault_counter[2] = {0, 0};  // [0]: faults repaired so far

uintptr_t page_mask() {
  static uintptr_t mask = ~(uintptr_t)(sysconf(_SC_PAGESIZE) - 1);
  return mask;
}

void chain(int sig, siginfo_t* info, void* ctx) {
  struct sigaction* old = sig == SIGBUS ? &g_old_bus : &g_old_segv;
  if (old->sa_flags & SA_SIGINFO) {
    if (old->sa_sigaction) { old->sa_sigaction(sig, info, ctx); return; }
  } else if (old->sa_handler == SIG_IGN) {
    return;
  } else if (old->sa_handler != SIG_DFL && old->sa_handler) {
    old->sa_handler(sig);
    return;
  }
  // Default action: restore it and let the fault happen again on return. A signal that was
  // sent (kill, raise, sigqueue: si_code <= 0) does not come back by itself: raise it again.
  signal(sig, SIG_DFL);
  if (!info || info->si_code <= 0) raise(sig);
}

// A fault inside a registered range: a zero page over the faulting page so the access
// completes, marked and counted. False for faults that are not ours.
bool patch_registered(int sig, siginfo_t* info) {
  uintptr_t a = reinterpret_cast<uintptr_t>(info->si_addr);
  const long ps = sysconf(_SC_PAGESIZE);
  uintptr_t s = 0;
  GuardRange* found = g_ranges.find([&](GuardRange& r) {
    s = r.start.load(std::memory_order_acquire);
    return s != 0 && a >= s && a < r.end.load(std::memory_order_acquire);
  });
  if (!found) return false;
  GuardRange& r = *found;
  uintptr_t page = a & page_mask();
  size_t idx = (page - (s & page_mask())) / (size_t)ps;
  std::atomic<uint64_t>* bits = r.bits;
  bool marked = bits && idx / 64 < r.words && ((bits[idx / 64].load() >> (idx % 64)) & 1);
  // SIGBUS: a page past the end of the file. SIGSEGV: only a page we made inaccessible.
  if (sig != SIGBUS && !marked) return false;
  void* m = mmap(reinterpret_cast<void*>(page), (size_t)ps, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  if (m == MAP_FAILED) return false;
  if (bits && idx / 64 < r.words) bits[idx / 64].fetch_or(1ull << (idx % 64));
  r.pending.fetch_add(1);
  g_fault_counter[0] = g_fault_counter[0] + 1;
  return true;
}

void handler(int sig, siginfo_t* info, void* ctx) {
  if (t_jmp && info && info->si_code > 0) {
    sigjmp_buf* jb = t_jmp;
    t_jmp = nullptr;
    siglongjmp(*jb, sig);
  }
  if (info && info->si_code > 0 && patch_registered(sig, info)) return;
  chain(sig, info, ctx);
}

}  // namespace

void os_install_guard() {
  std::call_once(g_installed, [] {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    // SA_NODEFER: the signal is not blocked inside the handler, so siglongjmp needs no saved
    // mask (sigsetjmp(jb, 0) costs no system call).
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &g_old_bus);
    sigaction(SIGSEGV, &sa, &g_old_segv);
  });
}

#if defined(__x86_64__)
#include <cpuid.h>
static bool has_pku() {
  static const bool v = [] {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    return ((c >> 4) & 1) != 0;  // OSPKE: the OS enabled protection keys
  }();
  return v;
}
static inline uint32_t rd_pkru() {
  uint32_t eax, edx;
  asm volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(0));
  return eax;
}
static inline void wr_pkru(uint32_t v) {
  asm volatile(".byte 0x0f,0x01,0xef" : : "a"(v), "c"(0), "d"(0) : "memory");
}
#endif

template <class F>
static inline OsError guarded(F&& f) {
  sigjmp_buf jb;
#if defined(__x86_64__)
  // The kernel resets PKRU on entry to the handler and restores it at sigreturn, which
  // siglongjmp skips: put back the thread's own value (V8 protects wasm code with PKU).
  volatile bool pku = has_pku();
  volatile uint32_t pkru = pku ? rd_pkru() : 0;
#endif
  if (sigsetjmp(jb, 0) == 0) {
    t_jmp = &jb;
    std::atomic_signal_fence(std::memory_order_seq_cst);
    f();
    std::atomic_signal_fence(std::memory_order_seq_cst);
    t_jmp = nullptr;
    return OsError{};
  }
  std::atomic_signal_fence(std::memory_order_seq_cst);
  t_jmp = nullptr;
#if defined(__x86_64__)
  if (pku) wr_pkru(pkru);
#endif
  return tag_error("fault", EFAULT);  // SIGBUS or SIGSEGV alike: CPython would have died
}

OsError g_copy_out(const uint8_t* src, uint8_t* dst, uint64_t n) {
  if (n == 0) return {};
  return guarded([&] { memcpy(dst, src, n); });
}

OsError g_copy_fresh(const uint8_t* src, uint8_t* dst, uint64_t n) {
  if (n == 0) return {};
  return guarded([&] { copy_fresh(dst, src, n); });
}

OsError g_copy_in(uint8_t* dst, const uint8_t* src, uint64_t n) {
  if (n == 0) return {};
  return guarded([&] { memmove(dst, src, n); });
}

OsError g_copy_step(const uint8_t* base, int64_t start, int64_t step, uint64_t n, uint8_t* dst) {
  return guarded([&] {
    const uint8_t* p = base + start;
    for (uint64_t i = 0; i < n; i++, p += step) dst[i] = *p;
  });
}

OsError g_store_step(uint8_t* base, int64_t start, int64_t step, uint64_t n, const uint8_t* src) {
  return guarded([&] {
    uint8_t* p = base + start;
    for (uint64_t i = 0; i < n; i++, p += step) *p = src[i];
  });
}

OsError g_move(uint8_t* base, uint64_t dst, uint64_t src, uint64_t n) {
  if (n == 0) return {};
  return guarded([&] { memmove(base + dst, base + src, n); });
}

OsError g_get(const uint8_t* p, uint8_t* out) {
  return guarded([&] { *out = *(volatile const uint8_t*)p; });
}

OsError g_set(uint8_t* p, uint8_t v) {
  return guarded([&] { *(volatile uint8_t*)p = v; });
}

OsError g_find(const uint8_t* hay, uint64_t hn, const uint8_t* nd, uint64_t nn, int64_t* at) {
  *at = -1;
  if (nn > hn) return {};
  if (nn == 0) { *at = 0; return {}; }
  return guarded([&] {
    if (nn == 1) {
      const void* r = memchr(hay, nd[0], hn);
      *at = r ? (const uint8_t*)r - hay : -1;
    } else {
      *at = fastfind::find(hay, hn, nd, nn);
    }
  });
}

OsError g_rfind(const uint8_t* hay, uint64_t hn, const uint8_t* nd, uint64_t nn, int64_t* at) {
  *at = -1;
  if (nn > hn) return {};
  if (nn == 0) { *at = (int64_t)hn; return {}; }
  return guarded([&] {
    if (nn == 1) {
      const uint8_t* r = fastfind::mem_rchr(hay, nd[0], hn);  // memrchr where there is one
      *at = r ? r - hay : -1;
    } else {
      *at = fastfind::rfind(hay, hn, nd, nn);
    }
  });
}

OsError g_line_out(const uint8_t* src, uint64_t hn, uint8_t* dst, uint64_t room, int64_t* n) {
  *n = 0;
  if (hn == 0) return {};
  return guarded([&] {
    const void* r = memchr(src, '\n', hn);
    uint64_t len = r ? (uint64_t)((const uint8_t*)r - src) + 1 : hn;
    if (len <= room) {
      memcpy(dst, src, len);
      *n = (int64_t)len;
    } else {
      *n = -(int64_t)len;
    }
  });
}

OsError g_memchr(const uint8_t* hay, uint64_t hn, uint8_t c, int64_t* at) {
  *at = -1;
  if (hn == 0) return {};
  return guarded([&] {
    const void* r = memchr(hay, c, hn);
    *at = r ? (const uint8_t*)r - hay : -1;
  });
}

GuardRange* os_guard_add(uint8_t* addr, uint64_t length) {
  if (!addr || !length) return nullptr;
  const long ps = sysconf(_SC_PAGESIZE);
  size_t pages = (size_t)((length + (uint64_t)ps - 1) / (uint64_t)ps);
  size_t words = (pages + 63) / 64;
  std::lock_guard<std::mutex> lock(g_mu);
  GuardRange* r = g_ranges.take();
  if (!r) return nullptr;
  if (r->words < words) {
    // An old bitmap is never freed: a handler on another thread may still be reading it.
    std::atomic<uint64_t>* bits = new (std::nothrow) std::atomic<uint64_t>[words];
    if (!bits) {
      g_ranges.give_back(r);
      return nullptr;
    }
    r->bits = bits;
    r->words = words;
  }
  // Only the words this range uses: a recycled slot's bitmap may be far larger (a 256 MiB range
  // once: 1024 words, zeroed on every add, was most of a small map's cost). Relaxed stores: the
  // range is published by the release store of `start` below (or, Windows, under the lock).
  r->used = words;
  for (size_t w = 0; w < words; w++) r->bits[w].store(0, std::memory_order_relaxed);
  r->pending.store(0);
  r->end.store(reinterpret_cast<uintptr_t>(addr) + length);
  r->start.store(reinterpret_cast<uintptr_t>(addr), std::memory_order_release);
  return r;
}

void os_guard_remove(GuardRange* r) {
  if (!r) return;
  std::lock_guard<std::mutex> lock(g_mu);
  r->start.store(0, std::memory_order_release);  // the handler stops matching it first
  r->end.store(0);
  g_ranges.give_back(r);
}

bool os_guard_pending(const GuardRange* r) {
  return r && r->pending.load(std::memory_order_relaxed) != 0;
}

int os_guard_repair(GuardRange* r, const RepairSource& src) {
  if (!r) return 0;
  uintptr_t s = r->start.load();
  if (!s) return 0;
  int n = (int)r->pending.exchange(0);
  const long ps = sysconf(_SC_PAGESIZE);
  for (size_t w = 0; w < r->used; w++) {
    uint64_t bits = r->bits[w].load();
    while (bits) {
      int b = __builtin_ctzll(bits);
      bits &= bits - 1;
      uintptr_t p = s + (w * 64 + b) * (uintptr_t)ps;
      if (src.fd >= 0) {
        void* m = mmap(reinterpret_cast<void*>(p), (size_t)ps, src.prot,
                       (src.flags & (MAP_SHARED | MAP_PRIVATE)) | MAP_FIXED, (int)src.fd,
                       (off_t)(src.offset + (p - s)));
        if (m != MAP_FAILED) r->bits[w].fetch_and(~(1ull << b));
      } else {
        // No file to take the pages from: inaccessible, so each later touch is reported.
        mmap(reinterpret_cast<void*>(p), (size_t)ps, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      }
    }
  }
  return n;
}

volatile uint32_t* os_fault_counter() { return g_fault_counter; }

}  // namespace pymmap
