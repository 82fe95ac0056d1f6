//! api_keys: device / third-party keys for the ingest API, stored as SHA-256 only and
//! scoped to a list of cameras.

use crate::pool::on_pool;
use crate::{Result, Store, StoreError, db_time};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    /// First characters of the key, shown so an operator can tell keys apart.
    pub key_prefix: String,
    #[serde(skip)]
    pub key_hash: String,
    #[sqlx(json)]
    pub camera_ids: Vec<i64>,
    pub created_by: Option<i64>,
    pub is_active: bool,
    pub last_used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub name: String,
    pub key_prefix: String,
    pub key_hash: String,
    pub camera_ids: Vec<i64>,
    pub created_by: Option<i64>,
}

const KEY_COLUMNS: &str =
    "id, name, key_prefix, key_hash, camera_ids, created_by, is_active, last_used_at, created_at";

impl Store {
    pub async fn create_api_key(&self, k: &NewApiKey, now: DateTime<Utc>) -> Result<ApiKey> {
        let sql = format!(
            "INSERT INTO api_keys (name, key_prefix, key_hash, camera_ids, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {KEY_COLUMNS}"
        );
        on_pool!(self, |pool| sqlx::query_as::<_, ApiKey>(&sql)
            .bind(&k.name)
            .bind(&k.key_prefix)
            .bind(&k.key_hash)
            .bind(Json(&k.camera_ids))
            .bind(k.created_by)
            .bind(db_time(now))
            .fetch_one(pool)
            .await)
        .map_err(|e| StoreError::from_write(e, &[("key_hash", "key")]))
    }

    /// The active key with this hash, marking it used.
    pub async fn use_api_key(&self, key_hash: &str, now: DateTime<Utc>) -> Result<Option<ApiKey>> {
        let sql = format!(
            "UPDATE api_keys SET last_used_at = $2 WHERE key_hash = $1 AND is_active RETURNING {KEY_COLUMNS}"
        );
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, ApiKey>(&sql)
            .bind(key_hash)
            .bind(db_time(now))
            .fetch_optional(pool)
            .await)?)
    }

    pub async fn list_api_keys(&self) -> Result<Vec<ApiKey>> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY id");
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, ApiKey>(&sql)
            .fetch_all(pool)
            .await)?)
    }

    pub async fn revoke_api_key(&self, id: i64) -> Result<()> {
        let n = on_pool!(self, |pool| sqlx::query(
            "UPDATE api_keys SET is_active = FALSE WHERE id = $1"
        )
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        if n == 0 {
            Err(StoreError::NotFound("api key"))
        } else {
            Ok(())
        }
    }
}
