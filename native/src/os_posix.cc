// POSIX backend of the OS layer: mmap/munmap/msync/madvise/mremap/ftruncate/fstat.
#include "os.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

namespace pymmap {

// ---- exhaustion. Each mmap makes at least one kernel mapping (VMA); past vm.max_map_count the
// kernel refuses them, and the runtime, which needs mappings to grow its heap and build the
// error it is about to throw, dies (SIGABRT/SIGSEGV). CPython has no runtime to starve. We
// refuse with ENOMEM while fewer than a margin of mappings is left: our own count is free to
// keep; the process's real count (/proc/self/maps) is read only once ours is large.
namespace {
std::atomic<long> g_ours{0};
constexpr long kRecount = 64;

long read_long(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[32];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  return strtol(buf, nullptr, 10);
}

long count_lines(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[65536];
  long lines = 0;
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0)
    for (ssize_t i = 0; i < n; i++) lines += buf[i] == '\n';
  close(fd);
  return lines;
}

OsError check_room() {
#if defined(__linux__)
  static const long limit = read_long("/proc/sys/vm/max_map_count");
  if (limit <= 0) return {};
  const long margin = limit / 16 < 4096 ? limit / 16 : 4096;
  long ours = g_ours.load(std::memory_order_relaxed);
  if (ours < limit / 2 - margin) return {};
  // The process's real count is read again once a quarter of the room it left is used (or
  // every kRecount maps near the end): a handful of reads on the way to the limit.
  static std::mutex mu;
  static long seen = 0, seen_ours = 0, next = 0;
  std::lock_guard<std::mutex> lock(mu);
  if (seen == 0 || ours >= next || ours < seen_ours) {
    long n = count_lines("/proc/self/maps");
    if (n < 0) return {};
    seen = n;
    seen_ours = ours;
    long room = limit - margin - n;
    next = ours + (room / 4 > kRecount ? room / 4 : kRecount);
  }
  if (seen + (ours - seen_ours) >= limit - margin) return errno_error(ENOMEM);
#endif
  return {};
}
}  // namespace

void os_count_mapping(int delta) { g_ours.fetch_add(delta, std::memory_order_relaxed); }

const char kBackend[] = "posix";

std::string os_error_text(const OsError& err) { return strerror(err.code); }

const char* os_errno_name(int e) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char* n = strerrorname_np(e);
  return n ? n : "";
#else
  return basic_errno_name(e);
#endif
}

uint64_t os_pagesize() { return (uint64_t)sysconf(_SC_PAGESIZE); }
uint64_t os_granularity() { return os_pagesize(); }

uint64_t os_brk_address(const void* p) {
#if defined(__linux__)
  void* brk = sbrk(0);  // the cached break: no system call
  if (brk != (void*)-1 && (uintptr_t)p < (uintptr_t)brk) return (uint64_t)(uintptr_t)p;
#else
  (void)p;  // other allocators do not shrink a brk heap
#endif
  return 0;
}

OsError os_fstat(int64_t fd, uint64_t* size, bool* regular) {
  struct stat st;
  if (fstat((int)fd, &st) != 0) return errno_error(errno);
  *size = (uint64_t)st.st_size;
  *regular = S_ISREG(st.st_mode);
  return {};
}

OsError os_fd_size(Mapping* m, uint64_t* size) {
  if (m->fd < 0) return errno_error(EBADF);
  bool reg;
  return os_fstat(m->fd, size, &reg);
}

static OsError close_fd(int64_t fd) {
  if (fd >= 0 && close((int)fd) != 0) return errno_error(errno);
  return {};
}

