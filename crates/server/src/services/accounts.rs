//! Accounts: new users validated and hashed the same way for registration, setup, the
//! admin API and `footfall user create`; and the mails an account gets (verification,
//! password reset), composed here and sent without making a request wait.

use crate::crypto::{random_token, token_hash};
use crate::error::{ApiError, ApiResult};
use crate::mail::Mail;
use crate::password;
use crate::state::AppState;
use crate::validate;
use chrono::Duration;
use footfall_store::{NewUser, Role, TokenPurpose, User};
use serde::Deserialize;

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
