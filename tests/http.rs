//! `mlops-lite serve`'s API against the real binary over TCP: every route and the status
//! codes of its errors, MLflow's payloads, the token, the body and concurrency bounds,
//! models bound while it runs, no acknowledged logged prediction lost to `kill -9`, a
//! drain on SIGTERM, and two servers sharing one PostgreSQL schema. No timing is asserted.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod common;
use common::targets::Target;
use common::*;
use mlops_lite::Registry;

const HUNG: Duration = Duration::from_secs(60);

const SETOSA: &str = r#"{"sepal length (cm)":5.1,"sepal width (cm)":3.5,"petal length (cm)":1.4,"petal width (cm)":0.2}"#;

struct Server {
    child: Child,
    addr: SocketAddr,
    _site: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `mlops-lite --db DB serve --port 0 EXTRA...` on a folder with a page.
    fn start(db: &str, extra: &[&str]) -> Server {
        let site = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(site.path().join("www")).unwrap();
        std::fs::write(site.path().join("www/index.html"), "<!doctype html>\n").unwrap();
        let mut child = Command::new(BIN)
            .args(["--db", db, "serve", "--port", "0", "--dir"])
            .arg(site.path())
            .args(extra)
            .current_dir(site.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start mlops-lite serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|a| a.replace("0.0.0.0", "127.0.0.1").parse().ok())
            .unwrap_or_else(|| panic!("serve printed no address: {line:?}"));
        Server {
            child,
            addr,
            _site: site,
        }
    }

    /// One request on a new connection: (status, head, body).
    fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[&str],
        body: &[u8],
    ) -> (u16, String, String) {
        let mut stream = TcpStream::connect_timeout(&self.addr, HUNG).unwrap();
        stream.set_read_timeout(Some(HUNG)).unwrap();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for h in headers {
            req.push_str(h);
            req.push_str("\r\n");
        }
        req.push_str("\r\n");
        stream.write_all(req.as_bytes()).unwrap();
        stream.write_all(body).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        split(&answer)
    }

    fn get(&self, path: &str) -> (u16, String, String) {
        self.call("GET", path, &[], b"")
    }

    fn post_json(&self, path: &str, body: &str) -> (u16, String, String) {
        self.call(
            "POST",
            path,
            &["Content-Type: application/json"],
            body.as_bytes(),
        )
    }
}

fn split(answer: &[u8]) -> (u16, String, String) {
    let at = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head in {:?}", String::from_utf8_lossy(answer)));
    let head = String::from_utf8_lossy(&answer[..at]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let mut body = answer[at + 4..].to_vec();
    if header(&head, "transfer-encoding") == Some("chunked") {
        body = dechunk(&body);
    }
    (status, head, String::from_utf8_lossy(&body).to_string())
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let n = usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap();
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + n]);
        b = &b[eol + 2 + n + 2..];
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(": ")?;
        k.eq_ignore_ascii_case(name).then_some(v)
    })
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The error's kind, checking the shape `{"error": {"kind", "message"}}`.
fn error_kind(status: u16, body: &str) -> (u16, String, String) {
    let v = json(body);
    let e = &v["error"];
    (
        status,
        e["kind"].as_str().unwrap().to_string(),
        e["message"].as_str().unwrap().to_string(),
    )
}

