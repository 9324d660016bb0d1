//! The user a learner's program runs as. Run by root, the checker hands the
//! program to an unprivileged user (`nobody`), so that it can neither write
//! into the checker's output nor read its memory or files; run by anyone
//! else, the program runs as that user and the checker protects itself by
//! being not dumpable ([`super::protect_checker`]).

use std::path::Path;

/// The folders any user may write to, on a Debian-like system.
const WORLD_WRITABLE: [&str; 5] = ["/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/dev/mqueue"];

/// An unprivileged user and group to run programs as.
#[derive(Debug, Clone)]
pub struct RunAs {
    uid: u32,
    gid: u32,
    name: String,
}

impl RunAs {
    /// `nobody` (or uid and gid 65534 where no such user is listed) when this
    /// process runs as root; `None` otherwise: the program runs as we do.
    pub fn unprivileged_if_root() -> Option<RunAs> {
        if !nix::unistd::geteuid().is_root() {
            return None;
        }
        let user = nix::unistd::User::from_name("nobody").ok().flatten();
        Some(match user {
            Some(u) => RunAs { uid: u.uid.as_raw(), gid: u.gid.as_raw(), name: u.name },
            None => RunAs { uid: 65534, gid: 65534, name: "uid 65534".into() },
        })
    }

    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// The user's name, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Gives `path` to the user, so that the program can write there.
    pub fn give(&self, path: &Path) -> std::io::Result<()> {
        std::os::unix::fs::chown(path, Some(self.uid), Some(self.gid))
    }

    /// Removes what the user left in the folders any user may write to
    /// (`/tmp`, `/var/tmp`, `/dev/shm`, `/run/lock`, `/dev/mqueue`) since `since`, but `keep` (the run's
    /// own folder): a run leaves nothing there for the next run to find.
    /// Links are removed, never followed.
    pub fn sweep_temporary_files(&self, since: std::time::SystemTime, keep: &Path) {
        use std::os::unix::fs::MetadataExt;
        let since = since.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64 - 1);
        for root in WORLD_WRITABLE {
            let Ok(entries) = std::fs::read_dir(root) else { continue };
            for entry in entries.filter_map(Result::ok) {
                let Ok(meta) = entry.path().symlink_metadata() else { continue };
                if meta.uid() != self.uid || meta.ctime() < since || entry.path() == keep {
                    continue;
                }
                // Another checker's run under way keeps its folder (it holds a live socket).
                let live = entry.file_name().to_string_lossy().starts_with("parlab-checker-")
                    && std::fs::symlink_metadata(entry.path().join("witness.sock"))
                        .is_ok_and(|m| std::os::unix::fs::FileTypeExt::is_socket(&m.file_type()));
                if live {
                    continue;
                }
                let _ = if meta.is_dir() {
                    std::fs::remove_dir_all(entry.path())
                } else {
                    std::fs::remove_file(entry.path())
                };
            }
        }
    }

    /// Becomes the user: runs in the child between `fork` and `exec`, so
    /// only async-signal-safe calls.
    pub fn enter(&self) -> std::io::Result<()> {
        // SAFETY: setgroups, setgid and setuid are async-signal-safe system calls.
        unsafe {
            if nix::libc::setgroups(0, std::ptr::null()) != 0
                || nix::libc::setgid(self.gid) != 0
                || nix::libc::setuid(self.uid) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    }
}
