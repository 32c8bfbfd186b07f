// Copies into result memory the caller has just allocated (a large result of read() or a slice).
//
// Such memory is cold: V8 frees dead results in batches (32 MiB of them on Node 20 and 22, about
// 85 MiB on Node 24), so the block a new result gets back was last written tens of MiB ago and is
// no longer in any cache. memcpy's ordinary stores then read every destination line from DRAM
// before overwriting it (a read for ownership) and write it back later: three memory transfers
// per line. Streaming (non-temporal) stores write whole lines without reading them first: two.
// Measured here over a 256 MiB page-cached file in 1 MiB results cycling through 32 MiB: 9-10
// GB/s with memcpy, 14-15 GB/s streamed, and still faster when the caller then reads every byte
// of the result (8.5 against 6-7 GB/s). glibc streams only above about 3/4 of the L3 cache.
//
// Below kStreamMin (and off x86) it is memmove: small results go to the warm slab.
// Safe inside the guarded regions: no allocation, no exceptions; a fault mid-copy jumps out
// with some stores still in write-combining buffers, which is harmless since the result is then
// discarded.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__) || defined(_M_X64) || defined(_M_AMD64)
#define PYMMAP_STREAM_COPY 1
#include <emmintrin.h>
#endif

namespace pymmap {

constexpr size_t kStreamMin = 16384;

inline void copy_fresh(uint8_t* dst, const uint8_t* src, size_t n) {
#if PYMMAP_STREAM_COPY
  // Overlapping ranges (a view of the map as the destination) keep memmove's semantics.
  const uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;
  if (n >= kStreamMin && (d - s >= n && s - d >= n)) {
    size_t head = (size_t)(-d & 15);  // to 16-byte alignment of dst
    memcpy(dst, src, head);
    size_t i = head;
    for (; i + 64 <= n; i += 64) {
      __m128i v0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
      __m128i v1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 16));
      __m128i v2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 32));
      __m128i v3 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 48));
      _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i), v0);
      _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + 16), v1);
      _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + 32), v2);
      _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + 48), v3);
    }
    _mm_sfence();  // order the streamed stores before whatever the caller does next
    memcpy(dst + i, src + i, n - i);
    return;
  }
#endif
  memmove(dst, src, n);
}

}  // namespace pymmap
