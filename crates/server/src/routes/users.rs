//! /api/v1/users (admin): list, create, change role, deactivate.

use super::auth::UserView;
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::services::accounts::{RegisterRequest, new_user};
use crate::state::AppState;
use crate::validate::{self, ValidJson};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use footfall_store::{Role, UserPatch};
use serde::Deserialize;
use serde_json::json;

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

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let request = RegisterRequest {
        username: body.username,
        email: body.email,
        password: body.password,
        first_name: body.first_name,
        last_name: body.last_name,
    };
    let mut new = new_user(&state, &request, body.role).await?;
    // The admin vouches for the address (and e-mails the person themselves).
    new.email_verified = true;
    let user = state.store.create_user(&new, state.clock.now()).await?;
    state.audit(caller.meta.audit(
        Some(caller.user_id),
        "user.create",
        "user",
        Some(user.id.to_string()),
    ).with_new(
        json!({"username": user.username, "email": user.email, "role": user.role, "password": "***"}),
    )).await?;
    Ok((StatusCode::CREATED, Json(user.into())))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    #[schema(value_type = Option<String>, example = "viewer")]
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    ValidJson(body): ValidJson<UpdateUserRequest>,
) -> ApiResult<Json<UserView>> {
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
                .meta
                .audit(
                    Some(caller.user_id),
                    "user.update",
                    "user",
                    Some(id.to_string()),
                )
                .with_old(json!({"role": before.role, "is_active": before.is_active}))
                .with_new(json!({"role": after.role, "is_active": after.is_active})),
        )
        .await?;
    Ok(Json(after.into()))
}
