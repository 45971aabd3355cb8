//! The send box: text or hex, escapes, line endings and every checksum,
//! from any byte: never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netpal::codec::{Checksum, LineEnd, SendFormat};

fuzz_target!(|input: (u8, u8, &str)| {
    let (flags, from, text) = input;
    let fmt = SendFormat {
        hex: flags & 1 != 0,
        escapes: flags & 2 != 0,
        append: [LineEnd::None, LineEnd::Cr, LineEnd::Lf, LineEnd::CrLf]
            [usize::from(flags >> 2 & 3)],
        checksum: Checksum::ALL[usize::from(flags >> 4) % Checksum::ALL.len()],
        checksum_from: usize::from(from),
    };
    for enc in [encoding_rs::UTF_8, encoding_rs::GBK, encoding_rs::UTF_16LE] {
        let _ = fmt.build(text, enc);
    }
});
