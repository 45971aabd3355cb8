//! What was set right in a saved workspace at the start, said in data; the
//! UI words it.

/// A part of the saved state that was damaged or absurd, and what became
/// of it; the app says so at the start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repair {
    /// This many saved sessions could not be read (an unknown kind, a
    /// damaged entry) and were left out.
    SessionsLeftOut(usize),
    /// A log limit out of range, back to its default.
    LogCap { was: u32, now: u32 },
    /// A port field that holds no port (99999, "http"), back to its default.
    Port {
        field: PortField,
        was: String,
        now: String,
    },
}

/// Which of a session's port fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortField {
    Local,
    Remote,
    Source,
}
