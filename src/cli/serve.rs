//! `mlops-lite serve`: a small static file server for the browser page (std::net,
//! `Connection: close`), bound to 127.0.0.1 only.
//!
//! Bounded by design, so that slow or idle connections cannot stop it from answering:
//! - a fixed pool of worker threads ([`MAX_WORKERS`] at most) and at most
//!   [`MAX_CONNECTIONS`] connections held at once, both lowered to fit the process's limit
//!   of open files (read from `/proc/self/limits`; 256 assumed where it cannot be read);
//! - a worker waits at most [`POLL`] on a connection that sends nothing before it turns to
//!   the next one (the quiet connection goes back to the end of the queue with what it sent
//!   so far), so a few slow clients cannot hold every worker;
//! - a request head must be complete within [`HEAD_DEADLINE`] of the connection's arrival
//!   and fit in [`HEAD_MAX`] bytes; the answer must be written within [`WRITE_DEADLINE`];
//! - when every place is taken, a new connection takes the place of the oldest one that has
//!   already kept a worker waiting; when none has, it is answered 503 (`Retry-After: 1`);
//! - a failed `accept` (too many open files, ...) is reported on stderr (at most once every
//!   10 s) and retried after a short pause; it never stops the server. Out of files, the
//!   server holds fewer connections from then on and closes one that kept a worker waiting.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use mlops_lite::Error;

/// The most worker threads.
pub const MAX_WORKERS: usize = 16;
/// The most connections held at once (queued or being served).
pub const MAX_CONNECTIONS: usize = 256;
/// How long a worker waits on a quiet connection before turning to the next one.
pub const POLL: Duration = Duration::from_millis(50);
/// The longest one turn of a worker on one connection's head.
const TURN: Duration = Duration::from_millis(200);
/// A request head (request line and headers) must arrive within this time of the connection.
pub const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// The largest request head, in bytes.
pub const HEAD_MAX: usize = 32 * 1024;
/// The longest time to write one answer.
pub const WRITE_DEADLINE: Duration = Duration::from_secs(30);
/// Open files kept free for everything else (standard streams, the listener, libraries).
const RESERVED_FILES: usize = 16;
/// The pause after a failed `accept`.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// Serves `dir`/www at `/`, `dir`/npm at `/npm/` and `dir`/data at `/data/` until killed.
pub fn run(port: u16, dir: &Path, out: &mut dyn Write) -> Result<(), Error> {
    let label = dir.display().to_string();
    if !dir.join("www").join("index.html").is_file() {
        return Err(Error::InvalidArgument(format!(
            "{label}/www/index.html is missing; run `mlops-lite serve` in the mlops-lite \
             folder or pass --dir PATH (the folder holding www/, npm/ and data/)"
        )));
    }
    if !dir
        .join("npm")
        .join("dist")
        .join("mlops_lite_bg.wasm")
        .is_file()
    {
        eprintln!(
            "warning: {label}/npm/dist is not built (bash scripts/build-npm.sh); the page needs it"
        );
    }
    let root = dir.canonicalize().map_err(|e| Error::io(&label, e))?;
    let listener = TcpListener::bind(("127.0.0.1", port)).map_err(|e| Error::io("127.0.0.1", e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Error::io("127.0.0.1", e))?;
    let (workers, max_held) = limits(open_file_limit());
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            held: 0,
        }),
        ready: Condvar::new(),
    });
    for i in 0..workers {
        let (shared, root) = (Arc::clone(&shared), root.clone());
        std::thread::Builder::new()
            .name(format!("serve-{i}"))
            .spawn(move || work(&shared, &root))
            .map_err(|e| Error::io("a worker thread", e))?;
    }
    writeln!(
        out,
        "serving {label}/www at http://{addr}/ (npm/ at /npm/, data/ at /data/); Ctrl-C stops"
    )
    .and_then(|()| out.flush())
    .map_err(|e| Error::io("stdout", e))?;
    let mut errors = AcceptErrors::default();
    let mut max_held = max_held;
    loop {
        match listener.accept() {
            Ok((stream, _)) => admit(&shared, stream, max_held),
            Err(e) => {
                errors.report(&e);
                // Out of files (EMFILE, ENFILE): hold fewer connections from now on, and
                // give a place that kept a worker waiting to the connections in the backlog.
                if matches!(e.raw_os_error(), Some(23 | 24)) {
                    let mut state = shared.lock();
                    max_held = state.held.max(2).min(max_held);
                    let evicted = state
                        .queue
                        .iter()
                        .position(|c| c.waited)
                        .and_then(|i| state.queue.remove(i));
                    if evicted.is_some() {
                        state.held -= 1;
                    }
                    drop(state);
                    drop(evicted);
                }
                if !matches!(
                    e.kind(),
                    ErrorKind::ConnectionAborted
                        | ErrorKind::ConnectionReset
                        | ErrorKind::Interrupted
                ) {
                    // Too many open files and the like: give the workers time to close some.
                    std::thread::sleep(ACCEPT_PAUSE);
                }
            }
        }
    }
}

