//! The catalogue file: the documented example, every kind of error, and reloads.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use qod_domain::profile::{
    L4sQueueType, Rate, RateUnit, ServiceClass, SwappableCatalogue, TimeUnit, TimeValue,
};
use qod_domain::{ProfileCatalogue, ProfileStatus, QosProfile, StaticCatalogue};

use super::{CatalogueError, Reloader, initial, load, parse};

const CONFIGURATION_MD: &str = include_str!("../../../../docs/configuration.md");

/// The TOML block between two markers of docs/configuration.md, or the one after a heading.
fn docs_block(after: &str) -> &'static str {
    let start = CONFIGURATION_MD.find(after).expect("marker") + after.len();
    let rest = &CONFIGURATION_MD[start..];
    let open = rest.find("```toml\n").expect("toml block") + "```toml\n".len();
    let close = rest[open..].find("```").expect("end of block");
    &rest[open..open + close]
}

fn owned(catalogue: &StaticCatalogue) -> Vec<QosProfile> {
    catalogue.profiles().iter().map(|p| (**p).clone()).collect()
}

const ONE: &str = r#"
[[profile]]
name = "QOS_A"
status = "ACTIVE"
min_duration = "1 Seconds"
max_duration = "1 Hours"
"#;

fn err(text: &str) -> CatalogueError {
    parse("cat.toml", text).expect_err("the catalogue should be refused")
}

#[test]
fn the_documented_sandbox_catalogue_is_the_built_in_one() {
    let parsed = parse(
        "configuration.md",
        docs_block("<!-- sandbox-catalogue:begin -->"),
    )
    .unwrap();
    assert_eq!(owned(&parsed), owned(&StaticCatalogue::sandbox()));
    assert_eq!(
        owned(&initial(None).unwrap()),
        owned(&StaticCatalogue::sandbox())
    );
}

#[test]
fn the_documented_full_profile_reads_every_attribute() {
    let parsed = parse("configuration.md", docs_block("can use every attribute:")).unwrap();
    let voice = parsed.profile("voice").unwrap();
    assert_eq!(voice.status, ProfileStatus::Active);
    assert_eq!(
        voice.target_min_upstream_rate,
        Some(Rate::new(100, RateUnit::Kbps))
    );
    assert_eq!(voice.min_duration, Some(TimeValue::new(1, TimeUnit::Days)));
    assert_eq!(voice.max_duration, Some(TimeValue::new(10, TimeUnit::Days)));
    assert_eq!(voice.max_duration_secs(), 864_000);
    assert_eq!(
        voice.jitter,
        Some(TimeValue::new(5, TimeUnit::Milliseconds))
    );
    assert_eq!(voice.packet_error_loss_rate, Some(3));
    assert_eq!(voice.l4s_queue_type, Some(L4sQueueType::NonL4sQueue));
    assert_eq!(voice.service_class, Some(ServiceClass::MicrosoftVoice));
    assert_eq!(voice.country_availability.len(), 2);
    assert_eq!(voice.country_availability[0].networks, ["21407", "21401"]);
    assert!(voice.country_availability[1].networks.is_empty());
    assert_eq!(
        voice.restricted_to,
        ["tel:+34600000001", "ipv4:84.125.93.10:59765"]
    );
    assert_eq!(voice.qos_reference, "5QI-1");
}

#[test]
fn defaults_and_canonical_device_keys() {
    let text = format!("{ONE}restricted_to = [\"ipv6:2001:DB8:0::1\"]\n");
    let parsed = parse("cat.toml", &text).unwrap();
    let a = parsed.profile("QOS_A").unwrap();
    assert_eq!(a.qos_reference, "QOS_A");
    assert_eq!(a.restricted_to, ["ipv6:2001:db8::1"]);
    assert!(a.description.is_none() && a.priority.is_none());
}

