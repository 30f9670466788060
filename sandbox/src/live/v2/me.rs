//! `GET /me` (`IDENTITY`): who the credential acts for.

use axum::Json;
use axum::extract::Extension;
use serde_json::{Value, json};

use crate::error::Error;
use crate::live::v2::auth::Principal;
use crate::live::v2::views::organization;

pub async fn me(Extension(p): Extension<Principal>) -> Result<Json<Value>, Error> {
    p.require(&["IDENTITY"])?;
    Ok(Json(json!({
        "user_id": p.user.id,
        "email": p.user.email,
        "name": p.user.name,
        "timezone": p.user.timezone,
        "organization": organization(&p.user),
        "team": null,
        "scopes": p.scopes,
        "credential_type": p.credential_type,
    })))
}
