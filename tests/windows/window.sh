#!/usr/bin/env bash
# NetPal's Windows exe in a real window, under Wine and Xvfb, driven as on
# Linux: it opens a TCP server, a client on this machine sends 你好 (UTF-8),
# and a screenshot shows what the window shows. A person looks at it.
#
#   tests/windows/window.sh [EXE] [SHOT.png]
#
# EXE defaults to the debug build (cargo build --target x86_64-pc-windows-gnu).
# Needs: wine64 xvfb imagemagick python3 (and the prefix of wine-setup.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
exe="${1:-$root/target/x86_64-pc-windows-gnu/debug/netpal.exe}"
shot="${2:-$root/target/windows-window.png}"
WINEPREFIX="$("$here/wine-setup.sh")"
export WINEPREFIX

started_x=""
if [ -z "${DISPLAY:-}" ]; then
    export DISPLAY=:97
    Xvfb "$DISPLAY" -screen 0 1280x800x24 >/dev/null 2>&1 &
    started_x=$!
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$here/wine-runner.sh" "$exe" --lang zh --open "tcp-server:127.0.0.1:$port" >/dev/null 2>&1 &
app=$!
cleanup() {
    kill "$app" 2>/dev/null || true
    "$(dirname "$(command -v wine64 || echo /usr/lib/wine/wine64)")/wineserver" -k 2>/dev/null || true
    [ -n "$started_x" ] && kill "$started_x" 2>/dev/null || true
}
trap cleanup EXIT

# The client connects once the server listens (within 60 s), sends, and
# stays connected while the screenshot is taken.
python3 - "$port" "$shot" <<'PY'
import socket, subprocess, sys, time
port, shot = int(sys.argv[1]), sys.argv[2]
deadline = time.monotonic() + 60
while True:
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=2)
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("NetPal never listened on port %d" % port)
        time.sleep(0.2)
c.sendall("你好\n".encode("utf-8"))
time.sleep(2)  # a screenshot shows what has been drawn: give it frames
subprocess.run(["import", "-window", "root", shot], check=True)
print("sent 你好 from %s:%d to NetPal on port %d" % (c.getsockname() + (port,)))
c.close()
print("screenshot:", shot)
PY
