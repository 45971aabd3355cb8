//! NetPal: a desktop network debugging assistant (网络调试助手).
//!
//! Layers, each depending only on those below it:
//! `ui` → `app` (the workspace) → `session` → `log` → `net` → `codec`.

pub mod app;
pub mod codec;
pub mod fonts_probe;
pub mod headless;
pub mod icon;
pub mod log;
pub mod net;
pub mod session;
pub mod ui;

pub use app::{App, StartOptions};
