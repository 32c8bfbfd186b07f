// Windows backend of the OS layer: CreateFileMappingW / MapViewOfFile / FlushViewOfFile /
// UnmapViewOfFile, following CPython's Modules/mmapmodule.c (MS_WINDOWS parts):
//  - fileno -1 maps the paging file (an "anonymous" map); a tagname names the section, so two
//    maps with the same tagname share memory;
//  - the section's maximum size is offset + length, so a length larger than the file extends
//    the file;
//  - resize closes the section and remaps (copying the old view for paging-file maps), and fails
//    as CPython does when the section is held elsewhere (ERROR_USER_MAPPED_FILE);
//  - Win32 failures are reported with `win` set (the JS side turns them into OSError with
//    winerror); a bad descriptor is errno EBADF, as CPython's _Py_get_osfhandle reports it.
// Descriptors are the C runtime descriptors of node.exe (libuv's): they are turned into handles
// with node.exe's exported uv_get_osfhandle, because the addon's own C runtime has a different
// descriptor table.
// Every view we map is noted (base address -> its mapping, file offset, size, access) for the
// fault guard (guard_win.cc), which may have to take a view down and map it again at the same
// address to repair an in-page error under a JS view (os_win_view_source).
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <io.h>
#include <string>

#include "os.h"

namespace pymmap {

namespace {

enum { kAccessDefault = 0, kAccessRead = 1, kAccessWrite = 2, kAccessCopy = 3 };

// What a Mapping's `os` points at.
struct WinMap {
  HANDLE map = nullptr;                 // the section (file mapping object)
  HANDLE file = INVALID_HANDLE_VALUE;   // our duplicate of the file's handle, or none
  std::wstring tagname;
  bool has_tag = false;
  int access = kAccessDefault;
};

inline WinMap* wm(const Mapping* m) { return static_cast<WinMap*>(m->os); }

inline OsError win_error(DWORD code) {
  OsError r;
  r.code = (int)code;
  r.win = true;
  if (r.code == 0) r.code = (int)ERROR_GEN_FAILURE;  // never report "success" as an error
  return r;
}

inline OsError last_error() { return win_error(GetLastError()); }

inline DWORD hi32(uint64_t v) { return (DWORD)(v >> 32); }
inline DWORD lo32(uint64_t v) { return (DWORD)(v & 0xFFFFFFFFu); }

// fd -> HANDLE through node.exe's C runtime (uv_get_osfhandle), falling back to ours.
typedef HANDLE(__cdecl* uv_get_osfhandle_fn)(int);

HANDLE fd_handle(int64_t fd) {
  static uv_get_osfhandle_fn fn = [] {
    FARPROC p = GetProcAddress(GetModuleHandleW(nullptr), "uv_get_osfhandle");
    return reinterpret_cast<uv_get_osfhandle_fn>(reinterpret_cast<void*>(p));
  }();
  if (fd < 0 || fd > 0x7fffffff) return INVALID_HANDLE_VALUE;
  if (fn) return fn((int)fd);
  return (HANDLE)_get_osfhandle((int)fd);
}

// ---- views the fault guard may have to map again (see os_win_view_source)
struct ViewNote {
  uintptr_t base;
  WinMap* w;        // the mapping (its section handle is read when the guard asks); nullptr once
                    // the mapping is gone (its memory may live on under a transferred view)
  uint64_t offset;  // file offset of the view's first byte
  uint64_t size;    // bytes mapped
  DWORD access;     // FILE_MAP_* of the view
  bool replaced;    // the fault guard left private memory there (see os_win_view_replaced)
};
SRWLOCK g_notes_lock = SRWLOCK_INIT;
ViewNote* g_notes = nullptr;  // g_note_count used of g_note_cap (malloc'ed, never freed at unload)
size_t g_note_count = 0, g_note_cap = 0;

void note_view(void* base, WinMap* w, uint64_t offset, uint64_t size, DWORD access) {
  const ViewNote note{(uintptr_t)base, w, offset, size, access, false};
  AcquireSRWLockExclusive(&g_notes_lock);
  size_t i = 0;
  while (i < g_note_count && g_notes[i].base != note.base) i++;
  if (i == g_note_count && g_note_count == g_note_cap) {
    size_t cap = g_note_cap ? 2 * g_note_cap : 64;
    ViewNote* grown = static_cast<ViewNote*>(realloc(g_notes, cap * sizeof(ViewNote)));
    // Out of memory: no note, so the guard treats the view as plain memory (never remapped).
    if (grown) {
      g_notes = grown;
      g_note_cap = cap;
    }
  }
  if (i < g_note_count) {
    g_notes[i] = note;
  } else if (g_note_count < g_note_cap) {
    g_notes[g_note_count++] = note;
  }
  ReleaseSRWLockExclusive(&g_notes_lock);
}

// Forgets the note of the view at base; true if the guard had left private memory there.
bool forget_view(const void* base) {
  bool replaced = false;
  AcquireSRWLockExclusive(&g_notes_lock);
  for (size_t i = 0; i < g_note_count; i++) {
    if (g_notes[i].base == (uintptr_t)base) {
      replaced = g_notes[i].replaced;
      g_notes[i] = g_notes[--g_note_count];
      break;
    }
  }
  ReleaseSRWLockExclusive(&g_notes_lock);
  return replaced;
}

void forget_map(WinMap* w) {
  AcquireSRWLockExclusive(&g_notes_lock);
  for (size_t i = 0; i < g_note_count; i++) {
    if (g_notes[i].w == w) g_notes[i].w = nullptr;
  }
  ReleaseSRWLockExclusive(&g_notes_lock);
}

// Unmaps a view of ours. Where the fault guard could not map a view back (a repair that lost
// the race for the address, see guard_win.cc) it left private memory there: that is released.
BOOL unmap_view(void* base) {
  if (!base) return TRUE;
  bool replaced = forget_view(base);
  if (replaced) return VirtualFree(base, 0, MEM_RELEASE);
  return UnmapViewOfFile(base);
}

void close_handles(WinMap* w) {
  if (!w) return;
  if (w->map) CloseHandle(w->map);
  w->map = nullptr;
  if (w->file != INVALID_HANDLE_VALUE) CloseHandle(w->file);
  w->file = INVALID_HANDLE_VALUE;
}

}  // namespace

// The text Windows gives for a Win32 error, as CPython's PyErr_SetFromWindowsErr shows it
// (FormatMessageW, trailing blanks and dots removed). Used by the binding for `win` errors.
std::string os_win_message(int code) {
  wchar_t* buf = nullptr;
  DWORD n = FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM |
                               FORMAT_MESSAGE_IGNORE_INSERTS,
                           nullptr, (DWORD)code, MAKELANGID(LANG_NEUTRAL, SUBLANG_DEFAULT),
                           (LPWSTR)&buf, 0, nullptr);
  std::string out;
  if (n && buf) {
    while (n > 0 && (buf[n - 1] <= L' ' || buf[n - 1] == L'.')) n--;
    int len = WideCharToMultiByte(CP_UTF8, 0, buf, (int)n, nullptr, 0, nullptr, nullptr);
    if (len > 0) {
      out.resize((size_t)len);
      WideCharToMultiByte(CP_UTF8, 0, buf, (int)n, &out[0], len, nullptr, nullptr);
    }
  }
  if (buf) LocalFree(buf);
  if (out.empty()) {
    char tmp[64];
    snprintf(tmp, sizeof tmp, "Windows Error 0x%x", (unsigned)code);
    out = tmp;
  }
  return out;
}

