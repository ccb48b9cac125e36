//! `mlops-lite serve`, its static side: the files it answers and the paths it refuses, and
//! that it keeps answering when hundreds of idle or slow connections are open to it and it
//! may open only a few files (`ulimit -n`). No timing is asserted: the long timeouts here
//! mean "hung". The API is tested in `tests/http.rs`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

mod common;
use common::*;

/// Longer than any answer can take unless the server hangs.
const HUNG: Duration = Duration::from_secs(60);

const INDEX: &str = "<!doctype html><title>mlops-lite</title>\n";

/// A running `mlops-lite serve` on a folder like the repository's, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the server, with at most `files` open files when given (counted beyond what
    /// it has open once started, when `beyond_started`).
    fn start(files: Option<u32>) -> Server {
        Server::start_with(files, false)
    }

    fn start_with(files: Option<u32>, beyond_started: bool) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let put = |path: &str, bytes: &[u8]| {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, bytes).unwrap();
        };
        put("www/index.html", INDEX.as_bytes());
        put("www/app.js", b"export {};\n");
        put("www/style.css", b"body {}\n");
        put("www/lib.js", "// lib\n".repeat(1000).as_bytes());
        put("npm/web.js", b"export {};\n");
        put("npm/dist/mlops_lite_bg.wasm", b"\0asm\x01\0\0\0");
        put("npm/node_modules/.package-lock.json", b"{}");
        put("data/iris.csv", b"a,b\n1,2\n");
        put("Cargo.toml", b"[package]\nname = \"secret\"\n");
        put(".git/config", b"[core]\n");
        let dir_arg = s(dir.path());
        let db = s(&dir.path().join("r.db"));
        let args = ["serve", "--port", "0", "--dir", &dir_arg, "--db", &db];
        let files = match (files, beyond_started) {
            (Some(n), true) => {
                let started = Server::start_with(None, false);
                let open = std::fs::read_dir(format!("/proc/{}/fd", started.child.id()))
                    .map(|d| d.count() as u32)
                    .unwrap_or(20);
                Some(open + n)
            }
            (files, _) => files,
        };
        let mut cmd = match files {
            Some(n) => {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                    .arg(BIN)
                    .args(args);
                c
            }
            None => {
                let mut c = Command::new(BIN);
                c.args(args);
                c
            }
        };
        let stderr = std::fs::File::create(dir.path().join("stderr.txt")).unwrap();
        let mut child = cmd
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
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
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| {
                let err = std::fs::read_to_string(dir.path().join("stderr.txt")).unwrap();
                panic!("serve printed no address: {line:?}; stderr: {err}")
            });
        Server { child, addr, dir }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.txt")).unwrap()
    }

    /// Sends `request` on a new connection; (status, head, body) of the answer.
    fn ask(&self, request: &str) -> (u16, String, Vec<u8>) {
        self.try_ask(request)
            .unwrap_or_else(|e| panic!("{request:?}: no answer: {e}"))
    }

    /// [`Server::ask`], or the error when the connection was reset or closed unanswered (what
    /// a busy server may do); panics when the server does not answer within [`HUNG`].
    fn try_ask(&self, request: &str) -> Result<(u16, String, Vec<u8>), std::io::Error> {
        use std::io::ErrorKind::{TimedOut, WouldBlock};
        let hung = |e: std::io::Error| {
            if matches!(e.kind(), TimedOut | WouldBlock) {
                panic!("{request:?} to {}: {e}: the server hung", self.addr);
            }
            e
        };
        let mut stream = TcpStream::connect_timeout(&self.addr, HUNG).map_err(hung)?;
        stream.set_read_timeout(Some(HUNG)).unwrap();
        stream.set_write_timeout(Some(HUNG)).unwrap();
        stream.write_all(request.as_bytes()).map_err(hung)?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).map_err(hung)?;
        if answer.is_empty() {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let split = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("{request:?}: no head in {answer:?}"));
        let head = String::from_utf8(answer[..split].to_vec()).unwrap();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{request:?}: bad status line in {head:?}"));
        Ok((status, head, answer[split + 4..].to_vec()))
    }

    fn get(&self, path: &str) -> (u16, String, Vec<u8>) {
        self.ask(&format!(
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        ))
    }

    /// GET `path` until the server is not busy (answers other than 503, and does not close
    /// or reset the connection unanswered): at most `tries` times. Returns the answer and
    /// how many tries found the server busy.
    fn get_through_busy(&self, path: &str, tries: usize) -> (u16, String, Vec<u8>, usize) {
        for busy in 0..tries {
            match self.try_ask(&format!(
                "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )) {
                Ok((503, head, _)) => assert_eq!(header(&head, "Retry-After"), Some("1"), "{head}"),
                Ok((status, head, body)) => return (status, head, body, busy),
                Err(_) => {}
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("GET {path}: still busy after {tries} tries");
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(": ")?;
        k.eq_ignore_ascii_case(name).then_some(v)
    })
}

#[test]
fn files_content_types_head_and_refused_paths() {
    let server = Server::start(None);
    assert!(server.addr.ip().is_loopback());
    for (path, ty, body) in [
        ("/", "text/html; charset=utf-8", INDEX.as_bytes()),
        ("/index.html", "text/html; charset=utf-8", INDEX.as_bytes()),
        ("/app.js", "text/javascript; charset=utf-8", b"export {};\n"),
        ("/style.css", "text/css; charset=utf-8", b"body {}\n"),
        (
            "/npm/web.js",
            "text/javascript; charset=utf-8",
            b"export {};\n",
        ),
        (
            "/npm/dist/mlops_lite_bg.wasm",
            "application/wasm",
            b"\0asm\x01\0\0\0",
        ),
        (
            "/data/iris.csv?x=1",
            "text/csv; charset=utf-8",
            b"a,b\n1,2\n",
        ),
    ] {
        let (status, head, got) = server.get(path);
        assert_eq!(status, 200, "{path}: {head}");
        assert_eq!(header(&head, "Content-Type"), Some(ty), "{path}");
        assert_eq!(got, body, "{path}");
    }
    // HEAD: the same head, no body.
    let (status, head, body) = server.ask("HEAD /app.js HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_eq!((status, body.len()), (200, 0), "{head}");
    assert_eq!(header(&head, "Content-Length"), Some("11"));
    // Only GET and HEAD.
    let (status, head, _) =
        server.ask("POST / HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    assert_eq!(status, 405, "{head}");
    assert_eq!(header(&head, "Allow"), Some("GET, HEAD"));
    for path in [
        "/../Cargo.toml",
        "/npm/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/data/..%2f..%2fCargo.toml",
        "/npm/node_modules/.package-lock.json",
        "/.git/config",
        "/a%5c..%5cCargo.toml",
        "/x%00",
    ] {
        let (status, head, body) = server.get(path);
        assert_eq!(status, 403, "{path}: {head}");
        assert!(
            !String::from_utf8_lossy(&body).contains("[package]"),
            "{path}"
        );
    }
    assert_eq!(server.get("/nothing-here.js").0, 404);
    assert_eq!(server.get("/%zz").0, 400);
    assert_eq!(server.get("no-slash").0, 400);
    // Keep-alive: two requests on one connection, and a cached file is not sent again.
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.set_read_timeout(Some(HUNG)).unwrap();
    stream
        .write_all(b"GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let first = read_answer(&mut stream);
    assert!(first.starts_with("HTTP/1.1 200 "), "{first}");
    let etag = header(&first, "ETag").expect("an ETag").to_string();
    stream
        .write_all(
            format!(
                "GET /app.js HTTP/1.1\r\nHost: x\r\nIf-None-Match: {etag}\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .unwrap();
    let mut second = String::new();
    stream.read_to_string(&mut second).unwrap();
    assert!(second.starts_with("HTTP/1.1 304 "), "{second}");
    // gzip when asked for (not for tiny files).
    let (status, head, _) =
        server.ask("GET /lib.js HTTP/1.1\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n");
    assert_eq!(status, 200);
    assert_eq!(header(&head, "Content-Encoding"), Some("gzip"), "{head}");
    // A head larger than 32 KB is refused, not read forever.
    let big = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(40_000));
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream.set_read_timeout(Some(HUNG)).unwrap();
    let _ = stream.write_all(big.as_bytes());
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431 "),
        "{answer}"
    );
    assert_eq!(server.get("/app.js").0, 200);
    assert!(!server.stderr().contains("panicked"), "{}", server.stderr());
}

/// `count` connections: every other one sends nothing, the others a partial request head,
/// then one more byte every 100 ms (until `stop`), as slow clients do.
fn open_slow_connections(
    addr: SocketAddr,
    count: usize,
    stop: Arc<AtomicBool>,
) -> (usize, std::thread::JoinHandle<()>) {
    let mut idle = Vec::new();
    let mut slow = Vec::new();
    for i in 0..count {
        // A server that stopped accepting leaves connects pending: stop opening more then.
        let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(2)) else {
            break;
        };
        if i % 2 == 0 {
            idle.push(stream);
        } else {
            let _ = stream.set_write_timeout(Some(Duration::from_millis(100)));
            let _ = stream.write_all(b"GET / HTTP/1.1\r\nX-Slow: ");
            slow.push(stream);
        }
    }
    let opened = idle.len() + slow.len();
    let trickle = std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            slow.retain_mut(|s| s.write_all(b"a").is_ok());
            std::thread::sleep(Duration::from_millis(100));
        }
        drop(idle);
    });
    (opened, trickle)
}

