//! The dashboard's addresses: pages, their assets, their JSON, the served report and trial
//! files.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;

use super::api::{self, Answer, ApiError};
use super::{Shared, assets, files, guard};

/// Every route, behind the guard.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(assets::page))
        .route("/sweeps/{name}", get(assets::page))
        .route("/sweeps/{name}/trials/{number}", get(assets::page))
        .route("/compare", get(assets::page))
        .route("/assets/{file}", get(assets::asset))
        .route("/api/sweeps", get(sweeps))
        .route("/api/sweeps/{name}", get(sweep))
        .route("/api/sweeps/{name}/curves", get(curves))
        .route("/api/sweeps/{name}/live", get(live))
        .route("/api/sweeps/{name}/importance", get(importance))
        .route("/api/sweeps/{name}/trials/{number}", get(trial))
        .route("/api/compare", get(compare))
        .route("/sweeps/{name}/report", get(report))
        .route("/files/{name}/{number}/{file}", get(file))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            guard::check,
        ))
        .with_state(shared)
}

type Params = Query<HashMap<String, String>>;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match self {
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(serde_json::json!({"error": self.to_string()}))).into_response()
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        ([(header::CONTENT_TYPE, "application/json")], self.0).into_response()
    }
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such page".to_string())
}

async fn sweeps(State(shared): State<Arc<Shared>>) -> Result<Answer, ApiError> {
    shared.read(|store, _| api::sweeps(store)).await
}

async fn sweep(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> Result<Answer, ApiError> {
    shared.read(move |store, _| api::sweep(store, &name)).await
}

async fn curves(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    Query(query): Params,
) -> Result<Answer, ApiError> {
    let numbers = api::trial_numbers(query.get("trials").map_or("", String::as_str))?;
    shared
        .read(move |store, _| api::curves(store, &name, &numbers))
        .await
}

async fn importance(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> Result<Answer, ApiError> {
    shared
        .read(move |store, _| api::importance(store, &name))
        .await
}

async fn live(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    Query(query): Params,
) -> Result<Answer, ApiError> {
    let since = query
        .get("since")
        .cloned()
        .ok_or_else(|| ApiError::BadRequest("`since` is missing".to_string()))?;
    shared
        .read(move |store, _| api::live(store, &name, &since))
        .await
}

async fn trial(
    State(shared): State<Arc<Shared>>,
    Path((name, number)): Path<(String, usize)>,
) -> Result<Answer, ApiError> {
    shared
        .read(move |store, runs| api::trial(store, runs, &name, number))
        .await
}

async fn compare(
    State(shared): State<Arc<Shared>>,
    Query(query): Params,
) -> Result<Answer, ApiError> {
    let runs = query.get("runs").cloned().unwrap_or_default();
    shared
        .read(move |store, _| api::compare(store, &runs))
        .await
}

/// The sweep's report, as `sweep report` writes it, rendered now from the same store.
async fn report(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let page = shared
        .read(move |store, _| {
            let input = crate::report::html::ReportInput::load(store, &name)?;
            Ok(crate::report::html::render(&input)?)
        })
        .await?;
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(guard::REPORT_POLICY),
    );
    Ok(response)
}

/// A file of a trial's folder: text shown as text, anything else downloaded; streamed.
async fn file(
    State(shared): State<Arc<Shared>>,
    Path((name, number, file)): Path<(String, usize, String)>,
) -> Result<Response, ApiError> {
    let path = files::trial_file(&shared.runs, &name, number, &file)?;
    let opened = tokio::fs::File::open(&path)
        .await
        .map_err(|_| ApiError::NotFound(format!("cannot open `{file}`")))?;
    let (media_type, download) = files::media_type(&file);
    let mut response = Body::from_stream(tokio_util::io::ReaderStream::new(opened)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    if download {
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
    }
    Ok(response)
}
