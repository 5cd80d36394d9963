//! Parameter values as a sweep file and the run database hold them, and the seam through which
//! a trainer says which parameters it takes ([`ParamRules`]).
//!
//! The spec checks every value a sweep can produce before anything runs, with the trainer's own
//! rules; the rules live with the trainer (`train::params::BuiltIn` for the built-in model), and
//! the spec keeps the kind of each of its parameters so that every value it plans is canonical.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// What kind of value a parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// A whole number (sizes, counts).
    Whole,
    /// A real number (rates, probabilities).
    Real,
    /// One of a few names (`optimizer: sgd`).
    Choice,
    /// `true` or `false`.
    Flag,
}

/// The parameters a trainer takes and the values it accepts: what a sweep file is checked
/// against before anything runs.
pub trait ParamRules {
    /// The kind of value parameter `name` takes; `None` for a name the trainer does not know.
    fn kind(&self, name: &str) -> Option<ParamKind>;
    /// Every name the trainer knows, in the order messages list them.
    fn known(&self) -> &[&str];
    /// The values a choice or flag parameter accepts, comma-separated (for messages); `None`
    /// for a numeric or unknown parameter.
    fn accepted_values(&self, name: &str) -> Option<String>;
    /// Check the text of one value (its [`Display`](fmt::Display) form) with the trainer's own
    /// rules; the error says what the parameter takes.
    fn check(&self, name: &str, text: &str) -> Result<(), String>;
}

/// The rules of a program sweep: a program takes whatever parameters its sweep file names, so
/// any name is accepted, and each value is checked only against its parameter's kind, which
/// the spec infers from the file (`int_uniform` and whole `values` are whole numbers, and so on:
/// see `Spec::parse`). A name the rules were not built with is a choice (any text).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenRules {
    kinds: BTreeMap<String, ParamKind>,
}

impl OpenRules {
    /// Rules with these kinds, by parameter name.
    pub fn new(kinds: BTreeMap<String, ParamKind>) -> OpenRules {
        OpenRules { kinds }
    }

    /// The kinds the rules were built with, by name.
    pub fn kinds(&self) -> &BTreeMap<String, ParamKind> {
        &self.kinds
    }

    fn kind_of(&self, name: &str) -> ParamKind {
        self.kinds.get(name).copied().unwrap_or(ParamKind::Choice)
    }
}

impl ParamRules for OpenRules {
    fn kind(&self, name: &str) -> Option<ParamKind> {
        Some(self.kind_of(name))
    }

    /// None: every name is accepted.
    fn known(&self) -> &[&str] {
        &[]
    }

    fn accepted_values(&self, name: &str) -> Option<String> {
        (self.kind_of(name) == ParamKind::Flag).then(|| "true, false".to_string())
    }

    fn check(&self, name: &str, text: &str) -> Result<(), String> {
        let ok = match self.kind_of(name) {
            ParamKind::Whole => {
                text.parse::<i64>().is_ok()
                    || text
                        .parse::<f64>()
                        .is_ok_and(|x| x.is_finite() && x.fract() == 0.0)
            }
            ParamKind::Real => text.parse::<f64>().is_ok_and(f64::is_finite),
            ParamKind::Flag => matches!(text, "true" | "false"),
            ParamKind::Choice => true,
        };
        if ok {
            return Ok(());
        }
        let takes = match self.kind_of(name) {
            ParamKind::Whole => "a whole number",
            ParamKind::Real => "a finite number",
            _ => "true or false",
        };
        Err(format!("parameter `{name}` takes {takes}, not `{text}`"))
    }
}

