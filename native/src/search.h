// Substring search for g_find / g_rfind. Runs at memchr speed when the needle has a rare byte,
// and is linear in the worst case in both directions (CPython's fastsearch is, forward only).
//
// 1. Prefilter on the needle's rarest byte (a static rank of byte frequencies in text and
//    binary data) with memchr / memrchr, which run at memory speed; verify each candidate.
// 2. If candidates come too often (the rare byte is common in this haystack), switch to a
//    SIMD filter on three bytes (the two rarest at their offsets, and the last or first byte):
//    16 positions per step.
// 3. Verification is charged by the bytes it found equal (each candidate's first 64 bytes are
//    free: one candidate per haystack position at most, so that part is O(n)). When the charge
//    exceeds kCostPerByte per byte scanned plus an allowance of one needle (periodic needle and
//    haystack: every candidate matches nearly the whole needle), the next span of candidates
//    (>= 1 MiB and >= 16 needles) goes to Crochemore-Perrin two-way (worst case O(n + m),
//    O(1) memory, a Horspool table on the window's last byte), run on the mirrored problem for
//    rfind; then the prefilter gets another chance (periodic data may be a local stretch, and
//    two-way is several times slower than memchr on ordinary text). Total: O(n + m).
// Portable C++17: no memmem/memrchr needed (glibc's memrchr is used when there), SSE2 on x86
// with GCC/clang/MSVC, a scalar filter elsewhere. No allocation (about 4 KiB of stack), no
// exceptions, no destructors: safe inside the sigsetjmp / __try guarded regions.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__) || defined(_M_X64) || defined(_M_AMD64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#define FASTFIND_SSE2 1
#include <emmintrin.h>
#endif
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#endif

namespace fastfind {

inline unsigned ctz32(uint32_t m) {  // m != 0
#if defined(_MSC_VER) && !defined(__clang__)
  unsigned long i;
  _BitScanForward(&i, m);
  return (unsigned)i;
#else
  return (unsigned)__builtin_ctz(m);
#endif
}

inline unsigned hibit32(uint32_t m) {  // index of the highest set bit, m != 0
#if defined(_MSC_VER) && !defined(__clang__)
  unsigned long i;
  _BitScanReverse(&i, m);
  return (unsigned)i;
#else
  return 31u - (unsigned)__builtin_clz(m);
#endif
}

// memrchr: glibc has a fast one; macOS and Windows have none.
inline const uint8_t* mem_rchr(const uint8_t* s, uint8_t c, size_t n) {
#if defined(__GLIBC__)
  return (const uint8_t*)memrchr(s, c, n);
#else
  size_t e = n;
#if defined(FASTFIND_SSE2)
  const __m128i v = _mm_set1_epi8((char)c);
  while (e >= 16) {
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i*)(s + e - 16)), v));
    if (m) return s + e - 16 + hibit32(m);
    e -= 16;
  }
#endif
  while (e > 0) {
    if (s[--e] == c) return s + e;
  }
  return nullptr;
#endif
}

// Higher = more frequent. Space, lowercase letters by English frequency, then newline and
// punctuation, digits, uppercase, NUL/0xFF (common in binary), other control/high bytes.
struct RankTable { uint8_t v[256]; };
constexpr RankTable make_ranks() {
  RankTable t{};
  const char* lower = "etaoinshrdlcumwfgypbvkjxqz";  // most -> least frequent
  for (int c = 0; c < 256; c++) {
    uint8_t r = c < 0x80 ? 60 : 40;
    if (c == 0xFF) r = 90;
    if (c >= 'A' && c <= 'Z') r = 100;
    if (c >= '0' && c <= '9') r = 110;
    if (c == '-' || c == '_' || c == '/' || c == ':' || c == '"' || c == '\'' || c == '=' ||
        c == ';' || c == '(' || c == ')' || c == '\t' || c == '\r')
      r = 125;
    if (c == 0) r = 140;
    if (c == '.' || c == ',') r = 150;
    if (c == '\n') r = 170;
    for (int i = 0; i < 26; i++)
      if (lower[i] == c) r = (uint8_t)(250 - 3 * i);
    if (c == ' ') r = 255;
    t.v[c] = r;
  }
  return t;
}
constexpr RankTable kRanks = make_ranks();
inline uint8_t rank(uint8_t c) { return kRanks.v[c]; }

