//! Accounts: new users validated and hashed the same way for registration, setup, the
//! admin API and `footfall user create`; and the mails an account gets (verification,
//! password reset), composed here and sent without making a request wait.

use crate::auth::{Caller, RequestMeta};
use crate::crypto::{random_token, token_hash};
use crate::error::{ApiError, ApiResult};
use crate::mail::Mail;
use crate::password;
use crate::state::AppState;
use crate::validate;
use chrono::Duration;
use footfall_store::{NewUser, Role, TokenPurpose, User};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub username: String,
    pub email: String,
    pub password: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// Validates a new account and hashes its password.
pub async fn new_user(state: &AppState, r: &RegisterRequest, role: Role) -> ApiResult<NewUser> {
    let username = validate::username(&r.username, "username")?;
    let email = validate::email(&r.email, "email")?;
    password::check_policy(&r.password, &state.password, "password", &username)?;
    let first_name = validate::optional_text(r.first_name.as_deref(), "first_name", 100)?;
    let last_name = validate::optional_text(r.last_name.as_deref(), "last_name", 100)?;
    Ok(NewUser {
        username,
        email,
        password_hash: password::hash(&r.password, state.password).await?,
        first_name,
        last_name,
        role,
        email_verified: false,
    })
}

/// Mails a verification link (with a welcome line for new accounts). Mail failures are
/// logged, not returned: the account exists either way and the user can ask again.
pub async fn send_verification(state: &AppState, user: &User, welcome: bool) {
    let token = random_token(32);
    let now = state.clock.now();
    let expires = now + Duration::seconds(state.config.auth.verify_token_ttl_s);
    if let Err(e) = state
        .store
        .create_user_token(
            user.id,
            TokenPurpose::VerifyEmail,
            &token_hash(&token),
            expires,
            now,
        )
        .await
    {
        tracing::warn!(error = %e, user_id = user.id, "verification token not stored");
        return;
    }
    let link = format!(
        "{}/verify-email?token={token}",
        state.config.server.public_url.trim_end_matches('/')
    );
    let greeting = if welcome {
        format!("Welcome to Footfall, {}!\n\n", user.username)
    } else {
        String::new()
    };
    let mail = Mail {
        to: user.email.clone(),
        subject: if welcome {
            "Welcome to Footfall".into()
        } else {
            "Verify your e-mail".into()
        },
        body: format!(
            "{greeting}Confirm your e-mail address by opening:\n{link}\n\nThe link expires in {} hours.",
            state.config.auth.verify_token_ttl_s / 3600
        ),
    };
    send_in_background(state, mail);
}

/// Sends a mail without making the request wait for it: a response's timing must not
/// tell whether a mail went out (forgot-password would reveal which addresses have an
/// account), and a slow relay must not slow the API. Failures are logged by the mailer.
fn send_in_background(state: &AppState, mail: Mail) {
    let mailer = state.mailer.clone();
    tokio::spawn(async move {
        let _ = mailer.send(mail).await;
    });
}

/// Replaces any earlier reset link of `user` with a new one and mails it.
pub async fn send_password_reset(
    state: &AppState,
    user: &User,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    let token = random_token(32);
    let expires = now + Duration::seconds(state.config.auth.reset_token_ttl_s);
    // Only the newest link works.
    state
        .store
        .expire_user_tokens(user.id, TokenPurpose::ResetPassword, now)
        .await?;
    state
        .store
        .create_user_token(
            user.id,
            TokenPurpose::ResetPassword,
            &token_hash(&token),
            expires,
            now,
        )
        .await?;
    let link = format!(
        "{}/reset-password?token={token}",
        state.config.server.public_url.trim_end_matches('/')
    );
    send_in_background(
        state,
        Mail {
            to: user.email.clone(),
            subject: "Reset your Footfall password".into(),
            body: format!(
                "Someone asked to reset the password of {}.\nOpen this link to choose a new one:\n{link}\n\nIf it was not you, ignore this mail.",
                user.username
            ),
        },
    );
    Ok(())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Password change attempts per account per 15 minutes.
const CHANGE_PASSWORD_PER_15_MIN: u32 = 10;

/// Changes the password (the current one must be right) and ends every other session
/// of the user. Attempts are limited, so a stolen access token is no password oracle.
pub async fn change_password(
    state: &AppState,
    caller: &Caller,
    body: &ChangePasswordRequest,
) -> ApiResult<()> {
    // A stolen access token must not become a password oracle.
    state
        .limiter
        .check(
            &format!("change-password:{}", caller.user_id),
            CHANGE_PASSWORD_PER_15_MIN,
            Duration::minutes(15),
            state.clock.now(),
        )
        .map_err(|wait| ApiError::too_many(wait, "too many password changes; try later"))?;
    let user = state.store.user_by_id(caller.user_id).await?;
    if !password::verify(&body.current_password, &user.password_hash, state.password).await {
        state
            .audit(caller.meta.audit(
                Some(user.id),
                "password.change_failed",
                "user",
                Some(user.id.to_string()),
            ))
            .await?;
        return Err(ApiError::invalid("current_password", "is wrong"));
    }
    password::check_policy(
        &body.new_password,
        &state.password,
        "new_password",
        &user.username,
    )?;
    if body.new_password == body.current_password {
        return Err(ApiError::invalid(
            "new_password",
            "must differ from the current password",
        ));
    }
    let hash = password::hash(&body.new_password, state.password).await?;
    let now = state.clock.now();
    state.store.set_password(user.id, &hash, now).await?;
    state
        .store
        .expire_user_tokens(user.id, TokenPurpose::ResetPassword, now)
        .await?;
    for s in state.store.list_sessions(user.id, now).await? {
        if s.id != caller.session_id {
            state.store.revoke_session(s.id, "password_change").await?;
        }
    }
    state.access_changed(user.id);
    state
        .audit(
            caller
                .meta
                .audit(
                    Some(user.id),
                    "password.change",
                    "user",
                    Some(user.id.to_string()),
                )
                .with_new(json!({"password": "***"})),
        )
        .await?;
    Ok(())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    pub token: String,
    pub new_password: String,
}

/// Sets a new password with a mailed reset token and ends every session of the user.
pub async fn reset_password(
    state: &AppState,
    meta: &RequestMeta,
    body: &ResetPasswordRequest,
) -> ApiResult<()> {
    let now = state.clock.now();
    let invalid = || ApiError::invalid("token", "is invalid, used or expired");
    let hashed = token_hash(&body.token);
    // Check the policy before spending the token, so a weak password can be retried.
    let owner = state
        .store
        .user_token_owner(TokenPurpose::ResetPassword, &hashed, now)
        .await?
        .ok_or_else(invalid)?;
    let user = state.store.user_by_id(owner).await?;
    password::check_policy(
        &body.new_password,
        &state.password,
        "new_password",
        &user.username,
    )?;
    let user_id = state
        .store
        .consume_user_token(TokenPurpose::ResetPassword, &hashed, now)
        .await?
        .ok_or_else(invalid)?;
    let hash = password::hash(&body.new_password, state.password).await?;
    state.store.set_password(user_id, &hash, now).await?;
    state
        .store
        .expire_user_tokens(user_id, TokenPurpose::ResetPassword, now)
        .await?;
    state
        .store
        .revoke_user_sessions(user_id, "password_reset")
        .await?;
    state.access_changed(user_id);
    state
        .audit(
            meta.audit(
                Some(user_id),
                "password.reset",
                "user",
                Some(user_id.to_string()),
            )
            .with_new(json!({"password": "***"})),
        )
        .await?;
    Ok(())
}
