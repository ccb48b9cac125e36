//! The routes: the registry's JSON API under `/api`, MLflow's `/invocations`, `/health`,
//! `/version`, `/metrics`, and the static files for everything else. Each handler converts
//! the request, calls the core on a registry thread ([`super::pool`]), and converts the
//! answer; logged predictions are committed by the group-commit writer
//! ([`mlops_lite::group_commit`]) before the answer is sent.
//!
//! Errors are JSON, `{"error": {"kind", "message"}}`, with the core's message and kind
//! (`input` 400, `invalid_argument` 400, `not_found` 404, `busy` 503, others 500), and the
//! server's own: `unsupported_media_type` 415, `payload_too_large` 413,
//! `method_not_allowed` 405, `unauthorized` 401, `timeout` 408.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;

use mlops_lite::group_commit::GroupCommit;
use mlops_lite::predict::OutputFormat;
use mlops_lite::records::Records;
use mlops_lite::{Error, ErrorKind, LogQuery};

use super::metrics::{Metrics, RequestLabels, RouteLabel};
use super::pool::Pool;

/// How long a request body may take to arrive.
pub const BODY_DEADLINE: Duration = Duration::from_secs(30);
/// The most rows one page of `/api/datasets/{ref}/rows` or `/api/log` returns.
pub const MAX_PAGE: usize = 10_000;

/// What every handler shares.
pub struct App {
    pub pool: Pool,
    pub writer: Arc<GroupCommit>,
    pub metrics: Metrics,
    /// SHA-256 of the bearer token, when one is required.
    pub token: Option<[u8; 32]>,
    /// The model `/invocations` predicts with.
    pub default_model: Option<String>,
    pub max_body: usize,
    pub slots: Arc<Semaphore>,
    pub root: std::path::PathBuf,
}

/// An error answer.
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.into(),
        }
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let kind = e.kind();
        let status = match kind {
            ErrorKind::Input | ErrorKind::InvalidArgument => StatusCode::BAD_REQUEST,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Busy => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, kind.name(), e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"kind": self.kind, "message": self.message}});
        let mut r = (self.status, json_bytes(body.to_string().into_bytes())).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        r
    }
}

type Answer = Result<Response, ApiError>;

fn json_bytes(bytes: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(bytes));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn json<T: serde::Serialize>(value: &T) -> Answer {
    serde_json::to_vec(value)
        .map(json_bytes)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))
}

/// The router over `app`.
pub fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .route("/api/datasets", get(datasets))
        .route("/api/datasets/{reference}", get(dataset))
        .route("/api/datasets/{reference}/rows", get(dataset_rows))
        .route("/api/models", get(models))
        .route("/api/models/{reference}", get(model))
        .route("/api/models/{reference}/predict", post(predict))
        .route("/api/log", get(log))
        .route("/api/log.csv", get(log_csv))
        .route("/api/registry.db", get(snapshot))
        .route("/invocations", post(invocations))
        .route_layer(middleware::from_fn_with_state(Arc::clone(&app), authorize));
    Router::new()
        .merge(api)
        .route("/health", get(health))
        .route("/version", get(version))
        .route("/metrics", get(metrics))
        .route("/api", get(api_not_found).post(api_not_found))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .fallback(files)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(Arc::clone(&app), bound))
        .layer(middleware::from_fn_with_state(Arc::clone(&app), measure))
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(app)
}

/// Counts and times every request by its route.
async fn measure(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "static".into());
    let method = req.method().to_string();
    let response = next.run(req).await;
    app.metrics
        .latency
        .get_or_create(&RouteLabel {
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    app.metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// The bound on concurrent requests: past it, 503 with `Retry-After: 1`; and the bound on
/// a request's head (hyper's own buffer limit is looser): 431 past [`super::conns::HEAD_MAX`].
async fn bound(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let head: usize = req.uri().to_string().len()
        + req
            .headers()
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len() + 4)
            .sum::<usize>();
    if head > super::conns::HEAD_MAX {
        let mut r = ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "header_too_large",
            format!(
                "the request head is larger than {} bytes",
                super::conns::HEAD_MAX
            ),
        )
        .into_response();
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return r;
    }
    match Arc::clone(&app.slots).try_acquire_owned() {
        Ok(_permit) => next.run(req).await,
        Err(_) => {
            app.metrics.shed.inc();
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the server is answering as many requests as it is allowed to; try again",
            )
            .into_response()
        }
    }
}

