//! Where a network source may point: a guard against server-side request forgery.
//!
//! A camera URL is typed by a user and opened by the server, so without a check anyone
//! who may add a camera can make the server connect to its own loopback services or to a
//! cloud's metadata endpoint (169.254.169.254: instance credentials). Cameras live on
//! private networks, so private ranges stay allowed; link-local, metadata, multicast and
//! "this host" addresses are refused, and loopback unless allowed.
//!
//! The check resolves the host and judges every address it resolves to. ffmpeg resolves
//! again when it connects, so the check runs before every (re)connection: a name that
//! changes to a refused address is refused at the next connection.

use std::net::{IpAddr, ToSocketAddrs};

/// Networks refused by default: link-local (v4 and v6; cloud metadata lives there),
/// `fd00::/8` (AWS's IPv6 metadata endpoint `fd00:ec2::254`), Alibaba's metadata address,
/// "this network", broadcast and multicast.
pub const DEFAULT_BLOCKED: &[&str] = &[
    "169.254.0.0/16",
    "fe80::/10",
    "fd00::/8",
    "100.100.100.200/32",
    "0.0.0.0/8",
    "255.255.255.255/32",
    "224.0.0.0/4",
    "ff00::/8",
];

/// Which destinations a server-side source may connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationPolicy {
    /// Loopback (`127.0.0.0/8`, `::1`) and the unspecified address (which reaches this
    /// host too) allowed: only for a camera relay or a test server on the same machine.
    pub allow_loopback: bool,
    /// Refused networks.
    pub blocked: Vec<ipnet::IpNet>,
}

impl DestinationPolicy {
    /// The default policy: loopback refused, [`DEFAULT_BLOCKED`] refused.
    pub fn strict() -> DestinationPolicy {
        DestinationPolicy {
            allow_loopback: false,
            blocked: DEFAULT_BLOCKED
                .iter()
                .map(|n| n.parse().expect("valid default network"))
                .collect(),
        }
    }

    /// Why `ip` is refused, or `None` when it is allowed.
    pub fn refusal(&self, ip: IpAddr) -> Option<String> {
        // ::ffff:127.0.0.1 is 127.0.0.1 on the wire.
        let ip = ip.to_canonical();
        if (ip.is_loopback() || ip.is_unspecified()) && !self.allow_loopback {
            return Some(format!(
                "{ip} is this server itself (loopback); allow it with cameras.allow_loopback"
            ));
        }
        self.blocked
            .iter()
            .find(|net| net.contains(&ip))
            .map(|net| {
                format!("{ip} is in a refused network {net} (link-local, cloud metadata, multicast; cameras.blocked_networks)")
            })
    }

    /// Checks a source URL: `Ok` for local paths and for hosts whose every address is
    /// allowed; a host that does not resolve is left to the connection to report.
    pub fn check(&self, input: &str) -> Result<(), String> {
        let Some((host, port)) = network_host(input) else {
            return Ok(());
        };
        if let Ok(ip) = host.parse::<IpAddr>() {
            return self.refusal(ip).map_or(Ok(()), Err);
        }
        let Ok(addresses) = (host.as_str(), port).to_socket_addrs() else {
            return Ok(());
        };
        for address in addresses {
            if let Some(why) = self.refusal(address.ip()) {
                return Err(format!("{host} resolves to {why}"));
            }
        }
        Ok(())
    }
}

/// Host (brackets of an IPv6 literal removed) and port of a network URL; `None` for
/// anything that is not `scheme://host...` (a file path).
fn network_host(input: &str) -> Option<(String, u16)> {
    let url = ::url::Url::parse(input).ok()?;
    let host = match url.host()? {
        ::url::Host::Domain(d) => d.to_string(),
        ::url::Host::Ipv4(v4) => v4.to_string(),
        ::url::Host::Ipv6(v6) => v6.to_string(),
    };
    let port = url.port_or_known_default().unwrap_or(match url.scheme() {
        "rtsp" => 554,
        "rtsps" => 322,
        _ => 80,
    });
    Some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_link_local_and_loopback_are_refused_private_networks_allowed() {
        let policy = DestinationPolicy::strict();
        for refused in [
            "http://169.254.169.254/latest/meta-data/",
            "rtsp://[fd00:ec2::254]/",
            "rtsp://[fe80::1]:554/live",
            "http://127.0.0.1:8080/api",
            "rtsp://127.9.9.9/",
            "http://[::1]/",
            "http://0.0.0.0:5432/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:169.254.169.254]/",
            "http://localhost:6379/",
            "rtsp://224.1.1.1/",
            "http://100.100.100.200/latest/meta-data",
        ] {
            assert!(policy.check(refused).is_err(), "{refused} must be refused");
        }
        for allowed in [
            "rtsp://10.0.0.5:554/Streaming/101",
            "rtsp://192.168.1.20/live",
            "http://172.16.0.9/video.mjpg",
            "rtsp://[fc00::5]/live",
            "rtsp://203.0.113.7/live",
            "/srv/videos/door.mp4",
            "file:///srv/videos/door.mp4",
            "rtsp://no-such-host.invalid/live",
        ] {
            assert_eq!(policy.check(allowed), Ok(()), "{allowed}");
        }
        let relaxed = DestinationPolicy {
            allow_loopback: true,
            ..DestinationPolicy::strict()
        };
        assert_eq!(relaxed.check("rtsp://127.0.0.1:8554/cam"), Ok(()));
        assert!(relaxed.check("http://169.254.169.254/").is_err());
        let why = policy.check("http://localhost:6379/").unwrap_err();
        assert!(
            why.contains("localhost resolves to") && why.contains("allow_loopback"),
            "{why}"
        );
    }
}