#[test]
fn every_route_and_its_errors() {
    let t = Tmp::with_iris_lr();
    let server = Server::start(&t.db(), &[]);
    let (status, head, body) = server.get("/health");
    assert_eq!((status, json(&body)["status"].as_str()), (200, Some("ok")));
    assert_eq!(header(&head, "content-type"), Some("application/json"));
    assert_eq!(json(&server.get("/version").2)["format"], 4);
    assert_eq!(json(&server.get("/api/datasets").2)[0]["md5"], IRIS_MD5);
    let d = json(&server.get("/api/datasets/iris@1").2);
    assert_eq!(
        (
            d["dataset"]["size_rows"].as_i64(),
            d["columns"].as_array().unwrap().len()
        ),
        (Some(150), 5)
    );
    let page = json(&server.get("/api/datasets/iris/rows?offset=148&limit=5").2);
    assert_eq!(
        (
            page["total"].as_i64(),
            page["rows"].as_array().unwrap().len()
        ),
        (Some(150), 2)
    );
    assert_eq!(page["rows"][1]["target"], "virginica");
    assert_eq!(json(&server.get("/api/models").2)[0]["name"], "iris-lr");
    let m = json(&server.get("/api/models/iris-lr").2);
    assert_eq!(m["signature"].as_array().unwrap().len(), 4);
    assert!(m["metrics"]["accuracy"].as_f64().unwrap() > 0.8);

    // Predictions: JSON and CSV, the CLI's output; only log=true writes.
    let (status, _, body) = server.post_json("/api/models/iris-lr/predict", &format!("[{SETOSA}]"));
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)[0]["label"], "setosa");
    assert_eq!(count(&t.db, "prediction_records"), 0);
    let csv = "sepal length (cm),sepal width (cm),petal length (cm),petal width (cm),reference_id\n5.1,3.5,1.4,0.2,a\n6.7,3.0,5.2,2.3,b\n";
    let (status, _, body) = server.call(
        "POST",
        "/api/models/iris-lr/predict?log=true",
        &["Content-Type: text/csv"],
        csv.as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    let answer = json(&body);
    assert_eq!(
        (
            answer[0]["reference_id"].as_str(),
            answer[1]["label"].as_str()
        ),
        (Some("a"), Some("virginica"))
    );
    assert_eq!(
        count(&t.db, "prediction_records"),
        2,
        "answered after the commit"
    );

    // Bad records: 400 naming the record and field, nothing logged.
    let bad = format!(r#"[{SETOSA}, {{"sepal length (cm)": "x"}}]"#);
    let (status, _, body) = server.post_json("/api/models/iris-lr/predict?log=true", &bad);
    let (status, kind, message) = error_kind(status, &body);
    assert_eq!((status, kind.as_str()), (400, "input"), "{message}");
    assert!(
        message.contains("records[1]") && message.contains("sepal length (cm)"),
        "{message}"
    );
    assert_eq!(count(&t.db, "prediction_records"), 2);
    let (status, _, body) = server.post_json("/api/models/nope/predict", "[]");
    assert_eq!(error_kind(status, &body).1, "not_found");
    assert_eq!(status, 404);
    let (status, _, body) = server.call(
        "POST",
        "/api/models/iris-lr/predict",
        &["Content-Type: text/plain"],
        b"x",
    );
    assert_eq!(
        (status, error_kind(status, &body).1.as_str()),
        (415, "unsupported_media_type")
    );
    let (status, _, body) = server.call("POST", "/api/models/iris-lr/predict", &[], b"[]");
    assert_eq!(status, 415, "{body}");
    let (status, _, body) = server.get("/api/models/iris-lr/predict");
    assert_eq!(
        (status, error_kind(status, &body).1.as_str()),
        (405, "method_not_allowed")
    );
    let (status, _, body) = server.call("DELETE", "/api/models", &[], b"");
    assert_eq!(status, 405, "{body}");
    let (status, _, body) = server.get("/api/nothing");
    assert_eq!(
        (status, error_kind(status, &body).1.as_str()),
        (404, "not_found")
    );
    let (status, _, body) = server.get("/api/datasets/iris@9");
    assert_eq!(
        (status, error_kind(status, &body).1.as_str()),
        (404, "not_found")
    );
    let (status, _, body) = server.get("/api/log?since=yesterday");
    assert_eq!(status, 400, "{body}");

    // The log: paged newest first, as CSV, and in the snapshot.
    let log = json(&server.get("/api/log?model=iris-lr&limit=1").2);
    assert_eq!(log.as_array().unwrap().len(), 1);
    assert_eq!(log[0]["reference_id"], "b");
    let older = json(&server.get("/api/log?model=iris-lr&limit=1&offset=1").2);
    assert_eq!(older[0]["reference_id"], "a");
    assert_eq!(
        json(&server.get("/api/log?reference_id=a").2)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (status, head, csv) = server.get("/api/log.csv");
    assert_eq!(
        (status, header(&head, "content-type")),
        (200, Some("text/csv; charset=utf-8"))
    );
    assert_eq!(csv.lines().count(), 3, "{csv}");
    let (status, head, _) = server.get("/api/registry.db");
    assert_eq!(
        (status, header(&head, "content-type")),
        (200, Some("application/vnd.sqlite3"))
    );
    let bytes = {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        stream
            .write_all(b"GET /api/registry.db HTTP/1.1\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut all = Vec::new();
        stream.read_to_end(&mut all).unwrap();
        let at = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        all[at + 4..].to_vec()
    };
    let snapshot = Registry::from_bytes(&bytes).unwrap();
    assert_eq!(snapshot.log(&Default::default()).unwrap().len(), 2);
    assert_eq!(snapshot.list_models().unwrap()[0].name, "iris-lr");

    // Without --model, /invocations says how to choose one.
    let (status, _, body) = server.post_json("/invocations", r#"{"instances": []}"#);
    let (_, kind, message) = error_kind(status, &body);
    assert_eq!((status, kind.as_str()), (404, "not_found"));
    assert!(message.contains("--model"), "{message}");

    // Metrics: Prometheus' text format, by route and status.
    let (status, _, metrics) = server.get("/metrics");
    assert_eq!(status, 200);
    assert!(
        metrics.contains(r#"mlops_lite_http_requests_total{route="/api/models/{reference}/predict",method="POST",status="400"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains("mlops_lite_records_logged_total 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("mlops_lite_log_commit_calls_count 1"),
        "{metrics}"
    );
}

#[test]
fn mlflow_payloads_answer_predictions() {
    let t = Tmp::with_iris_lr();
    let server = Server::start(&t.db(), &["--model", "iris-lr"]);
    for payload in [
        r#"{"dataframe_split": {"columns": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"], "data": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}}"#,
        &format!(
            r#"{{"dataframe_records": [{SETOSA}, {{"sepal length (cm)": 6.7, "sepal width (cm)": 3.0, "petal length (cm)": 5.2, "petal width (cm)": 2.3}}]}}"#
        ),
        r#"{"instances": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]]}"#,
        r#"{"inputs": {"sepal length (cm)": [5.1, 6.7], "sepal width (cm)": [3.5, 3.0], "petal length (cm)": [1.4, 5.2], "petal width (cm)": [0.2, 2.3]}}"#,
    ] {
        let (status, _, body) = server.post_json("/invocations", payload);
        assert_eq!(status, 200, "{payload}: {body}");
        assert_eq!(
            json(&body),
            serde_json::json!({"predictions": ["setosa", "virginica"]}),
            "{payload}"
        );
    }
    let (status, _, body) = server.post_json("/invocations", r#"{"instances": [[1, 2]]}"#);
    let (_, kind, message) = error_kind(status, &body);
    assert_eq!((status, kind.as_str()), (400, "input"));
    assert!(
        message.contains("instances[0] has 2 values for 4 columns"),
        "{message}"
    );
}

#[test]
fn a_token_is_required_off_loopback_and_checked() {
    let t = Tmp::with_iris_lr();
    let refused = t.fails(&["serve", "--port", "0", "--host", "0.0.0.0", "--dir", "."]);
    assert!(refused.contains("--token-file"), "{refused}");
    let short = t.write("short.txt", "abc\n");
    let www = t.path("www");
    std::fs::create_dir_all(&www).unwrap();
    std::fs::write(www.join("index.html"), "x").unwrap();
    let err = t.fails(&[
        "serve",
        "--port",
        "0",
        "--host",
        "0.0.0.0",
        "--token-file",
        &short,
        "--dir",
        ".",
    ]);
    assert!(err.contains("at least 16 characters"), "{err}");
    let token = "0123456789abcdef0123456789abcdef";
    let file = t.write("token.txt", format!("{token}\n"));
    let server = Server::start(&t.db(), &["--host", "0.0.0.0", "--token-file", &file]);
    let (status, head, body) = server.get("/api/models");
    assert_eq!(
        (status, error_kind(status, &body).1.as_str()),
        (401, "unauthorized")
    );
    assert_eq!(header(&head, "www-authenticate"), Some("Bearer"));
    let (status, _, _) = server.call(
        "GET",
        "/api/models",
        &["Authorization: Bearer 0123456789abcdef0123456789abcdeX"],
        b"",
    );
    assert_eq!(status, 401);
    let (status, _, _) = server.call("GET", "/api/models", &["Authorization: Basic xyz"], b"");
    assert_eq!(status, 401);
    let (status, _, _) = server.call(
        "POST",
        "/invocations",
        &["Content-Type: application/json"],
        b"{}",
    );
    assert_eq!(status, 401);
    let auth = format!("Authorization: Bearer {token}");
    let (status, _, body) = server.call("GET", "/api/models", &[&auth], b"");
    assert_eq!(status, 200, "{body}");
    // The page and the health check need no token.
    assert_eq!(server.get("/").0, 200);
    assert_eq!(server.get("/health").0, 200);
}

#[test]
fn body_and_concurrency_bounds() {
    let t = Tmp::with_iris_lr();
    let server = Server::start(&t.db(), &["--max-body", "1000", "--max-requests", "1"]);
    let big = format!("[{}]", vec![SETOSA; 20].join(","));
    assert!(big.len() > 1000);
    let (status, _, body) = server.post_json("/api/models/iris-lr/predict?log=true", &big);
    let (_, kind, message) = error_kind(status, &body);
    assert_eq!((status, kind.as_str()), (413, "payload_too_large"));
    assert!(message.contains("1000 bytes"), "{message}");
    // Also when the size is not declared up front (chunked).
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.set_read_timeout(Some(HUNG)).unwrap();
    let chunk = format!("{:x}\r\n{big}\r\n0\r\n\r\n", big.len());
    stream
        .write_all(
            format!("POST /api/models/iris-lr/predict HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{chunk}")
                .as_bytes(),
        )
        .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    assert_eq!(split(&answer).0, 413);
    assert_eq!(count(&t.db, "prediction_records"), 0);

    // One request at a time: a request whose body is still arriving holds the only place.
    let mut slow = TcpStream::connect(server.addr).unwrap();
    slow.set_read_timeout(Some(HUNG)).unwrap();
    let one = format!("[{SETOSA}]");
    slow.write_all(
        format!("POST /api/models/iris-lr/predict?log=true HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}", one.len(), &one[..5])
            .as_bytes(),
    )
    .unwrap();
    // (Without this pause the GETs below were all answered 200 in one run: the slow
    // request had not reached the bound yet. Not understood; noted in the stop's note.)
    std::thread::sleep(Duration::from_millis(300));
    let mut shed = None;
    for _ in 0..100 {
        let (status, head, body) = server.get("/api/models");
        if status == 503 {
            shed = Some((head, body));
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let (head, body) = shed.expect("a 503 while the only place is taken");
    assert_eq!(header(&head, "retry-after"), Some("1"));
    assert_eq!(error_kind(503, &body).1, "busy");
    slow.write_all(&one.as_bytes()[5..]).unwrap();
    let mut answer = Vec::new();
    slow.read_to_end(&mut answer).unwrap();
    assert_eq!(split(&answer).0, 200);
    assert_eq!(server.get("/api/models").0, 200);
    assert!(server
        .get("/metrics")
        .2
        .contains("mlops_lite_http_requests_shed_total 1"));
}

#[test]
fn a_model_bound_by_another_process_is_served_next() {
    let t = Tmp::with_iris();
    let server = Server::start(&t.db(), &[]);
    let (status, _, _) = server.post_json("/api/models/iris-lr/predict", &format!("[{SETOSA}]"));
    assert_eq!(status, 404);
    t.ok(&TRAIN_IRIS_LR);
    let (status, _, body) = server.post_json(
        "/api/models/iris-lr/predict?log=true",
        &format!("[{SETOSA}]"),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(count(&t.db, "prediction_records"), 1);
}

/// Logged predictions from `clients` threads until `stop`, each with its own reference id;
/// the ids whose 200 arrived.
fn load(
    addr: SocketAddr,
    clients: usize,
    stop: Arc<AtomicBool>,
    tag: &str,
) -> Vec<std::thread::JoinHandle<Vec<String>>> {
    (0..clients)
        .map(|c| {
            let (stop, tag) = (Arc::clone(&stop), tag.to_string());
            std::thread::spawn(move || {
                let mut acknowledged = Vec::new();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) && i < 5000 {
                    let id = format!("{tag}-{c}-{i}");
                    i += 1;
                    let body = format!(
                        r#"[{{"sepal length (cm)":5.1,"sepal width (cm)":3.5,"petal length (cm)":1.4,"petal width (cm)":0.2,"reference_id":"{id}"}}]"#
                    );
                    let Ok(mut s) = TcpStream::connect(addr) else { break };
                    s.set_read_timeout(Some(HUNG)).unwrap();
                    let req = format!(
                        "POST /api/models/iris-lr/predict?log=true HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    if s.write_all(req.as_bytes()).is_err() {
                        break;
                    }
                    let mut answer = Vec::new();
                    if s.read_to_end(&mut answer).is_err() || answer.is_empty() {
                        break;
                    }
                    if answer.starts_with(b"HTTP/1.1 200 ") {
                        acknowledged.push(id);
                    }
                }
                acknowledged
            })
        })
        .collect()
}

fn logged_ids(db: &str) -> BTreeSet<String> {
    Registry::open(db)
        .unwrap()
        .log(&Default::default())
        .unwrap()
        .into_iter()
        .filter_map(|r| r.reference_id)
        .collect()
}

#[test]
fn kill_9_under_load_loses_no_acknowledged_prediction() {
    let t = Tmp::with_iris_lr();
    let mut server = Server::start(&t.db(), &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let clients = load(server.addr, 4, Arc::clone(&stop), "k");
    // Kill once enough predictions were acknowledged (the log grows while the load runs).
    for _ in 0..600 {
        if count(&t.db, "prediction_records") >= 200 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    let acknowledged: Vec<String> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    assert!(
        acknowledged.len() >= 100,
        "only {} acknowledged",
        acknowledged.len()
    );
    let logged = logged_ids(&t.db());
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !logged.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged predictions lost: {:?}",
        lost.len(),
        acknowledged.len(),
        &lost[..lost.len().min(5)]
    );
    eprintln!(
        "{} acknowledged, {} logged",
        acknowledged.len(),
        logged.len()
    );
}

#[test]
fn sigterm_drains_and_commits_before_exit() {
    let t = Tmp::with_iris_lr();
    let mut server = Server::start(&t.db(), &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let clients = load(server.addr, 4, Arc::clone(&stop), "d");
    for _ in 0..600 {
        if count(&t.db, "prediction_records") >= 100 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = server.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    assert!(status.success(), "{status:?}");
    let acknowledged: Vec<String> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    let logged = logged_ids(&t.db());
    assert!(acknowledged.iter().all(|id| logged.contains(id)));
    assert!(!acknowledged.is_empty());
}

#[test]
fn two_servers_share_one_postgres_schema() {
    let target = Target::postgres();
    let cli = |args: &[&str]| {
        let out = Command::new(BIN)
            .arg("--db")
            .arg(&target.db)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    cli(&["dataset", "add", "--sample", "iris"]);
    cli(&TRAIN_IRIS_LR);
    let a = Server::start(&target.db, &[]);
    let b = Server::start(&target.db, &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = load(a.addr, 2, Arc::clone(&stop), "a");
    clients.extend(load(b.addr, 2, Arc::clone(&stop), "b"));
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::Relaxed);
    let acknowledged: Vec<String> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    assert!(
        acknowledged.iter().any(|id| id.starts_with("a-"))
            && acknowledged.iter().any(|id| id.starts_with("b-"))
    );
    let records = Registry::open(&target.db)
        .unwrap()
        .log(&Default::default())
        .unwrap();
    let logged: BTreeSet<String> = records
        .iter()
        .filter_map(|r| r.reference_id.clone())
        .collect();
    assert_eq!(records.len(), logged.len(), "a record logged twice");
    assert_eq!(
        logged.len(),
        acknowledged.len(),
        "every acknowledged call logged once, no other"
    );
    assert!(acknowledged.iter().all(|id| logged.contains(id)));
    assert!(records
        .iter()
        .all(|r| r.model_name == "iris-lr" && r.model_version == 1));
    // Both servers read the same registry.
    assert_eq!(a.get("/api/log?limit=1").2, b.get("/api/log?limit=1").2);
}
