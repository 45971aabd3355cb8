//! Escape sequences in typed text, in every offered encoding: never panics;
//! text the checker accepts is encoded or refused with a reason.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netpal::codec::{ENCODINGS, check_escapes, encode_escaped};

fuzz_target!(|s: &str| {
    let ok = check_escapes(s).is_ok();
    for &enc in ENCODINGS {
        let r = encode_escaped(s, enc);
        if !ok {
            assert!(r.is_err(), "an escape the checker refuses was encoded");
        }
    }
});
