//! Group commit: one writer thread owns a registry connection and writes the log rows of
//! many calls in one transaction ([`crate::Registry::write_pending`]).
//!
//! Callers (`mlops-lite serve`'s requests) compute their predictions elsewhere, hand the
//! rows to [`GroupCommit::submit`] with a completion, and answer their client only when the
//! completion says the rows are committed. While one commit runs, the calls that arrive
//! queue up and go into the next one, together: on SQLite one fsync of the WAL (with
//! `--durability full`) or one WAL append (`normal`) serves them all, instead of one per
//! call. A failed group commit is retried call by call, so one call's failure is never
//! another's. Dropping (or [`GroupCommit::finish`]) drains the queue: every call submitted
//! before is committed, or told it failed, before the thread ends.

use std::sync::mpsc;
use std::thread::JoinHandle;

use crate::error::{Error, Result};
use crate::registry::{PendingLog, Registry};

/// The most calls in one transaction.
pub const MAX_CALLS: usize = 4096;
/// The most records in one transaction (a larger call goes alone).
pub const MAX_RECORDS: usize = 100_000;

/// What a caller is told when its rows are committed (with the number of calls in that
/// transaction) or failed.
pub type Done = Box<dyn FnOnce(Result<usize>) + Send>;

/// Counts a commit: calls and records in it.
pub type Observe = Box<dyn Fn(usize, usize) + Send>;

struct Job {
    log: PendingLog,
    done: Done,
}

/// The writer thread and its queue.
pub struct GroupCommit {
    queue: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl GroupCommit {
    /// Starts the writer, which opens its own registry with `open` (a [`Registry`] stays on
    /// the thread that opened it); an error opening it is returned here.
    pub fn start(
        open: impl FnOnce() -> Result<Registry> + Send + 'static,
        observe: Observe,
    ) -> Result<GroupCommit> {
        let (queue, jobs) = mpsc::channel::<Job>();
        let (opened, is_open) = mpsc::sync_channel::<Result<()>>(1);
        let thread = std::thread::Builder::new()
            .name("mlops-lite-log-writer".into())
            .spawn(move || {
                let mut registry = match open() {
                    Ok(r) => {
                        let _ = opened.send(Ok(()));
                        r
                    }
                    Err(e) => {
                        let _ = opened.send(Err(e));
                        return;
                    }
                };
                write_loop(&mut registry, &jobs, &observe);
            })
            .map_err(|e| Error::io("the log writer thread", e))?;
        match is_open.recv() {
            Ok(Ok(())) => Ok(GroupCommit {
                queue: Some(queue),
                thread: Some(thread),
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(Error::io(
                "the log writer",
                std::io::Error::other("stopped while opening the registry"),
            )),
        }
    }

    /// Queues a call's rows; `done` is called once they are committed or failed. If the
    /// writer has stopped, `done` is called at once with an error.
    pub fn submit(&self, log: PendingLog, done: Done) {
        let job = Job { log, done };
        let Some(queue) = &self.queue else {
            return (job.done)(Err(stopped()));
        };
        if let Err(mpsc::SendError(job)) = queue.send(job) {
            (job.done)(Err(stopped()));
        }
    }

    /// Stops taking calls, commits every call already queued, and waits for the writer.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.queue.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for GroupCommit {
    fn drop(&mut self) {
        self.stop();
    }
}

fn stopped() -> Error {
    Error::io(
        "the log writer",
        std::io::Error::other("it has stopped; nothing was logged"),
    )
}

/// Takes the first queued call (waiting for one), then every call already queued up to the
/// limits, and commits them together; until the queue is closed and empty.
fn write_loop(registry: &mut Registry, jobs: &mpsc::Receiver<Job>, observe: &Observe) {
    while let Ok(first) = jobs.recv() {
        let mut records = first.log.len();
        let mut group = vec![first];
        while group.len() < MAX_CALLS && records < MAX_RECORDS {
            match jobs.try_recv() {
                Ok(job) => {
                    records += job.log.len();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        let logs: Vec<&PendingLog> = group.iter().map(|j| &j.log).collect();
        match registry.write_pending(&logs) {
            Ok(()) => {
                observe(group.len(), records);
                let n = group.len();
                for job in group {
                    (job.done)(Ok(n));
                }
            }
            Err(e) if group.len() == 1 => {
                let job = group.pop().expect("one job");
                (job.done)(Err(e));
            }
            Err(_) => {
                // One call's rows may be what failed: each alone, so the others still land.
                for job in group {
                    let result = registry.write_pending(&[&job.log]);
                    if result.is_ok() {
                        observe(1, job.log.len());
                    }
                    (job.done)(result.map(|()| 1));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::samples;
    use crate::records::Records;
    use crate::train::TrainRequest;
    use std::sync::{Arc, Mutex};

    fn registry_with_model(path: &std::path::Path) {
        let mut reg = Registry::open(path).unwrap();
        let (_, iris) = samples::sample("iris").unwrap();
        reg.bind_dataset(&iris, "iris", "").unwrap();
        let request = TrainRequest {
            dataset: "iris".into(),
            name: "iris-lr".into(),
            target: Some("target".into()),
            ..TrainRequest::default()
        };
        reg.train_and_bind(&request).unwrap();
    }

    #[test]
    fn calls_queued_together_commit_together_and_all_land() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.db");
        registry_with_model(&path);
        let commits = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&commits);
        let writer = GroupCommit::start(
            {
                let path = path.clone();
                move || Registry::open(path)
            },
            Box::new(move |calls, records| seen.lock().unwrap().push((calls, records))),
        )
        .unwrap();
        let mut reg = Registry::open(&path).unwrap();
        let (tx, rx) = mpsc::channel();
        for i in 0..50 {
            let json = format!(
                r#"[{{"sepal length (cm)":5.1,"sepal width (cm)":3.5,"petal length (cm)":1.4,"petal width (cm)":{},"reference_id":"r{i}"}}]"#,
                i as f64 / 10.0
            );
            let (_, _, _, pending) = reg
                .predict_pending("iris-lr", Records::json(json.as_bytes(), "test"))
                .unwrap();
            let tx = tx.clone();
            writer.submit(
                pending.unwrap(),
                Box::new(move |r| tx.send(r.map(|_| i)).unwrap()),
            );
        }
        writer.finish();
        let mut answered: Vec<usize> = rx.try_iter().map(|r| r.unwrap()).collect();
        answered.sort();
        assert_eq!(answered, (0..50).collect::<Vec<_>>());
        let logged = reg.log(&Default::default()).unwrap();
        assert_eq!(logged.len(), 50);
        let ids: Vec<_> = logged
            .iter()
            .map(|r| r.reference_id.clone().unwrap())
            .collect();
        assert_eq!(ids, (0..50).map(|i| format!("r{i}")).collect::<Vec<_>>());
        let commits = commits.lock().unwrap();
        assert_eq!(commits.iter().map(|c| c.1).sum::<usize>(), 50);
        assert_eq!(commits.iter().map(|c| c.0).sum::<usize>(), 50);
    }

    #[test]
    fn a_registry_that_cannot_open_is_an_error_at_start() {
        let err = GroupCommit::start(
            || Registry::open_existing("/nonexistent/dir/r.db"),
            Box::new(|_, _| {}),
        )
        .err()
        .expect("an error");
        assert!(err.to_string().contains("/nonexistent/dir/r.db"), "{err}");
    }
}
