//! Hex input: never panics; what it parses prints back to the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netpal::codec::{format_hex, parse_hex};

fuzz_target!(|s: &str| {
    if let Ok(bytes) = parse_hex(s) {
        assert_eq!(parse_hex(&format_hex(&bytes)).ok(), Some(bytes));
    }
});