/// (worker threads, connections held at most) for a process that may open `files` files:
/// each worker may also have one file open while it answers.
fn limits(files: usize) -> (usize, usize) {
    let budget = files.saturating_sub(RESERVED_FILES).max(8);
    let workers = (budget / 4).clamp(2, MAX_WORKERS);
    let held = (budget - workers).clamp(workers, MAX_CONNECTIONS);
    (workers, held)
}

/// The soft limit on open files (`/proc/self/limits`, Linux); 256 (macOS's default) when it
/// cannot be read.
fn open_file_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("Max open files"))?;
            let soft = line
                .trim_start_matches("Max open files")
                .split_whitespace()
                .next()?;
            Some(if soft == "unlimited" {
                usize::MAX
            } else {
                soft.parse().ok()?
            })
        })
        .unwrap_or(256)
}

/// Failed accepts, reported at most once every 10 seconds.
#[derive(Default)]
struct AcceptErrors {
    last: Option<Instant>,
    unreported: u64,
}

impl AcceptErrors {
    fn report(&mut self, e: &std::io::Error) {
        self.unreported += 1;
        if self
            .last
            .is_some_and(|t| t.elapsed() < Duration::from_secs(10))
        {
            return;
        }
        let times = match self.unreported {
            1 => String::new(),
            n => format!(" ({n} times since the last warning)"),
        };
        eprintln!("warning: accepting a connection failed: {e}{times}; retrying");
        self.last = Some(Instant::now());
        self.unreported = 0;
    }
}

/// One connection and what it sent so far.
struct Conn {
    stream: TcpStream,
    arrived: Instant,
    head: Vec<u8>,
    /// How much of `head` was searched for its end.
    scanned: usize,
    /// Whether it has kept a worker waiting (then it is the first to give its place away).
    waited: bool,
}

struct State {
    /// Connections waiting for a worker, oldest first.
    queue: VecDeque<Conn>,
    /// Connections queued or being served.
    held: usize,
}

