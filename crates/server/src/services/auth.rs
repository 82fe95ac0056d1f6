//! Sign-in flows: login (rate limits, lockouts that a stranger cannot turn against the
//! owner, verification), sessions (listing them, logging out of one or all), and
//! refresh-token rotation with reuse detection. The routes add what is HTTP: the body,
//! the refresh cookie.

use crate::auth::{Caller, RequestMeta};
use crate::crypto::{random_token, token_hash};
use crate::error::{ApiError, ApiResult};
use crate::password;
use crate::services::accounts::{self, UserView};
use crate::state::AppState;
use crate::tokens::{new_refresh_token, refresh_token_session};
use chrono::{DateTime, Duration, Utc};
use footfall_store::{NewSession, User};
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Single use: each refresh returns a new one. Replaying an old one ends the session.
    /// `null` when it was delivered as a cookie (`refresh_cookie`).
    pub refresh_token: Option<String>,
    pub user: UserView,
}

/// Failures of one login name from all addresses together that lock it for addresses
/// it was never used from, as a multiple of `auth.lockout_threshold`.
const ACCOUNT_WIDE_FACTOR: u32 = 10;

/// Whether the caller's address logged into `user` within the last 90 days.
async fn known_address(
    state: &AppState,
    user: Option<&footfall_store::User>,
    meta: &RequestMeta,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<bool> {
    match (user, meta.ip.as_deref()) {
        (Some(user), Some(ip)) => Ok(state
            .store
            .logged_in_from(user.id, ip, now - Duration::days(90))
            .await?),
        _ => Ok(false),
    }
}

const BAD_CREDENTIALS: &str = "invalid username or password";

/// What the audit log keeps of a login name nobody has: never the text (people type
/// their password into the name field), only a short digest that correlates attempts.
fn login_digest(login: &str) -> String {
    token_hash(login)[..16].to_string()
}

/// Checks a login (username or e-mail, any case) and its password and starts a
/// session. Every outcome is audited; failures count towards the lockouts.
pub async fn login(
    state: &AppState,
    meta: &RequestMeta,
    login: &str,
    presented_password: &str,
) -> ApiResult<TokenResponse> {
    let now = state.clock.now();
    let auth = &state.config.auth;
    state
        .limits
        .check(
            &format!("login-ip:{}", meta.limit_key()),
            auth.login_per_ip_per_minute,
            Duration::minutes(1),
        )
        .map_err(|wait| {
            ApiError::too_many(wait, "too many login attempts from this address; try later")
        })?;
    let login = login.trim().to_lowercase();
    if login.is_empty() || login.len() > 100 {
        return Err(ApiError::invalid("login", "must be a username or e-mail"));
    }
    // Failures are counted in memory per login name, for unknown names as well as known
    // ones, so a lockout does not reveal whether an account exists. A lock holds for the
    // address that failed (`auth.lockout_threshold` failures), not for the account: a
    // stranger guessing `admin` cannot lock the real admin out. Guessing spread over many
    // addresses (`ACCOUNT_WIDE_FACTOR` times the threshold) locks the account for every
    // address it was never logged into from.
    let lock_window = Duration::seconds(auth.lockout_s);
    let threshold = auth.lockout_threshold.max(1) as u32;
    let address_key = format!("login-account:{login}@{}", meta.limit_key());
    let account_key = format!("login-account:{login}");
    let user = state.store.user_by_login(&login).await?;
    let locked_key = if state.login_failures.count(&address_key, now) >= threshold {
        Some(&address_key)
    } else if state.login_failures.count(&account_key, now)
        >= threshold.saturating_mul(ACCOUNT_WIDE_FACTOR)
        && !known_address(state, user.as_ref(), meta, now).await?
    {
        Some(&account_key)
    } else {
        None
    };
    if let Some(locked_key) = locked_key {
        // The windows exist for known and unknown names alike, so Retry-After does not
        // tell them apart.
        let wait = state.login_failures.seconds_left(locked_key, now);
        state
            .audit(
                meta.audit(user.as_ref().map(|u| u.id), "login.locked", "user", None)
                    .with_new(json!({"login_sha256": login_digest(&login)})),
            )
            .await?;
        return Err(ApiError::too_many(
            wait,
            "account temporarily locked after repeated failures; try later",
        ));
    }
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.as_str())
        .unwrap_or(&state.dummy_hash);
    let password_ok = password::verify(presented_password, hash, state.password).await;
    let known_id = user.as_ref().map(|u| u.id);
    let Some(user) = user.filter(|_| password_ok) else {
        state
            .metrics
            .logins_failed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        state.login_failures.hit(&address_key, lock_window, now);
        state.login_failures.hit(&account_key, lock_window, now);
        if let Some(id) = known_id {
            state
                .store
                .record_login_failure(id, auth.lockout_threshold, lock_window, now)
                .await?;
        }
        state
            .audit(
                meta.audit(known_id, "login.failure", "user", None)
                    .with_new(json!({"login_sha256": login_digest(&login)})),
            )
            .await?;
        return Err(ApiError::unauthorized(BAD_CREDENTIALS));
    };
    if !user.is_active {
        state
            .audit(meta.audit(
                Some(user.id),
                "login.inactive",
                "user",
                Some(user.id.to_string()),
            ))
            .await?;
        return Err(ApiError::forbidden("account is deactivated"));
    }
    if state.config.auth.allow_registration && !user.email_verified {
        // Self-registered accounts prove their address before they get in (accounts an
        // admin creates are verified by that admin). A fresh link is mailed, limited.
        if accounts::verification_mail_allowed(state, user.id).is_ok() {
            accounts::send_verification(state, &user, false).await;
        }
        state
            .audit(meta.audit(
                Some(user.id),
                "login.unverified",
                "user",
                Some(user.id.to_string()),
            ))
            .await?;
        return Err(ApiError::forbidden(
            "e-mail address not verified: open the link mailed to you (a new one was sent)",
        ));
    }
    state.login_failures.reset(&address_key);
    state.store.record_login_success(user.id, now).await?;
    let response = start_session(state, &user, meta, now).await?;
    state
        .audit(meta.audit(
            Some(user.id),
            "login.success",
            "user",
            Some(user.id.to_string()),
        ))
        .await?;
    Ok(response)
}

