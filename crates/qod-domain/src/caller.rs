use qod_network::UeIdentity;

/// Who asks: the API consumer (client) and, for a 3-legged token, the device the token is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub client_id: String,
    /// The device the access token identifies (3-legged); `None` for 2-legged tokens.
    pub subject: Option<UeIdentity>,
}

impl Caller {
    /// Reads a token subject such as `tel:+34600000000`, `ipport:84.125.93.10:59765` or
    /// `ipport:[2001:db8::1]:443` as a device identity.
    pub fn subject_identity(subject: &str) -> Option<UeIdentity> {
        if let Some(number) = subject.strip_prefix("tel:") {
            return crate::device::is_phone_number(number).then(|| UeIdentity::Msisdn {
                number: number.to_owned(),
            });
        }
        let addr: std::net::SocketAddr = subject.strip_prefix("ipport:")?.parse().ok()?;
        match addr {
            std::net::SocketAddr::V4(v4) => Some(UeIdentity::Ipv4 {
                public: *v4.ip(),
                private: None,
                port: Some(v4.port()),
            }),
            std::net::SocketAddr::V6(v6) => Some(UeIdentity::Ipv6 { address: *v6.ip() }),
        }
    }
}
