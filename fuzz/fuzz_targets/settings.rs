//! Persisted settings of any content, under each key: the app starts (with
//! defaults for what is wrong), never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netpal::app::{App, Restored};
use std::sync::Arc;

struct Storage<'a>(&'a str);

impl eframe::Storage for Storage<'_> {
    fn get_string(&self, _key: &str) -> Option<String> {
        Some(self.0.to_string())
    }
    fn set_string(&mut self, _key: &str, _value: String) {}
    fn remove_string(&mut self, _key: &str) {}
    fn flush(&mut self) {}
}

fuzz_target!(|s: &str| {
    let restored = Restored::load(&Storage(s));
    let _ = App::restore(restored, Arc::new(|| {}), netpal::StartOptions::default());
});
