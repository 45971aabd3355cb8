//! Received bytes shown in every encoding, continuing the previous read
//! (the split-character carry), in text and hex views: never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netpal::codec::{ENCODINGS, decode_for_display};
use netpal::log::{Body, Filter, LeadIn, LogStore, View, ViewMode, record_lines};

fuzz_target!(|input: (&[u8], &[u8], u8)| {
    let (before, now, cols) = input;
    let mut log = LogStore::default();
    log.push_after(
        std::time::SystemTime::UNIX_EPOCH,
        None,
        Body::Rx(now.to_vec().into()),
        LeadIn::tail_of(before),
    );
    let Some(rec) = log.get(0) else {
        return;
    };
    for &enc in ENCODINGS {
        let _ = decode_for_display(now, enc);
        for mode in [ViewMode::Text, ViewMode::Hex, ViewMode::Both] {
            let view = View {
                mode,
                encoding: enc,
                wrap_cols: (cols > 0).then_some(usize::from(cols)),
                labels: 0,
                filter: Filter::default(),
            };
            let _ = record_lines(rec, &view);
        }
    }
});
