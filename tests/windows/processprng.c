/*
 * Test scaffolding for running NetPal's Windows build under Wine 8 only;
 * never shipped. Rust's standard library takes its random bytes from
 * ProcessPrng in bcryptprimitives.dll, which Windows 10 and later export
 * and Wine 8 does not. This stand-in exports it and fills the buffer with
 * RtlGenRandom (SystemFunction036 in advapi32), which Wine has.
 *
 * Built by tests/windows/wine-setup.sh into the Wine prefix's system32.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
