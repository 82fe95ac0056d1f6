//! /api/graphql: read-only GraphQL over cameras, counts, events and alerts. The same
//! bearer authentication as REST (any role may read). One query cannot ask for the whole
//! database: the body is limited like every other, the query text to [`MAX_QUERY_BYTES`],
//! aliases to [`MAX_ALIASES`] (each alias is another database query), depth to
//! [`MAX_DEPTH`], and complexity to [`MAX_COMPLEXITY`], where a list costs its `limit`
//! times what each row costs.

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
/// Highest complexity a query may have: fields resolved, each list's fields counted once
/// per row it may return (its `limit`, or the default limit). 10,000 allows a full page
/// of 1,000 count buckets with every field, or 50 cameras with a day of hourly counts.
pub const MAX_COMPLEXITY: usize = 10_000;
/// Most aliased fields in a query (fragments expanded).
pub const MAX_ALIASES: usize = 30;
/// Longest query text, bytes.
pub const MAX_QUERY_BYTES: usize = 16 << 10;

/// The schema, built once.
pub fn schema() -> &'static Schema {
    static SCHEMA: std::sync::OnceLock<Schema> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| {
        async_graphql::Schema::build(Query, EmptyMutation, EmptySubscription)
            .limit_depth(MAX_DEPTH)
            .limit_complexity(MAX_COMPLEXITY)
            .finish()
    })
}

/// POST /api/graphql with `{"query", "variables"?, "operationName"?}`. The body is read
/// as bytes, so `server.max_body_bytes` applies (413), then checked before execution.
pub async fn handler(
    State(state): State<AppState>,
    caller: Caller,
    body: axum::body::Bytes,
) -> Result<axum::Json<async_graphql::Response>, ApiError> {
    let request: async_graphql::Request = serde_json::from_slice(&body).map_err(|e| {
        ApiError::invalid(
            "body",
            format!("must be a GraphQL request {{\"query\": ...}} ({e})"),
        )
    })?;
    check_size(&request.query)?;
    let request = request.data(state.clone()).data(caller);
    Ok(axum::Json(schema().execute(request).await))
}

/// 422 for a query text that is too long or has too many aliases. A query that does not
/// parse is left to the executor, which reports where.
fn check_size(query: &str) -> Result<(), ApiError> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(ApiError::invalid(
            "query",
            format!("must be at most {MAX_QUERY_BYTES} bytes"),
        ));
    }
    let Ok(document) = async_graphql::parser::parse_query(query) else {
        return Ok(());
    };
    let mut aliases = 0;
    for (_, operation) in document.operations.iter() {
        count_aliases(
            &operation.node.selection_set.node,
            &document,
            MAX_DEPTH + 2,
            &mut aliases,
        );
    }
    if aliases > MAX_ALIASES {
        return Err(ApiError::invalid(
            "query",
            format!("uses {aliases} aliases; at most {MAX_ALIASES} are allowed"),
        ));
    }
    Ok(())
}

/// Adds the aliased fields under `set` to `count`, expanding fragments; stops `depth`
/// levels down (fragment cycles are invalid, but must not loop here) or once over the cap.
fn count_aliases(
    set: &async_graphql::parser::types::SelectionSet,
    document: &async_graphql::parser::types::ExecutableDocument,
    depth: usize,
    count: &mut usize,
) {
    use async_graphql::parser::types::Selection;
    if depth == 0 || *count > MAX_ALIASES {
        return;
    }
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                *count += usize::from(field.node.alias.is_some());
                count_aliases(&field.node.selection_set.node, document, depth - 1, count);
            }
            Selection::InlineFragment(inline) => {
                count_aliases(&inline.node.selection_set.node, document, depth - 1, count);
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = document.fragments.get(&spread.node.fragment_name.node) {
                    count_aliases(
                        &fragment.node.selection_set.node,
                        document,
                        depth - 1,
                        count,
                    );
                }
            }
        }
    }
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
    let q = crate::services::counts::CountsQuery {
        from,
        to,
        bucket,
        tz,
        limit,
        offset: None,
        format: None,
    };
    let parsed =
        crate::services::counts::parse_counts(&q, camera_id, state.clock.now()).map_err(gql_err)?;
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
    #[graphql(complexity = "10 + count_rows(&from, &to, &bucket, limit) * child_complexity")]
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

/// (default, most) rows of each list field.
const CAMERAS_LIMIT: (i64, i64) = (50, 200);
const LIST_LIMIT: (i64, i64) = (50, 500);
/// As REST's `/counts` (JSON).
const COUNTS_LIMIT: (i64, i64) = (1000, 10_000);

/// Rows a list field may return: its `limit` (default and cap as the resolver applies).
fn rows(limit: Option<i64>, (default, most): (i64, i64)) -> usize {
    limit.unwrap_or(default).clamp(1, most) as usize
}

/// Buckets a counts field may return: those its range holds (default range: the last
/// 24 h; months counted as 28 days), at most its `limit`.
fn count_rows(
    from: &Option<String>,
    to: &Option<String>,
    bucket: &Option<String>,
    limit: Option<i64>,
) -> usize {
    let most = rows(limit, COUNTS_LIMIT);
    let time = |t: &Option<String>| {
        t.as_deref()
            .map(|t| DateTime::parse_from_rfc3339(t).map(|t| t.timestamp()))
    };
    let span_s = match (time(from), time(to)) {
        (Some(Ok(from)), Some(Ok(to))) => to.saturating_sub(from),
        (None, None) => 86_400,
        // One end open ("until now" / "from now back") or unparsable: assume the
        // widest (the resolver refuses bad times anyway).
        _ => return most,
    };
    let bucket_s: i64 = match bucket.as_deref().unwrap_or("hour") {
        "minute" => 60,
        "hour" => 3_600,
        "day" => 86_400,
        "month" => 28 * 86_400,
        _ => return most,
    };
    let buckets = usize::try_from(span_s.max(0) / bucket_s + 2).unwrap_or(usize::MAX);
    buckets.min(most)
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

    #[graphql(complexity = "rows(limit, CAMERAS_LIMIT) * child_complexity")]
    async fn cameras(
        &self,
        ctx: &Context<'_>,
        limit: Option<i64>,
        offset: Option<i64>,
    ) -> async_graphql::Result<Vec<CameraNode>> {
        let state = ctx.data::<AppState>()?;
        let (limit, offset) =
            crate::validate::page(limit, offset, CAMERAS_LIMIT.0, CAMERAS_LIMIT.1)
                .map_err(gql_err)?;
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
    #[graphql(complexity = "10 + count_rows(&from, &to, &bucket, limit) * child_complexity")]
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

    #[graphql(complexity = "rows(limit, LIST_LIMIT) * child_complexity")]
    async fn events(
        &self,
        ctx: &Context<'_>,
        camera_id: Option<i64>,
        event_type: Option<String>,
        limit: Option<i64>,
    ) -> async_graphql::Result<Vec<EventNode>> {
        let state = ctx.data::<AppState>()?;
        let (limit, offset) =
            crate::validate::page(limit, None, LIST_LIMIT.0, LIST_LIMIT.1).map_err(gql_err)?;
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

    #[graphql(complexity = "rows(limit, LIST_LIMIT) * child_complexity")]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        resolved: Option<bool>,
        limit: Option<i64>,
    ) -> async_graphql::Result<Vec<AlertNode>> {
        let state = ctx.data::<AppState>()?;
        let (limit, offset) =
            crate::validate::page(limit, None, LIST_LIMIT.0, LIST_LIMIT.1).map_err(gql_err)?;
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