// Offsets of the rarest and second-rarest bytes (i1 != i2), and a third byte for the SIMD
// filter (the needle's last or first byte: in low-entropy data, such as DNA, it removes most
// two-byte candidates, each of which would cost a memcmp call).
struct Pick { size_t i1, i2, i3; };

// i1: the first occurrence of the rarest byte; i2: of the next rarest, preferring a different
// byte value (independent positions filter better). Ties go to the earlier offset. O(m) with a
// small constant (1 MiB needles): one pass records each byte value's first occurrence.
inline Pick pick(const uint8_t* nd, size_t nn) {
  const size_t kNone = SIZE_MAX;
  size_t first[256];
  for (int c = 0; c < 256; c++) first[c] = kNone;
  for (size_t k = nn; k-- > 0;) first[nd[k]] = k;
  size_t a = kNone;
  for (int c = 0; c < 256; c++) {
    if (first[c] == kNone) continue;
    if (a == kNone || rank((uint8_t)c) < rank(nd[a]) || (rank((uint8_t)c) == rank(nd[a]) && first[c] < a)) a = first[c];
  }
  const uint8_t ca = nd[a];
  size_t b = kNone;
  int rb = 0;
  auto consider = [&](size_t k, int rk) {
    if (b == kNone || rk < rb || (rk == rb && k < b)) { b = k; rb = rk; }
  };
  for (int c = 0; c < 256; c++)
    if (first[c] != kNone && c != ca) consider(first[c], rank((uint8_t)c));
  if (a + 1 < nn) {
    const void* p = memchr(nd + a + 1, ca, nn - a - 1);  // the rare byte again, elsewhere
    if (p) consider((size_t)((const uint8_t*)p - nd), rank(ca) + 64);
  }
  // nn >= 2: b was found (another value, or the same value again)
  size_t c = nn - 1;
  if (c == a || c == b) c = 0;
  if (c == a || c == b) c = nn / 2;  // nn == 2: a or b again, a harmless repeat
  return {a, b, c};
}

// a[0, n) == b[0, n)? Compares in doubling chunks and adds to cost the bytes found equal before
// the chunk that differs (the first 64 bytes are free: one candidate per position, O(1) each).
inline bool eq_charged(const uint8_t* a, const uint8_t* b, size_t n, size_t& cost) {
  size_t pos = 0, chunk = 64;
  for (;;) {
    size_t len = n - pos < chunk ? n - pos : chunk;
    if (memcmp(a + pos, b + pos, len) != 0) {
      cost += pos;
      return false;
    }
    pos += len;
    if (pos == n) return true;
    chunk <<= 1;
  }
}

// Verification may cost up to kCostPerByte bytes compared per haystack byte scanned, plus an
// allowance of kCostSlack + one needle (one long near-match), before two-way takes over.
constexpr size_t kCostPerByte = 2;
constexpr size_t kCostSlack = 4096;
// Two-way rounds: at least this many candidates, and this many per needle byte.
constexpr size_t kLinearSpanMin = (size_t)1 << 20;
constexpr size_t kLinearSpanPerNeedleByte = 16;
// Two-way's Horspool table covers the needle's last kShiftSpan bytes.
constexpr size_t kShiftSpan = (size_t)1 << 16;

// ---- Two-way (Crochemore-Perrin 1991), after glibc's two_way_long_needle: O(n + m) time,
// O(1) space. Rev = false searches forward; Rev = true searches the mirrored problem (needle
// and haystack read from their ends), whose first match is the original's last one.
template <bool Rev>
struct TwoWay {
  const uint8_t* nd;  // Rev: points at the needle's last byte
  size_t m;
  size_t cut;     // the critical factorization: left = [0, cut), right = [cut, m)
  size_t period;  // periodic needle: its period; otherwise a lower bound on shifts
  size_t gap;     // distance from the last byte to its previous occurrence (m if none)
  bool periodic;
  uint32_t shift[256];  // Horspool: distance from the last occurrence of a byte to the end

  static uint8_t at(const uint8_t* p, size_t i) { return Rev ? *(p - i) : p[i]; }
  uint8_t n_(size_t i) const { return at(nd, i); }