OsError os_map(const MapRequest& req, Mapping* out) {
  *out = Mapping{};
  int fd = -1;
  int flags = req.flags;
  if (req.fd != -1) {
    if (req.dup_fd) {
      fd = fcntl((int)req.fd, F_DUPFD_CLOEXEC, 0);
      if (fd == -1) return errno_error(errno);
    }
  } else {
#ifdef MAP_ANONYMOUS
    flags |= MAP_ANONYMOUS;
#else
    flags |= MAP_ANON;
#endif
  }
  if (req.length > (uint64_t)SIZE_MAX || req.offset > (uint64_t)INT64_MAX) {
    if (fd != -1) close(fd);
    return errno_error(ENOMEM);
  }
  if (req.length) {
    OsError room = check_room();
    if (!room.ok()) {
      if (fd != -1) close(fd);
      return room;
    }
  }
  if (req.fixed && !req.length) {
    if (fd != -1) close(fd);
    return errno_error(EINVAL);
  }
  void* p = mmap(req.fixed, (size_t)req.length, req.prot, req.fixed ? flags | MAP_FIXED : flags,
                 req.fd == -1 ? -1 : (int)req.fd, (off_t)req.offset);
  if (p == MAP_FAILED) {
    int e = errno;
    if (fd != -1) close(fd);
    return errno_error(e);
  }
  if (req.length) os_count_mapping(1);
  out->addr = (uint8_t*)p;
  out->length = req.length;
  out->offset = req.offset;
  out->fd = fd;
  out->flags = flags;
  out->prot = req.prot;
  out->writable = (req.prot & PROT_WRITE) != 0;
  out->fixed = req.fixed != nullptr;
  return {};
}

OsError os_unmap_range(uint8_t* addr, uint64_t length) {
  if (!addr || !length) return {};
  if (munmap(addr, (size_t)length) != 0) return errno_error(errno);
  os_count_mapping(-1);
  return {};
}

OsError os_unmap(Mapping* m, bool keep_memory) {
  OsError err;
  if (m->fixed && m->addr) {
    // the memory is the caller's: zeroed pages back (or, kept, left to its owner)
    if (!keep_memory) err = os_unmap_fixed(m->addr, m->length);
    if (err.ok()) os_count_mapping(-1);
  } else if (!keep_memory) {
    err = os_unmap_range(m->addr, m->length);
  }
  m->addr = nullptr;
  m->shadow = nullptr;  // the shadow belongs to its view (see binding)
  if (m->fd >= 0) {
    OsError e2 = close_fd(m->fd);
    if (err.ok()) err = e2;
    m->fd = -1;
  }
  m->length = 0;
  return err;
}

OsError os_shadow(Mapping* m) {
  if (m->shadow) return {};
  if (!m->addr || !m->length) return tag_error("noview");
  int flags = MAP_PRIVATE;
  int fd = -1;
  if (m->flags & MAP_ANONYMOUS) {
    flags |= MAP_ANONYMOUS;  // a read-only anonymous map is zeros and stays zeros
  } else if (m->fd >= 0) {
    fd = (int)m->fd;
  } else {
    return tag_error("noview");
  }
  OsError room = check_room();
  if (!room.ok()) return room;
  void* p = mmap(nullptr, (size_t)m->length, PROT_READ | PROT_WRITE, flags, fd,
                 fd == -1 ? 0 : (off_t)m->offset);
  if (p == MAP_FAILED) return errno_error(errno);
  os_count_mapping(1);
  m->shadow = (uint8_t*)p;
  return {};
}

OsError os_resize(Mapping* m, uint64_t new_length) {
  if (m->fd >= 0) {
    if (ftruncate((int)m->fd, (off_t)(m->offset + new_length)) != 0) return errno_error(errno);
  }
  if (new_length > (uint64_t)SIZE_MAX) return errno_error(ENOMEM);
  void* p;
#if defined(__linux__)
  // As CPython: mremap (a new length of 0 fails with EINVAL and the map stays as it was).
  p = mremap(m->addr, (size_t)m->length, (size_t)new_length, MREMAP_MAYMOVE);
  if (p == MAP_FAILED) return errno_error(errno);
#else
  if (m->fd < 0 && m->length) return errno_error(EINVAL);
  if (m->addr && munmap(m->addr, (size_t)m->length) == 0) os_count_mapping(-1);
  p = new_length == 0 ? nullptr
                      : mmap(nullptr, (size_t)new_length, m->prot, m->flags, (int)m->fd,
                             (off_t)m->offset);
  if (p == MAP_FAILED) {
    int e = errno;
    m->addr = nullptr;
    m->length = 0;
    return errno_error(e);
  }
  if (p) os_count_mapping(1);
#endif
  m->addr = (uint8_t*)p;
  m->length = new_length;
  return {};
}

