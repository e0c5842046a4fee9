//! Which device identifier the gateway acts on, and who the caller is.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{Ipv4Addr, Ipv6Addr};

use qod_domain::device::{is_phone_number, resolve_device};
use qod_domain::{Caller, Device, DeviceIpv4, DeviceIpv6, DomainError};
use qod_network::UeIdentity;

fn v4() -> DeviceIpv4 {
    DeviceIpv4 {
        public_address: Ipv4Addr::new(84, 125, 93, 10),
        private_address: Some(Ipv4Addr::new(10, 0, 0, 7)),
        public_port: Some(59_765),
    }
}

fn v6() -> DeviceIpv6 {
    DeviceIpv6 {
        raw: "2001:DB8:0:0::1".into(),
        address: "2001:db8::1".parse().unwrap(),
    }
}

fn everything() -> Device {
    Device {
        phone_number: Some("+34600000001".into()),
        network_access_identifier: Some("alice@example.com".into()),
        ipv4_address: Some(v4()),
        ipv6_address: Some(v6()),
    }
}

fn two_legged() -> Caller {
    Caller {
        client_id: "client-a".into(),
        subject: None,
    }
}

fn three_legged(number: &str) -> Caller {
    Caller {
        client_id: "client-a".into(),
        subject: Some(UeIdentity::Msisdn {
            number: number.into(),
        }),
    }
}

// ---------------------------------------------------------------- Device::choose

#[test]
fn the_phone_number_wins_over_every_other_identifier() {
    let (ue, echo) = everything().choose().unwrap();
    assert_eq!(
        ue,
        UeIdentity::Msisdn {
            number: "+34600000001".into()
        }
    );
    assert_eq!(
        echo,
        Device {
            phone_number: Some("+34600000001".into()),
            ..Device::default()
        }
    );
}

#[test]
fn ipv4_wins_over_ipv6_and_the_nai() {
    let device = Device {
        phone_number: None,
        ..everything()
    };
    let (ue, echo) = device.choose().unwrap();
    assert_eq!(
        ue,
        UeIdentity::Ipv4 {
            public: Ipv4Addr::new(84, 125, 93, 10),
            private: Some(Ipv4Addr::new(10, 0, 0, 7)),
            port: Some(59_765),
        }
    );
    assert_eq!(
        echo,
        Device {
            ipv4_address: Some(v4()),
            ..Device::default()
        }
    );
}

#[test]
fn ipv6_is_used_when_it_is_the_only_usable_identifier() {
    let device = Device {
        phone_number: None,
        ipv4_address: None,
        ..everything()
    };
    let (ue, echo) = device.choose().unwrap();
    assert_eq!(
        ue,
        UeIdentity::Ipv6 {
            address: "2001:db8::1".parse::<Ipv6Addr>().unwrap()
        }
    );
    assert_eq!(
        echo,
        Device {
            ipv6_address: Some(v6()),
            ..Device::default()
        }
    );
    // The address text is echoed as sent.
    assert_eq!(echo.ipv6_address.unwrap().raw, "2001:DB8:0:0::1");
}

#[test]
fn a_network_access_identifier_alone_is_not_supported() {
    let device = Device {
        network_access_identifier: Some("alice@example.com".into()),
        ..Device::default()
    };
    assert!(matches!(
        device.choose(),
        Err(DomainError::UnsupportedIdentifier)
    ));
}

#[test]
fn an_empty_device_is_missing_its_identifier() {
    assert!(matches!(
        Device::default().choose(),
        Err(DomainError::MissingIdentifier)
    ));
}

// ---------------------------------------------------------------- resolve_device

#[test]
fn a_two_legged_call_acts_on_the_chosen_identifier_and_echoes_it() {
    let (ue, echo) = resolve_device(&two_legged(), Some(&everything())).unwrap();
    assert_eq!(ue.to_string(), "tel:+34600000001");
    assert_eq!(
        echo,
        Some(Device {
            phone_number: Some("+34600000001".into()),
            ..Device::default()
        })
    );
}

