//! `checker watch`: grade again whenever an exercise's source is saved.
//!
//! Only the exercises' `src/` folders are watched (a build writes thousands
//! of files under `target/`, which must not wake the checker), a burst of
//! saves is taken as one, and only the exercise whose sources now read
//! differently is graded (a file's times changing, as a build's check marks
//! them, or a save of the same text, is no change).

use crate::manifest::Manifest;
use notify::{RecursiveMode, Watcher};
use std::path::Path;
use std::time::Duration;

/// Saves closer together than this are one change.
const SETTLE: Duration = Duration::from_millis(300);

/// Runs `verify(None)` now, then `verify(Some(exercise))` after every change
/// to that exercise's source, until Ctrl-C.
pub fn watch(dir: &Path, manifest: &Manifest, json: bool, mut verify: impl FnMut(Option<&str>)) -> Result<i32, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut watcher = notify::recommended_watcher(tx).map_err(|e| format!("cannot watch files: {e}"))?;
    for e in &manifest.exercises {
        let src = dir.join(&e.name).join("src");
        watcher
            .watch(&src, RecursiveMode::Recursive)
            .map_err(|err| format!("cannot watch {}: {err}", src.display()))?;
    }
    let digest = |name: &str| crate::compile::folder_digest(&dir.join(name).join("src"));
    let mut graded: std::collections::HashMap<String, String> =
        manifest.exercises.iter().map(|e| (e.name.clone(), digest(&e.name))).collect();
    verify(None);
    let mut graded_since_said = true;
    loop {
        if !json && graded_since_said {
            println!("watching the exercises' sources in {} (Ctrl-C to stop)", dir.display());
        }
        // Wait for a change to a Rust source, then let a burst of saves settle.
        let mut changed: Vec<String> = Vec::new();
        loop {
            let event = rx.recv().map_err(|e| e.to_string())?;
            if let Ok(ev) = event.as_ref()
                && writes(ev)
            {
                changed.extend(exercises_touched(dir, manifest, &ev.paths));
            }
            if !changed.is_empty() {
                break;
            }
        }
        while let Ok(event) = rx.recv_timeout(SETTLE) {
            if let Ok(ev) = event.as_ref()
                && writes(ev)
            {
                changed.extend(exercises_touched(dir, manifest, &ev.paths));
            }
        }
        changed.sort();
        changed.dedup();
        changed.retain(|name| {
            let now = digest(name);
            graded.insert(name.clone(), now.clone()).is_none_or(|before| before != now)
        });
        graded_since_said = !changed.is_empty();
        for name in &changed {
            verify(Some(name));
        }
    }
}

/// Whether an event changed a file (a build reading the sources, or the
/// checker hashing them, only opens them).
fn writes(ev: &notify::Event) -> bool {
    ev.kind.is_modify() || ev.kind.is_create() || ev.kind.is_remove()
}

/// The exercises whose Rust sources are among `paths`.
fn exercises_touched(dir: &Path, manifest: &Manifest, paths: &[std::path::PathBuf]) -> Vec<String> {
    manifest
        .exercises
        .iter()
        .filter(|e| {
            let src = dir.join(&e.name).join("src");
            paths.iter().any(|p| p.starts_with(&src) && p.extension().is_some_and(|x| x == "rs"))
        })
        .map(|e| e.name.clone())
        .collect()
}
