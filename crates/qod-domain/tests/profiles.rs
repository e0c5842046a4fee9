//! The QoS Profiles use cases, the catalogue rules and catalogue swaps.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use qod_domain::profile::SwappableCatalogue;
use qod_domain::service::{ProfileQuery, ProfileService};
use qod_domain::{
    Caller, Device, DeviceIpv4, DomainError, ProfileCatalogue, ProfileStatus, QosProfile,
    StaticCatalogue,
};
use qod_network::UeIdentity;
use qod_network_sim::SimulatedNetwork;

const LISTED: &str = "tel:+34600000001";

fn two_legged() -> Caller {
    Caller {
        client_id: "app".into(),
        subject: None,
    }
}

fn three_legged(number: &str) -> Caller {
    Caller {
        client_id: "app".into(),
        subject: Some(UeIdentity::Msisdn {
            number: number.into(),
        }),
    }
}

fn phone(number: &str) -> Device {
    Device {
        phone_number: Some(number.into()),
        ..Device::default()
    }
}

/// The sandbox catalogue plus QOS_VIP, restricted to one phone and one IPv4 device.
fn catalogue() -> StaticCatalogue {
    let mut profiles: Vec<QosProfile> = StaticCatalogue::sandbox()
        .profiles()
        .iter()
        .map(|p| (**p).clone())
        .collect();
    let mut vip = profiles[0].clone();
    vip.name = "QOS_VIP".into();
    vip.restricted_to = vec![LISTED.into(), "ipv4:84.125.93.10:59765".into()];
    profiles.push(vip);
    StaticCatalogue::validated(profiles).unwrap()
}

fn service() -> ProfileService {
    ProfileService::new(Arc::new(SimulatedNetwork::default()), Arc::new(catalogue()))
}

fn names(list: &[Arc<QosProfile>]) -> Vec<&str> {
    list.iter().map(|p| p.name.as_str()).collect()
}

async fn retrieve(caller: &Caller, query: ProfileQuery) -> Result<Vec<String>, DomainError> {
    let list = service().retrieve(caller, &query).await?;
    Ok(names(&list).into_iter().map(str::to_owned).collect())
}

#[tokio::test]
async fn without_a_device_every_unrestricted_profile_is_listed() {
    let all = retrieve(&two_legged(), ProfileQuery::default())
        .await
        .unwrap();
    assert_eq!(
        all,
        ["QOS_E", "QOS_S", "QOS_M", "QOS_L", "QOS_XL", "QOS_LEGACY"]
    );
}

