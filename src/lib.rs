//! NetPal: a desktop network debugging assistant (网络调试助手).
//!
//! Layers, each depending only on those below it:
//! `ui` → `app` (the workspace) → `session` → `log` → `net` → `codec`.

// Input and I/O paths never panic on what a peer or a file holds: no
// unwrap or expect outside tests.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub mod codec;
pub mod console;
pub mod data_dir;
pub mod fonts_probe;
pub mod headless;
pub mod icon;
pub mod log;
pub mod net;
pub mod portlist;
pub mod portview;
pub mod session;
pub mod ui;

pub use app::{App, StartOptions};
