//! /api/v1/auth/* and /api/v1/me: register, setup, login, refresh, logout, passwords,
//! e-mail verification.

use crate::auth::{Caller, RequestMeta};
use crate::crypto::token_hash;
use crate::error::{ApiError, ApiResult};
pub use crate::services::accounts::{
    ChangePasswordRequest, RegisterRequest, ResetPasswordRequest, new_user,
};
pub use crate::services::auth::{TokenResponse, UserView};
use crate::services::auth::{client_key, verification_mail_allowed};
use crate::services::{accounts, auth};
use crate::state::AppState;
use crate::validate::{self, ValidJson};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use chrono::{DateTime, Duration, Utc};
use footfall_store::{Role, TokenPurpose};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub async fn register(
    State(state): State<AppState>,
    meta: RequestMeta,
    ValidJson(body): ValidJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let now = state.clock.now();
    state
        .limiter
        .check(
            &format!("register:{}", client_key(&meta)),
            state.config.auth.register_per_ip_per_hour,
            Duration::hours(1),
            now,
        )
        .map_err(|wait| {
            ApiError::too_many(wait, "too many registrations from this address; try later")
        })?;
    if !state.config.auth.allow_registration {
        return Err(ApiError::forbidden(
            "self-registration is disabled; ask an administrator",
        ));
    }
    let new = new_user(&state, &body, state.config.auth.register_role).await?;
    let user = state.store.create_user(&new, now).await?;
    state
        .audit(
            meta.audit(
                Some(user.id),
                "user.register",
                "user",
                Some(user.id.to_string()),
            )
            .with_new(json!({"username": user.username, "email": user.email, "role": user.role})),
        )
        .await?;
    accounts::send_verification(&state, &user, true).await;
    Ok((StatusCode::CREATED, Json(user.into())))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    /// The one-time setup token printed at start-up while no user exists.
    pub setup_token: String,
    pub username: String,
    pub email: String,
    pub password: String,
}

/// One-time creation of the first admin while the database has no user.
pub async fn setup(
    State(state): State<AppState>,
    meta: RequestMeta,
    ValidJson(body): ValidJson<SetupRequest>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let expected = state.setup_token();
    let now = state.clock.now();
    state
        .limiter
        .check(
            &format!("setup:{}", client_key(&meta)),
            10,
            Duration::hours(1),
            now,
        )
        .map_err(|wait| ApiError::too_many(wait, "too many setup attempts"))?;
    // Open while no active admin exists (accounts registered before setup, or a last
    // admin gone, never make the installation unmanageable); the token printed at start
    // is what proves the caller is the operator.
    if state.store.count_active_admins().await? > 0 {
        return Err(ApiError::conflict(
            "setup_token",
            "setup is done: an admin already exists",
        ));
    }
    if expected.as_deref() != Some(body.setup_token.as_str()) {
        return Err(ApiError::invalid(
            "setup_token",
            "does not match the token printed at start-up",
        ));
    }
    let request = RegisterRequest {
        username: body.username,
        email: body.email,
        password: body.password,
        first_name: None,
        last_name: None,
    };
    let mut new = new_user(&state, &request, Role::Admin).await?;
    new.email_verified = true;
    let user = state.store.create_user(&new, now).await?;
    *state.setup_token.lock().unwrap_or_else(|p| p.into_inner()) = None;
    state
        .audit(
            meta.audit(
                Some(user.id),
                "user.setup_admin",
                "user",
                Some(user.id.to_string()),
            )
            .with_new(json!({"username": user.username, "role": "admin"})),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username or e-mail.
    pub login: String,
    pub password: String,
    /// Deliver the refresh token only as an HttpOnly, Secure, SameSite=Strict cookie
    /// (`footfall_refresh`, sent back to /api/v1/auth only) instead of in the body: what
    /// a browser application should use, so no script can read it. Default false.
    #[serde(default)]
    pub refresh_cookie: bool,
}

/// Name of the cookie that carries the refresh token for browsers.
pub const REFRESH_COOKIE: &str = "footfall_refresh";

/// `Set-Cookie` for the refresh token (empty with max age 0 clears it). HttpOnly: no
/// script reads it; SameSite=Strict: other sites' requests never carry it (with the JSON
/// body the endpoints require, that rules out cross-site request forgery); Path: only the
/// auth endpoints receive it; Secure: HTTPS only (browsers count http://localhost as
/// secure, so it works on a local machine too).
fn refresh_cookie_header(token: &str, max_age_s: i64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let value = format!(
        "{REFRESH_COOKIE}={token}; HttpOnly; Secure; SameSite=Strict; Path=/api/v1/auth; Max-Age={max_age_s}"
    );
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert(header::SET_COOKIE, value);
    }
    headers
}

/// The refresh token from the request's cookie, if any.
fn refresh_token_from_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == REFRESH_COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|value| !value.is_empty())
}