#[tokio::test]
async fn name_and_status_filter_exactly() {
    let by = |name: Option<&str>, status| ProfileQuery {
        name: name.map(str::to_owned),
        status,
        ..ProfileQuery::default()
    };
    let c = two_legged();
    assert_eq!(
        retrieve(&c, by(Some("QOS_M"), None)).await.unwrap(),
        ["QOS_M"]
    );
    assert!(
        retrieve(&c, by(Some("QOS_m"), None))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        retrieve(&c, by(Some("QOS_VIP"), None))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        retrieve(&c, by(None, Some(ProfileStatus::Inactive)))
            .await
            .unwrap(),
        ["QOS_XL"]
    );
    assert_eq!(
        retrieve(&c, by(None, Some(ProfileStatus::Deprecated)))
            .await
            .unwrap(),
        ["QOS_LEGACY"]
    );
    assert!(
        retrieve(&c, by(Some("QOS_E"), Some(ProfileStatus::Inactive)))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_device_sees_the_profiles_available_to_it() {
    let with = |device| ProfileQuery {
        device: Some(device),
        ..ProfileQuery::default()
    };
    let listed = retrieve(&two_legged(), with(phone("+34600000001")))
        .await
        .unwrap();
    assert_eq!(listed.len(), 7);
    assert_eq!(listed.last().unwrap(), "QOS_VIP");
    let other = retrieve(&two_legged(), with(phone("+34600000002")))
        .await
        .unwrap();
    assert_eq!(other.len(), 6);
    let v4 = Device {
        ipv4_address: Some(DeviceIpv4 {
            public_address: "84.125.93.10".parse().unwrap(),
            private_address: None,
            public_port: Some(59765),
        }),
        ..Device::default()
    };
    assert!(
        retrieve(&two_legged(), with(v4))
            .await
            .unwrap()
            .contains(&"QOS_VIP".into())
    );
    // 3-legged: the token's device.
    let mine = retrieve(&three_legged("+34600000001"), ProfileQuery::default())
        .await
        .unwrap();
    assert_eq!(mine, listed);
}

#[tokio::test]
async fn device_rules_and_network_answers() {
    let with = |device| ProfileQuery {
        device: Some(device),
        ..ProfileQuery::default()
    };
    let err = |r: Result<Vec<String>, DomainError>| r.unwrap_err();
    assert!(matches!(
        err(retrieve(&three_legged("+34600000001"), with(phone("+34600000001"))).await),
        DomainError::UnnecessaryIdentifier
    ));
    assert!(matches!(
        err(retrieve(&two_legged(), with(phone("+99999990404"))).await),
        DomainError::IdentifierNotFound
    ));
    assert!(matches!(
        err(retrieve(&two_legged(), with(phone("+99999990422"))).await),
        DomainError::ServiceNotApplicable
    ));
    assert!(matches!(
        err(retrieve(&three_legged("+99999990404"), ProfileQuery::default()).await),
        DomainError::IdentifierNotFound
    ));
    let nai = Device {
        network_access_identifier: Some("x@example.com".into()),
        ..Device::default()
    };
    assert!(matches!(
        err(retrieve(&two_legged(), with(nai)).await),
        DomainError::UnsupportedIdentifier
    ));
}

#[test]
fn get_hides_profiles_of_other_devices_from_three_legged_callers() {
    let s = service();
    assert_eq!(s.get(&two_legged(), "QOS_L").unwrap().name, "QOS_L");
    assert_eq!(s.get(&two_legged(), "QOS_VIP").unwrap().name, "QOS_VIP");
    assert_eq!(
        s.get(&three_legged("+34600000001"), "QOS_VIP")
            .unwrap()
            .name,
        "QOS_VIP"
    );
    assert!(matches!(
        s.get(&three_legged("+34600000002"), "QOS_VIP"),
        Err(DomainError::NotFound)
    ));
    assert!(matches!(
        s.get(&two_legged(), "QOS_NONE"),
        Err(DomainError::NotFound)
    ));
    assert_eq!(
        s.get(&three_legged("+34600000002"), "QOS_XL")
            .unwrap()
            .status,
        ProfileStatus::Inactive
    );
}

#[tokio::test]
async fn at_most_one_hundred_profiles_are_listed() {
    let base = (*StaticCatalogue::sandbox().profiles()[0]).clone();
    let many = (0..150)
        .map(|i| QosProfile {
            name: format!("P{i:03}"),
            ..base.clone()
        })
        .collect();
    let s = ProfileService::new(
        Arc::new(SimulatedNetwork::default()),
        Arc::new(StaticCatalogue::validated(many).unwrap()),
    );
    let list = s
        .retrieve(&two_legged(), &ProfileQuery::default())
        .await
        .unwrap();
    assert_eq!(list.len(), 100);
    assert_eq!(list[99].name, "P099");
}

// ---------------------------------------------------------------- swaps

#[test]
fn a_swap_replaces_the_whole_catalogue_at_once() {
    let shared = SwappableCatalogue::new(StaticCatalogue::sandbox());
    let held = shared.profile("QOS_E").unwrap();
    let mut changed = (*held).clone();
    changed.status = ProfileStatus::Deprecated;
    let previous = shared.replace(StaticCatalogue::new(vec![changed]));
    assert_eq!(previous.len(), 6);
    assert_eq!(shared.profiles().len(), 1);
    assert_eq!(
        shared.profile("QOS_E").unwrap().status,
        ProfileStatus::Deprecated
    );
    assert!(shared.profile("QOS_L").is_none());
    // What a reader took before the swap is unchanged.
    assert_eq!(held.status, ProfileStatus::Active);
}
