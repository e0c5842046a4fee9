//! The sink policy: which addresses are internal, the operator's allow-list, and the check
//! made when a session is created.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use std::time::Duration;

use qod_domain::{Sink, SinkCredential, SinkPolicy, SinkRefusal};
use qod_notify::policy::internal_class;
use qod_notify::{AddressPolicy, SinkGuard};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn internal_addresses_are_recognised() {
    let internal = [
        ("127.0.0.1", "a loopback address"),
        ("127.255.0.9", "a loopback address"),
        ("10.0.0.1", "a private address"),
        ("172.16.5.4", "a private address"),
        ("172.31.255.255", "a private address"),
        ("192.168.0.1", "a private address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("169.254.1.1", "a link-local address"),
        ("100.64.0.1", "a shared (CGNAT) address"),
        ("100.127.255.254", "a shared (CGNAT) address"),
        ("224.0.0.1", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),
        ("0.1.2.3", "an unspecified address"),
        ("255.255.255.255", "a reserved address"),
        ("240.0.0.1", "a reserved address"),
        ("192.0.0.170", "a reserved address"),
        ("::1", "a loopback address"),
        ("::", "an unspecified address"),
        ("ff02::1", "a multicast address"),
        ("fc00::1", "a unique-local address"),
        ("fd00:ec2::254", "a unique-local address"),
        ("fe80::1", "a link-local address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:10.1.2.3", "a private address"),
        ("64:ff9b::a9fe:a9fe", "a cloud metadata address"),
        ("2002:0a00:0001::1", "a private address"),
    ];
    for (addr, class) in internal {
        assert_eq!(internal_class(ip(addr)), Some(class), "{addr}");
    }
    for public in [
        "8.8.8.8",
        "198.51.100.7",
        "100.63.255.255",
        "100.128.0.1",
        "172.32.0.1",
        "2001:db8::1",
        "2a00:1450:4001::200e",
        "64:ff9b::808:808",
    ] {
        assert_eq!(internal_class(ip(public)), None, "{public}");
    }
}

#[test]
fn the_allow_list_admits_names_addresses_and_networks() {
    let policy = AddressPolicy::new(&[
        "LocalHost.".to_owned(),
        "127.0.0.1".to_owned(),
        "10.0.0.0/8".to_owned(),
        "[::1]".to_owned(),
    ])
    .unwrap();
    assert!(policy.host_allowed("localhost"));
    assert!(
        policy.refusal("localhost", ip("127.0.0.2")).is_none(),
        "by name"
    );
    assert!(
        policy.refusal("sink.test", ip("127.0.0.1")).is_none(),
        "by address"
    );
    assert!(
        policy.refusal("sink.test", ip("10.9.8.7")).is_none(),
        "by network"
    );
    assert!(policy.refusal("sink.test", ip("::1")).is_none());
    assert!(
        policy.refusal("sink.test", ip("8.8.8.8")).is_none(),
        "public"
    );
    let refused = policy.refusal("sink.test", ip("192.168.1.1")).unwrap();
    assert_eq!(
        refused.to_string(),
        "sink.test resolves to 192.168.1.1, a private address, which the sink policy refuses"
    );
    let refused = policy.refusal("127.0.0.2", ip("127.0.0.2")).unwrap();
    assert_eq!(
        refused.to_string(),
        "127.0.0.2 is a loopback address, which the sink policy refuses"
    );
    for bad in ["bad host", "https://x", "a/b", ""] {
        assert!(AddressPolicy::new(&[bad.to_owned()]).is_err(), "{bad:?}");
    }
}

fn sink(url: &str, token_uri: Option<&str>) -> Sink {
    Sink {
        url: url.to_owned(),
        credential: token_uri.map(|uri| SinkCredential::PrivateKeyJwt {
            client_id: Some("c".into()),
            token_uri: Some(uri.to_owned()),
        }),
    }
}

#[tokio::test]
async fn sinks_are_checked_when_sessions_are_created() {
    let guard = SinkGuard::new(AddressPolicy::default(), Duration::from_millis(500));
    for url in [
        "https://127.0.0.1/cb",
        "https://[::1]:8443/cb",
        "https://169.254.169.254/latest",
        "https://localhost/cb",
        "https://LOCALHOST./cb",
        "https://api.localhost/cb",
        "http://8.8.8.8/cb",
    ] {
        assert!(
            matches!(
                guard.check(&sink(url, None)).await,
                Err(SinkRefusal::Sink(_))
            ),
            "{url}"
        );
    }
    assert_eq!(guard.check(&sink("https://8.8.8.8/cb", None)).await, Ok(()));
    assert!(matches!(
        guard
            .check(&sink("https://8.8.8.8/cb", Some("https://10.0.0.1/token")))
            .await,
        Err(SinkRefusal::TokenUri(_))
    ));

    let open = SinkGuard::new(
        AddressPolicy::new(&["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap(),
        Duration::from_millis(500),
    );
    assert_eq!(
        open.check(&sink("https://127.0.0.1:9/cb", None)).await,
        Ok(())
    );
    assert_eq!(
        open.check(&sink("https://localhost:9/cb", None)).await,
        Ok(())
    );
    assert_eq!(
        open.check(&sink("https://localhost/cb", Some("https://127.0.0.1/t")))
            .await,
        Ok(())
    );
    assert!(open.check(&sink("https://[::1]/cb", None)).await.is_err());
}