/// (catalogue text, line, field, a fragment of the message)
fn cases() -> Vec<(String, usize, &'static str, &'static str)> {
    let with = |extra: &str| format!("{ONE}{extra}\n");
    vec![
        ("".into(), 1, "profile", "no profile"),
        ("[[profile]\nname = 1".into(), 1, "catalogue", ""),
        (
            with("jiter = \"5 Milliseconds\""),
            7,
            "profile[1].jiter",
            "unknown field",
        ),
        (
            with("priority = \"high\""),
            7,
            "profile[1].priority",
            "invalid type",
        ),
        (
            "[[profile]]\nstatus = \"ACTIVE\"\n".into(),
            1,
            "profile[1].name",
            "missing field",
        ),
        (
            with("max_upstream_rate = \"500 kbs\""),
            7,
            "profile[1].max_upstream_rate",
            "unknown rate unit \"kbs\"",
        ),
        (
            with("jitter = \"5 ms\""),
            7,
            "profile[1].jitter",
            "unknown time unit \"ms\"",
        ),
        (
            with("jitter = \"5\""),
            7,
            "profile[1].jitter",
            "a whole number and a unit",
        ),
        (
            with("jitter = \"1.5 Seconds\""),
            7,
            "profile[1].jitter",
            "not a whole number",
        ),
        (
            with("jitter = \"0 Seconds\""),
            7,
            "profile[1].jitter",
            "1 to 2147483647",
        ),
        (
            with("max_downstream_rate = \"2000 kbps\""),
            7,
            "profile[1].max_downstream_rate",
            "0 to 1024",
        ),
        (
            with("max_downstream_rate = \"-1 kbps\""),
            7,
            "profile[1].max_downstream_rate",
            "0 to 1024",
        ),
        (with("priority = 0"), 7, "profile[1].priority", "1 to 100"),
        (
            with("priority = 1000"),
            7,
            "profile[1].priority",
            "1 to 100",
        ),
        (
            with("packet_error_loss_rate = 11"),
            7,
            "profile[1].packet_error_loss_rate",
            "1 to 10",
        ),
        (
            with("l4s_queue_type = \"fast\""),
            7,
            "profile[1].l4s_queue_type",
            "mixed-queue",
        ),
        (
            with("service_class = \"gold\""),
            7,
            "profile[1].service_class",
            "standard",
        ),
        (
            with("restricted_to = [\"tel:+1\"]"),
            7,
            "profile[1].restricted_to[0]",
            "not a device key",
        ),
        (
            with("description = \"bell \\u0007\""),
            7,
            "profile[1].description",
            "control characters",
        ),
        (
            with("qos_reference = \"\""),
            7,
            "profile[1].qos_reference",
            "empty",
        ),
        (
            with(
                "country_availability = [{ country_name = \"ES\" }, { country_name = \"Spain\" }]",
            ),
            7,
            "profile[1].country_availability[1]",
            "two-letter",
        ),
        (
            ONE.replace("\"ACTIVE\"", "\"ENABLED\""),
            4,
            "profile[1].status",
            "ACTIVE, INACTIVE, DEPRECATED",
        ),
        (
            ONE.replace("1 Seconds", "1 Milliseconds")
                .replace("1 Hours", "999 Milliseconds"),
            6,
            "profile[1].max_duration",
            "at least one second",
        ),
        (
            ONE.replace("1 Seconds", "2 Hours"),
            5,
            "profile[1].min_duration",
            "longer than max_duration",
        ),
        (
            ONE.replace("QOS_A", "A"),
            3,
            "profile[1].name",
            "not a profile name",
        ),
        (
            format!("{ONE}{ONE}"),
            9,
            "profile[2].name",
            "already the name",
        ),
        (
            format!(
                "{ONE}\n[[profile]]\nname = \"QOS_B\"\nstatus = \"ACTIVE\"\nmax_upstream_rate = \"4 Mbps\"\nmax_upstream_burst_rate = \"3 Mbps\"\n"
            ),
            12,
            "profile[2].max_upstream_burst_rate",
            "must not exceed",
        ),
        (
            "[[profiles]]\nname = \"QOS_A\"\n".into(),
            1,
            "profiles",
            "unknown field",
        ),
    ]
}

#[test]
fn every_error_names_the_file_line_and_field() {
    for (text, line, field, fragment) in cases() {
        let e = err(&text);
        assert_eq!(e.file, "cat.toml", "{e}");
        assert_eq!(
            (e.line, e.field.as_str()),
            (line, field),
            "{e}\n---\n{text}"
        );
        assert!(e.message.contains(fragment), "{e}");
        let shown = e.to_string();
        assert!(shown.starts_with(&format!("cat.toml:{line}:")), "{shown}");
        assert!(shown.contains(field), "{shown}");
    }
}

#[test]
fn columns_point_at_the_value() {
    let e = err(&format!("{ONE}jitter = \"5 ms\"\n"));
    assert_eq!(e.column, 10, "{e}");
}

#[test]
fn an_unreadable_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.toml");
    let e = load(&path).unwrap_err();
    assert_eq!(e.file, path.display().to_string());
    assert!(
        e.to_string()
            .contains("missing.toml: catalogue: cannot read"),
        "{e}"
    );
}

#[test]
fn a_reload_puts_a_good_file_in_force_and_keeps_the_old_one_on_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cat.toml");
    std::fs::write(&path, ONE).unwrap();
    let shared = Arc::new(SwappableCatalogue::new(load(&path).unwrap()));
    let reloader = Reloader::new(path.clone(), shared.clone());

    std::fs::write(&path, ONE.replace("\"ACTIVE\"", "\"DEPRECATED\"")).unwrap();
    assert_eq!(reloader.reload_file().unwrap(), 1);
    assert_eq!(
        shared.profile("QOS_A").unwrap().status,
        ProfileStatus::Deprecated
    );

    std::fs::write(&path, format!("{ONE}jitter = \"5 ms\"\n")).unwrap();
    let e = reloader.reload_file().unwrap_err();
    assert_eq!((e.line, e.field.as_str()), (7, "profile[1].jitter"));
    assert_eq!(
        shared.profile("QOS_A").unwrap().status,
        ProfileStatus::Deprecated
    );

    std::fs::remove_file(&path).unwrap();
    assert!(reloader.reload_file().is_err());
    assert_eq!(shared.profiles().len(), 1);
}