async fn start_session(
    state: &AppState,
    user: &User,
    meta: &RequestMeta,
    now: DateTime<Utc>,
) -> ApiResult<TokenResponse> {
    let session_token = random_token(18);
    let (refresh_token, refresh_hash) = new_refresh_token(&session_token);
    state
        .store
        .create_session(
            &NewSession {
                user_id: user.id,
                session_token: session_token.clone(),
                refresh_token_hash: refresh_hash,
                expires_at: now + Duration::seconds(state.config.auth.refresh_token_ttl_s),
                ip_address: meta.ip.clone(),
                user_agent: meta.user_agent.clone(),
            },
            now,
        )
        .await?;
    let ttl = state.config.auth.access_token_ttl_s;
    Ok(TokenResponse {
        access_token: state
            .keys
            .issue(user.id, &session_token, user.role.as_str(), now, ttl),
        token_type: "Bearer",
        expires_in: ttl,
        refresh_token: Some(refresh_token),
        user: UserView::from(user.clone()),
    })
}

/// Rotates a refresh token: the session's current one gives a new pair; a spent one
/// (replayed, or shared by two clients) ends the session.
pub async fn refresh(
    state: &AppState,
    meta: &RequestMeta,
    presented_token: &str,
) -> ApiResult<TokenResponse> {
    let now = state.clock.now();
    let invalid = || ApiError::unauthorized("invalid or expired refresh token");
    let session_token = refresh_token_session(presented_token).ok_or_else(invalid)?;
    let session = state
        .store
        .session_by_token(session_token)
        .await?
        .ok_or_else(invalid)?;
    if !session.is_active || session.expires_at <= now {
        return Err(invalid());
    }
    let presented = token_hash(presented_token);
    let (new_token, new_hash) = new_refresh_token(session_token);
    let expires = now + Duration::seconds(state.config.auth.refresh_token_ttl_s);
    let reused = session.previous_refresh_token.as_deref() == Some(presented.as_str());
    if presented != session.refresh_token && !reused {
        // Not this session's secret at all: refused, but the session lives on (the
        // session id alone, which every access token carries, must not be enough to
        // log its owner out).
        return Err(invalid());
    }
    let rotated = !reused
        && state
            .store
            .rotate_refresh_token(session.id, &presented, &new_hash, expires, now)
            .await?;
    if !rotated {
        // A spent token of a live session: someone replayed it (or two clients share
        // it). Either way the family is compromised; end the session.
        end_session(state, session.id, session.user_id, "refresh_reuse").await?;
        state
            .audit(
                meta.audit(
                    Some(session.user_id),
                    "session.refresh_reuse",
                    "session",
                    Some(session.id.to_string()),
                )
                .with_new(json!({"revoked": true})),
            )
            .await?;
        tracing::warn!(
            user_id = session.user_id,
            session_id = session.id,
            "refresh token reuse; session revoked"
        );
        return Err(ApiError::unauthorized(
            "refresh token was already used; the session has been revoked",
        ));
    }
    let user = state.store.user_by_id(session.user_id).await?;
    if !user.is_active {
        state
            .store
            .revoke_session(session.id, "user_inactive")
            .await?;
        state.access_changed(session.user_id);
        return Err(invalid());
    }
    let ttl = state.config.auth.access_token_ttl_s;
    let tokens = TokenResponse {
        access_token: state
            .keys
            .issue(user.id, session_token, user.role.as_str(), now, ttl),
        token_type: "Bearer",
        expires_in: ttl,
        refresh_token: Some(new_token),
        user: user.into(),
    };
    Ok(tokens)
}

