//! audit_logs: who did what, from where, with old and new values (secrets already
//! masked by the caller).

use crate::pool::on_pool;
use crate::{Result, Store, db_time};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;

#[derive(Debug, Clone, Default)]
pub struct NewAudit {
    pub user_id: Option<i64>,
    /// e.g. `login.success`, `login.failure`, `camera.update`, `permission.denied`.
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub old_values: Option<Value>,
    pub new_values: Option<Value>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

impl NewAudit {
    /// The values before the change (secrets already masked).
    pub fn with_old(mut self, values: Value) -> NewAudit {
        self.old_values = Some(values);
        self
    }

    /// The values after the change (secrets already masked).
    pub fn with_new(mut self, values: Value) -> NewAudit {
        self.new_values = Some(values);
        self
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub timestamp: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub old_values: Option<Json<Value>>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub new_values: Option<Json<Value>>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub user_id: Option<i64>,
    pub action: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

impl Store {
    pub async fn insert_audit(&self, entries: &[NewAudit], now: DateTime<Utc>) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        on_pool!(self, |pool| {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO audit_logs (\"timestamp\", user_id, action, resource_type, resource_id, old_values, \
                 new_values, ip_address, user_agent) ",
            );
            q.push_values(entries, |mut b, e| {
                b.push_bind(db_time(now))
                    .push_bind(e.user_id)
                    .push_bind(e.action.clone())
                    .push_bind(e.resource_type.clone())
                    .push_bind(e.resource_id.clone())
                    .push_bind(e.old_values.clone().map(Json))
                    .push_bind(e.new_values.clone().map(Json))
                    .push_bind(e.ip_address.clone())
                    .push_bind(e.user_agent.clone());
            });
            q.build().execute(pool).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Newest first.
    pub async fn list_audit(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, AuditEntry>(
            "SELECT id, \"timestamp\", user_id, action, resource_type, resource_id, old_values, new_values, \
             ip_address, user_agent FROM audit_logs WHERE ($1 IS NULL OR user_id = $1) \
             AND ($2 IS NULL OR action = $2) ORDER BY id DESC LIMIT $3 OFFSET $4"
        )
        .bind(f.user_id)
        .bind(&f.action)
        .bind(f.limit)
        .bind(f.offset)
        .fetch_all(pool)
        .await
        })?)
    }
}
