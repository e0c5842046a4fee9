//! The QoS Profiles wire format: the retrieve filter, `QosProfile`, and a property test that
//! every Rate and Duration unit survives domain -> JSON -> domain unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use qod_domain::profile::{
    CountryAvailability, DURATION_VALUE_RANGE, L4sQueueType, RATE_VALUE_RANGE, Rate, RateUnit,
    ServiceClass, TimeUnit, TimeValue,
};
use qod_domain::{ProfileCatalogue, ProfileStatus, StaticCatalogue};
use qod_http::wire::{
    DurationBody, QosProfileResponse, RateBody, RetrieveProfilesBody, check_profile_path_name,
};
use serde_json::json;

fn time_unit() -> impl Strategy<Value = TimeUnit> {
    prop::sample::select(TimeUnit::ALL.to_vec())
}

fn rate_unit() -> impl Strategy<Value = RateUnit> {
    prop::sample::select(RateUnit::ALL.to_vec())
}

proptest! {
    #[test]
    fn every_duration_round_trips_through_json(value in DURATION_VALUE_RANGE, unit in time_unit()) {
        let domain = TimeValue::new(value, unit);
        let text = serde_json::to_string(&DurationBody::from(domain)).unwrap();
        prop_assert_eq!(&text, &format!(r#"{{"value":{value},"unit":"{}"}}"#, unit.as_str()));
        let back: DurationBody = serde_json::from_str(&text).unwrap();
        let again = TimeValue::try_from(back).unwrap();
        prop_assert_eq!(again, domain);
        prop_assert_eq!(again.as_nanos(), domain.as_nanos());
    }

    #[test]
    fn every_rate_round_trips_through_json(value in RATE_VALUE_RANGE, unit in rate_unit()) {
        let domain = Rate::new(value, unit);
        let text = serde_json::to_string(&RateBody::from(domain)).unwrap();
        prop_assert_eq!(&text, &format!(r#"{{"value":{value},"unit":"{}"}}"#, unit.as_str()));
        let back: RateBody = serde_json::from_str(&text).unwrap();
        let again = Rate::try_from(back).unwrap();
        prop_assert_eq!(again, domain);
        prop_assert_eq!(again.bits_per_second(), domain.bits_per_second());
    }

    #[test]
    fn values_outside_camaras_bounds_are_refused(value in prop_oneof![i64::MIN..1i64, 2_147_483_648i64..], unit in time_unit()) {
        let body = DurationBody { value, unit: unit.as_str().into() };
        prop_assert!(TimeValue::try_from(body).is_err());
        let body = RateBody { value: value.saturating_add(1025).max(1025), unit: "kbps".into() };
        prop_assert!(Rate::try_from(body).is_err());
    }
}

#[test]
fn unknown_units_are_refused() {
    for unit in ["days", "Day", "sec", "", "seconds"] {
        let body = DurationBody {
            value: 1,
            unit: unit.into(),
        };
        assert!(TimeValue::try_from(body).is_err(), "{unit}");
    }
    for unit in ["mbps", "Kbps", "bit/s", ""] {
        let body = RateBody {
            value: 1,
            unit: unit.into(),
        };
        assert!(Rate::try_from(body).is_err(), "{unit}");
    }
    assert!(serde_json::from_str::<RateBody>(r#"{"value":1,"unit":"bps","x":1}"#).is_err());
    assert!(serde_json::from_str::<RateBody>(r#"{"value":1.5,"unit":"bps"}"#).is_err());
}

#[test]
fn a_profile_renders_every_attribute_it_has_and_no_other() {
    let e = StaticCatalogue::sandbox().profile("QOS_E").unwrap();
    assert_eq!(
        serde_json::to_value(QosProfileResponse::from(e.as_ref())).unwrap(),
        json!({
            "name": "QOS_E",
            "description": "Stable low latency for real-time interaction",
            "status": "ACTIVE",
            "maxUpstreamRate": {"value": 500, "unit": "kbps"},
            "maxDownstreamRate": {"value": 500, "unit": "kbps"},
            "minDuration": {"value": 1, "unit": "Seconds"},
            "maxDuration": {"value": 86400, "unit": "Seconds"},
            "priority": 10,
            "packetDelayBudget": {"value": 20, "unit": "Milliseconds"},
            "jitter": {"value": 5, "unit": "Milliseconds"},
            "packetErrorLossRate": 3,
            "l4sQueueType": "non-l4s-queue",
            "serviceClass": "real_time_interactive"
        })
    );
    let mut full = (*e).clone();
    full.status = ProfileStatus::Deprecated;
    full.country_availability = vec![
        CountryAvailability {
            country_name: "ES".into(),
            networks: vec!["21407".into(), "214070".into()],
        },
        CountryAvailability {
            country_name: "PT".into(),
            networks: vec![],
        },
    ];
    full.target_min_upstream_rate = Some(Rate::new(1, RateUnit::Bps));
    full.max_upstream_burst_rate = Some(Rate::new(2, RateUnit::Gbps));
    full.target_min_downstream_rate = Some(Rate::new(3, RateUnit::Mbps));
    full.max_downstream_burst_rate = Some(Rate::new(4, RateUnit::Tbps));
    full.min_duration = Some(TimeValue::new(1, TimeUnit::Days));
    full.max_duration = Some(TimeValue::new(10, TimeUnit::Days));
    full.jitter = Some(TimeValue::new(7, TimeUnit::Microseconds));
    full.l4s_queue_type = Some(L4sQueueType::MixedQueue);
    full.service_class = Some(ServiceClass::MicrosoftAudioVideo);
    full.restricted_to = vec!["tel:+34600000001".into()];
    full.qos_reference = "internal-ref".into();
    let v = serde_json::to_value(QosProfileResponse::from(&full)).unwrap();
    assert_eq!(v["status"], "DEPRECATED");
    assert_eq!(
        v["countryAvailability"],
        json!([{"countryName": "ES", "networks": ["21407", "214070"]}, {"countryName": "PT"}])
    );
    assert_eq!(
        v["targetMinUpstreamRate"],
        json!({"value": 1, "unit": "bps"})
    );
    assert_eq!(
        v["maxUpstreamBurstRate"],
        json!({"value": 2, "unit": "Gbps"})
    );
    assert_eq!(
        v["targetMinDownstreamRate"],
        json!({"value": 3, "unit": "Mbps"})
    );
    assert_eq!(
        v["maxDownstreamBurstRate"],
        json!({"value": 4, "unit": "Tbps"})
    );
    assert_eq!(v["minDuration"], json!({"value": 1, "unit": "Days"}));
    assert_eq!(v["maxDuration"], json!({"value": 10, "unit": "Days"}));
    assert_eq!(v["jitter"], json!({"value": 7, "unit": "Microseconds"}));
    assert_eq!(v["l4sQueueType"], "mixed-queue");
    assert_eq!(v["serviceClass"], "microsoft_audio_video");
    assert_eq!(v.as_object().unwrap().len(), 18, "every CAMARA attribute");
    // Operator-only data stays inside.
    let text = v.to_string();
    assert!(
        !text.contains("internal-ref") && !text.contains("+34600000001"),
        "{text}"
    );
}

#[test]
fn the_retrieve_filter_is_strict() {
    let query = |json: &str| RetrieveProfilesBody::parse(json.as_bytes())?.into_query();
    let q = query("{}").unwrap();
    assert!(q.device.is_none() && q.name.is_none() && q.status.is_none());
    let q =
        query(r#"{"device":{"phoneNumber":"+34600000001"},"name":"QOS_E","status":"INACTIVE"}"#)
            .unwrap();
    assert_eq!(q.name.as_deref(), Some("QOS_E"));
    assert_eq!(q.status, Some(ProfileStatus::Inactive));
    assert!(q.device.unwrap().phone_number.is_some());
    for bad in [
        "",
        "[]",
        "{",
        r#"{"name":null}"#,
        r#"{"status":null}"#,
        r#"{"device":null}"#,
        r#"{"device":{}}"#,
        r#"{"name":"ab"}"#,
        r#"{"name":"QOS E"}"#,
        r#"{"name":5}"#,
        r#"{"status":"active"}"#,
        r#"{"status":"UNKNOWN"}"#,
        r#"{"qosProfile":"QOS_E"}"#,
        r#"{"device":{"phoneNumber":"+34600000001","x":1}}"#,
    ] {
        let err = query(bad).expect_err(bad);
        assert_eq!(
            (err.status.as_u16(), err.code),
            (400, "INVALID_ARGUMENT"),
            "{bad}"
        );
    }
    let long = format!(r#"{{"name":"{}"}}"#, "a".repeat(257));
    assert_eq!(query(&long).unwrap_err().code, "INVALID_ARGUMENT");
    assert!(query(&format!(r#"{{"name":"{}"}}"#, "a".repeat(256))).is_ok());
}

#[test]
fn path_names_follow_the_schema() {
    for good in ["QOS_E", "abc", "a.b-c_d", &"x".repeat(256)] {
        assert!(check_profile_path_name(good).is_ok(), "{good}");
    }
    for bad in ["ab", "", "a b c", "QOS/E", "ñandú", &"x".repeat(257)] {
        assert_eq!(
            check_profile_path_name(bad).unwrap_err().code,
            "INVALID_ARGUMENT",
            "{bad}"
        );
    }
}
