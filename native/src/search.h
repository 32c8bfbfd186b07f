// Substring search for g_find / g_rfind (memmem is 4-5 GB/s on a common first byte; this
// runs at memchr speed when the needle has a rare byte).
//
// 1. Prefilter on the needle's rarest byte (a static rank of byte frequencies in text and
//    binary data) with memchr/memrchr, which run at memory speed; verify each candidate.
// 2. If candidates come too often (the rare byte is common in this haystack), switch to a
//    SIMD filter on two bytes (the two rarest, at their offsets): 16 positions per step.
// 3. If verifications still pile up (pathological input), finish with memmem (forward: linear
//    worst case) or the plain backward scan.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace fastfind {

// Higher = more frequent. Space, lowercase letters by English frequency, then newline and
// punctuation, digits, uppercase, NUL/0xFF (common in binary), other control/high bytes.
inline uint8_t rank(uint8_t c) {
  static const char* kLower = "etaoinshrdlcumwfgypbvkjxqz";  // most -> least frequent
  if (c == ' ') return 255;
  if (c >= 'a' && c <= 'z') {
    const char* p = strchr(kLower, c);
    return (uint8_t)(250 - 3 * (p - kLower));
  }
  if (c == '\n') return 170;
  if (c == '.' || c == ',') return 150;
  if (c == 0) return 140;
  if (c == '-' || c == '_' || c == '/' || c == ':' || c == '"' || c == '\'' || c == '=' ||
      c == ';' || c == '(' || c == ')' || c == '\t' || c == '\r')
    return 125;
  if (c >= '0' && c <= '9') return 110;
  if (c >= 'A' && c <= 'Z') return 100;
  if (c == 0xFF) return 90;
  if (c < 0x80) return 60;
  return 40;
}

struct Pick { size_t i1, i2; };  // offsets of the rarest and second-rarest bytes (i1 != i2)

inline Pick pick(const uint8_t* nd, size_t nn) {
  size_t a = 0;
  for (size_t k = 1; k < nn; k++) if (rank(nd[k]) < rank(nd[a])) a = k;
  size_t b = a == 0 ? 1 : 0;
  for (size_t k = 0; k < nn; k++) {
    if (k == a) continue;
    // prefer a different byte value, far from a (independent positions filter better)
    int rk = rank(nd[k]) + (nd[k] == nd[a] ? 64 : 0), rb = rank(nd[b]) + (nd[b] == nd[a] ? 64 : 0);
    if (rk < rb) b = k;
  }
  return {a, b};
}

// Forward: index of the first occurrence in hay[0, hn), or -1. nn >= 2, nn <= hn.
inline int64_t find(const uint8_t* hay, size_t hn, const uint8_t* nd, size_t nn) {
  const Pick pk = pick(nd, nn);
  const uint8_t c1 = nd[pk.i1];
  const size_t last = hn - nn;  // last candidate start
  size_t s = 0;                 // next candidate start to consider
  // ---- phase 1: memchr on the rare byte
  size_t cands = 0;
  while (s <= last) {
    const uint8_t* p = (const uint8_t*)memchr(hay + s + pk.i1, c1, last - s + 1);
    if (!p) return -1;
    size_t c = (size_t)(p - hay) - pk.i1;
    if (memcmp(hay + c, nd, nn) == 0) return (int64_t)c;
    s = c + 1;
    if (++cands > 32 && cands * 128 > s) break;  // more than one candidate per 128 bytes
  }
  if (s > last) return -1;
  // ---- phase 2: two-byte filter
  size_t ver = 0;
  const uint8_t c2 = nd[pk.i2];
  const size_t o1 = pk.i1, o2 = pk.i2;
#if defined(__SSE2__)
  const __m128i v1 = _mm_set1_epi8((char)c1), v2 = _mm_set1_epi8((char)c2);
  while (s + 16 <= last + 1) {
    __m128i a = _mm_loadu_si128((const __m128i*)(hay + s + o1));
    __m128i b = _mm_loadu_si128((const __m128i*)(hay + s + o2));
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, v1), _mm_cmpeq_epi8(b, v2)));
    while (m) {
      size_t c = s + (size_t)__builtin_ctz(m);
      if (memcmp(hay + c, nd, nn) == 0) return (int64_t)c;
      ver++;
      m &= m - 1;
    }
    s += 16;
    if (ver > 64 && ver * 16 > s) break;  // pathological: hand over to memmem
  }
#endif
  if (!(ver > 64 && ver * 16 > s)) {
    for (; s <= last; s++) {
      if (hay[s + o1] == c1 && hay[s + o2] == c2 && memcmp(hay + s, nd, nn) == 0) return (int64_t)s;
      if (s % 4096 == 0 && ver > 64 && ver * 16 > s) break;
    }
    if (s > last) return -1;
  }
  // ---- phase 3: memmem (linear worst case)
  const void* r = memmem(hay + s, hn - s, nd, nn);
  return r ? (const uint8_t*)r - hay : -1;
}

// Backward: index of the last occurrence in hay[0, hn), or -1. nn >= 2, nn <= hn.
inline int64_t rfind(const uint8_t* hay, size_t hn, const uint8_t* nd, size_t nn) {
  const Pick pk = pick(nd, nn);
  const uint8_t c1 = nd[pk.i1];
  // candidate starts are 0..last; e = one past the highest start still to consider
  size_t e = hn - nn + 1;
  size_t cands = 0, scanned0 = e;
  while (e > 0) {
    const uint8_t* p = (const uint8_t*)memrchr(hay + pk.i1, c1, e);
    if (!p) return -1;
    size_t c = (size_t)(p - hay) - pk.i1;
    if (memcmp(hay + c, nd, nn) == 0) return (int64_t)c;
    e = c;
    if (++cands > 32 && cands * 128 > scanned0 - e) break;
  }
  if (e == 0) return -1;
  const uint8_t c2 = nd[pk.i2];
  const size_t o1 = pk.i1, o2 = pk.i2;
#if defined(__SSE2__)
  const __m128i v1 = _mm_set1_epi8((char)c1), v2 = _mm_set1_epi8((char)c2);
  while (e >= 16) {
    size_t s = e - 16;
    __m128i a = _mm_loadu_si128((const __m128i*)(hay + s + o1));
    __m128i b = _mm_loadu_si128((const __m128i*)(hay + s + o2));
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, v1), _mm_cmpeq_epi8(b, v2)));
    while (m) {
      int hi = 31 - __builtin_clz(m);
      size_t c = s + (size_t)hi;
      if (memcmp(hay + c, nd, nn) == 0) return (int64_t)c;
      m &= ~(1u << hi);
    }
    e = s;
  }
#endif
  while (e > 0) {
    size_t c = --e;
    if (hay[c + o1] == c1 && hay[c + o2] == c2 && memcmp(hay + c, nd, nn) == 0) return (int64_t)c;
  }
  return -1;
}

}  // namespace fastfind
