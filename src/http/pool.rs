//! Registry threads: a [`Registry`] stays on the thread that opened it (its cached
//! pipelines are `Rc`), so requests hand their work to a few threads that each own one,
//! and await the answer. Work that panics is caught: the thread goes on, the request gets
//! an error.

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use mlops_lite::{Error, Registry};

type Job = Box<dyn FnOnce(&mut Registry) + Send>;

/// The threads and their shared queue.
pub struct Pool {
    queue: Mutex<Option<mpsc::Sender<Job>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

/// Opens one registry for one thread.
pub type Open = Arc<dyn Fn() -> mlops_lite::Result<Registry> + Send + Sync>;

impl Pool {
    /// Starts `n` threads, each with its own registry from `open`; the first error opening
    /// one is returned.
    pub fn start(n: usize, open: Open) -> mlops_lite::Result<Pool> {
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        let mut threads = Vec::new();
        for i in 0..n.max(1) {
            let (opened, is_open) = mpsc::sync_channel::<mlops_lite::Result<()>>(1);
            let (jobs, open) = (Arc::clone(&jobs), Arc::clone(&open));
            let thread = std::thread::Builder::new()
                .name(format!("mlops-lite-registry-{i}"))
                .spawn(move || {
                    let mut registry = match open() {
                        Ok(r) => r,
                        Err(e) => {
                            let _ = opened.send(Err(e));
                            return;
                        }
                    };
                    let _ = opened.send(Ok(()));
                    loop {
                        // The lock is held only to take one job.
                        let job = match jobs.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut registry)));
                    }
                })
                .map_err(|e| Error::io("a registry thread", e))?;
            threads.push(thread);
            match is_open.recv() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(_) => {
                    return Err(Error::io(
                        "a registry thread",
                        std::io::Error::other("it stopped while opening the registry"),
                    ))
                }
            }
        }
        Ok(Pool {
            queue: Mutex::new(Some(queue)),
            threads: Mutex::new(threads),
        })
    }

    /// Runs `work` on a registry thread and returns what it returns; an error when the
    /// work panicked or the pool has stopped.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Registry) -> T + Send + 'static,
    ) -> mlops_lite::Result<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |registry| {
            let _ = tx.send(work(registry));
        });
        let sent = match self.queue.lock() {
            Ok(q) => q.as_ref().map(|q| q.send(job).is_ok()).unwrap_or(false),
            Err(_) => false,
        };
        if !sent {
            return Err(stopped());
        }
        rx.await.map_err(|_| {
            Error::io(
                "a registry thread",
                std::io::Error::other("the work failed unexpectedly (a bug: please report it)"),
            )
        })
    }

    /// Stops taking work, lets the threads finish what they took, and waits for them.
    pub fn stop(&self) {
        if let Ok(mut q) = self.queue.lock() {
            q.take();
        }
        let threads = match self.threads.lock() {
            Ok(mut t) => std::mem::take(&mut *t),
            Err(_) => Vec::new(),
        };
        for t in threads {
            let _ = t.join();
        }
    }
}

fn stopped() -> Error {
    Error::io(
        "the registry threads",
        std::io::Error::other("the server is stopping"),
    )
}