/// The bearer token, when the server requires one, compared in constant time (of SHA-256
/// digests: the length of the token is not revealed either).
async fn authorize(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if let Some(want) = &app.token {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| Sha256::digest(t.trim().as_bytes()));
        let ok = given.is_some_and(|g| bool::from(g.as_slice().ct_eq(want)));
        if !ok {
            let mut r = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this server requires `Authorization: Bearer TOKEN` (the token of its \
                 --token-file)",
            )
            .into_response();
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return r;
        }
    }
    next.run(req).await
}

async fn files(State(app): State<Arc<App>>, method: Method, req: Request) -> Response {
    super::files::answer(&app.root, &method, req.uri(), req.headers()).await
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not take that method (see docs/HTTP.md)",
    )
}

async fn api_not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such API route (see docs/HTTP.md)",
    )
}

async fn health() -> Answer {
    json(&serde_json::json!({"status": "ok"}))
}

async fn version() -> Answer {
    json(&serde_json::json!({
        "mlops_lite": env!("CARGO_PKG_VERSION"),
        "format": mlops_lite::store::SCHEMA_VERSION,
    }))
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    let mut r = Response::new(Body::from(app.metrics.render()));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}

async fn datasets(State(app): State<Arc<App>>) -> Answer {
    let list = app.pool.run(|r| r.list_datasets()).await??;
    json(&list)
}

async fn dataset(State(app): State<Arc<App>>, Path(reference): Path<String>) -> Answer {
    let (entry, columns) = app
        .pool
        .run(move |r| Ok::<_, Error>((r.dataset(&reference)?, r.info(&reference)?)))
        .await??;
    json(&serde_json::json!({"dataset": entry, "columns": columns}))
}

#[derive(Deserialize)]
struct Page {
    offset: Option<usize>,
    limit: Option<usize>,
}

async fn dataset_rows(
    State(app): State<Arc<App>>,
    Path(reference): Path<String>,
    Query(page): Query<Page>,
) -> Answer {
    let offset = page.offset.unwrap_or(0);
    let limit = page.limit.unwrap_or(100).min(MAX_PAGE);
    let (entry, rows) = app
        .pool
        .run(move |r| r.dataset_rows(&reference, offset, limit))
        .await??;
    let mut records = Vec::new();
    mlops_lite::dataset::export::write_json(&rows, &mut records)?;
    let mut out = format!(
        r#"{{"dataset":{},"offset":{offset},"limit":{limit},"total":{},"rows":"#,
        serde_json::to_string(&entry).unwrap_or_default(),
        entry.size_rows
    )
    .into_bytes();
    out.extend_from_slice(&records);
    out.push(b'}');
    Ok(json_bytes(out))
}

async fn models(State(app): State<Arc<App>>) -> Answer {
    let list = app.pool.run(|r| r.list_models()).await??;
    json(&list)
}

async fn model(State(app): State<Arc<App>>, Path(reference): Path<String>) -> Answer {
    let info = app.pool.run(move |r| r.model_info(&reference)).await??;
    json(&info)
}

#[derive(Deserialize)]
struct PredictQuery {
    log: Option<bool>,
}

/// The request body, within the size limit and the time limit.
async fn body(app: &App, headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the request body is larger than {} bytes (--max-body); send fewer records \
                 per request",
                app.max_body
            ),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > app.max_body as u64) {
        return Err(too_large());
    }
    match tokio::time::timeout(BODY_DEADLINE, axum::body::to_bytes(body, app.max_body)).await {
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!(
                "the request body did not arrive within {} s",
                BODY_DEADLINE.as_secs()
            ),
        )),
        Ok(Err(_)) => Err(too_large()),
        Ok(Ok(bytes)) => Ok(bytes),
    }
}

/// How the body's records are written, from `Content-Type`.
#[derive(Clone, Copy)]
enum Form {
    Json,
    Csv,
}

fn form(headers: &HeaderMap) -> Result<Form, ApiError> {
    let ty = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ty
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/json" => Ok(Form::Json),
        "text/csv" => Ok(Form::Csv),
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "Content-Type {ty:?} is not taken here; send JSON records \
                 (application/json) or CSV with a header (text/csv)"
            ),
        )),
    }
}