/// Revokes session `session_id` of `user_id` for `reason`; the user's open live streams
/// re-check their session at once (those of this session close).
async fn end_session(
    state: &AppState,
    session_id: i64,
    user_id: i64,
    reason: &str,
) -> ApiResult<()> {
    state.store.revoke_session(session_id, reason).await?;
    state.access_changed(user_id);
    Ok(())
}

/// Ends the caller's session.
pub async fn logout(state: &AppState, caller: &Caller) -> ApiResult<()> {
    end_session(state, caller.session_id, caller.user_id, "logout").await?;
    state
        .audit(caller.audit("logout", "session", Some(caller.session_id.to_string())))
        .await?;
    Ok(())
}

/// Ends every session of the caller; returns how many were ended.
pub async fn logout_everywhere(state: &AppState, caller: &Caller) -> ApiResult<u64> {
    let n = state
        .store
        .revoke_user_sessions(caller.user_id, "logout_all")
        .await?;
    state.access_changed(caller.user_id);
    state
        .audit(
            caller
                .audit("logout.all", "session", None)
                .with_new(json!({"sessions_revoked": n})),
        )
        .await?;
    Ok(n)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: i64,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub current: bool,
}

/// The caller's active sessions; the one making the request is marked `current`.
pub async fn sessions(state: &AppState, caller: &Caller) -> ApiResult<Vec<SessionView>> {
    let list = state
        .store
        .list_sessions(caller.user_id, state.clock.now())
        .await?;
    Ok(list
        .into_iter()
        .map(|s| SessionView {
            current: s.id == caller.session_id,
            id: s.id,
            ip_address: s.ip_address,
            user_agent: s.user_agent,
            created_at: s.created_at,
            expires_at: s.expires_at,
        })
        .collect())
}
