// Stand-alone check of the Windows fault guard (guard_win.cc + os_win.cc), run under wine by
// build.sh:
//  1. guarded reads and writes of pages that fault come back as tag "fault" with a Win32 error
//     (ERROR_NOACCESS for an access violation), and the process goes on working afterwards;
//  2. faults under registered ranges (what JS views touch) outside guarded code, through the
//     vectored handler:
//     - EXCEPTION_IN_PAGE_ERROR (what Windows raises for a page that cannot be read) raised
//       with RaiseException on a registered view: the view is swapped for zeroed memory, the
//       fault counted, and os_guard_repair maps the file back (runs anywhere);
//     - a plain range made inaccessible: each touch is repaired with a zero page, counted, and
//       the repair makes it inaccessible again (runs anywhere);
//     - a reader thread that touches a view while another thread swaps it out and back never
//       dies and is never counted (runs anywhere);
//     - under wine only: the real thing wine can provoke, a file truncated from the Linux side
//       (the Linux truncate system call, which wine does not see) under a mapped view: wine's
//       SIGBUS becomes an access violation on a readable page, which the handler takes as a
//       page that cannot be read (read-write view, copy-on-write view with written pages, the
//       copy-on-write shadow of a read-only map, guarded reads still reporting "fault").
#include <windows.h>

#include <fcntl.h>
#include <io.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "../src/os.h"

using namespace pymmap;

static int failures = 0;

static void check(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  std::fflush(stdout);
  if (!ok) failures++;
}

static size_t PS;  // page size

static uint32_t counter() { return os_fault_counter()[0]; }

// Byte i of the test files.
static uint8_t pattern(uint64_t i) { return (uint8_t)(1 + (i * 7 + i / 4096) % 251); }

static std::wstring temp_file(const wchar_t* name) {
  wchar_t dir[MAX_PATH];
  GetTempPathW(MAX_PATH, dir);
  return std::wstring(dir) + name;
}

// Writes `size` pattern bytes to path (creating or extending it; never shortening it: a mapped
// file cannot be shortened on Windows).
static bool write_pattern(const std::wstring& path, uint64_t size) {
  HANDLE h = CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE,
                         FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_ALWAYS, 0, nullptr);
  if (h == INVALID_HANDLE_VALUE) return false;
  std::string data(size, '\0');
  for (uint64_t i = 0; i < size; i++) data[i] = (char)pattern(i);
  DWORD n = 0;
  bool ok = WriteFile(h, data.data(), (DWORD)size, &n, nullptr) && n == size;
  CloseHandle(h);
  return ok;
}

static void raise_in_page_error(const void* addr) {
  ULONG_PTR info[3] = {0, (ULONG_PTR)addr, (ULONG_PTR)0xC000009CL /* STATUS_DEVICE_DATA_ERROR */};
  RaiseException(EXCEPTION_IN_PAGE_ERROR, 0, 3, info);
}

// A map of `size` pattern bytes of a fresh file, with its range registered. access: 2 write,
// 3 copy, 1 read (then the range is over the copy-on-write shadow, as the binding does).
struct TestMap {
  std::wstring path;
  int fd = -1;
  Mapping m;
  uint8_t* mem = nullptr;
  GuardRange* range = nullptr;
  bool open(const wchar_t* name, uint64_t size, int access) {
    path = temp_file(name);
    DeleteFileW(path.c_str());
    if (!write_pattern(path, size)) return false;
    fd = _wopen(path.c_str(), (access == 1 ? _O_RDONLY : _O_RDWR) | _O_BINARY);
    if (fd < 0) return false;
    MapRequest req;
    req.fd = fd;
    req.length = size;
    req.access = access;
    if (!os_map(req, &m).ok()) return false;
    mem = m.addr;
    if (access == 1) {
      if (!os_shadow(&m).ok()) return false;
      mem = m.shadow;
    }
    range = os_guard_add(mem, m.length);
    return range != nullptr;
  }
  int repair() { return os_guard_repair(range, RepairSource{}); }
  void close() {
    os_guard_remove(range);
    range = nullptr;
    if (m.shadow) os_unmap_range(m.shadow, m.length);
    m.shadow = nullptr;
    os_unmap(&m);
    if (fd >= 0) _close(fd);
    fd = -1;
    DeleteFileW(path.c_str());
  }
};

// ---- wine only: the Linux truncate system call on the file's Unix name (wine does not see it,
// so it cannot refuse it as Windows refuses to shorten a mapped file).
typedef char*(CDECL* unix_name_fn)(LPCWSTR);

