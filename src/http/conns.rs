//! The connections: accepted by one loop, each served by hyper's HTTP/1.1 (keep-alive) in
//! its own task, within bounds that slow or idle clients cannot exhaust.
//!
//! - At most `max_held` connections are held at once, fitted to the process's limit of open
//!   files (what is left of `ulimit -n` once the registry and the runtime have theirs, less
//!   [`RESERVED_FILES`] for reading static files).
//! - When every place is taken, a new connection takes the place of the connection idle
//!   longest (no request in progress, nothing answered for at least [`IDLE_GRACE`]): an idle
//!   keep-alive client or one trickling a request head. When none is idle, the new one is
//!   answered `503` with `Retry-After: 1`.
//! - A request head must arrive within [`HEAD_DEADLINE`] and fit in [`HEAD_MAX`] bytes
//!   (hyper answers `431` past it); an idle keep-alive connection is closed after
//!   [`HEAD_DEADLINE`] too (hyper's header-read timer starts when it waits for a request).
//! - A failed `accept` (too many open files, ...) is reported on stderr at most once every
//!   10 s and retried after a short pause; out of files, the server holds fewer connections
//!   from then on and closes an idle one.
//! - On shutdown, the loop stops accepting, every connection finishes the request it is
//!   in (idle ones close at once), and [`serve`] returns when all are closed or after
//!   [`DRAIN`].

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tower::ServiceExt;

/// The most connections held at once.
pub const MAX_CONNECTIONS: usize = 1024;
/// A request head must arrive within this time (also the keep-alive idle limit).
pub const HEAD_DEADLINE: Duration = Duration::from_secs(10);
/// The largest request head, in bytes.
pub const HEAD_MAX: usize = 32 * 1024;
/// An idle connection younger than this is not evicted (it may be about to send).
pub const IDLE_GRACE: Duration = Duration::from_millis(50);
/// Open files kept free for reading static files and the like.
pub const RESERVED_FILES: usize = 8;
/// How long shutdown waits for requests in progress.
pub const DRAIN: Duration = Duration::from_secs(30);
/// The pause after a failed `accept`.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// The connections held, for the eviction rule.
struct Tracker {
    started: Instant,
    state: Mutex<TrackerState>,
    /// Signalled when the last connection closes.
    empty: Notify,
}

struct TrackerState {
    next: u64,
    max_held: usize,
    conns: BTreeMap<u64, Arc<ConnInfo>>,
}

struct ConnInfo {
    /// Requests in progress.
    busy: AtomicUsize,
    /// Milliseconds since the tracker started, at the last request's end (or the accept).
    last: AtomicU64,
    evict: Notify,
}

/// Marks a request in progress on its connection while alive.
struct Busy<'a>(&'a ConnInfo, &'a Tracker);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.last.store(self.1.now_ms(), Ordering::Relaxed);
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Tracker {
    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TrackerState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place for a new connection, evicting the longest idle one when all are taken.
    fn admit(&self) -> Option<(u64, Arc<ConnInfo>)> {
        let mut state = self.lock();
        if state.conns.len() >= state.max_held && !self.evict_idle(&mut state) {
            return None;
        }
        let id = state.next;
        state.next += 1;
        let info = Arc::new(ConnInfo {
            busy: AtomicUsize::new(0),
            last: AtomicU64::new(self.now_ms()),
            evict: Notify::new(),
        });
        state.conns.insert(id, Arc::clone(&info));
        Some((id, info))
    }

    /// Tells the connection idle longest to close, and forgets it; false when none is idle.
    fn evict_idle(&self, state: &mut TrackerState) -> bool {
        let now = self.now_ms();
        let grace = IDLE_GRACE.as_millis() as u64;
        let oldest = state
            .conns
            .iter()
            .filter(|(_, c)| c.busy.load(Ordering::Relaxed) == 0)
            .map(|(id, c)| (c.last.load(Ordering::Relaxed), *id))
            .filter(|(last, _)| now.saturating_sub(*last) >= grace)
            .min();
        match oldest.and_then(|(_, id)| state.conns.remove(&id)) {
            Some(c) => {
                c.evict.notify_one();
                true
            }
            None => false,
        }
    }

    fn release(&self, id: u64) {
        let mut state = self.lock();
        state.conns.remove(&id);
        if state.conns.is_empty() {
            self.empty.notify_waiters();
        }
    }

    /// Out of files: hold no more than now (at least 2), and free an idle place.
    fn out_of_files(&self) {
        let mut state = self.lock();
        state.max_held = state.conns.len().max(2).min(state.max_held);
        self.evict_idle(&mut state);
    }

    fn held(&self) -> usize {
        self.lock().conns.len()
    }
}

