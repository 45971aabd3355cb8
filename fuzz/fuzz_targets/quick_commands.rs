//! A quick-command file of any content: read or refused, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netpal::session::QuickFile;

fuzz_target!(|s: &str| {
    let _ = QuickFile::parse(s);
});
