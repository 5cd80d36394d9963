//! Trial parameters that take one of a few names (`optimizer: sgd`, `pooling: none`): one
//! trait for parsing and listing them, and a macro that writes the enum, its text form and
//! its serde form from a single table, so the three can never disagree.
//!
//! Written here rather than taken from a crate (`strum` would do it) because the whole need is
//! one trait and one short macro, and the accepted names must match the sweep file exactly.

/// A parameter value that is one of a fixed set of names.
pub trait Choice: Copy + Sized + 'static {
    /// Every value, in the order messages list them.
    const ALL: &'static [Self];

    /// The name a sweep file and `--params` use.
    fn as_str(self) -> &'static str;

    /// The value named `text` (exact, lowercase), if there is one.
    fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == text)
    }

    /// The accepted names, comma-separated, for messages.
    fn names() -> String {
        let names: Vec<&str> = Self::ALL.iter().map(|c| c.as_str()).collect();
        names.join(", ")
    }
}

/// A name that is not one of a [`Choice`]'s values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not one of {accepted}")]
pub struct UnknownChoice {
    /// The text given.
    pub value: String,
    /// The accepted names.
    pub accepted: String,
}

/// Define a [`Choice`] enum: `choice_enum! { /// doc  pub enum Name { /// doc  #[default] A => "a", B => "b" } }`
/// gives the enum with `Default`, `Display`, `FromStr`, and serde as the same names.
macro_rules! choice_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
        )]
        $vis enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $crate::choice::Choice for $name {
            const ALL: &'static [Self] = &[$($name::$variant),+];

            fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::choice::Choice::as_str(*self))
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::choice::UnknownChoice;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                <Self as $crate::choice::Choice>::parse(text).ok_or_else(|| {
                    $crate::choice::UnknownChoice {
                        value: text.to_string(),
                        accepted: <Self as $crate::choice::Choice>::names(),
                    }
                })
            }
        }
    };
}

pub(crate) use choice_enum;

#[cfg(test)]
mod tests {

    choice_enum! {
        /// A test choice.
        enum Fruit {
            #[default]
            Apple => "apple",
            BloodOrange => "blood_orange",
        }
    }

    #[test]
    fn text_serde_and_default_agree() {
        assert_eq!(Fruit::default(), Fruit::Apple);
        assert_eq!("blood_orange".parse::<Fruit>(), Ok(Fruit::BloodOrange));
        assert_eq!(Fruit::BloodOrange.to_string(), "blood_orange");
        assert_eq!(
            serde_json::to_string(&Fruit::BloodOrange).ok().as_deref(),
            Some("\"blood_orange\"")
        );
        assert_eq!(
            serde_json::from_str::<Fruit>("\"apple\"").ok(),
            Some(Fruit::Apple)
        );
        let err = "Apple".parse::<Fruit>().err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("`Apple` is not one of apple, blood_orange")
        );
    }
}
