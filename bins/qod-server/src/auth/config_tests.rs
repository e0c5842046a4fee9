//! Checks of the `[auth]` and `[limits]` sections.

use super::*;

fn auth(toml_text: &str) -> Result<AuthConfig, String> {
    let config: AuthConfig = toml::from_str(toml_text).map_err(|e| e.to_string())?;
    config.validate().map_err(|e| e.to_string())?;
    Ok(config)
}

#[test]
fn sandbox_is_the_default() {
    let config = auth("").unwrap();
    assert_eq!(config.mode, AuthMode::Sandbox);
    assert_eq!(config.claims.mapping(), ClaimMapping::default());
}

#[test]
fn jwt_mode_needs_its_settings() {
    let ok = auth(
        r#"mode = "jwt"
        [jwt]
        jwks_url = "https://idp.example.com/jwks"
        issuer = "https://idp.example.com"
        audience = "qod"
        algorithms = ["ES256"]"#,
    );
    assert!(ok.is_ok(), "{ok:?}");
    for (toml_text, expected) in [
        (r#"mode = "jwt""#, "needs [auth.jwt]"),
        (
            "mode = \"jwt\"\n[jwt]\nissuer = \"i\"\naudience = \"a\"",
            "auth.jwt.jwks_url",
        ),
        (
            "mode = \"jwt\"\n[jwt]\njwks_url = \"ftp://x\"\nissuer = \"i\"\naudience = \"a\"",
            "auth.jwt.jwks_url",
        ),
        (
            "mode = \"jwt\"\n[jwt]\njwks_url = \"https://x/j\"\nissuer = \"i\"\naudience = \"a\"\nalgorithms = [\"HS256\"]",
            "HS256",
        ),
        (
            "[jwt]\njwks_url = \"https://x/j\"\nissuer = \"i\"\naudience = \"a\"",
            "auth.mode is \"sandbox\"",
        ),
    ] {
        let err = auth(toml_text).unwrap_err();
        assert!(err.contains(expected), "{toml_text}: {err}");
    }
}

#[test]
fn introspection_mode_needs_one_secret() {
    let base = "mode = \"introspection\"\n[introspection]\nurl = \"https://idp/introspect\"\nclient_id = \"gw\"\n";
    assert!(auth(&format!("{base}client_secret = \"s\"")).is_ok());
    assert!(auth(&format!("{base}client_secret_file = \"/run/secret\"")).is_ok());
    let none = auth(base).unwrap_err();
    assert!(none.contains("exactly one"), "{none}");
    let both = auth(&format!(
        "{base}client_secret = \"s\"\nclient_secret_file = \"/f\""
    ))
    .unwrap_err();
    assert!(both.contains("exactly one"), "{both}");
}

#[test]
fn the_secret_is_not_shown() {
    let config = auth(
        "mode = \"introspection\"\n[introspection]\nurl = \"https://idp/i\"\nclient_id = \"gw\"\nclient_secret = \"hunter2-secret\"",
    )
    .unwrap();
    let shown = format!("{config:?}");
    assert!(shown.contains("gw"), "{shown}");
    assert!(!shown.contains("hunter2-secret"), "{shown}");
}

#[test]
fn claims_and_purposes() {
    let config = auth(
        r#"[claims]
        subject = ["phone_number", "sub"]
        purposes = { "dpv:Custom" = ["qos-profiles:read"] }"#,
    )
    .unwrap();
    let mapping = config.claims.mapping();
    assert_eq!(mapping.subject_claims, ["phone_number", "sub"]);
    assert_eq!(mapping.purposes.len(), 1);
    let err = auth("[claims]\npurposes = { \"p\" = [\"qos-profiles:write\"] }").unwrap_err();
    assert!(err.contains("not a scope"), "{err}");
}

#[test]
fn limits_are_positive() {
    let limits = |t: &str| {
        toml::from_str::<LimitsConfig>(t)
            .map_err(|e| e.to_string())
            .and_then(|l| l.validate().map_err(|e| e.to_string()))
    };
    assert!(limits("").is_ok());
    assert!(
        limits("requests_per_second = 10\nburst = 20\nmax_active_sessions_per_client = 5").is_ok()
    );
    assert!(limits("requests_per_second = 0").is_err());
    assert!(limits("burst = 5").is_err());
    assert!(limits("max_active_sessions_per_client = 0").is_err());
}
