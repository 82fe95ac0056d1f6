//! /api/graphql: read-only GraphQL over cameras, counts, events and alerts. The same
//! bearer authentication as REST (any role may read); depth and complexity are limited
//! so one query cannot ask for the whole database.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use async_graphql::{
    Context, EmptyMutation, EmptySubscription, ErrorExtensions, Object, SimpleObject,
};
use axum::extract::State;
use chrono::{DateTime, Utc};
use footfall_store::{AlertFilter, CameraFilter, EventFilter, ResultQuery};

pub type Schema = async_graphql::Schema<Query, EmptyMutation, EmptySubscription>;

/// Deepest nesting a query may use.
pub const MAX_DEPTH: usize = 6;
/// Highest complexity (roughly: fields resolved) a query may have.
pub const MAX_COMPLEXITY: usize = 1000;

pub fn schema() -> Schema {
    async_graphql::Schema::build(Query, EmptyMutation, EmptySubscription)
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
        .finish()
}

pub async fn handler(
    State(state): State<AppState>,
    caller: Caller,
    request: async_graphql_axum::GraphQLRequest,
) -> Result<async_graphql_axum::GraphQLResponse, ApiError> {
    let request = request.into_inner().data(state.clone()).data(caller);
    Ok(state.graphql.execute(request).await.into())
}

fn gql_err(e: impl Into<ApiError>) -> async_graphql::Error {
    let e: ApiError = e.into();
    let mut err = async_graphql::Error::new(e.body.message);
    err = err.extend_with(|_, ext| {
        ext.set("code", e.body.code);
        if let Some(f) = &e.body.field {
            ext.set("field", f.as_str());
        }
    });
    err
}

#[derive(SimpleObject)]
pub struct UserNode {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub role: String,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CameraNode {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    /// Credentials masked.
    pub stream_url: String,
    pub stream_type: String,
    pub location: Option<String>,
    pub status: String,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(SimpleObject)]
pub struct BucketNode {
    pub start: String,
    pub people_in: i64,
    pub people_out: i64,
    pub peak_count: i64,
    pub avg_count: f64,
    pub samples: i64,
}

#[derive(SimpleObject)]
pub struct EventNode {
    pub id: i64,
    pub camera_id: i64,
    pub event_type: String,
    pub timestamp: DateTime<Utc>,
    pub severity: String,
    pub data: async_graphql::Json<serde_json::Value>,
}

#[derive(SimpleObject)]
pub struct AlertNode {
    pub id: i64,
    pub alert_type: String,
    pub severity: String,
    pub title: String,
    pub camera_id: Option<i64>,
    pub is_resolved: bool,
    pub created_at: DateTime<Utc>,
}

fn camera_node(c: footfall_store::Camera) -> CameraNode {
    CameraNode {
        id: c.id,
        name: c.name,
        description: c.description,
        stream_url: c.stream_url,
        stream_type: c.stream_type,
        location: c.location,
        status: c.status.to_string(),
        enabled: c.enabled,
        created_at: c.created_at,
    }
}

async fn buckets(
    state: &AppState,
    camera_id: Option<i64>,
    from: Option<String>,
    to: Option<String>,
    bucket: Option<String>,
    tz: Option<String>,
    limit: Option<i64>,
) -> async_graphql::Result<Vec<BucketNode>> {
    let q = crate::routes::results::CountsQuery {
        from,
        to,
        bucket,
        tz,
        limit,
        offset: None,
        format: None,
    };
    let parsed =
        crate::routes::results::parse_counts(&q, camera_id, state.clock.now()).map_err(gql_err)?;
    if parsed.query.bucket == footfall_store::Bucket::Raw {
        return Err(gql_err(ApiError::invalid(
            "bucket",
            "GraphQL serves buckets; use REST for raw results",
        )));
    }
    let page = state
        .store
        .bucketed_results(&ResultQuery { ..parsed.query })
        .await
        .map_err(gql_err)?;
    Ok(page
        .items
        .into_iter()
        .map(|b| BucketNode {
            start: b.start.to_rfc3339(),
            people_in: b.people_in,
            people_out: b.people_out,
            peak_count: b.peak_count,
            avg_count: b.avg_count,
            samples: b.samples,
        })
        .collect())
}

#[async_graphql::ComplexObject]
impl CameraNode {
    /// Bucketed counts of this camera (bucket: minute, hour, day, month; tz: IANA).
    #[graphql(complexity = "10 + child_complexity")]
    async fn counts(
        &self,
        ctx: &Context<'_>,
        from: Option<String>,
        to: Option<String>,
        bucket: Option<String>,
        tz: Option<String>,
        limit: Option<i64>,
    ) -> async_graphql::Result<Vec<BucketNode>> {
        buckets(
            ctx.data::<AppState>()?,
            Some(self.id),
            from,
            to,
            bucket,
            tz,
            limit,
        )
        .await
    }
}

pub struct Query;

#[Object]
impl Query {
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<UserNode> {
        let state = ctx.data::<AppState>()?;
        let caller = ctx.data::<Caller>()?;
        let u = state
            .store
            .user_by_id(caller.user_id)
            .await
            .map_err(gql_err)?;
        Ok(UserNode {
            id: u.id,
            username: u.username,
            email: u.email,
            role: u.role.to_string(),
        })
    }

