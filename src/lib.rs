//! NetPal: a desktop network debugging assistant (网络调试助手).
//!
//! Layers, each depending only on those below it:
//! `ui` → `app` → `log` → `net` → `codec`.

pub mod app;
pub mod codec;
pub mod headless;
pub mod icon;
pub mod log;
pub mod net;
pub mod ui;

pub use app::{App, StartOptions};
