//! QoS profiles: what a session may ask for, with exact value-and-unit quantities, and the
//! operator's catalogue of them.

mod quantity;
mod rules;
mod sandbox;
mod shared;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use quantity::{DURATION_VALUE_RANGE, RATE_VALUE_RANGE, Rate, RateUnit, TimeUnit, TimeValue};
pub use rules::{ProfileViolation, canonical_device_key, is_profile_name};
pub use shared::SwappableCatalogue;

/// Whether a profile can be used for new sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProfileStatus {
    /// Usable by new sessions.
    Active,
    /// Not deployable at present.
    Inactive,
    /// Kept for running sessions; refused to new ones.
    Deprecated,
}

impl ProfileStatus {
    /// Every status.
    pub const ALL: [ProfileStatus; 3] = [Self::Active, Self::Inactive, Self::Deprecated];

    /// The CAMARA name of the status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Inactive => "INACTIVE",
            Self::Deprecated => "DEPRECATED",
        }
    }

    /// The status with this CAMARA name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// The L4S queue a profile's traffic uses (experimental in CAMARA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum L4sQueueType {
    NonL4sQueue,
    L4sQueue,
    MixedQueue,
}

impl L4sQueueType {
    /// Every queue type.
    pub const ALL: [L4sQueueType; 3] = [Self::NonL4sQueue, Self::L4sQueue, Self::MixedQueue];

    /// The CAMARA name, e.g. `non-l4s-queue`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NonL4sQueue => "non-l4s-queue",
            Self::L4sQueue => "l4s-queue",
            Self::MixedQueue => "mixed-queue",
        }
    }

    /// The queue type with this CAMARA name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.as_str() == name)
    }
}

/// A service class (RFC 4594 / Microsoft QoS traffic types; experimental in CAMARA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ServiceClass {
    MicrosoftVoice,
    MicrosoftAudioVideo,
    RealTimeInteractive,
    MultimediaStreaming,
    BroadcastVideo,
    LowLatencyData,
    HighThroughputData,
    LowPriorityData,
    Standard,
}

impl ServiceClass {
    /// Every service class.
    pub const ALL: [ServiceClass; 9] = [
        Self::MicrosoftVoice,
        Self::MicrosoftAudioVideo,
        Self::RealTimeInteractive,
        Self::MultimediaStreaming,
        Self::BroadcastVideo,
        Self::LowLatencyData,
        Self::HighThroughputData,
        Self::LowPriorityData,
        Self::Standard,
    ];

    /// The CAMARA name, e.g. `real_time_interactive`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MicrosoftVoice => "microsoft_voice",
            Self::MicrosoftAudioVideo => "microsoft_audio_video",
            Self::RealTimeInteractive => "real_time_interactive",
            Self::MultimediaStreaming => "multimedia_streaming",
            Self::BroadcastVideo => "broadcast_video",
            Self::LowLatencyData => "low_latency_data",
            Self::HighThroughputData => "high_throughput_data",
            Self::LowPriorityData => "low_priority_data",
            Self::Standard => "standard",
        }
    }

    /// The service class with this CAMARA name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// Where a profile is offered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountryAvailability {
    /// ISO 3166-1 alpha-2 code.
    pub country_name: String,
    /// PLMN ids (MCC+MNC); empty means the operator's own network in that country.
    pub networks: Vec<String>,
}

/// A QoS profile of the operator's catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QosProfile {
    pub name: String,
    pub description: Option<String>,
    pub status: ProfileStatus,
    /// Empty when the catalogue makes no statement about countries.
    pub country_availability: Vec<CountryAvailability>,
    pub target_min_upstream_rate: Option<Rate>,
    pub max_upstream_rate: Option<Rate>,
    pub max_upstream_burst_rate: Option<Rate>,
    pub target_min_downstream_rate: Option<Rate>,
    pub max_downstream_rate: Option<Rate>,
    pub max_downstream_burst_rate: Option<Rate>,
    pub min_duration: Option<TimeValue>,
    pub max_duration: Option<TimeValue>,
    /// 1 to 100; lower is more important.
    pub priority: Option<u8>,
    pub packet_delay_budget: Option<TimeValue>,
    pub jitter: Option<TimeValue>,
    /// The exponent of the loss rate: 3 means 10^-3.
    pub packet_error_loss_rate: Option<u8>,
    pub l4s_queue_type: Option<L4sQueueType>,
    pub service_class: Option<ServiceClass>,
    /// Device keys the profile is limited to; empty means every device.
    pub restricted_to: Vec<String>,
    /// The operator's QoS reference the network adapters receive.
    pub qos_reference: String,
}

impl QosProfile {
    /// Shortest session in whole seconds (at least 1).
    pub fn min_duration_secs(&self) -> i64 {
        self.min_duration.map_or(1, TimeValue::ceil_seconds).max(1)
    }

    /// Longest session in whole seconds, extensions included.
    pub fn max_duration_secs(&self) -> i64 {
        self.max_duration
            .map_or(i64::from(i32::MAX), TimeValue::floor_seconds)
    }

    /// True when the device may use the profile.
    pub fn available_to(&self, device_key: &str) -> bool {
        self.restricted_to.is_empty() || self.restricted_to.iter().any(|d| d == device_key)
    }

    /// True when the profile is limited to listed devices.
    pub fn is_restricted(&self) -> bool {
        !self.restricted_to.is_empty()
    }
}

/// The operator's profile catalogue, as the domain reads it.
pub trait ProfileCatalogue: Send + Sync + 'static {
    /// The profile called `name`.
    fn profile(&self, name: &str) -> Option<Arc<QosProfile>>;
    /// Every profile, in catalogue order.
    fn profiles(&self) -> Vec<Arc<QosProfile>>;
}

/// A catalogue held in memory.
#[derive(Debug, Clone, Default)]
pub struct StaticCatalogue {
    profiles: Vec<Arc<QosProfile>>,
}

impl StaticCatalogue {
    /// A catalogue of these profiles, in this order. Use [`StaticCatalogue::validated`] for
    /// profiles that come from outside the program.
    pub fn new(profiles: Vec<QosProfile>) -> Self {
        Self {
            profiles: profiles.into_iter().map(Arc::new).collect(),
        }
    }

    /// A catalogue of these profiles after checking every rule: each profile's attributes
    /// ([`QosProfile::validate`]) and unique names. Returns the position of the first profile
    /// at fault with the violation.
    pub fn validated(profiles: Vec<QosProfile>) -> Result<Self, (usize, ProfileViolation)> {
        for (i, p) in profiles.iter().enumerate() {
            p.validate().map_err(|v| (i, v))?;
            if let Some(first) = profiles[..i].iter().position(|q| q.name == p.name) {
                return Err((
                    i,
                    ProfileViolation::new(
                        "name",
                        None,
                        format!("{} is already the name of profile {}", p.name, first + 1),
                    ),
                ));
            }
        }
        Ok(Self::new(profiles))
    }

    /// How many profiles the catalogue holds.
    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    /// True when the catalogue holds no profile.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }
}

impl ProfileCatalogue for StaticCatalogue {
    fn profile(&self, name: &str) -> Option<Arc<QosProfile>> {
        self.profiles.iter().find(|p| p.name == name).cloned()
    }

    fn profiles(&self) -> Vec<Arc<QosProfile>> {
        self.profiles.clone()
    }
}
