// Platform probe for the stress campaign (bench/stress.js), no pymmap involved: does this
// machine always fault on a store to a page wholly past the end of a file?
//
// Three threads of one process map three shared files (MAP_SHARED, offset 4096), store bytes at
// random offsets under a SIGBUS guard, and now and then ftruncate a file to a random length. A
// counter is odd while an ftruncate is in progress. A store that did not fault although no
// ftruncate overlapped it (the counter did not move) and fstat put its page wholly past the end
// of the file is counted: the kernel let it through (seen on a 2-vCPU KVM guest: stale TLB
// entries after another CPU's truncation; pinned to one CPU it never happens, and with the
// ftruncate done by another process instead of a thread it did not happen either).
//
//   cc -O2 -pthread -o probe platform_probe.c && ./probe [seconds]
// Prints: {"stores":N,"faults":N,"checked":N,"unfaulted":N}
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define NF 3
#define FULL 65536
static int fds[NF];
static int secs = 3;
static volatile int gen = 0;
static __thread sigjmp_buf* volatile tjb;
static long stores = 0, faults = 0, checked = 0, unfaulted = 0;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void handler(int s, siginfo_t* i, void* c) {
  (void)s; (void)i; (void)c;
  if (tjb) { sigjmp_buf* j = tjb; tjb = NULL; siglongjmp(*j, 1); }
  signal(SIGBUS, SIG_DFL);
}

static void* worker(void* arg) {
  unsigned seed = (unsigned)(uintptr_t)arg * 7919u + 1;
  long ls = 0, lf = 0, lc = 0, lu = 0;
  time_t t0 = time(NULL);
  while (time(NULL) - t0 < secs) {
    int f = rand_r(&seed) % NF;
    struct stat st;
    fstat(fds[f], &st);
    if (st.st_size <= 4096) { ftruncate(fds[f], FULL); continue; }
    size_t len = st.st_size - 4096;
    uint8_t* p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[f], 4096);
    if (p == MAP_FAILED) continue;
    for (int k = 0; k < 30; k++) {
      if (rand_r(&seed) % 20 == 0) {
        __atomic_add_fetch(&gen, 1, __ATOMIC_SEQ_CST);
        ftruncate(fds[f], 4096 + rand_r(&seed) % (FULL - 4096));
        __atomic_add_fetch(&gen, 1, __ATOMIC_SEQ_CST);
        continue;
      }
      size_t i = rand_r(&seed) % len;
      int g1 = __atomic_load_n(&gen, __ATOMIC_SEQ_CST);
      int ok = 0;
      sigjmp_buf jb;
      if (sigsetjmp(jb, 1) == 0) {
        tjb = &jb;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        ((volatile uint8_t*)p)[i] = 7;
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        tjb = NULL;
        ok = 1;
      } else {
        lf++;
      }
      fstat(fds[f], &st);
      int g2 = __atomic_load_n(&gen, __ATOMIC_SEQ_CST);
      ls++;
      size_t end = ((size_t)st.st_size + 4095) / 4096 * 4096;
      if (g1 == g2 && g1 % 2 == 0 && 4096 + i >= end) {
        lc++;
        if (ok) lu++;
      }
    }
    munmap(p, len);
  }
  pthread_mutex_lock(&mu);
  stores += ls; faults += lf; checked += lc; unfaulted += lu;
  pthread_mutex_unlock(&mu);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc > 1) secs = atoi(argv[1]);
  for (int f = 0; f < NF; f++) {
    const char* tmp = getenv("TMPDIR");
    char buf[512];
    snprintf(buf, sizeof buf, "%s/pymmap-probe-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    fds[f] = mkstemp(buf);
    if (fds[f] < 0) return 2;
    unlink(buf);
    ftruncate(fds[f], FULL);
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = handler;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGBUS, &sa, NULL);
  pthread_t th[3];
  for (int i = 0; i < 3; i++) pthread_create(&th[i], NULL, worker, (void*)(uintptr_t)i);
  for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
  printf("{\"stores\":%ld,\"faults\":%ld,\"checked\":%ld,\"unfaulted\":%ld}\n", stores, faults, checked, unfaulted);
  return 0;
}