async fn predict(
    State(app): State<Arc<App>>,
    Path(reference): Path<String>,
    Query(q): Query<PredictQuery>,
    headers: HeaderMap,
    request: Request,
) -> Answer {
    let form = form(&headers)?;
    let bytes = body(&app, &headers, request.into_body()).await?;
    let log = q.log.unwrap_or(false);
    let writer = Arc::clone(&app.writer);
    let (tx, committed) = tokio::sync::oneshot::channel();
    let (n, answer) = app
        .pool
        .run(move |r| -> Result<(usize, Vec<u8>), Error> {
            // Columns (one JSON object of arrays) are read as the records they hold.
            let columns = match form {
                Form::Json if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') => {
                    Some(mlops_lite::mlflow::columns_json(&bytes)?)
                }
                _ => None,
            };
            let records = match (&columns, form) {
                (Some(records), _) => Records::Json {
                    bytes: records,
                    label: None,
                },
                (None, Form::Json) => Records::json(&bytes, "<request body>"),
                (None, Form::Csv) => Records::csv(&bytes, "<request body>"),
            };
            let mut out = Vec::new();
            let n = if log {
                let (_, pipeline, predictions, pending) = r.predict_pending(&reference, records)?;
                predictions.write(OutputFormat::JsonCompact, &pipeline.classes, &mut out);
                match pending {
                    Some(p) => writer.submit(
                        p,
                        Box::new(move |done| {
                            let _ = tx.send(done);
                        }),
                    ),
                    None => {
                        let _ = tx.send(Ok(0));
                    }
                }
                predictions.len()
            } else {
                let (_, pipeline, predictions) = r.predict(&reference, records, false)?;
                predictions.write(OutputFormat::JsonCompact, &pipeline.classes, &mut out);
                predictions.len()
            };
            Ok((n, out))
        })
        .await??;
    app.metrics.predicted.inc_by(n as u64);
    if log {
        let calls = committed.await.map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the log writer stopped before committing; nothing was logged",
            )
        })??;
        if calls > 0 {
            app.metrics.logged.inc_by(n as u64);
        }
    }
    Ok(json_bytes(answer))
}

async fn invocations(State(app): State<Arc<App>>, headers: HeaderMap, request: Request) -> Answer {
    let Some(reference) = app.default_model.clone() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no default model: start the server with --model REF to answer /invocations \
             (or POST to /api/models/REF/predict)",
        ));
    };
    match form(&headers)? {
        Form::Json => {}
        Form::Csv => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "/invocations takes MLflow's JSON payloads (application/json)",
            ))
        }
    }
    let bytes = body(&app, &headers, request.into_body()).await?;
    let (n, answer) = app
        .pool
        .run(move |r| -> Result<(usize, Vec<u8>), Error> {
            let (_, pipeline) = r.resolve_model(&reference)?;
            let records = mlops_lite::mlflow::records_json(&bytes, &pipeline)?;
            let (_, pipeline, predictions) =
                r.predict(&reference, Records::json(&records, "<request body>"), false)?;
            Ok((
                predictions.len(),
                mlops_lite::mlflow::predictions_json(&predictions, &pipeline),
            ))
        })
        .await??;
    app.metrics.predicted.inc_by(n as u64);
    Ok(json_bytes(answer))
}

#[derive(Deserialize)]
struct LogParams {
    model: Option<String>,
    reference_id: Option<String>,
    since: Option<String>,
    until: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

impl LogParams {
    fn query(self, default_limit: Option<i64>) -> LogQuery {
        LogQuery {
            model: self.model,
            reference_id: self.reference_id,
            since: self.since,
            until: self.until,
            limit: self
                .limit
                .or(default_limit)
                .map(|l| l.clamp(0, MAX_PAGE as i64)),
            offset: self.offset,
        }
    }
}

async fn log(State(app): State<Arc<App>>, Query(p): Query<LogParams>) -> Answer {
    let query = p.query(Some(100));
    let records = app.pool.run(move |r| r.log_for(&query)).await??;
    json(&records)
}

async fn log_csv(State(app): State<Arc<App>>, Query(p): Query<LogParams>) -> Answer {
    // The whole (filtered) log unless a limit is given: an export.
    let query = LogQuery {
        limit: p.limit,
        ..p.query(None)
    };
    let records = app.pool.run(move |r| r.log_for(&query)).await??;
    let mut r = Response::new(Body::from(mlops_lite::log::to_csv(&records)));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    Ok(r)
}

async fn snapshot(State(app): State<Arc<App>>) -> Answer {
    let bytes = app.pool.run(|r| r.snapshot()).await??;
    let mut r = Response::new(Body::from(bytes));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.sqlite3"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"mlops-lite.db\""),
    );
    Ok(r)
}
