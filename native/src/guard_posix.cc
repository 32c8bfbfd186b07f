// Fault guard (POSIX): guarded memory routines and the SIGBUS/SIGSEGV handler.
//
// Two kinds of faults are survived:
//  1. inside a guarded routine (g_*): the handler siglongjmp's back and the routine returns
//     tag "fault". Works for any address.
//  2. outside (a JS typed array over a registered mapping touching pages past the end of a
//     truncated file): the handler maps a zero page over the faulting page, records it and
//     bumps a counter that JS reads without a call; the shim then raises and asks us to put the
//     file pages back (os_repair), so the next access faults again.
// Faults that are neither are passed on to the previous handler (or the default action).
#include "os.h"
#include "search.h"

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
// (the addon is dlopen'ed; two words fit in glibc's static TLS surplus).
__attribute__((tls_model("initial-exec"))) thread_local sigjmp_buf* volatile t_jmp = nullptr;
__attribute__((tls_model("initial-exec"))) thread_local volatile int t_sig = 0;

struct sigaction g_old_bus, g_old_segv;
std::once_flag g_installed;

// Registered ranges (views may touch them from JS). Lock-free slots, read by the handler.
constexpr int kSlots = 4096;
struct Slot {
  std::atomic<uintptr_t> start{0};
  std::atomic<uintptr_t> end{0};
  std::atomic<const Mapping*> owner{nullptr};
  std::atomic<uint64_t>* patched = nullptr;  // one bit per page: a zero page was patched in
  size_t words = 0;
};
Slot g_slots[kSlots];

// Zero pages patched in by the handler: (page address). Cleared by os_repair.
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

void handler(int sig, siginfo_t* info, void* ctx) {
  if (t_jmp && info && info->si_code > 0) {
    sigjmp_buf* jb = t_jmp;
    t_jmp = nullptr;
    t_sig = sig;
    siglongjmp(*jb, sig);
  }
  if (sig == SIGBUS && info) {
    uintptr_t a = reinterpret_cast<uintptr_t>(info->si_addr);
    for (int i = 0; i < kSlots; i++) {
      uintptr_t s = g_slots[i].start.load(std::memory_order_acquire);
      if (s == 0 || a < s) continue;
      if (a >= g_slots[i].end.load(std::memory_order_acquire)) continue;
      uintptr_t page = a & page_mask();
      void* r = mmap(reinterpret_cast<void*>(page), (size_t)sysconf(_SC_PAGESIZE),
                     PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
      if (r == MAP_FAILED) break;
      size_t idx = (page - (s & page_mask())) / (size_t)sysconf(_SC_PAGESIZE);
      g_slots[i].patched[idx / 64].fetch_or(1ull << (idx % 64));
      g_fault_counter[0] = g_fault_counter[0] + 1;
      return;
    }
  }
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
  return tag_error("fault", t_sig == SIGBUS ? EFAULT : EFAULT);
}

OsError g_copy_out(const uint8_t* src, uint8_t* dst, uint64_t n) {
  if (n == 0) return {};
  return guarded([&] { memcpy(dst, src, n); });
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
      const void* r = memrchr(hay, nd[0], hn);
      *at = r ? (const uint8_t*)r - hay : -1;
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

bool os_register(const Mapping* m) {
  m->registered = true;  // first: a failed registration is undone by os_unregister
  long ps = sysconf(_SC_PAGESIZE);
  auto add = [&](uint8_t* a) -> bool {
    if (!a || !m->length) return true;
    for (int i = 0; i < kSlots; i++) {
      uintptr_t expected = 0;
      if (g_slots[i].start.compare_exchange_strong(expected, 1)) {  // claim
        size_t pages = (m->length + ps - 1) / ps;
        g_slots[i].words = (pages + 63) / 64;
        g_slots[i].patched = new std::atomic<uint64_t>[g_slots[i].words]();
        g_slots[i].owner.store(m);
        g_slots[i].end.store(reinterpret_cast<uintptr_t>(a) + m->length);
        g_slots[i].start.store(reinterpret_cast<uintptr_t>(a), std::memory_order_release);
        return true;
      }
    }
    return false;  // no slot: the caller must not hand out an unguarded view
  };
  if (!add(m->addr)) return false;
  if (!add(m->shadow)) { os_unregister(m); return false; }
  return true;
}

void os_unregister(const Mapping* m) {
  // Every unmap comes here: without this, each close scans all kSlots slots.
  if (!m->registered) return;
  m->registered = false;
  for (int i = 0; i < kSlots; i++) {
    if (g_slots[i].owner.load() == m) {
      g_slots[i].start.store(1, std::memory_order_release);  // still claimed, no longer matching
      g_slots[i].end.store(0);
      g_slots[i].owner.store(nullptr);
      delete[] g_slots[i].patched;
      g_slots[i].patched = nullptr;
      g_slots[i].words = 0;
      g_slots[i].start.store(0, std::memory_order_release);
    }
  }
}

bool os_is_registered(const Mapping* m) {
  for (int i = 0; i < kSlots; i++)
    if (g_slots[i].owner.load() == m) return true;
  return false;
}

volatile uint32_t* os_fault_counter() { return g_fault_counter; }

// Returns how many patched pages of m were put back.
int os_repair_count(Mapping* m) {
  int n = 0;
  long ps = sysconf(_SC_PAGESIZE);
  for (int i = 0; i < kSlots; i++) {
    if (g_slots[i].owner.load() != m) continue;
    uintptr_t s = g_slots[i].start.load();
    bool shadow = reinterpret_cast<uint8_t*>(s) == m->shadow;
    for (size_t w = 0; w < g_slots[i].words; w++) {
      uint64_t bits = g_slots[i].patched[w].exchange(0);
      while (bits) {
        int b = __builtin_ctzll(bits);
        bits &= bits - 1;
        uintptr_t p = s + (w * 64 + b) * ps;
        if (m->fd >= 0) {
          int prot = shadow ? (PROT_READ | PROT_WRITE) : m->prot;
          int flags = shadow ? MAP_PRIVATE : (m->flags & (MAP_SHARED | MAP_PRIVATE));
          mmap(reinterpret_cast<void*>(p), (size_t)ps, prot, flags | MAP_FIXED, (int)m->fd,
               (off_t)(m->offset + (p - s)));
        }
        n++;
      }
    }
  }
  return n;
}

void os_repair(Mapping* m) { os_repair_count(m); }

}  // namespace pymmap