void os_count_mapping(int) {}  // no per-process mapping-count limit to keep room under

uint64_t os_brk_address(const void*) { return 0; }  // no brk heap

uint64_t os_pagesize() {
  SYSTEM_INFO si;
  GetSystemInfo(&si);
  return si.dwPageSize;
}

uint64_t os_granularity() {
  SYSTEM_INFO si;
  GetSystemInfo(&si);
  return si.dwAllocationGranularity;
}

// Size of the file behind a descriptor; `regular` is true for disk files.
OsError os_fstat(int64_t fd, uint64_t* size, bool* regular) {
  HANDLE h = fd_handle(fd);
  if (h == INVALID_HANDLE_VALUE || h == nullptr) return errno_error(EBADF);
  *regular = GetFileType(h) == FILE_TYPE_DISK;
  LARGE_INTEGER li;
  if (!GetFileSizeEx(h, &li)) return last_error();
  *size = (uint64_t)li.QuadPart;
  return {};
}

// CPython's size(): the file's size, or the map's length for a paging-file map.
OsError os_fd_size(Mapping* m, uint64_t* size) {
  WinMap* w = wm(m);
  if (w && w->file != INVALID_HANDLE_VALUE) {
    LARGE_INTEGER li;
    if (!GetFileSizeEx(w->file, &li)) return last_error();
    *size = (uint64_t)li.QuadPart;
    return {};
  }
  *size = m->length;
  return {};
}

