//! Registry files the CLI creates: a new file whose first write failed is removed (as if the
//! command never ran), and a legacy import into a new file is written beside it under a
//! temporary name and published only once it has committed. Writing inside a registry is the
//! core's; this file only creates, renames and removes files.

use std::path::PathBuf;

use mlops_lite::store::remove_db_files;
use mlops_lite::{Error, Registry};

/// Imports into a registry file that does not exist yet: into `NAME.import-legacy-PID.tmp`
/// beside it, renamed to `target` only after the import committed and the file was closed.
/// On failure the temporary file is removed; one left by a killed run (its process no longer
/// runs) is removed by the next import into the same target.
pub fn import_into_new_file(
    old: &std::path::Path,
    target: &std::path::Path,
    options: &mlops_lite::legacy::LegacyOptions,
) -> Result<mlops_lite::legacy::LegacyReport, Error> {
    let label = target.display().to_string();
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Some(name) = target.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Err(Error::InvalidArgument(format!(
            "--db {label}: give the path of a registry file"
        )));
    };
    if !dir.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "--db {label}: its folder {} does not exist; create it or choose another path; \
             nothing was written",
            dir.display()
        )));
    }
    let prefix = format!("{name}.import-legacy-");
    remove_stale_imports(&dir, &prefix);
    let tmp = dir.join(format!("{prefix}{}.tmp", std::process::id()));
    let result = Registry::open(&tmp)
        .and_then(|mut reg| {
            let report = mlops_lite::legacy::import_legacy_with(old, &mut reg, options);
            drop(reg); // closed: the write-ahead log is folded into the file
            report
        })
        .and_then(|mut report| {
            publish(&tmp, target, &label)?;
            report.target = label.clone();
            Ok(report)
        });
    if result.is_err() {
        remove_db_files(&tmp);
    }
    result
}

/// Moves the finished file `tmp` to `target`, never over a file that appeared meanwhile.
fn publish(tmp: &std::path::Path, target: &std::path::Path, label: &str) -> Result<(), Error> {
    for suffix in ["-wal", "-journal"] {
        let mut p = tmp.as_os_str().to_owned();
        p.push(suffix);
        if std::fs::metadata(&p).is_ok_and(|m| m.len() > 0) {
            return Err(Error::Io {
                path: tmp.display().to_string(),
                source: std::io::Error::other(format!(
                    "the imported file still has a {suffix} file after it was closed; nothing \
                     was written to {label}: run the import again"
                )),
            });
        }
    }
    // A hard link fails if `target` exists (no clobbering); a rename is the fallback on file
    // systems without links.
    match std::fs::hard_link(tmp, target) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::InvalidArgument(format!(
                "{label} was created by another program during the import; it was left as it \
                 is and nothing was written to it: run the import again to import into it"
            )))
        }
        Err(_) if !target.exists() => {
            std::fs::rename(tmp, target).map_err(|e| Error::io(label, e))?;
        }
        Err(e) => return Err(Error::io(label, e)),
    }
    remove_db_files(tmp);
    Ok(())
}

/// Removes `PREFIX<pid>.tmp` files (and their -wal, -shm, -journal) in `dir` left by imports
/// that were killed: their process no longer runs (checked on Linux; elsewhere they stay).
fn remove_stale_imports(dir: &std::path::Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(rest) = file.to_str().and_then(|f| f.strip_prefix(prefix)) else {
            continue;
        };
        let Some(Ok(pid)) = rest.strip_suffix(".tmp").map(str::parse::<u32>) else {
            continue;
        };
        let gone = cfg!(target_os = "linux")
            && pid != std::process::id()
            && !std::path::Path::new(&format!("/proc/{pid}")).exists();
        if gone {
            remove_db_files(&entry.path());
        }
    }
}
