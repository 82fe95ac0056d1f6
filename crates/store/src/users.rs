//! users: accounts, roles, login bookkeeping.

use crate::pool::on_pool;
use crate::{Result, Role, Store, StoreError, db_time};
use chrono::{DateTime, Utc};

const USER_COLUMNS: &str = "id, username, email, password_hash, first_name, last_name, role, \
     is_active, email_verified, last_login, failed_logins, locked_until, created_at, updated_at";

/// PostgreSQL advisory lock key taken by writes that may remove an active admin.
const ADMIN_CHANGES_LOCK: i64 = 0x666f_6f74_6164_6d6e; // "footadmn"

/// A transaction on `pool` holding the admin-changes lock, so writes that may remove an
/// active admin run one at a time (PostgreSQL; SQLite has a single writer anyway).
macro_rules! begin_admin_change {
    ($pool:expr, $backend:expr) => {{
        let mut tx = $pool.begin().await?;
        if $backend == crate::Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(ADMIN_CHANGES_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        tx
    }};
}

const USER_UNIQUE: &[(&str, &str)] = &[("username", "username"), ("email", "email")];

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    /// argon2id PHC string. Never leaves the server.
    pub password_hash: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role: Role,
    pub is_active: bool,
    pub email_verified: bool,
    pub last_login: Option<DateTime<Utc>>,
    pub failed_logins: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role: Role,
    pub email_verified: bool,
}

/// Admin changes to an account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub role: Option<Role>,
    pub is_active: Option<bool>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
}

impl Store {
    pub async fn create_user(&self, user: &NewUser, now: DateTime<Utc>) -> Result<User> {
        let sql = format!(
            "INSERT INTO users (username, email, password_hash, first_name, last_name, role, \
             email_verified, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
             RETURNING {USER_COLUMNS}"
        );
        on_pool!(self, |pool| sqlx::query_as::<_, User>(&sql)
            .bind(&user.username)
            .bind(&user.email)
            .bind(&user.password_hash)
            .bind(&user.first_name)
            .bind(&user.last_name)
            .bind(user.role)
            .bind(user.email_verified)
            .bind(db_time(now))
            .fetch_one(pool)
            .await)
        .map_err(|e| StoreError::from_write(e, USER_UNIQUE))
    }