#[test]
fn answers_while_hundreds_of_idle_and_slow_connections_are_open_under_64_files() {
    let server = Server::start(Some(64));
    assert_eq!(server.get("/").0, 200);
    let stop = Arc::new(AtomicBool::new(false));
    let (opened, trickle) = open_slow_connections(server.addr, 300, Arc::clone(&stop));
    // (Connects stop when one waits 2 s: the old server, one thread per connection, stopped
    // accepting after about 60 of them.)
    eprintln!("{opened} connections opened");
    assert!(opened > 64, "only {opened} connections could be opened");
    // A normal GET is answered while the slow ones go on (503 "busy" at worst, then 200).
    for path in ["/", "/app.js", "/data/iris.csv"] {
        let (status, head, _, busy) = server.get_through_busy(path, 50);
        assert_eq!(status, 200, "{path}: {head}");
        eprintln!("GET {path}: 200 after {busy} busy answers");
    }
    let (_, _, body, _) = server.get_through_busy("/", 50);
    assert_eq!(body, INDEX.as_bytes());
    stop.store(true, Ordering::Relaxed);
    trickle.join().unwrap();
    assert_eq!(server.get("/").0, 200);
    assert!(!server.stderr().contains("panicked"), "{}", server.stderr());
}

#[test]
fn accept_errors_are_reported_and_survived_with_3_files_to_spare() {
    // 3 files more than the server has open once started: it holds what it can, and its
    // accepts fail with "Too many open files" while the test's connections wait; it
    // reports that and goes on.
    let server = Server::start_with(Some(3), true);
    let stop = Arc::new(AtomicBool::new(false));
    let (opened, trickle) = open_slow_connections(server.addr, 40, Arc::clone(&stop));
    assert!(opened > 0);
    let (status, head, body, _) = server.get_through_busy("/app.js", 100);
    assert_eq!(status, 200, "{head}");
    assert_eq!(body, b"export {};\n");
    stop.store(true, Ordering::Relaxed);
    trickle.join().unwrap();
    assert_eq!(server.get_through_busy("/", 100).0, 200);
    let stderr = server.stderr();
    eprintln!("stderr of the server:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // 40 connections for 3 files: accepting fails at least once.
    assert!(stderr.contains("Too many open files"), "{stderr}");
    for line in stderr.lines() {
        assert!(
            line.starts_with("warning: accepting a connection failed: ")
                && line.ends_with("; retrying"),
            "{stderr}"
        );
    }
}

#[test]
fn a_missing_www_folder_is_named() {
    let t = Tmp::new();
    let run = mlops(
        t.dir.path(),
        &["serve", "--port", "0", "--dir", &s(Path::new("nowhere"))],
    );
    let err = run.fails();
    assert!(
        err.contains("nowhere/www/index.html is missing") && err.contains("--dir"),
        "{err}"
    );
}

/// Reads one answer with a `Content-Length` body from a kept-alive connection; its head.
fn read_answer(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        got.push(byte[0]);
    }
    let head = String::from_utf8(got).unwrap();
    let n: usize = header(&head, "Content-Length").unwrap().parse().unwrap();
    let mut body = vec![0u8; n];
    stream.read_exact(&mut body).unwrap();
    head
}
