#!/usr/bin/env bash
# Makes the documentation's screenshots again from the current code, in a
# virtual X display, so every picture shows the UI as it is:
#   assets/screenshot.png     a TCP server and its Modbus client, side by side
#   docs/img/screenshot-zh.png  the same in Chinese
#   docs/img/ports.png        the Ports pane below the sessions
#   assets/screenshot-windows.png  the Windows build under Wine (with NETPAL_EXE)
# Needs (Debian/Ubuntu): xvfb openbox xdotool imagemagick python3; for the
# Windows picture also wine64 and gcc-mingw-w64-x86-64.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in Xvfb openbox xdotool import convert python3; do
    command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
# NETPAL_BIN: a netpal already built (default: a release build, made now).
if [ -z "${NETPAL_BIN:-}" ]; then
    cargo build --release
    NETPAL_BIN="$PWD/target/release/netpal"
fi
bin="$(realpath "$NETPAL_BIN")"

work="$(mktemp -d)"
disp=":97"
Xvfb "$disp" -screen 0 1280x800x24 >/dev/null 2>&1 &
xvfb=$!
cleanup() {
    pkill -f "$bin" 2>/dev/null || true
    kill "$xvfb" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
export DISPLAY="$disp"
sleep 1
openbox >/dev/null 2>&1 &

# The workspace, made by clicking through the app in a test harness, where
# the window's saved state lives (XDG_DATA_HOME/netpal/app.ron).
export XDG_DATA_HOME="$work/data"
NETPAL_SHOT_FILE="$XDG_DATA_HOME/netpal/app.ron" \
    cargo test -q --test screenshots -- --ignored --exact workspace_server_and_modbus_client

# Starts NetPal at 1280x800 with the sessions open; waits for its window.
start() {
    "$bin" "$@" >/dev/null 2>&1 &
    for _ in $(seq 100); do
        win="$(xdotool search --name 'NetPal' 2>/dev/null | head -n1 || true)"
        [ -n "$win" ] && break
        sleep 0.1
    done
    [ -n "$win" ] || { echo "no window" >&2; exit 1; }
    xdotool windowmove "$win" 0 0 windowsize "$win" 1280 800
    sleep 2
}

# The client's send box and its Send button, at the bottom right of the
# right-hand pane: a Modbus request (the CRC is added), sent three times.
send_three() {
    xdotool mousemove 995 715 click 1
    sleep 0.3
    xdotool type --delay 20 "01 03 00 00 00 0A"
    sleep 0.3
    for _ in 1 2 3; do
        xdotool mousemove 1228 700 click 1
        sleep 0.4
    done
    sleep 1
}

shot() {
    import -window root "$work/shot.png"
    # 128 colours: a third of the size, the same to the eye.
    convert "$work/shot.png" -colors 128 "$1"
    echo "wrote $1"
}

start --lang en --open tcp-server:127.0.0.1:5020 --open tcp-client:127.0.0.1:5020
send_three
shot assets/screenshot.png
xdotool search --name 'NetPal' windowclose 2>/dev/null || pkill -f "$bin" || true
sleep 1

start --lang zh --open tcp-server:127.0.0.1:5020 --open tcp-client:127.0.0.1:5020
send_three
shot docs/img/screenshot-zh.png
pkill -f "$bin" || true
sleep 1

# The Ports pane: the toolbar's Ports button, with a client connected.
start --lang en --open tcp-server:127.0.0.1:5020 --open tcp-client:127.0.0.1:5020
xdotool mousemove 465 31 click 1
sleep 2.5
shot docs/img/ports.png

# The Windows build under Wine, with NETPAL_EXE naming its netpal.exe (e.g.
# target/x86_64-pc-windows-gnu/release/netpal.exe): a TCP server in Chinese
# that a client on the same machine sent 你好 (assets/screenshot-windows.png).
if [ -n "${NETPAL_EXE:-}" ]; then
    pkill -f "$bin" || true
    sleep 1
    WINEPREFIX="$(tests/windows/wine-setup.sh)"
    export WINEPREFIX WINEDEBUG=-all
    wine="$(command -v wine64 || echo /usr/lib/wine/wine64)"
    "$wine" "$(realpath "$NETPAL_EXE")" --lang zh --open tcp-server:127.0.0.1:5021 >/dev/null 2>&1 &
    win=""
    for _ in $(seq 300); do
        win="$(xdotool search --name 'NetPal' 2>/dev/null | head -n1 || true)"
        [ -n "$win" ] && break
        sleep 0.1
    done
    [ -n "$win" ] || { echo "no window from the Windows build" >&2; exit 1; }
    xdotool windowmove "$win" 0 0 windowsize "$win" 1100 740
    sleep 4
    # The client stays connected while the picture is taken.
    (python3 - <<'PY'
import socket, time
for _ in range(50):
    try:
        s = socket.create_connection(("127.0.0.1", 5021), timeout=1)
        break
    except OSError:
        time.sleep(0.2)
s.sendall("你好".encode("utf-8"))
time.sleep(6)
s.close()
PY
    ) &
    sleep 3
    import -window root -crop 1105x747+0+0 "$work/win.png"
    convert "$work/win.png" -colors 128 assets/screenshot-windows.png
    echo "wrote assets/screenshot-windows.png"
    "$(dirname "$wine")/wineserver" -k 2>/dev/null || true
fi
