//! Authentication (who is calling) and authorisation (may they), for REST and GraphQL.

pub mod password;
pub mod tokens;

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
        let forwarded = state
            .config
            .server
            .trust_forwarded_for
            .then(|| {
                headers
                    .get("x-forwarded-for")?
                    .to_str()
                    .ok()?
                    .split(',')
                    .next()
                    .map(|s| s.trim().to_string())
            })
            .flatten();
        let ip = forwarded.or_else(|| {
            ext.get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string())
        });
        let user_agent = headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(300).collect());
        RequestMeta { ip, user_agent }
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

/// Resolves a bearer token to a caller (used by REST extractors and GraphQL).
pub async fn authenticate(
    state: &AppState,
    header: Option<&str>,
    meta: RequestMeta,
) -> Result<Caller, ApiError> {
    let token = header
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(|| ApiError::unauthorized("missing bearer token"))?;
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
