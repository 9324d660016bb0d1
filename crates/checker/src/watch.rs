//! `checker watch`: grade again whenever an exercise's source is saved.

use notify::{RecursiveMode, Watcher};
use std::path::Path;
use std::time::Duration;

/// Runs `verify` now and after every change under `dir` (but `target/`),
/// until Ctrl-C.
pub fn watch(dir: &Path, mut verify: impl FnMut()) -> Result<i32, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(tx).map_err(|e| format!("cannot watch files: {e}"))?;
    watcher.watch(dir, RecursiveMode::Recursive).map_err(|e| format!("cannot watch {}: {e}", dir.display()))?;
    loop {
        verify();
        println!("watching {} for changes (Ctrl-C to stop)", dir.display());
        // Wait for a change to a source file, then let a burst of saves settle.
        loop {
            let event = rx.recv().map_err(|e| e.to_string())?;
            if let Ok(ev) = event
                && ev.paths.iter().any(|p| {
                    p.extension().is_some_and(|x| x == "rs" || x == "toml")
                        && !p.components().any(|c| c.as_os_str() == "target")
                })
            {
                break;
            }
        }
        while rx.recv_timeout(Duration::from_millis(300)).is_ok() {}
    }
}
