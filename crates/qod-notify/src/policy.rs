//! The sink policy: no deliveries to internal addresses unless the operator allows them.
//!
//! A sink (or a PRIVATE_KEY_JWT token endpoint) is refused when its host is, or resolves to,
//! a loopback, private, link-local (cloud metadata included), unique-local, shared (CGNAT),
//! multicast, unspecified or reserved address — unless the host name, or a network holding the
//! address, is in the allow-list. Sessions are checked when they are created
//! ([`SinkGuard`]); every delivery is checked again when the host is resolved, so a name that
//! later resolves elsewhere (DNS rebinding) is refused then.

use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use ipnet::IpNet;
use qod_domain::{Sink, SinkCredential, SinkPolicy, SinkRefusal};
use url::{Host, Url};

use crate::error::NotifyError;

/// Host names and networks the operator allows although they are internal.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    hosts: HashSet<String>,
    nets: Vec<IpNet>,
}

impl AddressPolicy {
    /// A policy allowing `allowed`: host names (`localhost`), addresses (`127.0.0.1`, `::1`)
    /// and networks (`10.0.0.0/8`).
    pub fn new(allowed: &[String]) -> Result<Self, NotifyError> {
        let mut policy = Self::default();
        for entry in allowed {
            let entry = entry.trim();
            let bare = entry.trim_start_matches('[').trim_end_matches(']');
            if let Ok(net) = bare.parse::<IpNet>() {
                policy.nets.push(net);
            } else if let Ok(ip) = bare.parse::<IpAddr>() {
                policy.nets.push(IpNet::from(ip));
            } else if !entry.is_empty()
                && entry
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            {
                policy.hosts.insert(normal_host(entry));
            } else {
                return Err(NotifyError::AllowedHost(entry.to_owned()));
            }
        }
        Ok(policy)
    }

    /// True when the host name itself is allowed.
    pub fn host_allowed(&self, host: &str) -> bool {
        self.hosts.contains(&normal_host(host))
    }

    /// Why `ip`, an address of `host`, must not be used; `None` when it may.
    pub fn refusal(&self, host: &str, ip: IpAddr) -> Option<Refused> {
        let class = internal_class(ip)?;
        if self.host_allowed(host) || self.nets.iter().any(|n| n.contains(&ip)) {
            return None;
        }
        Some(Refused {
            host: host.to_owned(),
            ip: Some(ip),
            class,
        })
    }
}

fn normal_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// A target refused by the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub host: String,
    pub ip: Option<IpAddr>,
    pub class: &'static str,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.ip {
            Some(ip) if ip.to_string() != self.host => write!(
                f,
                "{} resolves to {ip}, {}, which the sink policy refuses",
                self.host, self.class
            ),
            _ => write!(
                f,
                "{} is {}, which the sink policy refuses",
                self.host, self.class
            ),
        }
    }
}

impl std::error::Error for Refused {}

/// What kind of internal address `ip` is; `None` for a public address.
pub fn internal_class(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                Some("a loopback address")
            } else if v4.octets() == [169, 254, 169, 254] {
                Some("a cloud metadata address")
            } else if v4.is_link_local() {
                Some("a link-local address")
            } else if v4.is_private() {
                Some("a private address")
            } else if a == 100 && (64..128).contains(&b) {
                Some("a shared (CGNAT) address")
            } else if v4.is_multicast() {
                Some("a multicast address")
            } else if a == 0 {
                Some("an unspecified address")
            } else if v4.is_broadcast() || a >= 240 || (a == 192 && b == 0 && v4.octets()[2] == 0) {
                Some("a reserved address")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return internal_class(IpAddr::V4(v4));
            }
            let s = v6.segments();
            if v6.is_loopback() {
                Some("a loopback address")
            } else if v6.is_unspecified() {
                Some("an unspecified address")
            } else if v6.is_multicast() {
                Some("a multicast address")
            } else if s[0] & 0xfe00 == 0xfc00 {
                Some("a unique-local address")
            } else if s[0] & 0xffc0 == 0xfe80 || s[0] & 0xffc0 == 0xfec0 {
                Some("a link-local address")
            } else if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                // NAT64: the IPv4 address it carries decides.
                let [hi, lo] = [s[6].to_be_bytes(), s[7].to_be_bytes()];
                internal_class(IpAddr::from([hi[0], hi[1], lo[0], lo[1]]))
            } else if s[0] == 0x2002 {
                // 6to4: likewise.
                let [hi, lo] = [s[1].to_be_bytes(), s[2].to_be_bytes()];
                internal_class(IpAddr::from([hi[0], hi[1], lo[0], lo[1]]))
            } else {
                None
            }
        }
    }
}

