// Stand-alone check of the Windows fault guard (guard_win.cc), run under wine by build.sh:
// guarded reads and writes of pages that fault come back as tag "fault" with a Win32 error
// (ERROR_NOACCESS for an access violation), and the process goes on working afterwards.
#include <windows.h>

#include <cstdio>
#include <cstring>

#include "../src/os.h"

using namespace pymmap;

static int failures = 0;

static void check(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) failures++;
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
  std::printf("%s\n", failures ? "guard_test: FAILED" : "guard_test: passed");
  return failures ? 1 : 0;
}