OsError os_resize_fixed(Mapping* m, uint64_t new_length, uint8_t* new_addr) {
  if (m->fd >= 0) {
    if (ftruncate((int)m->fd, (off_t)(m->offset + new_length)) != 0) return errno_error(errno);
  }
  // (as mremap: a new length of 0 fails with EINVAL, after the truncation)
  if (new_length == 0 || new_length > (uint64_t)SIZE_MAX) return errno_error(new_length ? ENOMEM : EINVAL);
  void* p = mmap(new_addr, (size_t)new_length, m->prot, m->flags | MAP_FIXED,
                 m->fd >= 0 ? (int)m->fd : -1, (off_t)m->offset);
  if (p == MAP_FAILED) return errno_error(errno);
  if (!(m->flags & MAP_SHARED)) {
    // private pages (this map's stores) go with the map, as mremap moves them
    uint64_t n = m->length < new_length ? m->length : new_length;
    OsError err = g_copy_out(m->addr, new_addr, n);
    if (!err.ok()) {
      os_unmap_fixed(new_addr, new_length);
      return err;
    }
  }
  os_unmap_fixed(m->addr, m->length);
  m->addr = new_addr;
  m->length = new_length;
  return {};
}

OsError os_sync(Mapping* m, uint64_t offset, uint64_t length, int flags) {
  if (!m->addr) return {};
  if (msync(m->addr + offset, (size_t)length, flags) != 0) return errno_error(errno);
  return {};
}

OsError os_advise(Mapping* m, uint64_t offset, uint64_t length, int advice) {
  if (!m->addr) return {};
  if (madvise(m->addr + offset, (size_t)length, advice) != 0) return errno_error(errno);
  return {};
}

OsError os_map_fixed(uint8_t* addr, uint64_t length, int prot, int flags, int64_t fd, uint64_t offset) {
  void* r = mmap(addr, (size_t)length, prot, flags | MAP_FIXED, (int)fd, (off_t)offset);
  if (r == MAP_FAILED) return errno_error(errno);
  return {};
}

OsError os_unmap_fixed(uint8_t* addr, uint64_t length) {
  // MAP_NORESERVE (no different to the memory's owner: private, zeroed, read-write) keeps the
  // range a kernel mapping of its own instead of merging it back into its neighbours: the next
  // placement over the same range (an allocator hands the same block out again) then replaces
  // one mapping instead of splitting a large one, and its close does not merge again. Measured
  // in C (1 MiB file, populated 256 MiB neighbour): 10.7 -> 6.9 us per map + close, against
  // 4.8 us for mmap + munmap at an address the kernel chooses.
#ifdef MAP_NORESERVE
  const int noreserve = MAP_NORESERVE;
#else
  const int noreserve = 0;
#endif
  void* r = mmap(addr, (size_t)length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | noreserve, -1, 0);
  if (r == MAP_FAILED) return errno_error(errno);
  return {};
}

OsError os_set_name(Mapping* m, const char* name) {
#if defined(__linux__) && defined(PR_SET_VMA)
  if (prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)m->addr, (unsigned long)m->length,
            (unsigned long)name) != 0)
    return errno_error(errno);
  return {};
#else
  (void)m;
  (void)name;
  return errno_error(ENOTSUP);
#endif
}

}  // namespace pymmap