/// A URL's host as the policy sees it: an address, or a name to resolve.
pub(crate) enum Target {
    Address(String, IpAddr),
    Name(String),
}

/// The host of an `https://` URL; `Err` when the URL is not one.
pub(crate) fn target(url: &str) -> Result<Target, String> {
    let parsed = Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    if parsed.scheme() != "https" {
        return Err("not an https URL".into());
    }
    match parsed.host() {
        Some(Host::Ipv4(ip)) => Ok(Target::Address(ip.to_string(), IpAddr::V4(ip))),
        Some(Host::Ipv6(ip)) => Ok(Target::Address(ip.to_string(), IpAddr::V6(ip))),
        Some(Host::Domain(name)) => Ok(Target::Name(name.to_owned())),
        None => Err("the URL has no host".into()),
    }
}

/// Checks sinks when sessions are created (the domain's [`SinkPolicy`] port).
///
/// Literal addresses and `localhost` names are judged at once; other names are resolved (for
/// at most `resolve_timeout`) and refused when an address is internal. A name that does not
/// resolve now is accepted: it is checked again at every delivery.
#[derive(Debug, Clone)]
pub struct SinkGuard {
    policy: AddressPolicy,
    resolve_timeout: Duration,
}

impl SinkGuard {
    /// A guard applying `policy`.
    pub fn new(policy: AddressPolicy, resolve_timeout: Duration) -> Self {
        Self {
            policy,
            resolve_timeout,
        }
    }

    /// Why `url` must not be used, if it must not.
    pub async fn refusal(&self, url: &str) -> Option<String> {
        let name = match target(url) {
            Err(why) => return Some(why),
            Ok(Target::Address(host, ip)) => {
                return self.policy.refusal(&host, ip).map(|r| r.to_string());
            }
            Ok(Target::Name(name)) => name,
        };
        if self.policy.host_allowed(&name) {
            return None;
        }
        let lower = normal_host(&name);
        if lower == "localhost" || lower.ends_with(".localhost") {
            return Some(format!(
                "{name} is a loopback name, which the sink policy refuses"
            ));
        }
        let lookup = tokio::net::lookup_host((name.as_str(), 443));
        match tokio::time::timeout(self.resolve_timeout, lookup).await {
            Ok(Ok(addrs)) => {
                for addr in addrs {
                    if let Some(refused) = self.policy.refusal(&name, addr.ip()) {
                        return Some(refused.to_string());
                    }
                }
                None
            }
            _ => {
                tracing::debug!(host = %name, "sink host does not resolve now; it is checked at delivery");
                None
            }
        }
    }
}

/// What clients are told: the policy's reasons (resolved addresses) stay in the logs.
const REFUSED_SINK: &str = "sink not valid: its address is not allowed";
const REFUSED_TOKEN_URI: &str = "sinkCredential.tokenUri is not valid: its address is not allowed";

#[async_trait]
impl SinkPolicy for SinkGuard {
    async fn check(&self, sink: &Sink) -> Result<(), SinkRefusal> {
        if let Some(why) = self.refusal(&sink.url).await {
            tracing::info!(reason = %why, "sink refused");
            return Err(SinkRefusal::Sink(REFUSED_SINK.into()));
        }
        if let Some(SinkCredential::PrivateKeyJwt {
            token_uri: Some(uri),
            ..
        }) = &sink.credential
            && let Some(why) = self.refusal(uri).await
        {
            tracing::info!(reason = %why, "sink token endpoint refused");
            return Err(SinkRefusal::TokenUri(REFUSED_TOKEN_URI.into()));
        }
        Ok(())
    }
}
