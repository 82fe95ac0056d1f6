//! cameras: configuration of each stream. The stream URL is stored with its password
//! masked; the credentials live encrypted in `security_config` (the server owns the key).

use crate::pool::on_pool;
use crate::{Backend, CameraStatus, Result, Store, StoreError, db_time};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

#[derive(Debug, Clone)]
pub struct Camera {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    /// Masked: `rtsp://user:***@host/path`.
    pub stream_url: String,
    pub stream_type: String,
    pub location: Option<String>,
    /// (longitude, latitude) or any planar (x, y) the operator uses.
    pub coordinates: Option<(f64, f64)>,
    pub status: CameraStatus,
    pub worker_id: Option<String>,
    pub settings: Value,
    pub metadata: Value,
    pub security_config: Value,
    pub enabled: bool,
    /// When the camera was archived (DELETE without purge): it is not run and not
    /// listed, its history is kept and its name is free again.
    pub archived_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct CameraRow {
    id: i64,
    name: String,
    description: Option<String>,
    stream_url: String,
    stream_type: String,
    location: Option<String>,
    coordinates: Option<String>,
    status: CameraStatus,
    worker_id: Option<String>,
    settings: Json<Value>,
    metadata: Json<Value>,
    security_config: Json<Value>,
    enabled: bool,
    archived_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<CameraRow> for Camera {
    fn from(r: CameraRow) -> Camera {
        Camera {
            id: r.id,
            name: r.name,
            description: r.description,
            stream_url: r.stream_url,
            stream_type: r.stream_type,
            location: r.location,
            coordinates: r.coordinates.as_deref().and_then(parse_point),
            status: r.status,
            worker_id: r.worker_id,
            settings: r.settings.0,
            metadata: r.metadata.0,
            security_config: r.security_config.0,
            enabled: r.enabled,
            archived_at: r.archived_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Parses PostgreSQL's POINT text form `(x,y)`, which SQLite stores verbatim.
fn parse_point(text: &str) -> Option<(f64, f64)> {
    let inner = text.trim().strip_prefix('(')?.strip_suffix(')')?;
    let (x, y) = inner.split_once(',')?;
    Some((x.trim().parse().ok()?, y.trim().parse().ok()?))
}

fn format_point(p: Option<(f64, f64)>) -> Option<String> {
    p.map(|(x, y)| format!("({x},{y})"))
}

/// Everything a create or full update writes.
#[derive(Debug, Clone)]
pub struct CameraWrite {
    pub name: String,
    pub description: Option<String>,
    pub stream_url: String,
    pub stream_type: String,
    pub location: Option<String>,
    pub coordinates: Option<(f64, f64)>,
    pub settings: Value,
    pub metadata: Value,
    pub security_config: Value,
    pub enabled: bool,
}

#[derive(Debug, Clone, Default)]
pub struct CameraFilter {
    pub enabled: Option<bool>,
    /// List archived cameras instead of the current ones.
    pub archived: bool,
    pub status: Option<CameraStatus>,
    pub limit: i64,
    pub offset: i64,
}

const CAMERA_UNIQUE: &[(&str, &str)] = &[("cameras_name", "name"), ("cameras.name", "name")];

impl Store {
    fn camera_columns(&self) -> &'static str {
        match self.backend() {
            Backend::Sqlite => {
                "id, name, description, stream_url, stream_type, location, coordinates, status, worker_id, \
                 settings, metadata, security_config, enabled, archived_at, created_at, updated_at"
            }
            Backend::Postgres => {
                "id, name, description, stream_url, stream_type, location, coordinates::text AS coordinates, \
                 status, worker_id, settings, metadata, security_config, enabled, archived_at, created_at, updated_at"
            }
        }
    }

    fn point_param(&self, n: usize) -> String {
        match self.backend() {
            Backend::Sqlite => format!("${n}"),
            Backend::Postgres => format!("${n}::point"),
        }
    }

    pub async fn create_camera(&self, c: &CameraWrite, now: DateTime<Utc>) -> Result<Camera> {
        let sql = format!(
            "INSERT INTO cameras (name, description, stream_url, stream_type, location, coordinates, settings, \
             metadata, security_config, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, {}, $7, $8, $9, $10, $11, $11) RETURNING {}",
            self.point_param(6),
            self.camera_columns()
        );
        let row = on_pool!(self, |pool| sqlx::query_as::<_, CameraRow>(&sql)
            .bind(&c.name)
            .bind(&c.description)
            .bind(&c.stream_url)
            .bind(&c.stream_type)
            .bind(&c.location)
            .bind(format_point(c.coordinates))
            .bind(Json(&c.settings))
            .bind(Json(&c.metadata))
            .bind(Json(&c.security_config))
            .bind(c.enabled)
            .bind(db_time(now))
            .fetch_one(pool)
            .await)
        .map_err(|e| StoreError::from_write(e, CAMERA_UNIQUE))?;
        Ok(row.into())
    }

    pub async fn update_camera(
        &self,
        id: i64,
        c: &CameraWrite,
        now: DateTime<Utc>,
    ) -> Result<Camera> {
        let sql = format!(
            "UPDATE cameras SET name = $2, description = $3, stream_url = $4, stream_type = $5, location = $6, \
             coordinates = {}, settings = $8, metadata = $9, security_config = $10, enabled = $11, updated_at = $12 \
             WHERE id = $1 AND archived_at IS NULL RETURNING {}",
            self.point_param(7),
            self.camera_columns()
        );
        let row = on_pool!(self, |pool| sqlx::query_as::<_, CameraRow>(&sql)
            .bind(id)
            .bind(&c.name)
            .bind(&c.description)
            .bind(&c.stream_url)
            .bind(&c.stream_type)
            .bind(&c.location)
            .bind(format_point(c.coordinates))
            .bind(Json(&c.settings))
            .bind(Json(&c.metadata))
            .bind(Json(&c.security_config))
            .bind(c.enabled)
            .bind(db_time(now))
            .fetch_optional(pool)
            .await)
        .map_err(|e| StoreError::from_write(e, CAMERA_UNIQUE))?;
        row.map(Camera::from).ok_or(StoreError::NotFound("camera"))
    }

    pub async fn camera(&self, id: i64) -> Result<Camera> {
        let sql = format!(
            "SELECT {} FROM cameras WHERE id = $1",
            self.camera_columns()
        );
        let row = on_pool!(self, |pool| sqlx::query_as::<_, CameraRow>(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        row.map(Camera::from).ok_or(StoreError::NotFound("camera"))
    }

    pub async fn list_cameras(&self, f: &CameraFilter) -> Result<Vec<Camera>> {
        let sql = format!(
            "SELECT {} FROM cameras WHERE ($1 IS NULL OR enabled = $1) AND ($2 IS NULL OR status = $2) \
             AND (archived_at IS NOT NULL) = $5 ORDER BY id LIMIT $3 OFFSET $4",
            self.camera_columns()
        );
        let rows = on_pool!(self, |pool| sqlx::query_as::<_, CameraRow>(&sql)
            .bind(f.enabled)
            .bind(f.status)
            .bind(f.limit)
            .bind(f.offset)
            .bind(f.archived)
            .fetch_all(pool)
            .await)?;
        Ok(rows.into_iter().map(Camera::from).collect())
    }

    pub async fn count_cameras(&self) -> Result<i64> {
        Ok(on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM cameras WHERE archived_at IS NULL"
        )
        .fetch_one(pool)
        .await)?)
    }

    pub async fn set_camera_status(
        &self,
        id: i64,
        status: CameraStatus,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let n = on_pool!(self, |pool| sqlx::query(
            "UPDATE cameras SET status = $2, updated_at = $3 WHERE id = $1"
        )
        .bind(id)
        .bind(status)
        .bind(db_time(now))
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        if n == 0 {
            Err(StoreError::NotFound("camera"))
        } else {
            Ok(())
        }
    }

    /// Replaces the sealed secrets of camera `id`, archived or not (a key rotation).
    pub async fn set_camera_security_config(
        &self,
        id: i64,
        security_config: &serde_json::Value,
    ) -> Result<()> {
        let rows = on_pool!(self, |pool| sqlx::query(
            "UPDATE cameras SET security_config = $2 WHERE id = $1"
        )
        .bind(id)
        .bind(Json(security_config))
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
        if rows == 0 {
            return Err(StoreError::NotFound("camera"));
        }
        Ok(())
    }

    /// Records which worker runs the camera (`None`: none).
    pub async fn set_camera_worker(&self, id: i64, worker_id: Option<&str>) -> Result<()> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE cameras SET worker_id = $2 WHERE id = $1"
        )
        .bind(id)
        .bind(worker_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .map_err(|e| StoreError::from_write(e, &[]))?;
        Ok(())
    }

    /// Deletes a camera and (by cascade) its results and events.
    /// Archives a camera: disabled (the supervisor stops it), hidden from lists, its
    /// history kept. `NotFound` when there is no such camera or it is archived already.
    pub async fn archive_camera(&self, id: i64, now: DateTime<Utc>) -> Result<Camera> {
        let sql = format!(
            "UPDATE cameras SET archived_at = $2, enabled = FALSE, status = 'offline', worker_id = NULL, \
             updated_at = $2 WHERE id = $1 AND archived_at IS NULL RETURNING {}",
            self.camera_columns()
        );
        let row = on_pool!(self, |pool| sqlx::query_as::<_, CameraRow>(&sql)
            .bind(id)
            .bind(db_time(now))
            .fetch_optional(pool)
            .await)?;
        row.map(Camera::from).ok_or(StoreError::NotFound("camera"))
    }

    /// Removes a camera and, by cascade, its whole history (results, events, alerts,
    /// analytics). Callers stop its pipeline and drain its rows first.
    pub async fn delete_camera(&self, id: i64) -> Result<()> {
        let n = on_pool!(self, |pool| sqlx::query(
            "DELETE FROM cameras WHERE id = $1"
        )
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        if n == 0 {
            Err(StoreError::NotFound("camera"))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_round_trip_through_postgres_text() {
        assert_eq!(parse_point("(13.4,52.5)"), Some((13.4, 52.5)));
        assert_eq!(
            parse_point(&format_point(Some((-1.5, 2.0))).unwrap()),
            Some((-1.5, 2.0))
        );
        assert_eq!(parse_point("13,52"), None);
    }
}
