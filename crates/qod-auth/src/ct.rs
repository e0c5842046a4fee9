//! Constant-time comparison of secrets.

use subtle::ConstantTimeEq;

/// Compares two secrets without branching on their contents.
///
/// Only the lengths may leak through timing, never where the first difference is.
pub(crate) fn secrets_equal(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::secrets_equal;

    #[test]
    fn equal_and_unequal() {
        assert!(secrets_equal("s3cret", "s3cret"));
        assert!(!secrets_equal("s3cret", "s3creT"));
        assert!(!secrets_equal("s3cret", "s3cret!"));
        assert!(!secrets_equal("", "x"));
    }
}
