//! ai_models: the detector models an operator registered; at most one is active.

use crate::pool::on_pool;
use crate::{Result, Store, StoreError, db_time};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AiModel {
    pub id: i64,
    pub name: String,
    pub version: String,
    pub model_path: String,
    pub model_type: String,
    pub accuracy_score: Option<f64>,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewAiModel {
    pub name: String,
    pub version: String,
    pub model_path: String,
    pub model_type: String,
    pub accuracy_score: Option<f64>,
}

const MODEL_COLUMNS: &str =
    "id, name, version, model_path, model_type, accuracy_score, is_active, created_at";

impl Store {
    pub async fn create_ai_model(&self, m: &NewAiModel, now: DateTime<Utc>) -> Result<AiModel> {
        let sql = format!(
            "INSERT INTO ai_models (name, version, model_path, model_type, accuracy_score, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {MODEL_COLUMNS}"
        );
        on_pool!(self, |pool| sqlx::query_as::<_, AiModel>(&sql)
            .bind(&m.name)
            .bind(&m.version)
            .bind(&m.model_path)
            .bind(&m.model_type)
            .bind(m.accuracy_score)
            .bind(db_time(now))
            .fetch_one(pool)
            .await)
        .map_err(|e| StoreError::from_write(e, &[("name", "version")]))
    }

    pub async fn list_ai_models(&self) -> Result<Vec<AiModel>> {
        let sql = format!("SELECT {MODEL_COLUMNS} FROM ai_models ORDER BY id");
        Ok(on_pool!(self, |pool| sqlx::query_as::<_, AiModel>(&sql)
            .fetch_all(pool)
            .await)?)
    }

    pub async fn ai_model(&self, id: i64) -> Result<AiModel> {
        let sql = format!("SELECT {MODEL_COLUMNS} FROM ai_models WHERE id = $1");
        on_pool!(self, |pool| sqlx::query_as::<_, AiModel>(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?
        .ok_or(StoreError::NotFound("model"))
    }

    /// Makes `id` the only active model (one transaction).
    pub async fn activate_ai_model(&self, id: i64) -> Result<AiModel> {
        let sql = format!(
            "UPDATE ai_models SET is_active = TRUE WHERE id = $1 RETURNING {MODEL_COLUMNS}"
        );
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE ai_models SET is_active = FALSE WHERE is_active AND id <> $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let model = sqlx::query_as::<_, AiModel>(&sql)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            match model {
                Some(m) => {
                    tx.commit().await?;
                    Ok(m)
                }
                None => Err(StoreError::NotFound("model")),
            }
        })
    }
}