// Descriptors belong to node's C runtime: the backend never owns one.

OsError os_map(const MapRequest& req, Mapping* out) {
  *out = Mapping{};
  if (req.fixed) return tag_error("noview");
  DWORD protect, view_access;
  switch (req.access) {
    case kAccessRead: protect = PAGE_READONLY; view_access = FILE_MAP_READ; break;
    case kAccessDefault: case kAccessWrite: protect = PAGE_READWRITE; view_access = FILE_MAP_WRITE; break;
    case kAccessCopy: protect = PAGE_WRITECOPY; view_access = FILE_MAP_COPY; break;
    default: return errno_error(EINVAL);
  }
  HANDLE fh = INVALID_HANDLE_VALUE;
  if (req.fd != -1) {
    fh = fd_handle(req.fd);
    if (fh == INVALID_HANDLE_VALUE || fh == nullptr) return errno_error(EBADF);
    // CPython seeks the descriptor to 0 here ("Win9x appears to need us seeked to zero") and
    // ignores the outcome; so do we.
    LARGE_INTEGER zero;
    zero.QuadPart = 0;
    SetFilePointerEx(fh, zero, nullptr, FILE_BEGIN);
  }
  if (req.length > (uint64_t)INT64_MAX || req.offset > (uint64_t)INT64_MAX ||
      req.offset + req.length > (uint64_t)INT64_MAX)
    return win_error(ERROR_NOT_ENOUGH_MEMORY);

  WinMap* w = new WinMap();
  w->access = req.access;
  if (req.tagname) {
    w->tagname.assign(reinterpret_cast<const wchar_t*>(req.tagname));
    w->has_tag = true;
  }
  HANDLE section_file = INVALID_HANDLE_VALUE;
  uint64_t length = req.length;
  if (fh != INVALID_HANDLE_VALUE) {
    // Keep our own handle so the caller may close the descriptor (CPython duplicates it);
    // with dup_fd false (trackfd=False) the descriptor's handle is used for the section only.
    if (req.dup_fd) {
      if (!DuplicateHandle(GetCurrentProcess(), fh, GetCurrentProcess(), &w->file, 0, FALSE,
                           DUPLICATE_SAME_ACCESS)) {
        OsError e = last_error();
        delete w;
        return e;
      }
      section_file = w->file;
    } else {
      section_file = fh;
    }
    if (length == 0) {  // the rest of the file (the JS constructor normally works this out)
      LARGE_INTEGER li;
      if (!GetFileSizeEx(section_file, &li)) {
        OsError e = last_error();
        close_handles(w);
        delete w;
        return e;
      }
      if ((uint64_t)li.QuadPart <= req.offset) {
        close_handles(w);
        delete w;
        return errno_error(EINVAL);
      }
      length = (uint64_t)li.QuadPart - req.offset;
    }
  }
  uint64_t max_size = req.offset + length;
  w->map = CreateFileMappingW(section_file, nullptr, protect, hi32(max_size), lo32(max_size),
                              w->has_tag ? w->tagname.c_str() : nullptr);
  if (!w->map) {
    OsError e = last_error();
    close_handles(w);
    delete w;
    return e;
  }
  void* p = MapViewOfFile(w->map, view_access, hi32(req.offset), lo32(req.offset), (SIZE_T)length);
  if (!p) {
    OsError e = last_error();
    close_handles(w);
    delete w;
    return e;
  }
  note_view(p, w, req.offset, length, view_access);
  out->addr = static_cast<uint8_t*>(p);
  out->length = length;
  out->offset = req.offset;
  out->fd = -1;
  out->flags = req.access;
  out->prot = req.access == kAccessRead ? 1 : 3;
  out->writable = req.access != kAccessRead;
  out->os = w;
  return {};
}

