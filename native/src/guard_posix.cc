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

thread_local sigjmp_buf* volatile t_jmp = nullptr;
thread_local volatile int t_sig = 0;

struct sigaction g_old_bus, g_old_segv;
std::once_flag g_installed;

// Registered ranges (views may touch them from JS). Lock-free slots, read by the handler.
constexpr int kSlots = 4096;
struct Slot {
  std::atomic<uintptr_t> start{0};
  std::atomic<uintptr_t> end{0};
  std::atomic<const Mapping*> owner{nullptr};
};
Slot g_slots[kSlots];

// Zero pages patched in by the handler: (page address). Cleared by os_repair.
constexpr int kPatches = 1024;
std::atomic<uintptr_t> g_patches[kPatches];
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
  // Default action: restore it and let the fault happen again on return.
  signal(sig, SIG_DFL);
}

void handler(int sig, siginfo_t* info, void* ctx) {
  if (t_jmp) {
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
      for (int k = 0; k < kPatches; k++) {
        uintptr_t expected = 0;
        if (g_patches[k].compare_exchange_strong(expected, page)) {
          void* r = mmap(reinterpret_cast<void*>(page), (size_t)sysconf(_SC_PAGESIZE),
                         PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
          if (r == MAP_FAILED) { g_patches[k].store(0); break; }
          g_fault_counter[0] = g_fault_counter[0] + 1;
          return;
        }
      }
      break;
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

template <class F>
static inline OsError guarded(F&& f) {
  sigjmp_buf jb;
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
    const void* r = nn == 1 ? memchr(hay, nd[0], hn) : memmem(hay, hn, nd, nn);
    *at = r ? (const uint8_t*)r - hay : -1;
  });
}

OsError g_rfind(const uint8_t* hay, uint64_t hn, const uint8_t* nd, uint64_t nn, int64_t* at) {
  *at = -1;
  if (nn > hn) return {};
  if (nn == 0) { *at = (int64_t)hn; return {}; }
  return guarded([&] {
    // Scan backwards for the needle's last byte, then compare the rest.
    const uint8_t last = nd[nn - 1];
    uint64_t limit = hn;  // candidates: end positions < limit, start >= 0
    while (limit >= nn) {
      const uint8_t* lo = hay + nn - 1;
      const void* r = memrchr(lo, last, limit - (nn - 1));
      if (!r) break;
      const uint8_t* endp = (const uint8_t*)r;  // position of last byte
      const uint8_t* startp = endp - (nn - 1);
      if (memcmp(startp, nd, nn - 1) == 0) { *at = startp - hay; return; }
      limit = (uint64_t)(endp - hay);  // next candidates end before this one
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

void os_register(const Mapping* m) {
  auto add = [&](uint8_t* a) {
    if (!a || !m->length) return;
    for (int i = 0; i < kSlots; i++) {
      uintptr_t expected = 0;
      if (g_slots[i].start.compare_exchange_strong(expected, 1)) {  // claim
        g_slots[i].owner.store(m);
        g_slots[i].end.store(reinterpret_cast<uintptr_t>(a) + m->length);
        g_slots[i].start.store(reinterpret_cast<uintptr_t>(a), std::memory_order_release);
        return;
      }
    }
  };
  add(m->addr);
  add(m->shadow);
}

void os_unregister(const Mapping* m) {
  for (int i = 0; i < kSlots; i++) {
    if (g_slots[i].owner.load() == m) {
      g_slots[i].end.store(0);
      g_slots[i].owner.store(nullptr);
      g_slots[i].start.store(0, std::memory_order_release);
    }
  }
  // Drop records of patched pages inside the mapping (they are unmapped with it).
  auto drop = [&](uint8_t* a) {
    if (!a) return;
    uintptr_t s = reinterpret_cast<uintptr_t>(a), e = s + m->length;
    for (int k = 0; k < kPatches; k++) {
      uintptr_t p = g_patches[k].load();
      if (p && p >= (s & page_mask()) && p < e) g_patches[k].store(0);
    }
  };
  drop(m->addr);
  drop(m->shadow);
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
  auto fix = [&](uint8_t* a, bool shadow) {
    if (!a) return;
    uintptr_t s = reinterpret_cast<uintptr_t>(a), e = s + m->length;
    for (int k = 0; k < kPatches; k++) {
      uintptr_t p = g_patches[k].load();
      if (!p || p < (s & page_mask()) || p >= e) continue;
      uint64_t file_off = m->offset + (p - s);  // s is page-aligned for our mappings
      if (m->fd >= 0) {
        int prot = shadow ? (PROT_READ | PROT_WRITE) : m->prot;
        int flags = shadow ? MAP_PRIVATE : (m->flags & (MAP_SHARED | MAP_PRIVATE));
        mmap(reinterpret_cast<void*>(p), (size_t)ps, prot, flags | MAP_FIXED, (int)m->fd,
             (off_t)file_off);
      }
      g_patches[k].store(0);
      n++;
    }
  };
  fix(m->addr, false);
  fix(m->shadow, true);
  return n;
}

void os_repair(Mapping* m) { os_repair_count(m); }

}  // namespace pymmap
