//! The relay's "bad network on purpose" form: a switch, and each option's
//! text for each direction, as the spec syntax writes it (`200ms`,
//! `64kB/s`, `1-4/20ms`, `4096:reset`). Saved with the session.

use super::problem::Problem;
use crate::net::impair::{Impair, Impairment, OPTIONS};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ImpairForm {
    pub on: bool,
    /// Option name to its text, client to target.
    pub to_target: BTreeMap<String, String>,
    /// Option name to its text, target to client.
    pub to_client: BTreeMap<String, String>,
}

impl ImpairForm {
    /// The text of `option` in one direction.
    pub fn text_mut(&mut self, toward_target: bool, option: &str) -> &mut String {
        let side = if toward_target {
            &mut self.to_target
        } else {
            &mut self.to_client
        };
        side.entry(option.to_string()).or_default()
    }

    /// The impairment the form describes, or the first field that is
    /// wrong (which direction, and why).
    pub fn impairment(&self) -> Result<Impairment, Problem> {
        let side = |texts: &BTreeMap<String, String>, toward_target: bool| {
            let mut d = Impair::default();
            for key in OPTIONS {
                if let Some(t) = texts.get(key) {
                    d.set(key, t).map_err(|error| Problem::Impair {
                        toward_target,
                        error,
                    })?;
                }
            }
            Ok::<_, Problem>(d)
        };
        Ok(Impairment {
            on: self.on,
            up: side(&self.to_target, true)?,
            down: side(&self.to_client, false)?,
        })
    }

    /// The form for an impairment given elsewhere (an `--open` spec).
    pub fn from_impairment(m: &Impairment) -> ImpairForm {
        let texts = |d: &Impair| {
            OPTIONS
                .iter()
                .map(|k| (k.to_string(), d.text(k)))
                .filter(|(_, t)| !t.is_empty())
                .collect()
        };
        ImpairForm {
            on: m.on,
            to_target: texts(&m.up),
            to_client: texts(&m.down),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_form_gives_the_impairment_and_takes_it_back() {
        let mut f = ImpairForm {
            on: true,
            ..ImpairForm::default()
        };
        *f.text_mut(true, "delay") = "200ms".into();
        *f.text_mut(false, "slice") = "1-4/20ms".into();
        let m = f.impairment().unwrap();
        assert_eq!(m.up.delay, Duration::from_millis(200));
        assert!(m.down.slice.is_some() && m.up.slice.is_none());
        assert_eq!(ImpairForm::from_impairment(&m), f);
        *f.text_mut(false, "loss") = "200%".into();
        assert!(matches!(
            f.impairment(),
            Err(Problem::Impair {
                toward_target: false,
                ..
            })
        ));
    }
}