struct Shared {
    state: Mutex<State>,
    ready: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A worker never panics holding the lock; if one did, the queue is still whole.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Queues a new connection: in a free place, else in the place of the oldest one that kept
/// a worker waiting; else it is answered 503.
fn admit(shared: &Shared, stream: TcpStream, max_held: usize) {
    let mut state = shared.lock();
    let mut evicted = None;
    if state.held >= max_held {
        match state.queue.iter().position(|c| c.waited) {
            Some(i) => evicted = state.queue.remove(i),
            None => {
                drop(state);
                refuse(stream);
                return;
            }
        }
    } else {
        state.held += 1;
    }
    state.queue.push_back(Conn {
        stream,
        arrived: Instant::now(),
        head: Vec::new(),
        scanned: 0,
        waited: false,
    });
    drop(state);
    shared.ready.notify_one();
    // Closed outside the lock.
    drop(evicted);
}

/// Answers 503 without waiting on the client.
fn refuse(mut stream: TcpStream) {
    let body = "the server is busy; try again";
    let _ = stream.set_nonblocking(true);
    let _ = write!(
        stream,
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // Reading what the client already sent and closing our side first makes a reset (which
    // can hide the 503 from the client) less likely.
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.read(&mut [0u8; 4096]);
}

/// A worker: takes the oldest queued connection, reads what it sent; answers it when its
/// head is complete, or puts it back at the end of the queue when it is quiet.
fn work(shared: &Shared, root: &Path) {
    loop {
        let mut conn = {
            let mut state = shared.lock();
            loop {
                match state.queue.pop_front() {
                    Some(c) => break c,
                    None => state = shared.ready.wait(state).unwrap_or_else(|e| e.into_inner()),
                }
            }
        };
        if read_head(&mut conn) == Turn::Later {
            conn.waited = true;
            shared.lock().queue.push_back(conn);
            continue;
        }
        if let Some(request) = Request::parse(&conn.head) {
            let _ = answer(&mut conn.stream, &request, root);
        } else if conn.head.len() > HEAD_MAX {
            let _ = respond(
                &mut conn.stream,
                "HEAD",
                431,
                TEXT,
                b"request head too large",
            );
        }
        drop(conn);
        let mut state = shared.lock();
        state.held = state.held.saturating_sub(1);
    }
}

#[derive(PartialEq)]
enum Turn {
    /// The head is complete, too large or late, or the client left: answer or close.
    Done,
    /// Nothing more to read now: come back later.
    Later,
}

/// Reads what the connection sent, for one turn.
fn read_head(conn: &mut Conn) -> Turn {
    let turn = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        // Only the new bytes (and the 3 before them) can end the head: no quadratic rescans
        // of a head sent a byte at a time.
        let tail = &conn.head[conn.scanned.saturating_sub(3)..];
        conn.scanned = conn.head.len();
        if complete(tail) || conn.head.len() > HEAD_MAX {
            return Turn::Done;
        }
        if conn.arrived.elapsed() > HEAD_DEADLINE {
            return Turn::Done;
        }
        if turn.elapsed() > TURN {
            return Turn::Later;
        }
        if conn.stream.set_read_timeout(Some(POLL)).is_err() {
            return Turn::Done;
        }
        match conn.stream.read(&mut buf) {
            Ok(0) => return Turn::Done,
            Ok(n) => conn.head.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Turn::Later
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Turn::Done,
        }
    }
}

/// Whether `head` holds a whole request head (ended by an empty line).
fn complete(head: &[u8]) -> bool {
    head.windows(4).any(|w| w == b"\r\n\r\n") || head.windows(2).any(|w| w == b"\n\n")
}

/// The method and target of a complete request head.
struct Request {
    method: String,
    target: String,
}

impl Request {
    fn parse(head: &[u8]) -> Option<Request> {
        if !complete(head) || head.len() > HEAD_MAX {
            return None;
        }
        let line = head.split(|&b| b == b'\n').next()?;
        let line = String::from_utf8_lossy(line);
        let mut parts = line.split_whitespace();
        Some(Request {
            method: parts.next().unwrap_or("").to_string(),
            target: parts.next().unwrap_or("").to_string(),
        })
    }
}

const TEXT: &str = "text/plain; charset=utf-8";

fn answer(stream: &mut TcpStream, request: &Request, root: &Path) -> std::io::Result<()> {
    let method = request.method.as_str();
    let (status, content_type, body) = match method {
        "GET" | "HEAD" => match resolve(root, &request.target).and_then(|p| {
            std::fs::read(&p)
                .map(|bytes| (p, bytes))
                .map_err(|e| match e.kind() {
                    ErrorKind::NotFound => (404, "not found"),
                    ErrorKind::PermissionDenied => (403, "forbidden path"),
                    // Too many open files and the like.
                    _ => (503, "the server is busy; try again"),
                })
        }) {
            Ok((path, bytes)) => (200, content_type(&path), bytes),
            Err((status, text)) => (status, TEXT, text.into()),
        },
        _ => (405, TEXT, b"only GET and HEAD".to_vec()),
    };
    respond(stream, method, status, content_type, &body)
}

/// Writes an answer (no body for HEAD) within [`WRITE_DEADLINE`].
fn respond(
    stream: &mut TcpStream,
    method: &str,
    status: u16,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Method Not Allowed",
    };
    let retry = if status == 503 {
        "Retry-After: 1\r\n"
    } else {
        ""
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nAllow: GET, HEAD\r\n\
         {retry}Connection: close\r\n\r\n",
        body.len()
    );
    let deadline = Instant::now() + WRITE_DEADLINE;
    let body = if method == "HEAD" { &[][..] } else { body };
    for chunk in head
        .as_bytes()
        .chunks(64 * 1024)
        .chain(body.chunks(64 * 1024))
    {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ErrorKind::TimedOut.into());
        }
        stream.set_write_timeout(Some(left))?;
        stream.write_all(chunk)?;
    }
    stream.flush()
}

/// The file a request path names, or the status and text to answer instead. Segments
/// `.` and `..`, hidden names, `node_modules`, backslashes and NUL are refused (403), and
/// so is any path that leaves its folder through a link.
fn resolve(root: &Path, target: &str) -> Result<PathBuf, (u16, &'static str)> {
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
    fn limits_fit_the_open_file_limit() {
        // (workers, connections): with the files each worker may open and 16 kept free,
        // never more than the limit.
        assert_eq!(limits(64), (12, 36));
        assert_eq!(limits(9), (2, 6));
        assert_eq!(limits(1024), (MAX_WORKERS, MAX_CONNECTIONS));
        assert_eq!(limits(usize::MAX), (MAX_WORKERS, MAX_CONNECTIONS));
        for files in 40..2000 {
            let (w, c) = limits(files);
            assert!(RESERVED_FILES + 2 * w + (c - w) <= files, "{files}");
        }
        assert!(open_file_limit() >= 1);
    }

    #[test]
    fn heads_end_at_an_empty_line() {
        assert!(complete(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert!(complete(b"GET / HTTP/1.0\n\n"));
        assert!(!complete(b"GET / HTTP/1.1\r\nHost: x\r\n"));
        let r = Request::parse(b"GET /a%20b?x HTTP/1.1\r\n\r\n").unwrap();
        assert_eq!((r.method.as_str(), r.target.as_str()), ("GET", "/a%20b?x"));
        assert!(Request::parse(b"GET / HTTP/1.1\r\n").is_none());
    }
}
