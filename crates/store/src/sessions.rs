//! user_sessions (login sessions with rotating refresh tokens) and one-time user tokens.

use crate::pool::on_pool;
use crate::{Result, Role, Store, StoreError, db_time};
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub id: i64,
    pub user_id: i64,
    /// Public id of the session (in access tokens and as the refresh token's prefix).
    pub session_token: String,
    /// SHA-256 hex of the current refresh token.
    pub refresh_token: String,
    pub expires_at: DateTime<Utc>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub revoked_reason: Option<String>,
    /// SHA-256 hex of the refresh token the last rotation spent: presenting it again is
    /// reuse (a copy was stolen), unlike any other wrong token.
    pub previous_refresh_token: Option<String>,
}

const SESSION_COLUMNS: &str = "id, user_id, session_token, refresh_token, expires_at, ip_address, \
     user_agent, is_active, created_at, revoked_reason, previous_refresh_token";

#[derive(Debug, Clone)]
pub struct NewSession {
    pub user_id: i64,
    pub session_token: String,
    pub refresh_token_hash: String,
    pub expires_at: DateTime<Utc>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

/// What an authenticated request needs, read in one indexed query.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuthContext {
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    pub session_id: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::ResetPassword => "reset_password",
        }
    }
}

impl Store {
    pub async fn create_session(&self, s: &NewSession, now: DateTime<Utc>) -> Result<Session> {
        let sql = format!(
            "INSERT INTO user_sessions (user_id, session_token, refresh_token, expires_at, ip_address, \
             user_agent, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {SESSION_COLUMNS}"
        );
        on_pool!(self, |pool| sqlx::query_as::<_, Session>(&sql)
            .bind(s.user_id)
            .bind(&s.session_token)
            .bind(&s.refresh_token_hash)
            .bind(db_time(s.expires_at))
            .bind(&s.ip_address)
            .bind(&s.user_agent)
            .bind(db_time(now))
            .fetch_one(pool)
            .await)
        .map_err(|e| {
            StoreError::from_write(
                e,
                &[
                    ("session_token", "session_token"),
                    ("refresh_token", "refresh_token"),
                ],
            )
        })
    }

    pub async fn session_by_token(&self, session_token: &str) -> Result<Option<Session>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM user_sessions WHERE session_token = $1");
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, Session>(&sql)
            .bind(session_token)
            .fetch_optional(pool)
            .await)?)
    }

    /// Active sessions of one user, newest first.
    pub async fn list_sessions(&self, user_id: i64, now: DateTime<Utc>) -> Result<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM user_sessions WHERE user_id = $1 AND is_active AND expires_at > $2 \
             ORDER BY id DESC"
        );
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, Session>(&sql)
            .bind(user_id)
            .bind(db_time(now))
            .fetch_all(pool)
            .await)?)
    }

    /// Every session of `user_id`, ended ones included, newest first (an account export).
    pub async fn all_sessions(&self, user_id: i64) -> Result<Vec<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM user_sessions WHERE user_id = $1 ORDER BY id DESC"
        );
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, Session>(&sql)
            .bind(user_id)
            .fetch_all(pool)
            .await)?)
    }

    /// Replaces the refresh token hash if (and only if) `old_hash` is still the current
    /// one of an active, unexpired session: the compare-and-swap that makes each refresh
    /// token single-use even under concurrent requests. Returns whether it swapped.
    pub async fn rotate_refresh_token(
        &self,
        session_id: i64,
        old_hash: &str,
        new_hash: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = on_pool!(self, |pool| {
            sqlx::query(
            "UPDATE user_sessions SET previous_refresh_token = refresh_token, refresh_token = $3, expires_at = $4 \
             WHERE id = $1 AND refresh_token = $2 AND is_active AND expires_at > $5"
        )
        .bind(session_id)
        .bind(old_hash)
        .bind(new_hash)
        .bind(db_time(expires_at))
        .bind(db_time(now))
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    pub async fn revoke_session(&self, session_id: i64, reason: &str) -> Result<bool> {
        let n = on_pool!(self, |pool| {
            sqlx::query(
            "UPDATE user_sessions SET is_active = FALSE, revoked_reason = $2 WHERE id = $1 AND is_active"
        )
        .bind(session_id)
        .bind(reason)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Ends every active session of a user; returns how many.
    pub async fn revoke_user_sessions(&self, user_id: i64, reason: &str) -> Result<u64> {
        Ok(on_pool!(self, |pool| {
            sqlx::query(
            "UPDATE user_sessions SET is_active = FALSE, revoked_reason = $2 WHERE user_id = $1 AND is_active"
        )
        .bind(user_id)
        .bind(reason)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?)
    }

    /// Whether the user logged in from `ip` since `since` (a session was created from
    /// there, whatever became of it): a known address, exempt from the account-wide
    /// lockout that a stranger's guessing triggers.
    pub async fn logged_in_from(
        &self,
        user_id: i64,
        ip: &str,
        since: DateTime<Utc>,
    ) -> Result<bool> {
        let found: Option<i64> = on_pool!(self, |pool| {
            sqlx::query_scalar(
            "SELECT id FROM user_sessions WHERE user_id = $1 AND ip_address = $2 AND created_at > $3 LIMIT 1"
        )
        .bind(user_id)
        .bind(ip)
        .bind(db_time(since))
        .fetch_optional(pool)
        .await
        })?;
        Ok(found.is_some())
    }

    /// The user behind an access token's session id, if the session is still active and
    /// unexpired and the account is active. Role comes from the database, so a role change
    /// or deactivation takes effect on the next request, not when the token expires.
    pub async fn auth_context(
        &self,
        session_token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<AuthContext>> {
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, AuthContext>(
            "SELECT u.id AS user_id, u.username, u.role, s.id AS session_id \
             FROM user_sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.session_token = $1 AND s.is_active AND s.expires_at > $2 AND u.is_active"
        )
        .bind(session_token)
        .bind(db_time(now))
        .fetch_optional(pool)
        .await)?)
    }

    pub async fn create_user_token(
        &self,
        user_id: i64,
        purpose: TokenPurpose,
        token_hash: &str,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO user_tokens (user_id, purpose, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(user_id)
        .bind(purpose.as_str())
        .bind(token_hash)
        .bind(db_time(expires_at))
        .bind(db_time(now))
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Spends every unused token of `purpose` the user holds: a newer link, a completed
    /// reset or a password change makes the older links worthless. Returns how many.
    pub async fn expire_user_tokens(
        &self,
        user_id: i64,
        purpose: TokenPurpose,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        Ok(on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE user_tokens SET used_at = $3 WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
            )
            .bind(user_id)
            .bind(purpose.as_str())
            .bind(db_time(now))
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?)
    }

    /// The user of an unused, unexpired token, without using it.
    pub async fn user_token_owner(
        &self,
        purpose: TokenPurpose,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_scalar(
            "SELECT user_id FROM user_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3"
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(db_time(now))
        .fetch_optional(pool)
        .await
        })?)
    }

    /// Marks an unused, unexpired token as used and returns its user; `None` if the
    /// token is unknown, used, expired or for another purpose.
    pub async fn consume_user_token(
        &self,
        purpose: TokenPurpose,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_scalar(
            "UPDATE user_tokens SET used_at = $3 \
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING user_id"
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(db_time(now))
        .fetch_optional(pool)
        .await
        })?)
    }
}
