//! Auto-reply rules: parsing, compiling and matching any frame never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netpal::codec::ReplyRule;

fuzz_target!(|input: (&str, &[u8])| {
    let (rule, frame) = input;
    if let Ok(r) = ReplyRule::parse(rule) {
        for enc in [encoding_rs::UTF_8, encoding_rs::GBK] {
            if let Ok(c) = r.compile(enc) {
                let _ = c.answer(frame);
            }
        }
    }
});