  // Maximal suffix of the needle for one ordering (inv: the reversed alphabet), with its
  // period. Returns the suffix start - 1 (SIZE_MAX for the whole needle).
  size_t max_suffix(bool inv, size_t* per) const {
    size_t ms = SIZE_MAX, j = 0, k = 1, p = 1;
    while (j + k < m) {
      uint8_t a = n_(j + k), b = n_(ms + k);  // ms + k wraps to k - 1 for SIZE_MAX
      if (inv ? (b < a) : (a < b)) {
        j += k;
        k = 1;
        p = j - ms;
      } else if (a == b) {
        if (k != p) {
          ++k;
        } else {
          j += p;
          k = 1;
        }
      } else {
        ms = j++;
        k = p = 1;
      }
    }
    *per = p;
    return ms;
  }

  // base: for Rev, the needle's first byte in memory (it is read from nd + m - 1 down).
  void prepare(const uint8_t* base, size_t nn) {
    m = nn;
    nd = Rev ? base + nn - 1 : base;
    size_t p1, p2;
    size_t s1 = max_suffix(false, &p1), s2 = max_suffix(true, &p2);
    // the later cut (s + 1, with SIZE_MAX + 1 == 0)
    if (s2 + 1 < s1 + 1) {
      cut = s1 + 1;
      period = p1;
    } else {
      cut = s2 + 1;
      period = p2;
    }
    periodic = period + cut <= m;
    if (periodic) {
      for (size_t i = 0; i < cut; i++)
        if (n_(i) != n_(i + period)) { periodic = false; break; }
    }
    if (!periodic) period = (cut > m - cut ? cut : m - cut) + 1;
    // From the needle's last kShiftSpan bytes only (a 1 MiB needle costs no more than 64 KiB):
    // a byte not among them shifts by kShiftSpan, less than it might, which is always safe.
    const size_t span = m < kShiftSpan ? m : kShiftSpan;
    for (int c = 0; c < 256; c++) shift[c] = (uint32_t)span;
    for (size_t i = m - span; i < m; i++) shift[n_(i)] = (uint32_t)(m - 1 - i);
    gap = m;
    for (size_t i = m - 1; i-- > 0;)
      if (n_(i) == n_(m - 1)) { gap = m - 1 - i; break; }
  }

  // First logical match in the logical haystack [0, hn): for Rev, hb is the haystack's first
  // byte in memory and the logical haystack is read from hb + hn - 1 down. -1 if none.
  int64_t search(const uint8_t* hb, size_t hn) const {
    if (hn < m) return -1;
    const uint8_t* h = Rev ? hb + hn - 1 : hb;
    const size_t last = hn - m;  // last window start
    size_t j = 0;
    if (periodic) {
      size_t memory = 0;  // window [0, memory) known to match (after a left-half mismatch)
      while (j <= last) {
        size_t sh = shift[at(h, j + m - 1)];
        if (sh) {
          // The window's last byte is out of place; with memory, the window broke the
          // needle's period there, so no window overlapping both can match.
          if (memory && sh < period) sh = m - period;
          memory = 0;
          j += sh;
          continue;
        }
        size_t i = cut > memory ? cut : memory;
        while (i < m - 1 && n_(i) == at(h, j + i)) ++i;
        if (i >= m - 1) {
          size_t k = cut;
          while (k > memory && n_(k - 1) == at(h, j + k - 1)) --k;
          if (k <= memory) return (int64_t)j;
          j += period;
          memory = m - period;
        } else {
          j += i - cut + 1;
          memory = 0;
        }
      }
    } else {
      while (j <= last) {
        size_t sh = shift[at(h, j + m - 1)];
        if (sh) {
          j += sh;
          continue;
        }
        size_t i = cut;
        while (i < m - 1 && n_(i) == at(h, j + i)) ++i;
        if (i >= m - 1) {
          size_t k = cut;
          while (k > 0 && n_(k - 1) == at(h, j + k - 1)) --k;
          if (k == 0) return (int64_t)j;
          j += period > gap ? period : gap;
        } else {
          // Two-way's shift, or more when the window's last byte (it matched) cannot be in
          // place again sooner (CPython's "gap"): both are safe, and the larger stays linear.
          size_t d = i - cut + 1;
          j += d > gap ? d : gap;
        }
      }
    }
    return -1;
  }
};

// Forward two-way over hay[0, hn): index of the first occurrence or -1.
inline int64_t two_way_find(const uint8_t* hay, size_t hn, const uint8_t* nd, size_t nn) {
  TwoWay<false> tw;
  tw.prepare(nd, nn);
  return tw.search(hay, hn);
}