    pub async fn user_by_id(&self, id: i64) -> Result<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        on_pool!(self, |pool| sqlx::query_as::<_, User>(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?
        .ok_or(StoreError::NotFound("user"))
    }

    /// Looks a user up by username or e-mail, case-insensitively.
    pub async fn user_by_login(&self, login: &str) -> Result<Option<User>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE lower(username) = lower($1) OR lower(email) = lower($1)"
        );
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, User>(&sql)
            .bind(login)
            .fetch_optional(pool)
            .await)?)
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE lower(email) = lower($1)");
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, User>(&sql)
            .bind(email)
            .fetch_optional(pool)
            .await)?)
    }

    pub async fn count_active_admins(&self) -> Result<i64> {
        Ok(on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE role = 'admin' AND is_active"
        )
        .fetch_one(pool)
        .await)?)
    }

    /// Users ordered by id, `limit` from `offset`.
    pub async fn list_users(&self, limit: i64, offset: i64) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY id LIMIT $1 OFFSET $2");
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, User>(&sql)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await)?)
    }

    pub async fn update_user(
        &self,
        id: i64,
        patch: &UserPatch,
        now: DateTime<Utc>,
    ) -> Result<User> {
        let current = self.user_by_id(id).await?;
        let role = patch.role.unwrap_or(current.role);
        let active = patch.is_active.unwrap_or(current.is_active);
        let first = patch.first_name.clone().unwrap_or(current.first_name);
        let last = patch.last_name.clone().unwrap_or(current.last_name);
        // The last active admin stays one: checked in the same statement that writes,
        // under a lock that serialises every such write on PostgreSQL (SQLite has one
        // writer), so two admins demoting each other at once cannot both succeed.
        let sql = format!(
            "UPDATE users SET role = $2, is_active = $3, first_name = $4, last_name = $5, updated_at = $6 \
             WHERE id = $1 AND (($2 = 'admin' AND $3) OR NOT (role = 'admin' AND is_active) \
             OR EXISTS (SELECT 1 FROM users o WHERE o.id <> $1 AND o.role = 'admin' AND o.is_active)) \
             RETURNING {USER_COLUMNS}"
        );
        let backend = self.backend();
        let updated = on_pool!(self, |pool| {
            let mut tx = begin_admin_change!(pool, backend);
            let user = sqlx::query_as::<_, User>(&sql)
                .bind(id)
                .bind(role)
                .bind(active)
                .bind(first)
                .bind(last)
                .bind(db_time(now))
                .fetch_optional(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(user)
        })?;
        updated.ok_or(StoreError::LastAdmin)
    }

    /// Erases user `id` (GDPR): name and e-mail replaced by the pseudonym `erased-ID`,
    /// names removed, the password made unusable, the account deactivated; sessions and
    /// one-time tokens deleted; the addresses and user agents recorded with the user's
    /// requests and audit rows removed, and the values recorded by the audit rows about
    /// the account (which hold its name and address) dropped. The rows themselves stay,
    /// pointing at the pseudonym. One transaction; the last active admin cannot be
    /// erased ([`StoreError::LastAdmin`]).
    pub async fn erase_user(&self, id: i64, now: DateTime<Utc>) -> Result<User> {
        self.user_by_id(id).await?;
        let erase = format!(
            "UPDATE users SET username = $2, email = $3, password_hash = '!erased', first_name = NULL, \
             last_name = NULL, is_active = $4, email_verified = $4, last_login = NULL, failed_logins = 0, \
             locked_until = NULL, updated_at = $5 \
             WHERE id = $1 AND (NOT (role = 'admin' AND is_active) \
             OR EXISTS (SELECT 1 FROM users o WHERE o.id <> $1 AND o.role = 'admin' AND o.is_active)) \
             RETURNING {USER_COLUMNS}"
        );
        let pseudonym = format!("erased-{id}");
        let scrub = [
            "DELETE FROM user_sessions WHERE user_id = $1",
            "DELETE FROM user_tokens WHERE user_id = $1",
            "UPDATE audit_logs SET ip_address = NULL, user_agent = NULL WHERE user_id = $1",
            "UPDATE performance_logs SET ip_address = NULL, user_agent = NULL WHERE user_id = $1",
        ];
        let backend = self.backend();
        let erased = on_pool!(self, |pool| {
            let mut tx = begin_admin_change!(pool, backend);
            let user = sqlx::query_as::<_, User>(&erase)
                .bind(id)
                .bind(&pseudonym)
                .bind(format!("{pseudonym}@erased.invalid"))
                .bind(false)
                .bind(db_time(now))
                .fetch_optional(&mut *tx)
                .await?;
            if user.is_some() {
                for sql in scrub {
                    sqlx::query(sql).bind(id).execute(&mut *tx).await?;
                }
                sqlx::query(
                    "UPDATE audit_logs SET old_values = NULL, new_values = NULL \
                     WHERE resource_type = 'user' AND resource_id = $1",
                )
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(user)
        })?;
        erased.ok_or(StoreError::LastAdmin)
    }

    pub async fn set_password(
        &self,
        id: i64,
        password_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let done = on_pool!(self, |pool| {
            sqlx::query(
            "UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL, updated_at = $3 WHERE id = $1"
        )
        .bind(id)
        .bind(password_hash)
        .bind(db_time(now))
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        if done == 0 {
            Err(StoreError::NotFound("user"))
        } else {
            Ok(())
        }
    }

    pub async fn set_email_verified(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE users SET email_verified = TRUE, updated_at = $2 WHERE id = $1"
        )
        .bind(id)
        .bind(db_time(now))
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Counts a failed login; the `lock_after`-th consecutive failure locks the account
    /// until `now + lock_for` and starts the count again. Returns the count and the lock.
    pub async fn record_login_failure(
        &self,
        id: i64,
        lock_after: i32,
        lock_for: chrono::Duration,
        now: DateTime<Utc>,
    ) -> Result<(i32, Option<DateTime<Utc>>)> {
        let until = db_time(now + lock_for);
        let row: (i32, Option<DateTime<Utc>>) = on_pool!(self, |pool| sqlx::query_as(
            "UPDATE users SET \
             failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END, \
             locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END \
             WHERE id = $1 RETURNING failed_logins, locked_until"
        )
        .bind(id)
        .bind(lock_after)
        .bind(until)
        .fetch_one(pool)
        .await)?;
        Ok(row)
    }

    pub async fn record_login_success(&self, id: i64, now: DateTime<Utc>) -> Result<()> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login = $2 WHERE id = $1"
        )
        .bind(id)
        .bind(db_time(now))
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
