//! The socket options form: each option left to the system, or set; what
//! it holds becomes [`SocketOptions`] when the session opens.

use super::problem::{Field, Problem};
use crate::net::SocketOptions;
use serde::{Deserialize, Serialize};

/// An on/off option: the default, or set one way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Tri {
    #[default]
    Default,
    On,
    Off,
}

impl Tri {
    pub const ALL: [Tri; 3] = [Tri::Default, Tri::On, Tri::Off];

    fn get(self) -> Option<bool> {
        match self {
            Tri::Default => None,
            Tri::On => Some(true),
            Tri::Off => Some(false),
        }
    }

    fn of(b: Option<bool>) -> Tri {
        match b {
            None => Tri::Default,
            Some(true) => Tri::On,
            Some(false) => Tri::Off,
        }
    }
}

/// What the form holds; numbers as typed (empty: the default).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OptionsForm {
    pub nodelay: Tri,
    pub keepalive: Tri,
    pub keepalive_idle: String,
    pub keepalive_interval: String,
    pub reuse_addr: Tri,
    pub reuse_port: Tri,
    pub recv_buf: String,
    pub send_buf: String,
    pub ttl: String,
    pub linger: String,
    pub broadcast: Tri,
    pub mcast_ttl: String,
    pub mcast_loop: Tri,
    pub v6only: Tri,
}

impl OptionsForm {
    /// The options the form asks for, or which field is wrong.
    pub fn options(&self) -> Result<SocketOptions, Problem> {
        let mut o = SocketOptions {
            nodelay: self.nodelay.get(),
            keepalive: self.keepalive.get(),
            reuse_addr: self.reuse_addr.get(),
            reuse_port: self.reuse_port.get(),
            broadcast: self.broadcast.get(),
            mcast_loop: self.mcast_loop.get(),
            v6only: self.v6only.get(),
            ..SocketOptions::default()
        };
        // Numbers go through the same checks as the --open syntax.
        let mut num = |key: &str, field: Field, text: &str| -> Result<(), Problem> {
            if text.trim().is_empty() {
                return Ok(());
            }
            o.parse_key(key, text)
                .map(|_| ())
                .map_err(|_| Problem::at(field, Problem::BadOptionValue))
        };
        num("rcvbuf", Field::RecvBuf, &self.recv_buf)?;
        num("sndbuf", Field::SendBuf, &self.send_buf)?;
        num("ttl", Field::Ttl, &self.ttl)?;
        num("linger", Field::Linger, &self.linger)?;
        num("mttl", Field::McastTtl, &self.mcast_ttl)?;
        if self.keepalive == Tri::On && !self.keepalive_idle.trim().is_empty() {
            let text = if self.keepalive_interval.trim().is_empty() {
                self.keepalive_idle.trim().to_string()
            } else {
                format!(
                    "{}/{}",
                    self.keepalive_idle.trim(),
                    self.keepalive_interval.trim()
                )
            };
            num("keepalive", Field::KeepaliveTimes, &text)?;
        }
        Ok(o)
    }

    /// The form for options given elsewhere (an `--open` spec).
    pub fn from_options(o: &SocketOptions) -> OptionsForm {
        let n = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
        OptionsForm {
            nodelay: Tri::of(o.nodelay),
            keepalive: Tri::of(o.keepalive),
            keepalive_idle: n(o.keepalive_idle),
            keepalive_interval: n(o.keepalive_interval),
            reuse_addr: Tri::of(o.reuse_addr),
            reuse_port: Tri::of(o.reuse_port),
            recv_buf: n(o.recv_buf),
            send_buf: n(o.send_buf),
            ttl: n(o.ttl),
            linger: n(o.linger),
            broadcast: Tri::of(o.broadcast),
            mcast_ttl: n(o.mcast_ttl),
            mcast_loop: Tri::of(o.mcast_loop),
            v6only: Tri::of(o.v6only),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_gives_the_options_and_takes_them_back() {
        let form = OptionsForm {
            nodelay: Tri::Off,
            keepalive: Tri::On,
            keepalive_idle: "30".into(),
            keepalive_interval: "5".into(),
            recv_buf: "65536".into(),
            ttl: "9".into(),
            ..OptionsForm::default()
        };
        let o = form.options().unwrap();
        assert_eq!(o.nodelay, Some(false));
        assert_eq!(o.keepalive, Some(true));
        assert_eq!(
            (o.keepalive_idle, o.keepalive_interval),
            (Some(30), Some(5))
        );
        assert_eq!(o.recv_buf, Some(65536));
        assert_eq!(o.ttl, Some(9));
        assert_eq!(o.send_buf, None);
        assert_eq!(OptionsForm::from_options(&o), form);
        let bad = OptionsForm {
            ttl: "0".into(),
            ..OptionsForm::default()
        };
        assert_eq!(
            bad.options(),
            Err(Problem::at(Field::Ttl, Problem::BadOptionValue))
        );
        assert!(OptionsForm::default().options().unwrap().is_default());
    }
}