    #[graphql(complexity = "limit.unwrap_or(50).clamp(1, 200) as usize * child_complexity")]
    async fn cameras(
        &self,
        ctx: &Context<'_>,
        limit: Option<i64>,
        offset: Option<i64>,
    ) -> async_graphql::Result<Vec<CameraNode>> {
        let state = ctx.data::<AppState>()?;
        let (limit, offset) = crate::validate::page(limit, offset, 50, 200).map_err(gql_err)?;
        let list = state
            .store
            .list_cameras(&CameraFilter {
                limit,
                offset,
                ..Default::default()
            })
            .await
            .map_err(gql_err)?;
        Ok(list.into_iter().map(camera_node).collect())
    }

    async fn camera(&self, ctx: &Context<'_>, id: i64) -> async_graphql::Result<CameraNode> {
        let state = ctx.data::<AppState>()?;
        Ok(camera_node(state.store.camera(id).await.map_err(gql_err)?))
    }

    /// Bucketed counts of one camera, or of all cameras when `cameraId` is omitted.
    // Each parameter is a GraphQL argument; a struct would change the schema's shape.
    #[allow(clippy::too_many_arguments)]
    async fn counts(
        &self,
        ctx: &Context<'_>,
        camera_id: Option<i64>,
        from: Option<String>,
        to: Option<String>,
        bucket: Option<String>,
        tz: Option<String>,
        limit: Option<i64>,
    ) -> async_graphql::Result<Vec<BucketNode>> {
        buckets(
            ctx.data::<AppState>()?,
            camera_id,
            from,
            to,
            bucket,
            tz,
            limit,
        )
        .await
    }

    async fn events(
        &self,
        ctx: &Context<'_>,
        camera_id: Option<i64>,
        event_type: Option<String>,
        limit: Option<i64>,
    ) -> async_graphql::Result<Vec<EventNode>> {
        let state = ctx.data::<AppState>()?;
        let (limit, offset) = crate::validate::page(limit, None, 50, 500).map_err(gql_err)?;
        let list = state
            .store
            .list_events(&EventFilter {
                camera_id,
                event_type,
                limit,
                offset,
                ..Default::default()
            })
            .await
            .map_err(gql_err)?;
        Ok(list
            .into_iter()
            .map(|e| EventNode {
                id: e.id,
                camera_id: e.camera_id,
                event_type: e.event_type,
                timestamp: e.timestamp,
                severity: e.severity.to_string(),
                data: async_graphql::Json(e.event_data),
            })
            .collect())
    }

    async fn alerts(
        &self,
        ctx: &Context<'_>,
        resolved: Option<bool>,
        limit: Option<i64>,
    ) -> async_graphql::Result<Vec<AlertNode>> {
        let state = ctx.data::<AppState>()?;
        let (limit, offset) = crate::validate::page(limit, None, 50, 500).map_err(gql_err)?;
        let list = state
            .store
            .list_alerts(&AlertFilter {
                is_resolved: resolved,
                limit,
                offset,
                ..Default::default()
            })
            .await
            .map_err(gql_err)?;
        Ok(list
            .into_iter()
            .map(|a| AlertNode {
                id: a.id,
                alert_type: a.alert_type,
                severity: a.severity.to_string(),
                title: a.title,
                camera_id: a.camera_id,
                is_resolved: a.is_resolved,
                created_at: a.created_at,
            })
            .collect())
    }
}
