; The NetPal installer for Windows (NSIS 3, Unicode).
;
; Built by assets/windows/package.sh, which passes VERSION, STAGE (the
; folder holding the files to install) and OUTFILE. Installs for the
; current user only (no administrator rights asked), into
; %LOCALAPPDATA%\Programs\NetPal, with a Start menu entry and an
; uninstaller. The uninstaller leaves the user's saved workspace
; (%APPDATA%\netpal) unless they tick the box to remove it too.

; A 64-bit installer for a 64-bit program (Unicode, so the Chinese pages
; and paths are right).
Target amd64-unicode
!include "MUI2.nsh"

!ifndef VERSION
  !error "pass -DVERSION=x.y.z"
!endif
!ifndef STAGE
  !error "pass -DSTAGE=folder"
!endif
!ifndef OUTFILE
  !define OUTFILE "netpal-${VERSION}-windows-x86_64-setup.exe"
!endif

!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\NetPal"

Name "NetPal ${VERSION}"
OutFile "${OUTFILE}"
RequestExecutionLevel user
InstallDir "$LOCALAPPDATA\Programs\NetPal"
InstallDirRegKey HKCU "Software\NetPal" "InstallDir"
SetCompressor /SOLID lzma
ManifestDPIAware true
BrandingText "NetPal ${VERSION}"

VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=1033 "ProductName" "NetPal"
VIAddVersionKey /LANG=1033 "FileDescription" "NetPal installer"
VIAddVersionKey /LANG=1033 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "LegalCopyright" "MIT OR Apache-2.0"

!define MUI_ICON "${STAGE}\netpal.ico"
!define MUI_UNICON "${STAGE}\netpal.ico"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\netpal.exe"
!define MUI_COMPONENTSPAGE_NODESC

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_LICENSE "${STAGE}\LICENSE-MIT"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

; The pages speak Windows' display language when it is Chinese, else
; English (the first is the fallback).
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "SimpChinese"

LangString SecProgram ${LANG_ENGLISH} "NetPal"
LangString SecProgram ${LANG_SIMPCHINESE} "NetPal 程序"
LangString SecWorkspace ${LANG_ENGLISH} "My saved sessions and quick commands"
LangString SecWorkspace ${LANG_SIMPCHINESE} "我保存的会话和快捷指令"
LangString ShortcutName ${LANG_ENGLISH} "NetPal"
LangString ShortcutName ${LANG_SIMPCHINESE} "NetPal 网络调试助手"
LangString ShortcutDesc ${LANG_ENGLISH} "Network debugging assistant: TCP and UDP peer"
LangString ShortcutDesc ${LANG_SIMPCHINESE} "网络调试助手：TCP/UDP 收发"

Section "NetPal" SecMain
  SectionIn RO
  SetOutPath "$INSTDIR"
  File "${STAGE}\netpal.exe"
  File "${STAGE}\netpal-cli.exe"
  File "${STAGE}\netpal.ico"
  File "${STAGE}\README.md"
  File "${STAGE}\LICENSE-MIT"
  File "${STAGE}\LICENSE-APACHE"
  File "${STAGE}\OFL-NotoSansSC.txt"

  CreateDirectory "$SMPROGRAMS"
  CreateShortcut "$SMPROGRAMS\$(ShortcutName).lnk" "$INSTDIR\netpal.exe" "" \
      "$INSTDIR\netpal.exe" 0 SW_SHOWNORMAL "" "$(ShortcutDesc)"

  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKCU "Software\NetPal" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "Software\NetPal" "ShortcutName" "$(ShortcutName)"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "NetPal"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "The NetPal developers"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\netpal.exe"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "un.$(SecProgram)" UnSecMain
  SectionIn RO
  ReadRegStr $0 HKCU "Software\NetPal" "ShortcutName"
  StrCmp $0 "" +2
  Delete "$SMPROGRAMS\$0.lnk"
  Delete "$SMPROGRAMS\$(ShortcutName).lnk"
  Delete "$INSTDIR\netpal.exe"
  Delete "$INSTDIR\netpal-cli.exe"
  Delete "$INSTDIR\netpal.ico"
  Delete "$INSTDIR\README.md"
  Delete "$INSTDIR\LICENSE-MIT"
  Delete "$INSTDIR\LICENSE-APACHE"
  Delete "$INSTDIR\OFL-NotoSansSC.txt"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
  DeleteRegKey HKCU "Software\NetPal"
SectionEnd

; Off unless the user ticks it: uninstalling keeps the workspace.
Section /o "un.$(SecWorkspace)" UnSecWorkspace
  RMDir /r "$APPDATA\netpal"
SectionEnd
