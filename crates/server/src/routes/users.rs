//! /api/v1/users (admin): list, create, change role, deactivate, erase.

use super::auth::UserView;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::services::accounts;
pub use crate::services::accounts::{CreateUserRequest, UpdateUserRequest};
use crate::state::AppState;
use crate::validate::{self, ValidJson};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PageQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Json<Vec<UserView>>> {
    let (limit, offset) = validate::page(q.limit, q.offset, 100, 1000)?;
    let users = state.store.list_users(limit, offset).await?;
    Ok(Json(users.into_iter().map(UserView::from).collect()))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let user = accounts::create_user_as_admin(&state, &caller, body).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ValidJson(body): ValidJson<UpdateUserRequest>,
) -> ApiResult<Json<UserView>> {
    let user = accounts::update_user(&state, &caller, id, &body).await?;
    Ok(Json(user.into()))
}

/// Erases a user (GDPR): personal data removed, the account kept as a pseudonym for the
/// audit log.
pub async fn erase(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    accounts::erase_user(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
