#!/usr/bin/env bash
# Builds NetPal for Windows on Linux and packs it for Windows users:
#   target/windows/netpal-VERSION-windows-x86_64.zip        portable
#   target/windows/netpal-VERSION-windows-x86_64-setup.exe  installer
#
#   assets/windows/package.sh            # release build, then both packages
#   assets/windows/package.sh EXE        # pack an exe already built
#
# Needs: rustup target add x86_64-pc-windows-gnu
#        apt-get install gcc-mingw-w64-x86-64 nsis zip python3
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
target=x86_64-pc-windows-gnu
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)

if [ $# -ge 1 ]; then
    exe="$1"
else
    cargo build --release --locked --target "$target"
    exe="target/$target/release/netpal.exe"
fi
[ -f "$exe" ] || { echo "package.sh: no exe at $exe" >&2; exit 1; }

out="$root/target/windows"
name="netpal-$version-windows-x86_64"
stage="$out/$name"
rm -rf "$stage" "$out/$name.zip" "$out/$name-setup.exe"
mkdir -p "$stage"

cp "$exe" "$stage/netpal.exe"
# netpal.exe is a GUI program: no console window opens behind it. From a
# terminal it prints into the terminal it was started from, but cmd.exe
# does not wait for a GUI program. netpal-cli.exe is the same program as a
# console program, for typing `netpal-cli --headless ...` at a prompt that
# waits for it and takes its exit status. Only the PE header's subsystem
# field differs (what `editbin /SUBSYSTEM:CONSOLE` does).
python3 - "$stage/netpal.exe" "$stage/netpal-cli.exe" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
pe = int.from_bytes(data[0x3C:0x40], "little")
if data[pe:pe + 4] != b"PE\0\0":
    sys.exit("not a PE file: " + sys.argv[1])
field = pe + 24 + 68  # the optional header's Subsystem
if int.from_bytes(data[field:field + 2], "little") != 2:
    sys.exit("netpal.exe is not a Windows-subsystem (GUI) program")
data[field:field + 2] = (3).to_bytes(2, "little")  # IMAGE_SUBSYSTEM_WINDOWS_CUI
open(sys.argv[2], "wb").write(data)
PY
cp README.md LICENSE-MIT LICENSE-APACHE assets/netpal.ico "$stage/"
cp assets/fonts/OFL.txt "$stage/OFL-NotoSansSC.txt"

# The installer keeps the workspace in %APPDATA%; the zip is portable.
makensis -V2 -DVERSION="$version" -DSTAGE="$stage" \
    -DOUTFILE="$out/$name-setup.exe" "$root/assets/windows/installer.nsi"

cat > "$stage/portable" <<'TXT'
While this file sits beside netpal.exe, NetPal keeps its workspace (sessions,
quick commands, window size) in the netpal-data folder here, not in
%APPDATA%\netpal. Delete it to use %APPDATA%.

本文件与 netpal.exe 放在一起时，NetPal 把工作区（会话、快捷指令、窗口大小）
保存在同目录的 netpal-data 文件夹中，而不是 %APPDATA%\netpal。删除本文件即改用 %APPDATA%。
TXT
rm -f "$stage/netpal.ico"
(cd "$out" && zip -q -r -9 "$name.zip" "$name")

echo "$out/$name.zip"
echo "$out/$name-setup.exe"