#[test]
fn a_two_legged_call_needs_a_device() {
    assert!(matches!(
        resolve_device(&two_legged(), None),
        Err(DomainError::MissingIdentifier)
    ));
    assert!(matches!(
        resolve_device(&two_legged(), Some(&Device::default())),
        Err(DomainError::MissingIdentifier)
    ));
    let nai = Device {
        network_access_identifier: Some("alice@example.com".into()),
        ..Device::default()
    };
    assert!(matches!(
        resolve_device(&two_legged(), Some(&nai)),
        Err(DomainError::UnsupportedIdentifier)
    ));
}

#[test]
fn a_three_legged_call_acts_on_the_token_device_and_echoes_nothing() {
    let (ue, echo) = resolve_device(&three_legged("+34600000009"), None).unwrap();
    assert_eq!(
        ue,
        UeIdentity::Msisdn {
            number: "+34600000009".into()
        }
    );
    assert_eq!(echo, None);
}

#[test]
fn a_three_legged_call_must_not_name_a_device() {
    assert!(matches!(
        resolve_device(&three_legged("+34600000009"), Some(&everything())),
        Err(DomainError::UnnecessaryIdentifier)
    ));
    // Even the same device, or an empty one, is one too many.
    let same = Device {
        phone_number: Some("+34600000009".into()),
        ..Device::default()
    };
    assert!(matches!(
        resolve_device(&three_legged("+34600000009"), Some(&same)),
        Err(DomainError::UnnecessaryIdentifier)
    ));
    assert!(matches!(
        resolve_device(&three_legged("+34600000009"), Some(&Device::default())),
        Err(DomainError::UnnecessaryIdentifier)
    ));
}

// ---------------------------------------------------------------- Caller::subject_identity

#[test]
fn a_tel_subject_is_a_phone_number() {
    assert_eq!(
        Caller::subject_identity("tel:+34600000000"),
        Some(UeIdentity::Msisdn {
            number: "+34600000000".into()
        })
    );
}

#[test]
fn a_tel_subject_must_hold_a_valid_number() {
    for s in [
        "tel:34600000000",
        "tel:+0600000000",
        "tel:+346",
        "tel:",
        "tel:+3460000000a",
        "TEL:+34600000000",
    ] {
        assert_eq!(Caller::subject_identity(s), None, "{s}");
    }
}

#[test]
fn an_ipv4_ipport_subject_is_a_public_address_and_port() {
    assert_eq!(
        Caller::subject_identity("ipport:84.125.93.10:59765"),
        Some(UeIdentity::Ipv4 {
            public: Ipv4Addr::new(84, 125, 93, 10),
            private: None,
            port: Some(59_765),
        })
    );
}

#[test]
fn a_bracketed_ipv6_ipport_subject_is_an_ipv6_address() {
    assert_eq!(
        Caller::subject_identity("ipport:[2001:db8::1]:443"),
        Some(UeIdentity::Ipv6 {
            address: "2001:db8::1".parse().unwrap()
        })
    );
}

#[test]
fn other_subjects_are_not_devices() {
    for s in [
        "",
        "garbage",
        "client-a",
        "ipport:",
        "ipport:84.125.93.10",
        "ipport:84.125.93.10:99999",
        "ipport:2001:db8::1:443",
        "ipport:[2001:db8::1]",
        "ipport:[2001:db8::1]:x",
        "84.125.93.10:59765",
        "+34600000000",
        "sub:tel:+34600000000",
    ] {
        assert_eq!(Caller::subject_identity(s), None, "{s:?}");
    }
}

// ---------------------------------------------------------------- is_phone_number

#[test]
fn phone_numbers_are_e164_with_a_plus() {
    for ok in ["+12345", "+34600000000", "+123456789012345", "+99999990404"] {
        assert!(is_phone_number(ok), "{ok}");
    }
    for bad in [
        "",
        "+",
        "+1234",
        "+1234567890123456",
        "+01234",
        "12345",
        "++12345",
        "+12 345",
        "+1234a",
        "+١٢٣٤٥",
        "+12345 ",
        " +12345",
        "+-1234",
    ] {
        assert!(!is_phone_number(bad), "{bad:?}");
    }
}
