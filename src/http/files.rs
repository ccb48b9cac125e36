//! The page and the npm package as static files: `www/` at `/`, `npm/` at `/npm/`, `data/`
//! at `/data/`, GET and HEAD only.
//!
//! Paths with `.` or `..` segments, hidden names, `node_modules`, backslashes, colons or NUL
//! are refused (403), and so is any path that leaves its folder through a link. Answers carry
//! an `ETag` (size and modification time) with `Cache-Control: no-cache`, so a browser asks
//! again and gets `304 Not Modified` for what it has; gzip is the server's compression layer.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// A plain-text answer for the static side.
fn text(status: u16, message: &'static str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = (status, message).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(TEXT));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    r
}

const TEXT: &str = "text/plain; charset=utf-8";

/// Answers a request for a static file under `root`.
pub async fn answer(root: &Path, method: &Method, uri: &Uri, headers: &HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        let mut r = text(405, "only GET and HEAD");
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let target = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or_else(|| uri.path());
    let path = match resolve(root, target) {
        Ok(p) => p,
        Err((status, message)) => return text(status, message),
    };
    let meta = match tokio::fs::metadata(&path).await {
        Ok(m) => m,
        Err(_) => return text(404, "not found"),
    };
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let etag = format!("\"{:x}-{modified:x}\"", meta.len());
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut r = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match tokio::fs::read(&path).await {
            Ok(bytes) => {
                let mut r = Response::new(Body::from(bytes));
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(content_type(&path)),
                );
                r
            }
            Err(e) => match e.kind() {
                std::io::ErrorKind::NotFound => return text(404, "not found"),
                std::io::ErrorKind::PermissionDenied => return text(403, "forbidden path"),
                // Too many open files and the like.
                _ => return text(503, "the server is busy; try again"),
            },
        }
    };
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// The file a request path names, or the status and text to answer instead. Segments
/// `.` and `..`, hidden names, `node_modules`, backslashes and NUL are refused (403), and
/// so is any path that leaves its folder through a link.
pub fn resolve(root: &Path, target: &str) -> Result<PathBuf, (u16, &'static str)> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    let path = percent_decode(path).ok_or((400, "bad request path"))?;
    let rest = path.strip_prefix('/').ok_or((400, "bad request path"))?;
    let segments: Vec<&str> = rest.split('/').collect();
    if segments
        .iter()
        .any(|s| s.starts_with('.') || *s == "node_modules" || s.contains(['\\', '\0', ':']))
    {
        return Err((403, "forbidden path"));
    }
    let (base, segments) = match segments.first() {
        Some(&"npm") | Some(&"data") if segments.len() > 1 => {
            (root.join(segments[0]), &segments[1..])
        }
        _ => (root.join("www"), &segments[..]),
    };
    let mut file = base.clone();
    file.extend(segments.iter().filter(|s| !s.is_empty()));
    if file.is_dir() {
        file.push("index.html");
    }
    let file = file.canonicalize().map_err(|_| (404, "not found"))?;
    let base = base.canonicalize().map_err(|_| (404, "not found"))?;
    if !file.starts_with(&base) {
        return Err((403, "forbidden path"));
    }
    Ok(file)
}

fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "csv" => "text/csv; charset=utf-8",
        "md" | "txt" | "ts" => "text/plain; charset=utf-8",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "db" | "sqlite" => "application/vnd.sqlite3",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_folders_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("www")).unwrap();
        std::fs::write(dir.path().join("www/index.html"), "x").unwrap();
        let root = dir.path().canonicalize().unwrap();
        assert!(resolve(&root, "/").unwrap().ends_with("www/index.html"));
        for (target, status) in [
            ("/../x", 403),
            ("/%2e%2e/x", 403),
            ("/a%5cb", 403),
            ("/x%00", 403),
            ("/node_modules/a", 403),
            ("/%zz", 400),
            ("no-slash", 400),
            ("/missing", 404),
        ] {
            assert_eq!(resolve(&root, target).unwrap_err().0, status, "{target}");
        }
    }
}
