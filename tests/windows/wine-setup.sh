#!/usr/bin/env bash
# Prepares a Wine prefix for running NetPal's Windows build and its tests
# (test scaffolding; nothing here is shipped). Idempotent.
#
#   tests/windows/wine-setup.sh     # prefix in target/wine unless WINEPREFIX is set
#
# Needs: gcc-mingw-w64-x86-64 and wine64 (Debian packages).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export WINEPREFIX="${WINEPREFIX:-$root/target/wine}"
export WINEDEBUG=-all
# No Mono or Gecko install prompts: NetPal needs neither.
export WINEDLLOVERRIDES="mscoree,mshtml="
wine=$(command -v wine64 || echo /usr/lib/wine/wine64)

if [ ! -f "$WINEPREFIX/system.reg" ]; then
    mkdir -p "$WINEPREFIX"
    "$wine" wineboot --init >/dev/null 2>&1
    "$(dirname "$wine")/wineserver" -w 2>/dev/null || wineserver -w
fi

# Rust's std calls ProcessPrng (bcryptprimitives.dll), which Wine 8 lacks.
dll="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$dll" ] || [ "$here/processprng.c" -nt "$dll" ]; then
    x86_64-w64-mingw32-gcc -O2 -shared -static-libgcc -o "$dll" \
        "$here/processprng.c" "$here/processprng.def" -ladvapi32
fi
echo "$WINEPREFIX"
