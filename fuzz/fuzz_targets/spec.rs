//! The --open SPEC: never panics; a spec that parses prints back to one
//! that parses to the same.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netpal::net::OpenSpec;

fuzz_target!(|s: &str| {
    if let Ok(spec) = OpenSpec::parse(s) {
        let again = OpenSpec::parse(&spec.to_string());
        assert_eq!(again.as_ref().ok(), Some(&spec), "{s:?} -> {spec}");
    }
});
