//! Checksums appended to a payload: the simple sums devices use and the
//! common CRCs, taken from the `crc` crate's catalogue.

use crc::{CRC_8_SMBUS, CRC_16_IBM_3740, CRC_16_MODBUS, CRC_16_XMODEM, CRC_32_ISO_HDLC, Crc};
use serde::{Deserialize, Serialize};

/// A checksum over the payload, appended after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Checksum {
    #[default]
    None,
    /// The byte sum, modulo 256.
    Sum8,
    /// All bytes XORed.
    Xor8,
    /// Longitudinal redundancy check as Modbus ASCII has it: the two's
    /// complement of the byte sum.
    Lrc,
    /// CRC-8 (poly 0x07, as CRC-8/SMBUS).
    Crc8,
    /// CRC-16/MODBUS, low byte first, as Modbus RTU devices expect.
    Crc16Modbus,
    /// CRC-16/CCITT-FALSE (CRC-16/IBM-3740), high byte first.
    Crc16CcittFalse,
    /// CRC-16/XMODEM, high byte first.
    Crc16Xmodem,
    /// CRC-32 (as zip and Ethernet), high byte first.
    Crc32,
}

const CRC8: Crc<u8> = Crc::<u8>::new(&CRC_8_SMBUS);
const MODBUS: Crc<u16> = Crc::<u16>::new(&CRC_16_MODBUS);
const CCITT_FALSE: Crc<u16> = Crc::<u16>::new(&CRC_16_IBM_3740);
const XMODEM: Crc<u16> = Crc::<u16>::new(&CRC_16_XMODEM);
const CRC32: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);

impl Checksum {
    pub const ALL: [Checksum; 9] = [
        Checksum::None,
        Checksum::Sum8,
        Checksum::Xor8,
        Checksum::Lrc,
        Checksum::Crc8,
        Checksum::Crc16Modbus,
        Checksum::Crc16CcittFalse,
        Checksum::Crc16Xmodem,
        Checksum::Crc32,
    ];

    /// The name on the command line (`--checksum crc16-modbus`).
    pub fn name(self) -> &'static str {
        match self {
            Checksum::None => "none",
            Checksum::Sum8 => "sum8",
            Checksum::Xor8 => "xor8",
            Checksum::Lrc => "lrc",
            Checksum::Crc8 => "crc8",
            Checksum::Crc16Modbus => "crc16-modbus",
            Checksum::Crc16CcittFalse => "crc16-ccitt-false",
            Checksum::Crc16Xmodem => "crc16-xmodem",
            Checksum::Crc32 => "crc32",
        }
    }

    /// The name shown in the window, as protocol documents write it.
    pub fn label(self) -> &'static str {
        match self {
            Checksum::None => "—",
            Checksum::Sum8 => "SUM8",
            Checksum::Xor8 => "XOR8",
            Checksum::Lrc => "LRC",
            Checksum::Crc8 => "CRC-8",
            Checksum::Crc16Modbus => "CRC-16/MODBUS",
            Checksum::Crc16CcittFalse => "CRC-16/CCITT-FALSE",
            Checksum::Crc16Xmodem => "CRC-16/XMODEM",
            Checksum::Crc32 => "CRC-32",
        }
    }

    /// Reads a command-line name; case and `_`/`-`/`/` do not matter
    /// (`crc16-modbus`, `CRC-16/MODBUS`, `crc16_modbus`).
    pub fn from_name(s: &str) -> Option<Checksum> {
        let norm = |t: &str| {
            t.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase()
        };
        let want = norm(s);
        if want.is_empty() {
            return None;
        }
        Checksum::ALL
            .into_iter()
            .find(|c| norm(c.name()) == want || norm(c.label()) == want)
    }

    /// The checksum of `data`, as the bytes that go on the wire.
    pub fn compute(self, data: &[u8]) -> Vec<u8> {
        let sum = || data.iter().fold(0u8, |a, b| a.wrapping_add(*b));
        match self {
            Checksum::None => Vec::new(),
            Checksum::Sum8 => vec![sum()],
            Checksum::Xor8 => vec![data.iter().fold(0u8, |a, b| a ^ b)],
            Checksum::Lrc => vec![sum().wrapping_neg()],
            Checksum::Crc8 => vec![CRC8.checksum(data)],
            Checksum::Crc16Modbus => MODBUS.checksum(data).to_le_bytes().to_vec(),
            Checksum::Crc16CcittFalse => CCITT_FALSE.checksum(data).to_be_bytes().to_vec(),
            Checksum::Crc16Xmodem => XMODEM.checksum(data).to_be_bytes().to_vec(),
            Checksum::Crc32 => CRC32.checksum(data).to_be_bytes().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every algorithm against its standard check value over "123456789".
    #[test]
    fn check_values() {
        let check = b"123456789";
        let cases: &[(Checksum, &[u8])] = &[
            (Checksum::None, &[]),
            (Checksum::Sum8, &[0xDD]),
            (Checksum::Xor8, &[0x31]),
            (Checksum::Lrc, &[0x23]),
            (Checksum::Crc8, &[0xF4]),
            // 0x4B37, low byte first.
            (Checksum::Crc16Modbus, &[0x37, 0x4B]),
            (Checksum::Crc16CcittFalse, &[0x29, 0xB1]),
            (Checksum::Crc16Xmodem, &[0x31, 0xC3]),
            (Checksum::Crc32, &[0xCB, 0xF4, 0x39, 0x26]),
        ];
        for (c, want) in cases {
            assert_eq!(c.compute(check), *want, "{}", c.label());
        }
        assert_eq!(cases.len(), Checksum::ALL.len());
    }

    #[test]
    fn modbus_read_request() {
        // Read 10 holding registers from slave 1: the frame every Modbus
        // tutorial shows.
        let frame = [0x01, 0x03, 0x00, 0x00, 0x00, 0x0A];
        assert_eq!(Checksum::Crc16Modbus.compute(&frame), [0xC5, 0xCD]);
    }

    #[test]
    fn lrc_makes_the_sum_zero() {
        let data = b"\x01\x03\x00\x00\x00\x0A";
        let lrc = Checksum::Lrc.compute(data)[0];
        let total = data.iter().fold(lrc, |a, b| a.wrapping_add(*b));
        assert_eq!(total, 0);
    }

    #[test]
    fn names_round_trip() {
        for c in Checksum::ALL {
            assert_eq!(Checksum::from_name(c.name()), Some(c));
        }
        assert_eq!(
            Checksum::from_name("CRC-16/MODBUS"),
            Some(Checksum::Crc16Modbus)
        );
        assert_eq!(
            Checksum::from_name("crc16_xmodem"),
            Some(Checksum::Crc16Xmodem)
        );
        assert_eq!(Checksum::from_name("md5"), None);
    }
}
