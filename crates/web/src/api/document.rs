//! The OpenAPI document: `static/openapi.json`, with what only the running installation knows
//! filled in (the codes of the categories offered now). Served as JSON at
//! `/api/openapi.json`, and read by the page at `/api/docs`.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde_json::Value;

use crate::AppState;
use crate::error::AppError;

/// The document as kept in the repository.
const OPENAPI: &str = include_str!("../../../../static/openapi.json");

/// The document, with the codes of the categories offered now as the only values a
/// category takes (a new complaint's, and a change of category's).
pub(crate) async fn document(state: &AppState) -> Result<Value, AppError> {
    let mut document: Value = serde_json::from_str(OPENAPI)
        .map_err(|e| AppError::Internal(format!("static/openapi.json: {e}").into()))?;
    let map = state.store.categories.map().await?;
    let codes: Vec<&str> = map.offered().map(|c| c.code.as_str()).collect();
    let words: Vec<String> = map
        .offered()
        .map(|c| {
            format!(
                "`{}` ({})",
                c.code,
                c.names.first().map_or("", String::as_str)
            )
        })
        .collect();
    if let Some(category) = document.pointer_mut("/components/schemas/CategoryCode") {
        *category = serde_json::json!({
            "type": "string",
            "enum": codes,
            "description": format!(
                "The code of one of the categories admins keep on /categories: {}. Another \
                 value is refused (422) with the list of codes.",
                words.join(", ")
            ),
        });
    }
    Ok(document)
}

/// GET /api/openapi.json
pub(crate) async fn openapi(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let document = document(&state).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .json(document))
}
