//! Every framing mode: the same stream cut into reads anywhere gives the
//! same frames, and nothing panics on any stream.
#![no_main]
use libfuzzer_sys::fuzz_target;
use netpal::codec::{FrameBatch, FrameOut, Framer, Framing};

const MODES: &[&str] = &[
    "line",
    "crlf",
    "crlf,strip",
    "delim:AA55",
    "delim:00,strip",
    "fixed:1",
    "fixed:7",
    "len:1be",
    "len:2be",
    "len:2le,off=1,incl",
    "len:4be,max=64",
    "len:2be,max=16,close",
];

/// The frames (and partial ones) of a batch, as byte strings.
fn frames(b: &FrameBatch) -> Vec<(bool, Vec<u8>)> {
    b.outs
        .iter()
        .filter_map(|o| match o {
            FrameOut::Frame(r) => Some((true, b.data.get(r.clone())?.to_vec())),
            FrameOut::Partial(r) => Some((false, b.data.get(r.clone())?.to_vec())),
            FrameOut::Oversize { .. } => None,
        })
        .collect()
}

fuzz_target!(|input: &[u8]| {
    let Some((&pick, rest)) = input.split_first() else {
        return;
    };
    let Some((&cuts, data)) = rest.split_first() else {
        return;
    };
    let Ok(framing) = Framing::parse(MODES[pick as usize % MODES.len()]) else {
        return;
    };
    // All at once.
    let mut whole = Framer::new(framing.clone());
    let mut a = FrameBatch::default();
    whole.push(data, &mut a);
    whole.flush(&mut a);
    // In pieces whose sizes come from the input.
    let mut split = Framer::new(framing);
    let mut b = FrameBatch::default();
    let step = usize::from(cuts % 13) + 1;
    for piece in data.chunks(step) {
        split.push(piece, &mut b);
        if split.wants_close() {
            break;
        }
    }
    split.flush(&mut b);
    if !whole.wants_close() && !split.wants_close() {
        assert_eq!(
            frames(&a),
            frames(&b),
            "the cut into reads changed the frames"
        );
    }
});
