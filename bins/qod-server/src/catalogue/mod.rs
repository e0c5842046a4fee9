//! The operator's QoS profile catalogue: a TOML file, checked in full before it is used.
//!
//! A catalogue that breaks a rule never starts a server and never replaces the one in force;
//! the error names the file, the line and column, and the field (see docs/configuration.md).

mod raw;
mod reload;
#[cfg(test)]
mod tests;

use std::fmt;
use std::ops::Range;
use std::path::Path;

use qod_domain::StaticCatalogue;

pub use reload::{BuiltIn, Reloader, watch_sighup};

/// Why a catalogue file was refused: where, which field, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueError {
    /// The file, as configured.
    pub file: String,
    /// The line (from 1), or 0 when the error concerns the whole file.
    pub line: usize,
    /// The column (from 1, in characters).
    pub column: usize,
    /// The field at fault, e.g. `profile[2].max_duration`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for CatalogueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}: {}", self.file, self.field, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}: {}",
                self.file, self.line, self.column, self.field, self.message
            )
        }
    }
}

/// The catalogue the server starts with: the file when one is configured, else the sandbox's.
pub fn initial(file: Option<&Path>) -> Result<StaticCatalogue, CatalogueError> {
    match file {
        Some(path) => load(path),
        None => Ok(StaticCatalogue::sandbox()),
    }
}

/// Reads and checks a catalogue file.
pub fn load(path: &Path) -> Result<StaticCatalogue, CatalogueError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CatalogueError {
        file: file.clone(),
        line: 0,
        column: 0,
        field: "catalogue".into(),
        message: format!("cannot read the file: {e}"),
    })?;
    parse(&file, &text)
}

/// Checks catalogue text; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<StaticCatalogue, CatalogueError> {
    let source = Source { file, text };
    let document: raw::RawFile = toml::from_str(text).map_err(|e| source.toml_error(&e))?;
    document.into_catalogue(&source)
}

/// The text of a catalogue file, to turn byte offsets into lines and columns.
pub(crate) struct Source<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

impl Source<'_> {
    /// An error at byte offset `at`.
    pub fn error(&self, at: usize, field: String, message: impl Into<String>) -> CatalogueError {
        let at = at.min(self.text.len());
        let before = self.text.get(..at).unwrap_or(self.text);
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        CatalogueError {
            file: self.file.to_owned(),
            line: before.matches('\n').count() + 1,
            column: before.get(line_start..).map_or(0, |s| s.chars().count()) + 1,
            field,
            message: message.into(),
        }
    }

    /// An error the TOML parser reported: syntax, an unknown or missing key, a wrong type.
    fn toml_error(&self, e: &toml::de::Error) -> CatalogueError {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim().to_owned();
        let key = backticked_key(&message).or_else(|| self.key_before(&span));
        let field = match (self.profile_number(span.start), key) {
            (Some(n), Some(key)) => format!("profile[{n}].{key}"),
            (Some(n), None) => format!("profile[{n}]"),
            (None, Some(key)) => key,
            (None, None) => "catalogue".into(),
        };
        self.error(span.start, field, message)
    }

    /// Which `[[profile]]` (from 1) the offset falls in, if any; a header line counts as part
    /// of its table.
    pub fn profile_number(&self, at: usize) -> Option<usize> {
        let at = at.min(self.text.len());
        let line_end = self.text[at..]
            .find('\n')
            .map_or(self.text.len(), |i| at + i);
        let before = self.text.get(..line_end)?;
        let count = before
            .lines()
            .filter(|l| l.trim_start().starts_with("[[profile]]"))
            .count();
        (count > 0).then_some(count)
    }

    /// The last `key =` on the line of `span`, before it.
    fn key_before(&self, span: &Range<usize>) -> Option<String> {
        let before = self.text.get(..span.start.min(self.text.len()))?;
        let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
        let mut key = None;
        for part in line.split('=').rev().skip(1) {
            let candidate = part
                .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .find(|s| !s.is_empty());
            if let Some(k) = candidate {
                key = Some(k.to_owned());
                break;
            }
        }
        key
    }
}

/// The key a serde message names: "unknown field `jiter`", "missing field `name`".
fn backticked_key(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("missing field `"))?;
    Some(rest.split('`').next()?.to_owned())
}