OsError os_unmap_range(uint8_t* addr, uint64_t) {
  if (addr && !unmap_view(addr)) return last_error();
  return {};
}

OsError os_unmap(Mapping* m, bool keep_memory) {
  OsError err;
  if (!keep_memory) err = os_unmap_range(m->addr, m->length);
  m->addr = nullptr;
  m->shadow = nullptr;  // the shadow belongs to its view (see binding)
  WinMap* w = wm(m);
  if (w) {
    forget_map(w);
    close_handles(w);
    delete w;
  }
  m->os = nullptr;
  m->fd = -1;
  m->length = 0;
  return err;
}

// A copy-on-write view of the same section: stores through it never reach the file.
OsError os_shadow(Mapping* m) {
  if (m->shadow) return {};
  WinMap* w = wm(m);
  if (!w || !w->map || !m->addr || !m->length) return tag_error("noview");
  void* p = MapViewOfFile(w->map, FILE_MAP_COPY, hi32(m->offset), lo32(m->offset), (SIZE_T)m->length);
  if (!p) return last_error();
  note_view(p, w, m->offset, m->length, FILE_MAP_COPY);
  m->shadow = static_cast<uint8_t*>(p);
  return {};
}

// CPython's mmap_resize_method (MS_WINDOWS). On failure the map is either left as it was
// (a section held elsewhere; a file that could not be resized, remapped at the old size) or
// invalidated: then m->addr is nullptr and the caller treats the map as closed, as CPython does
// (its map_handle is NULL: "mmap closed or invalid").
OsError os_resize(Mapping* m, uint64_t new_length) {
  WinMap* w = wm(m);
  if (!w || !w->map) return errno_error(EINVAL);
  if (new_length > (uint64_t)INT64_MAX || m->offset + new_length > (uint64_t)INT64_MAX)
    return win_error(ERROR_NOT_ENOUGH_MEMORY);
  uint8_t* old_data = m->addr;
  uint64_t old_size = m->length;
  uint64_t new_size = new_length;
  uint64_t max_size = m->offset + new_length;
  DWORD error = 0, file_resize_error = 0;

  // Close the section; if it still exists (its name opens), someone else holds it.
  CloseHandle(w->map);
  w->map = nullptr;
  if (w->has_tag) {
    w->map = OpenFileMappingW(FILE_MAP_WRITE, FALSE, w->tagname.c_str());
    if (w->map) return win_error(ERROR_USER_MAPPED_FILE);  // still valid, unchanged
  }

  bool pagefile = w->file == INVALID_HANDLE_VALUE;
  if (!pagefile) {
    if (!unmap_view(old_data)) {
      // As CPython: the section is closed, so the map is now invalid.
      OsError e = last_error();
      m->addr = nullptr;
      m->length = 0;
      return e;
    }
    m->addr = nullptr;
    LARGE_INTEGER li;
    li.QuadPart = (LONGLONG)max_size;
    if (!SetFilePointerEx(w->file, li, nullptr, FILE_BEGIN) || !SetEndOfFile(w->file)) {
      // Resizing failed (typically another mapping of the file): remap at the old size.
      file_resize_error = GetLastError();
      max_size = m->offset + old_size;
      new_size = old_size;
    }
  }

  w->map = CreateFileMappingW(w->file, nullptr, PAGE_READWRITE, hi32(max_size), lo32(max_size),
                              w->has_tag ? w->tagname.c_str() : nullptr);
  error = GetLastError();
  if (w->map && error == ERROR_ALREADY_EXISTS) {
    // Someone created a section of that name between our close and create.
    CloseHandle(w->map);
    w->map = nullptr;
  } else if (w->map) {
    error = 0;
    void* p = MapViewOfFile(w->map, FILE_MAP_WRITE, hi32(m->offset), lo32(m->offset), (SIZE_T)new_size);
    if (p) {
      note_view(p, w, m->offset, new_size, FILE_MAP_WRITE);
      if (pagefile) {
        memcpy(p, old_data, (size_t)(old_size < new_size ? old_size : new_size));
        if (!unmap_view(old_data)) error = GetLastError();
      }
      m->addr = static_cast<uint8_t*>(p);
      m->length = new_size;
    } else {
      error = GetLastError();
      CloseHandle(w->map);
      w->map = nullptr;
    }
  }

  if (!w->map) {
    // Invalidated: release what is left (a paging-file map still has its old view).
    if (pagefile && old_data) unmap_view(old_data);
    m->addr = nullptr;
    m->length = 0;
    return win_error(error ? error : ERROR_GEN_FAILURE);
  }
  if (error) return win_error(error);
  if (file_resize_error) return win_error(file_resize_error);
  return {};
}

