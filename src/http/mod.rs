//! `mlops-lite serve`: the page, the npm package and the registry's HTTP API on one port
//! (axum on hyper and tokio). The routes and what they answer: `docs/HTTP.md`.
//!
//! - [`api`]: the routes and their handlers (convert, call the core, convert), the bearer
//!   token, the bound on concurrent requests, the metrics of each request.
//! - [`files`]: the static files (`www/`, `npm/`, `data/`) and the paths refused.
//! - [`conns`]: accepting and holding connections within the process's open-file limit.
//! - [`pool`]: the registry threads that run the core's calls.
//! - [`metrics`]: `GET /metrics`, Prometheus' text format.
//!
//! Logged predictions go through [`mlops_lite::group_commit`]: one writer commits the rows
//! of every call queued while the previous commit ran, and each request is answered once its
//! rows are committed.

mod api;
mod conns;
mod files;
mod metrics;
mod pool;

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use mlops_lite::group_commit::GroupCommit;
use mlops_lite::{Durability, Error, Registry};

/// What `mlops-lite serve` was asked for.
pub struct Options {
    /// The registry: a file (created when missing) or a PostgreSQL URL.
    pub db: PathBuf,
    pub host: IpAddr,
    pub port: u16,
    /// The folder holding www/, npm/ and data/.
    pub dir: PathBuf,
    /// A file holding the bearer token every `/api` and `/invocations` call must carry.
    pub token_file: Option<PathBuf>,
    /// The model `/invocations` predicts with.
    pub model: Option<String>,
    pub durability: Durability,
    /// The largest request body, in bytes.
    pub max_body: usize,
    /// The most requests answered at once (503 past it).
    pub max_requests: usize,
    /// Registry threads (0: one per core).
    pub threads: usize,
}

/// The shortest token accepted.
const MIN_TOKEN: usize = 16;

/// Serves until Ctrl-C (or SIGTERM), then drains: requests in progress are answered and
/// their log rows committed before it returns.
pub fn run(options: Options, out: &mut dyn Write) -> Result<(), Error> {
    let dir = &options.dir;
    let label = dir.display().to_string();
    let token = read_token(options.token_file.as_deref())?;
    if !options.host.is_loopback() && token.is_none() {
        return Err(Error::InvalidArgument(format!(
            "--host {} makes the registry reachable from other machines; pass --token-file \
             FILE too (a secret of at least {MIN_TOKEN} characters that every /api call must \
             send as `Authorization: Bearer TOKEN`), or serve on 127.0.0.1",
            options.host
        )));
    }
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
    let db = options.db.clone();
    let durability = options.durability;
    // The writer opens (and creates) the registry first; the registry threads open it after.
    let metrics = metrics::Metrics::new();
    let writer = {
        let db = db.clone();
        let commit_calls = metrics.commit_calls.clone();
        GroupCommit::start(
            move || Registry::open_with_durability(&db, durability),
            Box::new(move |calls, _records| commit_calls.observe(calls as f64)),
        )?
    };
    let threads = if options.threads == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        options.threads
    };
    let pool = pool::Pool::start(threads, {
        let db = db.clone();
        Arc::new(move || Registry::open_existing(&db))
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| Error::io("the HTTP runtime", e))?;
    let writer = Arc::new(writer);
    let app = Arc::new(api::App {
        pool,
        writer: Arc::clone(&writer),
        metrics,
        token,
        default_model: options.model.clone(),
        max_body: options.max_body,
        slots: Arc::new(tokio::sync::Semaphore::new(options.max_requests.max(1))),
        root,
    });
    let addr = SocketAddr::new(options.host, options.port);
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Error::io(addr, e))?;
        let bound = listener.local_addr().map_err(|e| Error::io(addr, e))?;
        let max_held = conns::max_held(conns::open_files());
        writeln!(
            out,
            "serving {label}/www at http://{bound}/ (npm/ at /npm/, data/ at /data/, the \
             API of {} at /api/); Ctrl-C stops",
            db.display()
        )
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("stdout", e))?;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            wait_for_signal().await;
            let _ = stop.send(true);
        });
        conns::serve(listener, api::router(Arc::clone(&app)), max_held, stopped).await;
        Ok::<(), Error>(())
    })?;
    // Every connection is closed: no request holds the app any more.
    app.pool.stop();
    drop(app);
    match Arc::try_unwrap(writer) {
        Ok(w) => w.finish(),
        Err(w) => drop(w),
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM on Unix.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The SHA-256 of the token in `path` (surrounding whitespace removed).
fn read_token(path: Option<&Path>) -> Result<Option<[u8; 32]>, Error> {
    let Some(path) = path else { return Ok(None) };
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path.display(), e))?;
    let token = text.trim();
    if token.chars().count() < MIN_TOKEN {
        return Err(Error::InvalidArgument(format!(
            "{}: the token must be at least {MIN_TOKEN} characters (it has {}); \
             `openssl rand -hex 32 > FILE` makes one",
            path.display(),
            token.chars().count()
        )));
    }
    Ok(Some(Sha256::digest(token.as_bytes()).into()))
}
