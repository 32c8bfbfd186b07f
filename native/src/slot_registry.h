// The registry of guarded ranges shared by the fault guards (guard_posix.cc, guard_win.cc):
// blocks of slots linked once and never freed, so a signal or exception handler can walk them
// without a lock, while writers (holding the caller's lock) take slots and give them back. Its
// only limit is memory: a new block is linked when every slot is in use.
#pragma once

#include <atomic>
#include <cstddef>
#include <new>

namespace pymmap {

// Slot: the caller's range type, with a `Slot* next_free` member.
template <class Slot, int N = 256>
class SlotRegistry {
 public:
  // The first slot for which match(slot) is true, or nullptr. Lock-free: safe in a handler.
  template <class F>
  Slot* find(F&& match) {
    for (Block* b = &first_; b; b = b->next.load(std::memory_order_acquire))
      for (int i = 0; i < N; i++)
        if (match(b->slots[i])) return &b->slots[i];
    return nullptr;
  }
  // A free slot, a new block's when all are used; nullptr when out of memory. Lock held.
  Slot* take() {
    if (Slot* s = free_) {
      free_ = s->next_free;
      return s;
    }
    if (used_ > 0 && used_ % N == 0) {
      Block* b = new (std::nothrow) Block();
      if (!b) return nullptr;
      tail_->next.store(b, std::memory_order_release);
      tail_ = b;
    }
    return &tail_->slots[used_++ % N];
  }
  // Gives a slot back for reuse (lock held). Its memory stays: a handler may still read it.
  void give_back(Slot* s) {
    s->next_free = free_;
    free_ = s;
  }

 private:
  struct Block {
    Slot slots[N];
    std::atomic<Block*> next{nullptr};
  };
  Block first_;
  Block* tail_ = &first_;
  Slot* free_ = nullptr;
  size_t used_ = 0;
};

}  // namespace pymmap