// Backward two-way over hay[0, hn): index of the last occurrence or -1.
inline int64_t two_way_rfind(const uint8_t* hay, size_t hn, const uint8_t* nd, size_t nn) {
  if (hn < nn) return -1;
  TwoWay<true> tw;
  tw.prepare(nd, nn);
  int64_t j = tw.search(hay, hn);
  return j < 0 ? -1 : (int64_t)(hn - nn) - j;
}

// Candidates per two-way round before the prefilter gets another chance (periodic data may be
// local: two-way is linear but several times slower than memchr on ordinary text). Long enough
// that the prefilter's allowance and the window restart (O(m) each) are a few per cent of it.
inline size_t linear_span(size_t nn) {
  const size_t k = kLinearSpanPerNeedleByte;
  size_t s = nn > SIZE_MAX / k ? SIZE_MAX : k * nn;
  return s < kLinearSpanMin ? kLinearSpanMin : s;
}

constexpr int64_t kHandover = -2;

// Prefilter forward over candidate starts s..last: the first match, -1 (none), or kHandover
// with s = the first candidate not yet verified.
inline int64_t filter_fwd(const uint8_t* hay, size_t last, const uint8_t* nd, size_t nn, Pick pk, size_t& s) {
  const uint8_t c1 = nd[pk.i1], c3 = nd[pk.i3];
  const size_t o3 = pk.i3;
  const size_t s0 = s, slack = kCostSlack + nn;
  size_t cost = 0;  // bytes verification found equal (beyond its first chunk)
  // ---- phase 1: memchr on the rare byte
  size_t cands = 0;
  while (s <= last) {
    const uint8_t* p = (const uint8_t*)memchr(hay + s + pk.i1, c1, last - s + 1);
    if (!p) return -1;
    size_t c = (size_t)(p - hay) - pk.i1;
    if (eq_charged(hay + c, nd, nn, cost)) return (int64_t)c;
    s = c + 1;
    if (cost > kCostPerByte * (s - s0) + slack) return kHandover;
    if (++cands > 32 && cands * 128 > s - s0) break;  // more than one candidate per 128 bytes
  }
  // ---- phase 2: two-byte filter
  const uint8_t c2 = nd[pk.i2];
  const size_t o1 = pk.i1, o2 = pk.i2;
#if defined(FASTFIND_SSE2)
  const __m128i v1 = _mm_set1_epi8((char)c1), v2 = _mm_set1_epi8((char)c2), v3 = _mm_set1_epi8((char)c3);
  while (s <= last && last - s >= 15) {
    __m128i a = _mm_loadu_si128((const __m128i*)(hay + s + o1));
    __m128i b = _mm_loadu_si128((const __m128i*)(hay + s + o2));
    __m128i d = _mm_loadu_si128((const __m128i*)(hay + s + o3));
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_and_si128(_mm_cmpeq_epi8(a, v1), _mm_cmpeq_epi8(b, v2)), _mm_cmpeq_epi8(d, v3)));
    if (m) {
      do {
        size_t c = s + ctz32(m);
        if (eq_charged(hay + c, nd, nn, cost)) return (int64_t)c;
        m &= m - 1;
      } while (m);
      if (cost > kCostPerByte * (s + 16 - s0) + slack) {
        s += 16;
        return kHandover;
      }
    }
    s += 16;
  }
#endif
  for (; s <= last; s++) {
    if (hay[s + o1] == c1 && hay[s + o2] == c2 && hay[s + o3] == c3) {
      if (eq_charged(hay + s, nd, nn, cost)) return (int64_t)s;
      if (cost > kCostPerByte * (s + 1 - s0) + slack) {
        s++;
        return kHandover;
      }
    }
  }
  return -1;
}

