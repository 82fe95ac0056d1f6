//! /api/v1/auth/* and /api/v1/me: register, setup, login, refresh, logout, passwords,
//! e-mail verification.

use crate::auth::{Caller, RequestMeta};
use crate::error::{ApiError, ApiResult};
pub use crate::services::accounts::{AccountExport, UserView};
pub use crate::services::accounts::{
    ChangePasswordRequest, ForgotPasswordRequest, RegisterRequest, ResetPasswordRequest,
    SetupRequest, VerifyEmailRequest,
};
pub use crate::services::auth::{SessionView, TokenResponse};
use crate::services::{accounts, auth};
use crate::state::AppState;
use crate::validate::ValidJson;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub async fn register(
    State(state): State<AppState>,
    meta: RequestMeta,
    ValidJson(body): ValidJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let user = accounts::register(&state, &meta, &body).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// One-time creation of the first admin while the database has no user.
pub async fn setup(
    State(state): State<AppState>,
    meta: RequestMeta,
    ValidJson(body): ValidJson<SetupRequest>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let user = accounts::setup_admin(&state, &meta, body).await?;
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
    auth::logout(&state, &caller).await?;
    Ok((refresh_cookie_header("", 0), StatusCode::NO_CONTENT))
}

/// Ends every session of the caller (and clears this browser's refresh cookie).
pub async fn logout_all(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<(HeaderMap, Json<serde_json::Value>)> {
    let n = auth::logout_everywhere(&state, &caller).await?;
    Ok((
        refresh_cookie_header("", 0),
        Json(json!({"sessions_revoked": n})),
    ))
}

/// Everything stored about the caller, as one JSON document.
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<AccountExport>> {
    accounts::export_account(&state, &caller).await.map(Json)
}

pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<UserView>> {
    Ok(Json(state.store.user_by_id(caller.user_id).await?.into()))
}

pub async fn sessions(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<Vec<SessionView>>> {
    auth::sessions(&state, &caller).await.map(Json)
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

/// Always 202, whether or not the address has an account (no enumeration).
pub async fn forgot_password(
    State(state): State<AppState>,
    meta: RequestMeta,
    ValidJson(body): ValidJson<ForgotPasswordRequest>,
) -> ApiResult<StatusCode> {
    accounts::request_password_reset(&state, &meta, &body).await?;
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

pub async fn verify_email(
    State(state): State<AppState>,
    meta: RequestMeta,
    ValidJson(body): ValidJson<VerifyEmailRequest>,
) -> ApiResult<StatusCode> {
    accounts::verify_email(&state, &meta, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn resend_verification(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<StatusCode> {
    accounts::resend_verification(&state, &caller).await?;
    Ok(StatusCode::ACCEPTED)
}