/// One parameter value, as a sweep file or the store holds it.
///
/// Serialized untagged: a JSON number, string or boolean. Its [`Display`](fmt::Display)
/// is the text a trainer's rules check (floats print in Rust's shortest exact form,
/// without an exponent, so the text parses back to the same `f64`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A whole number.
    Int(i64),
    /// A real number.
    Float(f64),
    /// Text: the name of a choice (`optimizer: sgd`).
    Text(String),
    /// A boolean.
    Bool(bool),
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParamValue::Int(i) => write!(f, "{i}"),
            ParamValue::Float(x) => write!(f, "{x}"),
            ParamValue::Text(s) => f.write_str(s),
            ParamValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl ParamValue {
    /// This value in the canonical form for a parameter of `kind`, so that equal settings
    /// compare and serialize equal whatever their spelling: a whole-number parameter holds
    /// an `Int` (`3e6` and `3000000` are both `Int(3000000)`), a real one a `Float` (`1`
    /// is `Float(1.0)`, `-0` is `0`), numeric text becomes the number, a flag holds a `Bool`
    /// (`"true"` is `true`) and a choice its `Text`. Values that do not fit (and parameters of
    /// no known kind) are left as they are; [`ParamValue::checked`] rejects them.
    pub fn normalized(&self, kind: Option<ParamKind>) -> ParamValue {
        match (kind, self) {
            (Some(ParamKind::Whole), ParamValue::Float(x)) => whole(*x).unwrap_or(self.clone()),
            (Some(ParamKind::Whole), ParamValue::Text(s)) => {
                s.parse().map(ParamValue::Int).unwrap_or(self.clone())
            }
            (Some(ParamKind::Real), ParamValue::Int(i)) => ParamValue::Float(*i as f64),
            (Some(ParamKind::Real), ParamValue::Float(x)) if *x == 0.0 => ParamValue::Float(0.0),
            (Some(ParamKind::Real), ParamValue::Text(s)) => match s.parse::<f64>() {
                Ok(x) if x.is_finite() => ParamValue::Float(x),
                _ => self.clone(),
            },
            (Some(ParamKind::Flag), ParamValue::Text(s)) => match s.as_str() {
                "true" => ParamValue::Bool(true),
                "false" => ParamValue::Bool(false),
                _ => self.clone(),
            },
            _ => self.clone(),
        }
    }

    /// Check this value of parameter `name` with the trainer's `rules` and return its
    /// canonical form ([`ParamValue::normalized`]).
    pub fn checked(&self, name: &str, rules: &dyn ParamRules) -> Result<ParamValue, String> {
        let text = self.to_string();
        rules.check(name, &text)?;
        let kind = rules.kind(name);
        let value = self.normalized(kind);
        // A trainer may take sizes up to usize::MAX; the store keeps them as i64.
        if kind == Some(ParamKind::Whole) && !matches!(value, ParamValue::Int(_)) {
            return Err(format!(
                "parameter `{name}`: `{text}` is not a whole number below 2^63"
            ));
        }
        Ok(value)
    }

    /// The value as a JSON value (a non-finite float becomes `null`, as serde_json does).
    fn to_json_value(&self) -> serde_json::Value {
        match self {
            ParamValue::Int(i) => serde_json::Value::from(*i),
            ParamValue::Float(x) => serde_json::Value::from(*x),
            ParamValue::Text(s) => serde_json::Value::from(s.as_str()),
            ParamValue::Bool(b) => serde_json::Value::from(*b),
        }
    }
}

/// `x` as an `Int` when it is a whole number that fits `i64`.
fn whole(x: f64) -> Option<ParamValue> {
    // 2^63 is exact in f64; every whole f64 below it in magnitude converts exactly.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (x.fract() == 0.0 && x.abs() < LIMIT).then_some(ParamValue::Int(x as i64))
}

/// One trial's parameters, by name. Serialized as a JSON object.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ParamSet(pub BTreeMap<String, ParamValue>);

impl ParamSet {
    /// JSON with keys sorted and no spaces. Every set a sweep plans or draws is canonical
    /// ([`Spec::canonical`](super::Spec::canonical)), so two sets that configure the same trial
    /// give the same text and it can key a grid point (wandb/sweeps normalizes `3e6`/`3000000`
    /// for the same reason).
    pub fn to_json(&self) -> String {
        let object: serde_json::Map<String, serde_json::Value> = self
            .0
            .iter()
            .map(|(name, value)| (name.clone(), value.to_json_value()))
            .collect();
        serde_json::Value::Object(object).to_string()
    }

    /// Read a set written by [`ParamSet::to_json`] (or any JSON object of scalars).
    pub fn from_json(text: &str) -> Result<ParamSet, serde_json::Error> {
        serde_json::from_str::<ParamSet>(text)
    }

    /// The `name=value,…` text that `sweep train --params` takes, in name order.
    pub fn to_params_arg(&self) -> String {
        let pairs: Vec<String> = self
            .0
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        pairs.join(",")
    }
}