static unix_name_fn wine_unix_name() {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  if (!ntdll || !GetProcAddress(ntdll, "wine_get_version")) return nullptr;
  return (unix_name_fn)(void*)GetProcAddress(GetModuleHandleW(L"kernel32.dll"), "wine_get_unix_file_name");
}

static bool linux_truncate(const std::wstring& path, long size) {
  unix_name_fn unix_name = wine_unix_name();
  if (!unix_name) return false;
  char* u = unix_name(path.c_str());
  if (!u) return false;
  long ret;
  asm volatile("syscall" : "=a"(ret) : "a"(76L /* truncate */), "D"(u), "S"(size) : "rcx", "r11", "memory");
  HeapFree(GetProcessHeap(), 0, u);
  return ret == 0;
}

static volatile uint8_t sink;

static void test_raised_in_page_error() {
  TestMap t;
  if (!t.open(L"pymmap-guard-raise.bin", 4 * PS, 2)) { check(false, "raise: map a file"); return; }
  volatile uint8_t* v = t.mem;
  const uint64_t lost = 2 * PS + 3;
  uint32_t fc0 = counter();
  raise_in_page_error((const void*)(v + lost));
  check(counter() == fc0 + 1, "raised EXCEPTION_IN_PAGE_ERROR on a view: handled and counted");
  check(os_guard_pending(t.range), "raise: the range has a repair pending");
  check(v[lost] == 0 && v[3] == 0, "raise: the whole view reads zeros until the repair");
  v[5] = 0x77;  // a store to the zeroed memory: absorbed, dropped by the repair
  check(t.repair() == 1, "raise: the repair reports the fault");
  check(!os_guard_pending(t.range) && t.repair() == 0, "raise: nothing pending after the repair");
  check(v[lost] == pattern(lost) && v[3] == pattern(3) && v[5] == pattern(5), "raise: the file's bytes are back after the repair");
  // Twice more, then a raised access violation on a page that is readable: retried, not counted.
  raise_in_page_error((const void*)(v + PS));
  raise_in_page_error((const void*)(v + PS));  // already swapped: retried on the zeros, not counted again
  check(counter() == fc0 + 2 && t.repair() == 1, "raise: a second in-page error before the repair is not a second swap");
  check(v[PS] == pattern(PS), "raise: file back again");
  uint8_t b = 0;
  check(g_get(t.m.addr + lost, &b).ok() && b == pattern(lost), "raise: guarded read after the repair");
  t.close();
  check(counter() == fc0 + 2, "raise: counted exactly twice");
}

