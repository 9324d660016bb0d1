//! Live reload: the book is built again when one of its files changes (a
//! chapter, the theme, an included example or output), and every open page
//! is told to reload (`GET /api/reload`, server-sent events), as `mdbook
//! serve` does. A build that fails keeps the pages as they were and says why.

use crate::site::Site;
use notify::{RecursiveMode, Watcher};
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The pages being served, swapped whole when the book is built again.
pub struct Pages {
    site: RwLock<Arc<Site>>,
    /// Counts the builds; a page waits for it to change.
    built: tokio::sync::watch::Sender<u64>,
}

impl Pages {
    pub fn new(site: Site) -> Arc<Pages> {
        Arc::new(Pages { site: RwLock::new(Arc::new(site)), built: tokio::sync::watch::Sender::new(0) })
    }

    /// The site as last built.
    pub fn current(&self) -> Arc<Site> {
        Arc::clone(&self.site.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Serves `site` from now on, and tells the open pages.
    pub fn swap(&self, site: Site) {
        *self.site.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(site);
        self.built.send_modify(|n| *n += 1);
    }

    /// Changes once per build from now on.
    pub fn builds(&self) -> tokio::sync::watch::Receiver<u64> {
        self.built.subscribe()
    }
}

/// What the book is made of, under the course's folder.
const SOURCES: [&str; 3] = ["book", "crates/parlab/examples", "crates/parlab-mpi/examples"];

/// How long the files must stay quiet before a build: an editor's save is
/// often several writes.
const QUIET: Duration = Duration::from_millis(300);

/// Watches the book's sources and calls `rebuild` after each change; the
/// watch lasts as long as the returned watcher.
pub fn watch(
    repo: &Path,
    pages: &Arc<Pages>,
    rebuild: impl Fn(&Pages) -> Result<(), String> + Send + 'static,
) -> Result<notify::RecommendedWatcher, String> {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    // mdbook's own output folder (`mdbook build`) is not a source.
    let output = repo.join("book/book");
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event
            && !event.kind.is_access()
            && event.paths.iter().any(|p| !p.starts_with(&output))
        {
            let _ = tx.send(());
        }
    })
    .map_err(|e| format!("cannot watch the book for changes: {e}"))?;
    for source in SOURCES {
        let path = repo.join(source);
        if path.exists() {
            watcher
                .watch(&path, RecursiveMode::Recursive)
                .map_err(|e| format!("cannot watch {} for changes: {e}", path.display()))?;
        }
    }
    let pages = Arc::clone(pages);
    std::thread::spawn(move || {
        while rx.recv().is_ok() {
            while rx.recv_timeout(QUIET).is_ok() {}
            eprintln!("the book changed: building it again...");
            match rebuild(&pages) {
                Ok(()) => eprintln!("built; open pages reload"),
                Err(why) => eprintln!("the book does not build, the pages stay as they were: {why}"),
            }
        }
    });
    Ok(watcher)
}
