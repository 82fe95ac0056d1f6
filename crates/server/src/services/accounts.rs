//! Accounts: new users validated and hashed the same way for registration, setup, the
//! admin API and `footfall user create`; what happens to an account afterwards (an
//! admin's role change or deactivation, e-mail verification, password change and
//! reset); and the mails an account gets (verification, password reset), composed here
//! and sent without making a request wait.

use crate::auth::{Caller, RequestMeta};
use crate::crypto::{random_token, token_hash};
use crate::error::{ApiError, ApiResult};
use crate::mail::Mail;
use crate::password;
use crate::state::AppState;
use crate::validate;
use chrono::{DateTime, Duration, Utc};
use footfall_store::{
    ApiKey, AuditEntry, AuditFilter, NewUser, Role, TokenPurpose, User, UserPatch,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A user as the API shows it (never the password hash or lockout internals).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    #[schema(value_type = String, example = "viewer")]
    pub role: Role,
    pub is_active: bool,
    pub email_verified: bool,
    pub last_login: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(u: User) -> UserView {
        UserView {
            id: u.id,
            username: u.username,
            email: u.email,
            first_name: u.first_name,
            last_name: u.last_name,
            role: u.role,
            is_active: u.is_active,
            email_verified: u.email_verified,
            last_login: u.last_login,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

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

/// Creates the account `r` describes with `role`; `verified` when someone who vouches
/// for the e-mail address (an admin, the operator) creates it. Not audited: each caller
/// audits under its own action.
pub async fn create_user(
    state: &AppState,
    r: &RegisterRequest,
    role: Role,
    verified: bool,
    now: DateTime<Utc>,
) -> ApiResult<User> {
    let mut new = new_user(state, r, role).await?;
    new.email_verified = verified;
    Ok(state.store.create_user(&new, now).await?)
}

/// 429 with `message` once this client spent its quota of `limit` requests of kind
/// `name` an hour.
fn limit_client_per_hour(
    state: &AppState,
    meta: &RequestMeta,
    name: &str,
    limit: u32,
    message: &str,
) -> ApiResult<()> {
    state
        .limits
        .check(
            &format!("{name}:{}", meta.limit_key()),
            limit,
            Duration::hours(1),
        )
        .map_err(|wait| ApiError::too_many(wait, message))
}

/// Self-registration, while `auth.allow_registration` is on and limited per client
/// address: the account gets `auth.register_role` and a welcome mail with the link that
/// verifies its address.
pub async fn register(
    state: &AppState,
    meta: &RequestMeta,
    body: &RegisterRequest,
) -> ApiResult<User> {
    let now = state.clock.now();
    limit_client_per_hour(
        state,
        meta,
        "register",
        state.config.auth.register_per_ip_per_hour,
        "too many registrations from this address; try later",
    )?;
    if !state.config.auth.allow_registration {
        return Err(ApiError::forbidden(
            "self-registration is disabled; ask an administrator",
        ));
    }
    let user = create_user(state, body, state.config.auth.register_role, false, now).await?;
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
    send_verification(state, &user, true).await;
    Ok(user)
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

/// Creates the first admin (e-mail verified) with the one-time setup token, while no
/// active admin exists; the token is spent.
pub async fn setup_admin(
    state: &AppState,
    meta: &RequestMeta,
    body: SetupRequest,
) -> ApiResult<User> {
    let expected = state.setup_token();
    let now = state.clock.now();
    limit_client_per_hour(state, meta, "setup", 10, "too many setup attempts")?;
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
    let user = create_user(state, &request, Role::Admin, true, now).await?;
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
    Ok(user)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub username: String,
    pub email: String,
    pub password: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    #[schema(value_type = String, example = "user")]
    pub role: Role,
}

/// An admin creates an account with a role; its e-mail address counts as verified.
pub async fn create_user_as_admin(
    state: &AppState,
    caller: &Caller,
    body: CreateUserRequest,
) -> ApiResult<User> {
    let request = RegisterRequest {
        username: body.username,
        email: body.email,
        password: body.password,
        first_name: body.first_name,
        last_name: body.last_name,
    };
    // The admin vouches for the address (and e-mails the person themselves).
    let user = create_user(state, &request, body.role, true, state.clock.now()).await?;
    let created = json!({
        "username": user.username,
        "email": user.email,
        "role": user.role,
        "password": "***",
    });
    state
        .audit(
            caller
                .audit("user.create", "user", Some(user.id.to_string()))
                .with_new(created),
        )
        .await?;
    Ok(user)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[schema(value_type = Option<String>, example = "viewer")]
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

/// An admin changes a user's role or (de)activates them; deactivation ends every session
/// of the user.
pub async fn update_user(
    state: &AppState,
    caller: &Caller,
    id: i64,
    body: &UpdateUserRequest,
) -> ApiResult<User> {
    let before = state.store.user_by_id(id).await?;
    // The store refuses (409) a change that would leave no active admin, atomically.
    let now = state.clock.now();
    let after = state
        .store
        .update_user(
            id,
            &UserPatch {
                role: body.role,
                is_active: body.is_active,
                ..Default::default()
            },
            now,
        )
        .await?;
    if body.is_active == Some(false) {
        state.store.revoke_user_sessions(id, "deactivated").await?;
    }
    state.access_changed(id);
    state
        .audit(
            caller
                .audit("user.update", "user", Some(id.to_string()))
                .with_old(json!({"role": before.role, "is_active": before.is_active}))
                .with_new(json!({"role": after.role, "is_active": after.is_active})),
        )
        .await?;
    Ok(after)
}

/// Verification mails one account may trigger per hour (resend, or logging in unverified).
const VERIFY_MAILS_PER_HOUR: u32 = 3;

/// Counts a verification mail for the account; `Err(seconds to wait)` past
/// [`VERIFY_MAILS_PER_HOUR`] (resend and unverified logins share the budget).
pub fn verification_mail_allowed(state: &AppState, user_id: i64) -> Result<(), u64> {
    state.limits.check(
        &format!("verify-mail:{user_id}"),
        VERIFY_MAILS_PER_HOUR,
        Duration::hours(1),
    )
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    pub token: String,
}

/// Marks the address of the mailed token's user verified (the token is spent).
pub async fn verify_email(
    state: &AppState,
    meta: &RequestMeta,
    body: &VerifyEmailRequest,
) -> ApiResult<()> {
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
    Ok(())
}

/// Mails the caller a new verification link (409 once verified; limited per account).
pub async fn resend_verification(state: &AppState, caller: &Caller) -> ApiResult<()> {
    let user = state.store.user_by_id(caller.user_id).await?;
    if user.email_verified {
        return Err(ApiError::conflict("email", "e-mail is already verified"));
    }
    verification_mail_allowed(state, user.id).map_err(|wait| {
        ApiError::too_many(
            wait,
            "a verification mail was sent recently; check your mail or try later",
        )
    })?;
    send_verification(state, &user, false).await;
    Ok(())
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

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotPasswordRequest {
    pub email: String,
}

/// Mails a reset link when the address belongs to an active account. Succeeds either
/// way, so the answer does not tell which addresses have an account.
pub async fn request_password_reset(
    state: &AppState,
    meta: &RequestMeta,
    body: &ForgotPasswordRequest,
) -> ApiResult<()> {
    let now = state.clock.now();
    limit_client_per_hour(
        state,
        meta,
        "forgot",
        10,
        "too many reset requests; try later",
    )?;
    let email = validate::email(&body.email, "email")?;
    if let Some(user) = state
        .store
        .user_by_email(&email)
        .await?
        .filter(|u| u.is_active)
    {
        send_password_reset(state, &user, now).await?;
        state
            .audit(meta.audit(
                Some(user.id),
                "password.reset_requested",
                "user",
                Some(user.id.to_string()),
            ))
            .await?;
    }
    Ok(())
}

/// Replaces any earlier reset link of `user` with a new one and mails it.
async fn send_password_reset(
    state: &AppState,
    user: &User,
    now: DateTime<Utc>,
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
        .limits
        .check(
            &format!("change-password:{}", caller.user_id),
            CHANGE_PASSWORD_PER_15_MIN,
            Duration::minutes(15),
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

/// A session as an account export lists it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SessionRecord {
    pub id: i64,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub is_active: bool,
    /// Why it ended (logout, password change, ...), when it did.
    pub revoked_reason: Option<String>,
}

/// Everything stored about one user (GDPR access and portability): the account, every
/// session, what the audit log recorded of their actions, the device keys they created.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountExport {
    pub exported_at: DateTime<Utc>,
    pub user: UserView,
    pub sessions: Vec<SessionRecord>,
    /// The audit log's rows of this user's actions, newest first.
    pub audit: Vec<AuditEntry>,
    /// Device API keys this user created (their secrets are never stored).
    #[schema(value_type = Vec<Object>)]
    pub api_keys: Vec<ApiKey>,
}

/// Audit rows read per query while exporting.
const EXPORT_PAGE: i64 = 1_000;

/// What is stored about the caller, in one document (audited).
pub async fn export_account(state: &AppState, caller: &Caller) -> ApiResult<AccountExport> {
    let user = state.store.user_by_id(caller.user_id).await?;
    let sessions = state
        .store
        .all_sessions(caller.user_id)
        .await?
        .into_iter()
        .map(|s| SessionRecord {
            id: s.id,
            ip_address: s.ip_address,
            user_agent: s.user_agent,
            created_at: s.created_at,
            expires_at: s.expires_at,
            is_active: s.is_active,
            revoked_reason: s.revoked_reason,
        })
        .collect();
    let mut audit = Vec::new();
    loop {
        let page = state
            .store
            .list_audit(&AuditFilter {
                user_id: Some(caller.user_id),
                action: None,
                limit: EXPORT_PAGE,
                offset: audit.len() as i64,
            })
            .await?;
        let last = (page.len() as i64) < EXPORT_PAGE;
        audit.extend(page);
        if last {
            break;
        }
    }
    let api_keys = state
        .store
        .list_api_keys()
        .await?
        .into_iter()
        .filter(|k| k.created_by == Some(caller.user_id))
        .collect();
    state
        .audit(caller.audit("user.export", "user", Some(caller.user_id.to_string())))
        .await?;
    Ok(AccountExport {
        exported_at: state.clock.now(),
        user: user.into(),
        sessions,
        audit,
        api_keys,
    })
}

/// Erases user `id` (GDPR; see `Store::erase_user`): the account stays as a pseudonym
/// so the audit log keeps its meaning, the person's data goes; their live streams close.
/// 409 for the last active admin.
pub async fn erase_user(state: &AppState, caller: &Caller, id: i64) -> ApiResult<()> {
    let erased = state.store.erase_user(id, state.clock.now()).await?;
    state.access_changed(id);
    state
        .audit(
            caller
                .audit("user.erase", "user", Some(id.to_string()))
                .with_new(json!({"pseudonym": erased.username})),
        )
        .await?;
    Ok(())
}