static void test_plain_range() {
  uint8_t* p = (uint8_t*)VirtualAlloc(nullptr, 4 * PS, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
  memset(p, 0xAB, 4 * PS);
  DWORD old;
  VirtualProtect(p + PS, PS, PAGE_NOACCESS, &old);
  GuardRange* r = os_guard_add(p, 4 * PS);
  volatile uint8_t* v = p;
  uint32_t fc0 = counter();
  uint8_t b = 0;
  check(g_get(p + PS + 1, &b).tag != nullptr && counter() == fc0, "plain: a guarded read of an inaccessible page is a fault, not counted");
  uint8_t x = v[PS + 1];
  check(x == 0 && counter() == fc0 + 1 && os_guard_pending(r), "plain: an unguarded read of an inaccessible page reads a zero page, counted");
  check(v[0] == 0xAB && v[2 * PS] == 0xAB, "plain: the other pages are untouched");
  check(os_guard_repair(r, RepairSource{}) == 1, "plain: repair reports it");
  v[PS + 2] = 1;  // inaccessible again: counted again
  check(counter() == fc0 + 2 && os_guard_repair(r, RepairSource{}) == 1, "plain: after the repair the page faults again and is counted again");
  check(g_get(p + PS, &b).tag != nullptr, "plain: still inaccessible to guarded code after the repair");
  os_guard_remove(r);
  VirtualFree(p, 0, MEM_RELEASE);
}

// A reader thread over a view while this thread swaps it out and back (raised in-page errors):
// the reader's transient access violations (the view is gone for a moment) are retried, never
// counted, never fatal.
struct ReaderArgs {
  volatile uint8_t* v;
  size_t len;
  volatile LONG stop;
  volatile LONG64 reads;
};

static DWORD WINAPI reader(void* a) {
  ReaderArgs* r = (ReaderArgs*)a;
  while (!r->stop) {
    for (size_t i = 0; i < r->len; i += 512) sink = r->v[i];
    InterlockedIncrement64(&r->reads);
  }
  return 0;
}

static void test_concurrent_reader() {
  TestMap t;
  if (!t.open(L"pymmap-guard-threads.bin", 16 * PS, 2)) { check(false, "threads: map a file"); return; }
  ReaderArgs args{t.mem, 16 * PS, 0, 0};
  HANDLE th = CreateThread(nullptr, 0, reader, &args, 0, nullptr);
  uint32_t fc0 = counter();
  const int rounds = 2000;
  int repaired = 0;
  for (int i = 0; i < rounds; i++) {
    raise_in_page_error((const void*)(t.mem + (i % 16) * PS));
    repaired += t.repair();
    if (i % 200 == 0) Sleep(1);
  }
  args.stop = 1;
  WaitForSingleObject(th, INFINITE);
  CloseHandle(th);
  char what[160];
  std::snprintf(what, sizeof what, "threads: %d swaps under a reading thread (%lld passes): counted %u, repaired %d",
                rounds, (long long)args.reads, counter() - fc0, repaired);
  check(counter() - fc0 == (uint32_t)rounds && repaired == rounds && args.reads > 0, what);
  check(t.mem[5 * PS + 1] == pattern(5 * PS + 1), "threads: the view is the file's afterwards");
  t.close();
}

// ---- wine: a file truncated from the Linux side under mapped views.
static void test_wine_truncate(int access, const char* label) {
  char what[200];
  auto say = [&](bool ok, const char* s) {
    std::snprintf(what, sizeof what, "wine truncate, %s: %s", label, s);
    check(ok, what);
  };
  TestMap t;
  std::wstring name = std::wstring(L"pymmap-guard-trunc-") + (wchar_t)(L'0' + access) + L".bin";
  if (!t.open(name.c_str(), 4 * PS, access)) { say(false, "map a file"); return; }
  volatile uint8_t* v = t.mem;
  const uint64_t lost = 2 * PS + 3;
  if (access != 1) v[10] = 0x5A;  // a store before the truncation (copy: a private page)
  uint8_t first = v[10];
  uint32_t fc0 = counter();
  if (!linux_truncate(t.path, (long)PS)) { say(false, "truncate(2) from the Linux side"); t.close(); return; }
  uint8_t b = 1;
  say(g_get(t.mem + lost, &b).tag != nullptr && counter() == fc0, "a guarded read of a lost page is a fault, not counted");
  uint8_t x = v[lost];
  say(x == 0 && counter() == fc0 + 1, "a JS-style read of a lost page reads 0 and is counted (no crash)");
  if (access == 3) say(v[10] == first, "the page written before (a private copy) keeps its byte while swapped out");
  else say(v[10] == 0, "while swapped out the whole view reads zeros");
  say(t.repair() == 1 && t.repair() == 0, "repair reports one fault, then none");
  x = v[lost + PS];
  say(x == 0 && counter() == fc0 + 2 && t.repair() == 1, "after the repair the file is read again: another lost page faults again, counted");
  if (access != 1) {
    v[lost] = 0x55;
    say(counter() == fc0 + 3 && t.repair() == 1, "a store to a lost page is absorbed and counted");
  }
  uint32_t fc1 = counter();
  if (!write_pattern(t.path, 4 * PS)) { say(false, "write the file whole again"); t.close(); return; }
  say(v[lost] == pattern(lost) && counter() == fc1 && t.repair() == 0, "file whole again: the view reads the file, nothing counted");
  say(v[10] == (access == 3 ? 0x5A : pattern(10)) , access == 3 ? "the copy-on-write page written before the fault kept its byte" : "the first page reads the file");
  say(g_get(t.mem + lost, &b).ok() && b == pattern(lost), "guarded read after the repair");
  t.close();
}

// wine: a written copy-on-write page that cannot be put back into a fresh view at the repair
// (making the copy reads the file's page, now past the end of the file): the range is sealed,
// every touch is reported, the written byte is kept, and the repair succeeds once the file is
// whole again. (Linux itself drops private copies of pages past the end at a truncation, so
// page 2 is still inside the file at the fault, and cut off only before the repair.)
static void test_wine_sealed() {
  TestMap t;
  if (!t.open(L"pymmap-guard-sealed.bin", 4 * PS, 3)) { check(false, "sealed: map a file"); return; }
  volatile uint8_t* v = t.mem;
  v[2 * PS + 7] = 0x66;  // private copy of page 2
  uint32_t fc0 = counter();
  if (!linux_truncate(t.path, (long)(3 * PS))) { check(false, "sealed: truncate(2)"); t.close(); return; }
  sink = v[3 * PS];  // lost page: swap (page 2 kept)
  check(counter() == fc0 + 1 && v[2 * PS + 7] == 0x66, "wine sealed: fault counted, written copy-on-write page kept");
  linux_truncate(t.path, (long)PS);
  check(t.repair() == 1, "wine sealed: repair reports it (and cannot put page 2 back: sealed)");
  uint8_t b = 0;
  check(g_get(t.mem, &b).tag != nullptr && counter() == fc0 + 1, "wine sealed: guarded read of the sealed view is a fault, not counted");
  uint8_t x = v[0];
  check(x == 0 && counter() == fc0 + 2 && v[2 * PS + 7] == 0x66, "wine sealed: a touch of the sealed view is counted, page 2 still kept");
  check(t.repair() == 1, "wine sealed: repair again");
  write_pattern(t.path, 4 * PS);
  x = v[0];
  check(counter() == fc0 + 3 && t.repair() == 1, "wine sealed: still sealed until a repair succeeds");
  check(v[0] == pattern(0) && v[2 * PS + 7] == 0x66 && v[2 * PS + 8] == pattern(2 * PS + 8) && counter() == fc0 + 3,
        "wine sealed: file whole again: view mapped back, written page restored");
  t.close();
}

int main() {
  os_install_guard();
  SYSTEM_INFO si;
  GetSystemInfo(&si);
  const size_t page = si.dwPageSize;
  uint8_t* noaccess = (uint8_t*)VirtualAlloc(nullptr, page, MEM_COMMIT | MEM_RESERVE, PAGE_NOACCESS);
  uint8_t* readonly = (uint8_t*)VirtualAlloc(nullptr, page, MEM_COMMIT | MEM_RESERVE, PAGE_READONLY);
  uint8_t buf[64] = {1, 2, 3};
  uint8_t v = 0;
  int64_t at = 0;

  for (int round = 0; round < 1000; round++) {
    OsError e = g_copy_out(noaccess, buf, 16);
    if (round == 0) check(e.tag && !strcmp(e.tag, "fault") && e.win && e.code == ERROR_NOACCESS, "copy_out from a PAGE_NOACCESS page faults with ERROR_NOACCESS");
    else if (!(e.tag && e.code == ERROR_NOACCESS)) { check(false, "repeated faults"); break; }
  }
  check(g_get(noaccess + 5, &v).tag != nullptr, "get faults");
  check(g_set(readonly + 5, 9).tag != nullptr, "set on a read-only page faults");
  check(g_copy_in(readonly, buf, 8).tag != nullptr, "copy_in on a read-only page faults");
  check(g_find(noaccess, page, (const uint8_t*)"ab", 2, &at).tag != nullptr, "find faults");
  check(g_rfind(noaccess, page, (const uint8_t*)"ab", 2, &at).tag != nullptr, "rfind faults");
  check(g_memchr(noaccess, page, 'a', &at).tag != nullptr, "memchr faults");
  check(g_copy_step(noaccess, 0, 2, 5, buf).tag != nullptr, "copy_step faults");
  check(g_store_step(readonly, 0, 2, 5, buf).tag != nullptr, "store_step faults");
  check(g_move(readonly, 0, 8, 8).tag != nullptr, "move faults");
  // The guard is off again: ordinary guarded work succeeds.
  uint8_t hay[] = "hello world, hello";
  check(g_find(hay, sizeof hay - 1, (const uint8_t*)"hello", 5, &at).ok() && at == 0, "find works");
  check(g_rfind(hay, sizeof hay - 1, (const uint8_t*)"hello", 5, &at).ok() && at == 13, "rfind works");
  check(g_rfind(hay, sizeof hay - 1, (const uint8_t*)"h", 1, &at).ok() && at == 13, "rfind of one byte works");
  check(g_find(hay, sizeof hay - 1, (const uint8_t*)"xyz", 3, &at).ok() && at == -1, "find of a missing needle");
  check(g_copy_out(readonly, buf, 16).ok() && buf[0] == 0, "copy_out from a readable page works");
  check(g_set(hay, 'H').ok() && hay[0] == 'H', "set works");

  PS = si.dwPageSize;
  test_raised_in_page_error();
  test_plain_range();
  test_concurrent_reader();
  if (wine_unix_name()) {
    test_wine_truncate(2, "read-write view");
    test_wine_truncate(3, "copy-on-write view (ACCESS_COPY)");
    test_wine_truncate(1, "read-only map (view over its copy-on-write shadow)");
    test_wine_sealed();
  } else {
    std::printf("skip the truncation cases (not under wine)\n");
  }
  std::printf("%s\n", failures ? "guard_test: FAILED" : "guard_test: passed");
  return failures ? 1 : 0;
}
