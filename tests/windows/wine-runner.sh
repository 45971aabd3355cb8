#!/usr/bin/env bash
# Runs a Windows program under Wine in the prefix wine-setup.sh made; used as
# CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER so `cargo test --target
# x86_64-pc-windows-gnu` runs the Windows test binaries here.
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export WINEPREFIX="${WINEPREFIX:-$root/target/wine}"
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEDLLOVERRIDES="mscoree,mshtml=;bcryptprimitives=n,b"
# Tests that cannot run under Wine read this and say why they skip.
export NETPAL_UNDER_WINE=1
wine=$(command -v wine64 || echo /usr/lib/wine/wine64)
exec "$wine" "$@"
