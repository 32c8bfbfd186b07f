// Platform constants, taken from the system headers at build time: a name is exported
// only where the headers define it (the candidate names are Python's mmap module's).
// Generated list; values never hard-coded.
#include <cstddef>
#include "os.h"
#ifndef _WIN32
#include <sys/mman.h>
#endif

namespace pymmap {
extern const ConstantDef kConstants[];
const ConstantDef kConstants[] = {
#ifdef PROT_EXEC
    {"PROT_EXEC", (long long)(PROT_EXEC)},
#endif
#ifdef PROT_READ
    {"PROT_READ", (long long)(PROT_READ)},
#endif
#ifdef PROT_WRITE
    {"PROT_WRITE", (long long)(PROT_WRITE)},
#endif
#ifdef MAP_SHARED
    {"MAP_SHARED", (long long)(MAP_SHARED)},
#endif
#ifdef MAP_PRIVATE
    {"MAP_PRIVATE", (long long)(MAP_PRIVATE)},
#endif
#ifdef MAP_DENYWRITE
    {"MAP_DENYWRITE", (long long)(MAP_DENYWRITE)},
#endif
#ifdef MAP_EXECUTABLE
    {"MAP_EXECUTABLE", (long long)(MAP_EXECUTABLE)},
#endif
#ifdef MAP_ANON
    {"MAP_ANON", (long long)(MAP_ANON)},
#endif
#ifdef MAP_ANONYMOUS
    {"MAP_ANONYMOUS", (long long)(MAP_ANONYMOUS)},
#endif
#ifdef MAP_POPULATE
    {"MAP_POPULATE", (long long)(MAP_POPULATE)},
#endif
#ifdef MAP_STACK
    {"MAP_STACK", (long long)(MAP_STACK)},
#endif
#ifdef MAP_ALIGNED_SUPER
    {"MAP_ALIGNED_SUPER", (long long)(MAP_ALIGNED_SUPER)},
#endif
#ifdef MAP_CONCEAL
    {"MAP_CONCEAL", (long long)(MAP_CONCEAL)},
#endif
#ifdef MAP_NORESERVE
    {"MAP_NORESERVE", (long long)(MAP_NORESERVE)},
#endif
#ifdef MAP_NOEXTEND
    {"MAP_NOEXTEND", (long long)(MAP_NOEXTEND)},
#endif
#ifdef MAP_HASSEMAPHORE
    {"MAP_HASSEMAPHORE", (long long)(MAP_HASSEMAPHORE)},
#endif
#ifdef MAP_NOCACHE
    {"MAP_NOCACHE", (long long)(MAP_NOCACHE)},
#endif
#ifdef MAP_JIT
    {"MAP_JIT", (long long)(MAP_JIT)},
#endif
#ifdef MAP_RESILIENT_CODESIGN
    {"MAP_RESILIENT_CODESIGN", (long long)(MAP_RESILIENT_CODESIGN)},
#endif
#ifdef MAP_RESILIENT_MEDIA
    {"MAP_RESILIENT_MEDIA", (long long)(MAP_RESILIENT_MEDIA)},
#endif
#ifdef MAP_32BIT
    {"MAP_32BIT", (long long)(MAP_32BIT)},
#endif
#ifdef MAP_TRANSLATED_ALLOW_EXECUTE
    {"MAP_TRANSLATED_ALLOW_EXECUTE", (long long)(MAP_TRANSLATED_ALLOW_EXECUTE)},
#endif
#ifdef MAP_UNIX03
    {"MAP_UNIX03", (long long)(MAP_UNIX03)},
#endif
#ifdef MAP_TPRO
    {"MAP_TPRO", (long long)(MAP_TPRO)},
#endif
#ifdef MADV_NORMAL
    {"MADV_NORMAL", (long long)(MADV_NORMAL)},
#endif
#ifdef MADV_RANDOM
    {"MADV_RANDOM", (long long)(MADV_RANDOM)},
#endif
#ifdef MADV_SEQUENTIAL
    {"MADV_SEQUENTIAL", (long long)(MADV_SEQUENTIAL)},
#endif
#ifdef MADV_WILLNEED
    {"MADV_WILLNEED", (long long)(MADV_WILLNEED)},
#endif
#ifdef MADV_DONTNEED
    {"MADV_DONTNEED", (long long)(MADV_DONTNEED)},
#endif
#ifdef MADV_REMOVE
    {"MADV_REMOVE", (long long)(MADV_REMOVE)},
#endif
#ifdef MADV_DONTFORK
    {"MADV_DONTFORK", (long long)(MADV_DONTFORK)},
#endif
#ifdef MADV_DOFORK
    {"MADV_DOFORK", (long long)(MADV_DOFORK)},
#endif
#ifdef MADV_HWPOISON
    {"MADV_HWPOISON", (long long)(MADV_HWPOISON)},
#endif
#ifdef MADV_MERGEABLE
    {"MADV_MERGEABLE", (long long)(MADV_MERGEABLE)},
#endif
#ifdef MADV_UNMERGEABLE
    {"MADV_UNMERGEABLE", (long long)(MADV_UNMERGEABLE)},
#endif
#ifdef MADV_SOFT_OFFLINE
    {"MADV_SOFT_OFFLINE", (long long)(MADV_SOFT_OFFLINE)},
#endif
#ifdef MADV_HUGEPAGE
    {"MADV_HUGEPAGE", (long long)(MADV_HUGEPAGE)},
#endif
#ifdef MADV_NOHUGEPAGE
    {"MADV_NOHUGEPAGE", (long long)(MADV_NOHUGEPAGE)},
#endif
#ifdef MADV_DONTDUMP
    {"MADV_DONTDUMP", (long long)(MADV_DONTDUMP)},
#endif
#ifdef MADV_DODUMP
    {"MADV_DODUMP", (long long)(MADV_DODUMP)},
#endif
#ifdef MADV_FREE
    {"MADV_FREE", (long long)(MADV_FREE)},
#endif
#ifdef MADV_NOSYNC
    {"MADV_NOSYNC", (long long)(MADV_NOSYNC)},
#endif
#ifdef MADV_AUTOSYNC
    {"MADV_AUTOSYNC", (long long)(MADV_AUTOSYNC)},
#endif
#ifdef MADV_NOCORE
    {"MADV_NOCORE", (long long)(MADV_NOCORE)},
#endif
#ifdef MADV_CORE
    {"MADV_CORE", (long long)(MADV_CORE)},
#endif
#ifdef MADV_PROTECT
    {"MADV_PROTECT", (long long)(MADV_PROTECT)},
#endif
#ifdef MADV_FREE_REUSABLE
    {"MADV_FREE_REUSABLE", (long long)(MADV_FREE_REUSABLE)},
#endif
#ifdef MADV_FREE_REUSE
    {"MADV_FREE_REUSE", (long long)(MADV_FREE_REUSE)},
#endif
#ifdef MS_ASYNC
    {"MS_ASYNC", (long long)(MS_ASYNC)},
#endif
#ifdef MS_INVALIDATE
    {"MS_INVALIDATE", (long long)(MS_INVALIDATE)},
#endif
#ifdef MS_SYNC
    {"MS_SYNC", (long long)(MS_SYNC)},
#endif
    {nullptr, 0}};
}  // namespace pymmap