/// Serves `app` on `listener` until `shutdown` turns true, then drains (see the module
/// docs).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    max_held: usize,
    mut shutdown: watch::Receiver<bool>,
) {
    let tracker = Arc::new(Tracker {
        started: Instant::now(),
        state: Mutex::new(TrackerState {
            next: 0,
            max_held,
            conns: BTreeMap::new(),
        }),
        empty: Notify::new(),
    });
    let mut errors = AcceptErrors::default();
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = shutdown.changed() => break,
        };
        match accepted {
            Ok((stream, _)) => match tracker.admit() {
                Some((id, info)) => {
                    let (app, tracker, shutdown) =
                        (app.clone(), Arc::clone(&tracker), shutdown.clone());
                    tokio::spawn(async move {
                        connection(stream, app, &tracker, &info, shutdown).await;
                        tracker.release(id);
                    });
                }
                None => {
                    tokio::spawn(refuse(stream));
                }
            },
            Err(e) => {
                errors.report(&e);
                if matches!(e.raw_os_error(), Some(23 | 24)) {
                    tracker.out_of_files();
                }
                if !matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::Interrupted
                ) {
                    tokio::time::sleep(ACCEPT_PAUSE).await;
                }
            }
        }
    }
    drop(listener);
    let deadline = tokio::time::Instant::now() + DRAIN;
    while tracker.held() > 0 {
        let empty = tracker.empty.notified();
        if tracker.held() == 0 {
            break;
        }
        if tokio::time::timeout_at(deadline, empty).await.is_err() {
            eprintln!(
                "warning: {} connections still open after {} s; closing them",
                tracker.held(),
                DRAIN.as_secs()
            );
            break;
        }
    }
}

/// Serves one connection until it closes, is evicted, or the server shuts down.
async fn connection(
    stream: TcpStream,
    app: Router,
    tracker: &Arc<Tracker>,
    info: &Arc<ConnInfo>,
    mut shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let service = {
        let (tracker, info) = (Arc::clone(tracker), Arc::clone(info));
        hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let (tracker, info, app) = (Arc::clone(&tracker), Arc::clone(&info), app.clone());
            async move {
                info.busy.fetch_add(1, Ordering::Relaxed);
                let _busy = Busy(&info, &tracker);
                let answer = app.oneshot(req.map(Body::new)).await;
                Ok::<_, Infallible>(match answer {
                    Ok(r) => r,
                    Err(never) => match never {},
                })
            }
        })
    };
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_DEADLINE)
        .max_buf_size(HEAD_MAX)
        .serve_connection(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = info.evict.notified() => {}
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(DRAIN, conn.as_mut()).await;
        }
    }
}

/// Answers 503 without waiting on the client.
async fn refuse(mut stream: TcpStream) {
    let body = r#"{"error":{"kind":"busy","message":"the server holds as many connections as it can; try again"}}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(answer.as_bytes()).await?;
        // Closing our side first and reading what the client sent makes a reset (which can
        // hide the 503 from the client) less likely.
        stream.shutdown().await?;
        let _ = stream.read(&mut [0u8; 4096]).await;
        Ok::<_, std::io::Error>(())
    })
    .await;
}

/// Connections the process can hold given its limit of open files, with `open_now` already
/// open.
pub fn max_held(open_now: usize) -> usize {
    open_file_limit()
        .saturating_sub(open_now + RESERVED_FILES)
        .clamp(2, MAX_CONNECTIONS)
}

/// Files open in this process now (`/proc/self/fd`); 32 assumed where it cannot be read.
pub fn open_files() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(32)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_fit_the_open_file_limit() {
        let limit = open_file_limit();
        assert!(limit >= 1);
        let held = max_held(20);
        assert!((2..=MAX_CONNECTIONS).contains(&held));
        if limit < 10_000 {
            assert!(held <= limit.saturating_sub(20 + RESERVED_FILES).max(2));
        }
        assert!(open_files() >= 3);
    }
}