OsError os_sync(Mapping* m, uint64_t offset, uint64_t length, int) {
  if (!m->addr) return {};
  if (!FlushViewOfFile(m->addr + offset, (SIZE_T)length)) return last_error();
  return {};
}

// For the fault guard (guard_win.cc): the view of ours whose base address is `base`, with its
// section duplicated for the caller (who closes it), the view's file offset, size in bytes and
// FILE_MAP_* access. False when `base` is not a view of an open mapping of ours.
bool os_win_view_source(const void* base, HANDLE* section, uint64_t* offset, uint64_t* size,
                        DWORD* access) {
  bool found = false;
  AcquireSRWLockShared(&g_notes_lock);
  for (size_t i = 0; i < g_note_count; i++) {
    const ViewNote& n = g_notes[i];
    if (n.base != (uintptr_t)base) continue;
    if (n.w && n.w->map &&
        DuplicateHandle(GetCurrentProcess(), n.w->map, GetCurrentProcess(), section, 0, FALSE,
                        DUPLICATE_SAME_ACCESS)) {
      *offset = n.offset;
      *size = n.size;
      *access = n.access;
      found = true;
    }
    break;
  }
  ReleaseSRWLockShared(&g_notes_lock);
  return found;
}

// For the fault guard: the view at `base` is now private memory of the same size (the guard
// could not map the section back there); unmapping it releases that memory instead.
void os_win_view_replaced(const void* base) {
  AcquireSRWLockExclusive(&g_notes_lock);
  for (size_t i = 0; i < g_note_count; i++) {
    if (g_notes[i].base == (uintptr_t)base) g_notes[i].replaced = true;
  }
  ReleaseSRWLockExclusive(&g_notes_lock);
}

// Windows has no madvise and no VMA names (the module hides both methods).
OsError os_advise(Mapping*, uint64_t, uint64_t, int) { return errno_error(ENOSYS); }
OsError os_set_name(Mapping*, const char*) { return errno_error(ENOSYS); }

// Files are not placed over memory the caller owns here (the Pyodide bridge copies instead).
OsError os_map_fixed(uint8_t*, uint64_t, int, int, int64_t, uint64_t) { return tag_error("noview"); }
OsError os_resize_fixed(Mapping*, uint64_t, uint8_t*) { return tag_error("noview"); }
OsError os_unmap_fixed(uint8_t*, uint64_t) { return tag_error("noview"); }

const char kBackend[] = "win32";

std::string os_error_text(const OsError& err) { return err.win ? os_win_message(err.code) : strerror(err.code); }

const char* os_errno_name(int e) { return basic_errno_name(e); }

}  // namespace pymmap
