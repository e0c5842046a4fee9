//! Validation and normalisation of CIBA `login_hint` values.

use std::net::SocketAddr;

use crate::AuthError;
use crate::claims::is_e164;

const TEL: &str = "tel:";
const IPPORT: &str = "ipport:";

/// The subject a login hint names, in normal form: `tel:+<E.164 digits>`,
/// `ipport:<IPv4>:<port>` or `ipport:[<IPv6>]:<port>`.
pub(crate) fn normalise_login_hint(hint: &str) -> Result<String, AuthError> {
    let bad = || {
        AuthError::InvalidRequest(
            "login_hint must be tel:+<E.164 number> or ipport:<IP address>:<port>".to_owned(),
        )
    };
    if let Some(number) = hint.strip_prefix(TEL) {
        if is_e164(number) {
            return Ok(hint.to_owned());
        }
        return Err(bad());
    }
    if let Some(addr) = hint.strip_prefix(IPPORT) {
        let addr: SocketAddr = addr.parse().map_err(|_| bad())?;
        let scoped = matches!(addr, SocketAddr::V6(v6) if v6.scope_id() != 0);
        if addr.port() == 0 || scoped {
            return Err(bad());
        }
        return Ok(format!("{IPPORT}{addr}"));
    }
    Err(bad())
}

#[cfg(test)]
mod tests {
    use super::normalise_login_hint;

    #[test]
    fn good_hints() {
        assert_eq!(
            normalise_login_hint("tel:+34600000000"),
            Ok("tel:+34600000000".to_owned())
        );
        assert_eq!(
            normalise_login_hint("tel:+12345"),
            Ok("tel:+12345".to_owned())
        );
        assert_eq!(
            normalise_login_hint("ipport:84.125.93.10:59765"),
            Ok("ipport:84.125.93.10:59765".to_owned())
        );
        assert_eq!(
            normalise_login_hint("ipport:[2001:0db8:0000::0001]:443"),
            Ok("ipport:[2001:db8::1]:443".to_owned())
        );
    }

    #[test]
    fn bad_hints() {
        for hint in [
            "",
            "+34600000000",
            "tel:34600000000",
            "tel:+0600000000",
            "tel:+1234",
            "tel:+1234567890123456",
            "tel:+34 600 000 000",
            "tel:+3460000000a",
            "TEL:+34600000000",
            "ipport:84.125.93.10",
            "ipport:84.125.93.10:0",
            "ipport:84.125.93.10:65536",
            "ipport:2001:db8::1:443",
            "ipport:[2001:db8::1]",
            "ipport:[fe80::1%2]:443",
            "ipport:host.example:443",
            "sub:whatever",
        ] {
            let got = normalise_login_hint(hint);
            assert!(
                matches!(got, Err(crate::AuthError::InvalidRequest(_))),
                "{hint:?} gave {got:?}"
            );
        }
    }
}