// Prefilter backward over candidate starts e-1 down to 0: the last match, -1, or kHandover
// with e = one past the last candidate not yet verified.
inline int64_t filter_rev(const uint8_t* hay, const uint8_t* nd, size_t nn, Pick pk, size_t& e) {
  const uint8_t c1 = nd[pk.i1], c3 = nd[pk.i3];
  const size_t o3 = pk.i3;
  const size_t e0 = e, slack = kCostSlack + nn;
  size_t cost = 0, cands = 0;
  // ---- phase 1: memrchr on the rare byte
  while (e > 0) {
    const uint8_t* p = mem_rchr(hay + pk.i1, c1, e);
    if (!p) return -1;
    size_t c = (size_t)(p - hay) - pk.i1;
    if (eq_charged(hay + c, nd, nn, cost)) return (int64_t)c;
    e = c;
    if (cost > kCostPerByte * (e0 - e) + slack) return kHandover;
    if (++cands > 32 && cands * 128 > e0 - e) break;
  }
  // ---- phase 2: two-byte filter
  const uint8_t c2 = nd[pk.i2];
  const size_t o1 = pk.i1, o2 = pk.i2;
#if defined(FASTFIND_SSE2)
  const __m128i v1 = _mm_set1_epi8((char)c1), v2 = _mm_set1_epi8((char)c2), v3 = _mm_set1_epi8((char)c3);
  while (e >= 16) {
    size_t s = e - 16;
    __m128i a = _mm_loadu_si128((const __m128i*)(hay + s + o1));
    __m128i b = _mm_loadu_si128((const __m128i*)(hay + s + o2));
    __m128i d = _mm_loadu_si128((const __m128i*)(hay + s + o3));
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_and_si128(_mm_cmpeq_epi8(a, v1), _mm_cmpeq_epi8(b, v2)), _mm_cmpeq_epi8(d, v3)));
    if (m) {
      do {
        unsigned hi = hibit32(m);
        size_t c = s + hi;
        if (eq_charged(hay + c, nd, nn, cost)) return (int64_t)c;
        m &= ~(1u << hi);
      } while (m);
      if (cost > kCostPerByte * (e0 - s) + slack) {
        e = s;
        return kHandover;
      }
    }
    e = s;
  }
#endif
  while (e > 0) {
    size_t c = --e;
    if (hay[c + o1] == c1 && hay[c + o2] == c2 && hay[c + o3] == c3) {
      if (eq_charged(hay + c, nd, nn, cost)) return (int64_t)c;
      if (cost > kCostPerByte * (e0 - c) + slack) return kHandover;
    }
  }
  return -1;
}

// Forward: index of the first occurrence in hay[0, hn), or -1. nn >= 2, nn <= hn.
inline int64_t find(const uint8_t* hay, size_t hn, const uint8_t* nd, size_t nn) {
  const Pick pk = pick(nd, nn);
  const size_t last = hn - nn;  // last candidate start
  TwoWay<false> tw;             // prepared on the first handover
  bool ready = false;
  size_t s = 0;                 // next candidate start to consider
  for (;;) {
    int64_t r = filter_fwd(hay, last, nd, nn, pk, s);
    if (r != kHandover) return r;
    // ---- phase 3: two-way over the next span of candidates, then the prefilter again
    if (s > last) return -1;
    if (!ready) {
      tw.prepare(nd, nn);
      ready = true;
    }
    const size_t span = linear_span(nn);
    const size_t end = last - s < span ? last : s + span - 1;  // last candidate of the round
    int64_t j = tw.search(hay + s, end - s + nn);
    if (j >= 0) return (int64_t)s + j;
    if (end == last) return -1;
    s = end + 1;
  }
}

// Backward: index of the last occurrence in hay[0, hn), or -1. nn >= 2, nn <= hn.
inline int64_t rfind(const uint8_t* hay, size_t hn, const uint8_t* nd, size_t nn) {
  const Pick pk = pick(nd, nn);
  TwoWay<true> tw;
  bool ready = false;
  size_t e = hn - nn + 1;  // candidate starts still to consider: 0..e-1
  for (;;) {
    int64_t r = filter_rev(hay, nd, nn, pk, e);
    if (r != kHandover) return r;
    // ---- phase 3: two-way, mirrored, over the candidates [b, e) (bytes [b, e - 1 + nn))
    if (e == 0) return -1;
    if (!ready) {
      tw.prepare(nd, nn);
      ready = true;
    }
    const size_t span = linear_span(nn);
    const size_t b = e > span ? e - span : 0;
    int64_t j = tw.search(hay + b, e - 1 + nn - b);  // logical: counted from byte e - 2 + nn down
    if (j >= 0) return (int64_t)(e - 1) - j;
    if (b == 0) return -1;
    e = b;
  }
}

}  // namespace fastfind
