//! Project and logstore names: the rules SLS enforces, checked before anything is sent.

use alloc::string::String;
use core::fmt;

/// What kind of name failed validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// A project name.
    Project,
    /// A logstore (or metricstore) name.
    Logstore,
}

impl NameKind {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Project => "project",
            Self::Logstore => "logstore",
        }
    }

    const fn min_len(self) -> usize {
        match self {
            Self::Project => 3,
            Self::Logstore => 2,
        }
    }

    const fn allowed(self) -> &'static str {
        match self {
            Self::Project => "lowercase letters, digits and '-'",
            Self::Logstore => "lowercase letters, digits, '-' and '_'",
        }
    }
}

/// What is wrong with a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InvalidNameReason {
    /// Not within the allowed length (in bytes).
    Length {
        /// The name's length.
        len: usize,
        /// The shortest allowed length.
        min: usize,
        /// The longest allowed length.
        max: usize,
    },
    /// A character that is not allowed anywhere in the name.
    Character {
        /// Its byte offset.
        index: usize,
        /// The character.
        ch: char,
    },
    /// The name starts or ends with `-` or `_`.
    Edge,
}

/// A project or logstore name that SLS would reject. Sending to it can never succeed: fix
/// the name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct InvalidName {
    /// Which kind of name.
    pub kind: NameKind,
    /// The rejected name.
    pub name: String,
    /// What is wrong with it.
    pub reason: InvalidNameReason,
}

impl fmt::Display for InvalidName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} name {:?}: ", self.kind.as_str(), self.name)?;
        match self.reason {
            InvalidNameReason::Length { len, min, max } => {
                let unit = if len == 1 { "character" } else { "characters" };
                write!(
                    f,
                    "it is {len} {unit} long; a {} name has {min} to {max} ({})",
                    self.kind.as_str(),
                    self.kind.allowed()
                )
            }
            InvalidNameReason::Character { index, ch } => write!(
                f,
                "{ch:?} at offset {index} is not allowed (use {})",
                self.kind.allowed()
            ),
            InvalidNameReason::Edge => f.write_str("must start and end with a letter or digit"),
        }
    }
}

impl core::error::Error for InvalidName {}

/// Check a project name: 3 to 63 characters, lowercase ASCII letters, digits and `-`,
/// starting and ending with a letter or digit.
pub fn validate_project(name: &str) -> Result<(), InvalidName> {
    validate_name(NameKind::Project, name)
}

/// Check a logstore or metricstore name: 2 to 63 characters, lowercase ASCII letters,
/// digits, `-` and `_`, starting and ending with a letter or digit.
pub fn validate_logstore(name: &str) -> Result<(), InvalidName> {
    validate_name(NameKind::Logstore, name)
}

fn validate_name(kind: NameKind, name: &str) -> Result<(), InvalidName> {
    let fail = |reason| {
        Err(InvalidName {
            kind,
            name: name.into(),
            reason,
        })
    };
    for (index, ch) in name.char_indices() {
        let ok = ch.is_ascii_lowercase()
            || ch.is_ascii_digit()
            || ch == '-'
            || (ch == '_' && kind == NameKind::Logstore);
        if !ok {
            return fail(InvalidNameReason::Character { index, ch });
        }
    }
    let (min, max) = (kind.min_len(), 63);
    if !(min..=max).contains(&name.len()) {
        return fail(InvalidNameReason::Length {
            len: name.len(),
            min,
            max,
        });
    }
    let edge_ok = |b: u8| b.is_ascii_alphanumeric();
    let bytes = name.as_bytes();
    if !edge_ok(bytes[0]) || !edge_ok(bytes[bytes.len() - 1]) {
        return fail(InvalidNameReason::Edge);
    }
    Ok(())
}
