//! Who holds a lock on a registry file: read from Linux's `/proc/locks`, so that a writer that
//! gave up waiting can name the process it waited for. Best effort: on other systems, in
//! wasm, or when `/proc` says nothing, the list is empty and the message says less.

use std::path::Path;

/// `pid N: COMMAND LINE` of every other process that holds a POSIX lock on the file at
/// `path` or on its `-wal` / `-shm` companions (SQLite's locks), at most five.
pub(crate) fn holders(path: &Path) -> Vec<String> {
    #[cfg(target_os = "linux")]
    {
        linux::holders(path)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = path;
        Vec::new()
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::collections::BTreeSet;
    use std::os::unix::fs::MetadataExt;
    use std::path::Path;

    pub(super) fn holders(path: &Path) -> Vec<String> {
        let inodes: BTreeSet<u64> = ["", "-wal", "-shm"]
            .iter()
            .filter_map(|suffix| {
                let mut p = path.as_os_str().to_owned();
                p.push(suffix);
                std::fs::metadata(Path::new(&p)).ok().map(|m| m.ino())
            })
            .collect();
        // /proc/locks is small (one line per lock on the system); read at most 1 MB of it.
        let Ok(text) = read_bounded("/proc/locks", 1 << 20) else {
            return Vec::new();
        };
        let me = std::process::id();
        let mut pids = BTreeSet::new();
        for line in text.lines() {
            // "1: POSIX  ADVISORY  WRITE 1234 08:01:5678 1073741824 1073741824"
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(pid), Some(dev_ino)) = (fields.get(4), fields.get(5)) else {
                continue;
            };
            let ino = dev_ino
                .rsplit(':')
                .next()
                .and_then(|i| i.parse::<u64>().ok());
            match (pid.parse::<u32>(), ino) {
                (Ok(pid), Some(ino)) if pid != me && inodes.contains(&ino) => {
                    pids.insert(pid);
                }
                _ => {}
            }
        }
        pids.into_iter()
            .take(5)
            .map(|pid| {
                let cmd = read_bounded(&format!("/proc/{pid}/cmdline"), 4096)
                    .map(|c| c.replace('\0', " ").trim().to_string())
                    .unwrap_or_default();
                let cmd: String = cmd
                    .chars()
                    .map(|c| if c.is_control() { '?' } else { c })
                    .take(120)
                    .collect();
                if cmd.is_empty() {
                    format!("pid {pid}")
                } else {
                    format!("pid {pid} ({cmd})")
                }
            })
            .collect()
    }

    fn read_bounded(path: &str, limit: u64) -> std::io::Result<String> {
        use std::io::Read;
        let mut out = Vec::new();
        std::fs::File::open(path)?
            .take(limit)
            .read_to_end(&mut out)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}
