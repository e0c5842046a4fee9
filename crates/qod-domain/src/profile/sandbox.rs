//! The sandbox catalogue, used when the operator configures none.

use super::{
    L4sQueueType, ProfileStatus, QosProfile, Rate, RateUnit, ServiceClass, StaticCatalogue,
    TimeUnit, TimeValue,
};

impl StaticCatalogue {
    /// The sandbox catalogue: QOS_E (low latency), QOS_S/M/L (prioritised throughput), QOS_XL
    /// (INACTIVE) and QOS_LEGACY (DEPRECATED); each from 1 s to 86 400 s.
    pub fn sandbox() -> Self {
        let kbps = |value| Rate::new(value, RateUnit::Kbps);
        let mbps = |value| Rate::new(value, RateUnit::Mbps);
        let ms = |value| TimeValue::new(value, TimeUnit::Milliseconds);
        let base = |name: &str, description: &str, status| QosProfile {
            name: name.into(),
            description: Some(description.into()),
            status,
            country_availability: vec![],
            target_min_upstream_rate: None,
            max_upstream_rate: None,
            max_upstream_burst_rate: None,
            target_min_downstream_rate: None,
            max_downstream_rate: None,
            max_downstream_burst_rate: None,
            min_duration: Some(TimeValue::new(1, TimeUnit::Seconds)),
            max_duration: Some(TimeValue::new(86_400, TimeUnit::Seconds)),
            priority: None,
            packet_delay_budget: None,
            jitter: None,
            packet_error_loss_rate: None,
            l4s_queue_type: None,
            service_class: None,
            restricted_to: vec![],
            qos_reference: name.into(),
        };
        let throughput = |name: &str, description: &str, status, max: u32, priority| QosProfile {
            target_min_upstream_rate: Some(mbps(max / 2)),
            max_upstream_rate: Some(mbps(max)),
            target_min_downstream_rate: Some(mbps(max / 2)),
            max_downstream_rate: Some(mbps(max)),
            priority: Some(priority),
            packet_delay_budget: Some(ms(150)),
            packet_error_loss_rate: Some(6),
            ..base(name, description, status)
        };
        Self::new(vec![
            QosProfile {
                max_upstream_rate: Some(kbps(500)),
                max_downstream_rate: Some(kbps(500)),
                priority: Some(10),
                packet_delay_budget: Some(ms(20)),
                jitter: Some(ms(5)),
                packet_error_loss_rate: Some(3),
                l4s_queue_type: Some(L4sQueueType::NonL4sQueue),
                service_class: Some(ServiceClass::RealTimeInteractive),
                ..base(
                    "QOS_E",
                    "Stable low latency for real-time interaction",
                    ProfileStatus::Active,
                )
            },
            throughput(
                "QOS_S",
                "Prioritised throughput, small (up to 4 Mbps)",
                ProfileStatus::Active,
                4,
                40,
            ),
            throughput(
                "QOS_M",
                "Prioritised throughput, medium (up to 8 Mbps)",
                ProfileStatus::Active,
                8,
                30,
            ),
            throughput(
                "QOS_L",
                "Prioritised throughput, large (up to 20 Mbps)",
                ProfileStatus::Active,
                20,
                20,
            ),
            throughput(
                "QOS_XL",
                "Prioritised throughput, extra large (not offered at present)",
                ProfileStatus::Inactive,
                100,
                15,
            ),
            throughput(
                "QOS_LEGACY",
                "Former throughput profile kept for running sessions",
                ProfileStatus::Deprecated,
                2,
                50,
            ),
        ])
    }
}