/// Moves the refresh token of `tokens` into a cookie when `cookie` is set.
fn deliver(
    state: &AppState,
    mut tokens: TokenResponse,
    cookie: bool,
) -> (HeaderMap, Json<TokenResponse>) {
    let headers = match (cookie, tokens.refresh_token.take()) {
        (true, Some(token)) => refresh_cookie_header(&token, state.config.auth.refresh_token_ttl_s),
        (_, token) => {
            tokens.refresh_token = token;
            HeaderMap::new()
        }
    };
    (headers, Json(tokens))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuthStatus {
    /// No active admin exists yet: the first admin is created with `POST /api/v1/auth/setup` and
    /// the one-time token the server printed at start-up.
    pub setup_required: bool,
    /// Anyone may create an account with `POST /api/v1/auth/register`.
    pub registration_open: bool,
}

/// What a login page needs to know before anyone is logged in.
pub async fn status(State(state): State<AppState>) -> ApiResult<Json<AuthStatus>> {
    Ok(Json(AuthStatus {
        setup_required: state.store.count_active_admins().await? == 0,
        registration_open: state.config.auth.allow_registration,
    }))
}

pub async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    ValidJson(body): ValidJson<LoginRequest>,
) -> ApiResult<(HeaderMap, Json<TokenResponse>)> {
    let response = auth::login(&state, &meta, &body.login, &body.password).await?;
    Ok(deliver(&state, response, body.refresh_cookie))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token; omit it to use the `footfall_refresh` cookie (then the new
    /// one comes back as a cookie too).
    #[serde(default)]
    pub refresh_token: Option<String>,
}

pub async fn refresh(
    State(state): State<AppState>,
    meta: RequestMeta,
    headers: HeaderMap,
    ValidJson(body): ValidJson<RefreshRequest>,
) -> ApiResult<(HeaderMap, Json<TokenResponse>)> {
    let from_cookie = body.refresh_token.is_none();
    let presented_token = body
        .refresh_token
        .or_else(|| refresh_token_from_cookie(&headers))
        .ok_or_else(|| ApiError::unauthorized("invalid or expired refresh token"))?;
    let tokens = auth::refresh(&state, &meta, &presented_token).await?;
    Ok(deliver(&state, tokens, from_cookie))
}

/// Ends this session (and clears the browser's refresh cookie).
pub async fn logout(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<(HeaderMap, StatusCode)> {
    state
        .store
        .revoke_session(caller.session_id, "logout")
        .await?;
    state.access_changed(caller.user_id);
    state
        .audit(caller.meta.audit(
            Some(caller.user_id),
            "logout",
            "session",
            Some(caller.session_id.to_string()),
        ))
        .await?;
    Ok((refresh_cookie_header("", 0), StatusCode::NO_CONTENT))
}

/// Ends every session of the caller (and clears this browser's refresh cookie).
pub async fn logout_all(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<(HeaderMap, Json<serde_json::Value>)> {
    let n = state
        .store
        .revoke_user_sessions(caller.user_id, "logout_all")
        .await?;
    state.access_changed(caller.user_id);
    state
        .audit(
            caller
                .meta
                .audit(Some(caller.user_id), "logout.all", "session", None)
                .with_new(json!({"sessions_revoked": n})),
        )
        .await?;
    Ok((
        refresh_cookie_header("", 0),
        Json(json!({"sessions_revoked": n})),
    ))
}

pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<UserView>> {
    Ok(Json(state.store.user_by_id(caller.user_id).await?.into()))
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

pub async fn sessions(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<SessionView>>> {
    let list = state
        .store
        .list_sessions(caller.user_id, state.clock.now())
        .await?;
    Ok(Json(
        list.into_iter()
            .map(|s| SessionView {
                current: s.id == caller.session_id,
                id: s.id,
                ip_address: s.ip_address,
                user_agent: s.user_agent,
                created_at: s.created_at,
                expires_at: s.expires_at,
            })
            .collect(),
    ))
}

/// Changes the password and ends every other session of the user.
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<ChangePasswordRequest>,
) -> ApiResult<StatusCode> {
    accounts::change_password(&state, &caller, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotPasswordRequest {
    pub email: String,
}

/// Always 202, whether or not the address has an account (no enumeration).
pub async fn forgot_password(
    State(state): State<AppState>,
    meta: RequestMeta,
    ValidJson(body): ValidJson<ForgotPasswordRequest>,
) -> ApiResult<StatusCode> {
    let now = state.clock.now();
    state
        .limiter
        .check(
            &format!("forgot:{}", client_key(&meta)),
            10,
            Duration::hours(1),
            now,
        )
        .map_err(|wait| ApiError::too_many(wait, "too many reset requests; try later"))?;
    let email = validate::email(&body.email, "email")?;
    if let Some(user) = state
        .store
        .user_by_email(&email)
        .await?
        .filter(|u| u.is_active)
    {
        accounts::send_password_reset(&state, &user, now).await?;
        state
            .audit(meta.audit(
                Some(user.id),
                "password.reset_requested",
                "user",
                Some(user.id.to_string()),
            ))
            .await?;
    }
    Ok(StatusCode::ACCEPTED)
}

pub async fn reset_password(
    State(state): State<AppState>,
    meta: RequestMeta,
    ValidJson(body): ValidJson<ResetPasswordRequest>,
) -> ApiResult<StatusCode> {
    accounts::reset_password(&state, &meta, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    pub token: String,
}

pub async fn verify_email(
    State(state): State<AppState>,
    meta: RequestMeta,
    ValidJson(body): ValidJson<VerifyEmailRequest>,
) -> ApiResult<StatusCode> {
    let now = state.clock.now();
    let Some(user_id) = state
        .store
        .consume_user_token(TokenPurpose::VerifyEmail, &token_hash(&body.token), now)
        .await?
    else {
        return Err(ApiError::invalid("token", "is invalid, used or expired"));
    };
    state.store.set_email_verified(user_id, now).await?;
    state
        .audit(meta.audit(
            Some(user_id),
            "email.verified",
            "user",
            Some(user_id.to_string()),
        ))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn resend_verification(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<StatusCode> {
    let user = state.store.user_by_id(caller.user_id).await?;
    if user.email_verified {
        return Err(ApiError::conflict("email", "e-mail is already verified"));
    }
    verification_mail_allowed(&state, user.id, state.clock.now()).map_err(|wait| {
        ApiError::too_many(
            wait,
            "a verification mail was sent recently; check your mail or try later",
        )
    })?;
    accounts::send_verification(&state, &user, false).await;
    Ok(StatusCode::ACCEPTED)
}
