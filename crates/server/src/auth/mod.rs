//! Authentication (who is calling) and authorisation (may they), for REST and GraphQL.

/// Passwords and tokens, where callers have always found them.
pub use crate::{password, tokens};

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use footfall_store::{NewAudit, Role};
use std::net::SocketAddr;

/// Client address and user agent, for sessions, audit rows and rate limits.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl RequestMeta {
    pub fn from_request<B>(request: &axum::http::Request<B>, state: &AppState) -> RequestMeta {
        Self::from_parts_ref(request.headers(), request.extensions(), state)
    }

    fn from_parts_ref(
        headers: &axum::http::HeaderMap,
        ext: &axum::http::Extensions,
        state: &AppState,
    ) -> RequestMeta {
        let peer = ext
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .or_else(|| {
                ext.get::<ConnectInfo<crate::tls::TlsPeer>>()
                    .map(|c| c.0.0.ip())
            });
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",");
        let ip =
            peer.map(|peer| client_address(peer, &forwarded, &state.trusted_proxies).to_string());
        let user_agent = headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(300).collect());
        RequestMeta { ip, user_agent }
    }

    /// The key rate limits count this client under ([`limit_key`] of its address).
    pub fn limit_key(&self) -> String {
        limit_key(self.ip.as_deref())
    }

    pub fn audit(
        &self,
        user_id: Option<i64>,
        action: &str,
        resource_type: &str,
        resource_id: Option<String>,
    ) -> NewAudit {
        NewAudit {
            user_id,
            action: action.to_string(),
            resource_type: resource_type.to_string(),
            resource_id,
            ip_address: self.ip.clone(),
            user_agent: self.user_agent.clone(),
            ..Default::default()
        }
    }
}

/// Response extension set by the role guard: who made the request.
#[derive(Debug, Clone, Copy)]
pub struct AuthenticatedUser(pub i64);

/// The client behind `peer`: the peer itself unless it is a trusted proxy; then, walking
/// `X-Forwarded-For` from the right (each proxy appends the address it saw), the first
/// address that is not a trusted proxy. Anything further left was written by the client
/// and proves nothing.
pub fn client_address(
    peer: std::net::IpAddr,
    forwarded_for: &str,
    trusted: &[ipnet::IpNet],
) -> std::net::IpAddr {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_for.rsplit(',') {
        match hop.trim().parse::<std::net::IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            // A hop that is no address (garbage, "unknown"): stop at what is known.
            Err(_) => break,
        }
    }
    client
}

/// The key rate limits count a client under: its address, or for IPv6 its /64 (one
/// subscriber usually holds a whole /64, so single addresses are free to rotate).
pub fn limit_key(ip: Option<&str>) -> String {
    match ip.and_then(|ip| ip.parse::<std::net::IpAddr>().ok()) {
        Some(std::net::IpAddr::V6(v6)) => {
            let net = ipnet::Ipv6Net::new(v6, 64).map(|n| n.trunc());
            net.map_or_else(|_| v6.to_string(), |n| n.to_string())
        }
        Some(v4) => v4.to_string(),
        None => "unknown".into(),
    }
}

impl FromRequestParts<AppState> for RequestMeta {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(RequestMeta::from_parts_ref(
            &parts.headers,
            &parts.extensions,
            state,
        ))
    }
}

/// An authenticated caller: a valid access token whose session is still active.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    pub session_id: i64,
    pub session_token: String,
    pub meta: RequestMeta,
}

impl Caller {
    /// An audit row of something this user did, from this request.
    pub fn audit(
        &self,
        action: &str,
        resource_type: &str,
        resource_id: Option<String>,
    ) -> NewAudit {
        self.meta
            .audit(Some(self.user_id), action, resource_type, resource_id)
    }

    /// 403 (and an audit row) unless the caller's role includes `role`. Called by the
    /// route guard with each endpoint's role from `routes::ENDPOINTS`.
    pub async fn require(
        &self,
        state: &AppState,
        role: Role,
        action: &str,
    ) -> Result<(), ApiError> {
        if self.role.at_least(role) {
            return Ok(());
        }
        state
            .audit(
                self.meta
                    .audit(Some(self.user_id), "permission.denied", "endpoint", None)
                    .with_new(
                        serde_json::json!({"action": action, "role": self.role, "required": role}),
                    ),
            )
            .await?;
        Err(ApiError::forbidden(format!(
            "{action} requires role {role} or higher"
        )))
    }
}

/// The token of an `Authorization: Bearer TOKEN` header; 401 without one.
pub fn bearer_token(header: Option<&str>) -> Result<&str, ApiError> {
    header
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(|| ApiError::unauthorized("missing bearer token"))
}

/// Resolves a bearer token to a caller (used by REST extractors and GraphQL).
pub async fn authenticate(
    state: &AppState,
    header: Option<&str>,
    meta: RequestMeta,
) -> Result<Caller, ApiError> {
    let token = bearer_token(header)?;
    let now = state.clock.now();
    let claims = state
        .keys
        .verify(token, now)
        .map_err(ApiError::unauthorized)?;
    let ctx = state
        .store
        .auth_context(&claims.sid, now)
        .await?
        .ok_or_else(|| ApiError::unauthorized("session ended; log in again"))?;
    if ctx.user_id.to_string() != claims.sub {
        return Err(ApiError::unauthorized("invalid token"));
    }
    Ok(Caller {
        user_id: ctx.user_id,
        username: ctx.username,
        role: ctx.role,
        session_id: ctx.session_id,
        session_token: claims.sid,
        meta,
    })
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Already authenticated by the route's role guard.
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let meta = RequestMeta::from_parts_ref(&parts.headers, &parts.extensions, state);
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        authenticate(state, header, meta).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<ipnet::IpNet> {
        list.iter()
            .map(|n| crate::validate::parse_net(n).unwrap())
            .collect()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let peer: std::net::IpAddr = "10.0.0.5".parse().unwrap();
        let proxies = nets(&["10.0.0.0/24", "192.168.1.1"]);
        // A stranger's header is ignored.
        assert_eq!(
            client_address("203.0.113.9".parse().unwrap(), "1.2.3.4", &proxies).to_string(),
            "203.0.113.9"
        );
        // Behind the proxy: the right-most untrusted hop, whatever the client prepended.
        assert_eq!(
            client_address(peer, "6.6.6.6, 198.51.100.7, 192.168.1.1", &proxies).to_string(),
            "198.51.100.7"
        );
        assert_eq!(client_address(peer, "", &proxies), peer);
        assert_eq!(
            client_address(peer, "garbage, 198.51.100.7", &proxies).to_string(),
            "198.51.100.7"
        );
        assert_eq!(
            client_address(peer, "1.2.3.4", &[]),
            peer,
            "no proxy trusted"
        );
        assert!(
            crate::validate::parse_net("10.0.0.0/33").is_none()
                && crate::validate::parse_net("proxy").is_none()
        );
    }

    #[test]
    fn ipv6_clients_are_limited_per_64() {
        assert_eq!(
            limit_key(Some("2001:db8:1:2:aaaa::1")),
            limit_key(Some("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(
            limit_key(Some("2001:db8:1:2::1")),
            limit_key(Some("2001:db8:1:3::1"))
        );
        assert_eq!(limit_key(Some("192.0.2.1")), "192.0.2.1");
        assert_eq!(limit_key(None), "unknown");
    }
}
