//! The book's pages, built with mdBook's library into a folder made for it,
//! read into memory and the folder removed at once (a server stopped by
//! Ctrl-C leaves nothing behind), then served from memory. Every HTML page
//! gets the runner's settings (the token and the examples) before
//! `</head>`; `theme/runner.js` (part of the book) reads them.

use bytes::Bytes;
use std::collections::HashMap;
use std::path::Path;

pub struct Site {
    /// Each file of the built book by its path ("css/chrome-d279d366.css").
    files: HashMap<String, (Bytes, &'static str)>,
}

impl Site {
    pub fn build(book: &Path, token: &str, examples: &[String]) -> Result<Site, String> {
        let dir = tempfile::Builder::new()
            .prefix("parlab-book-")
            .tempdir()
            .map_err(|e| format!("cannot make a folder for the built book: {e}"))?;
        let mut md = mdbook_driver::MDBook::load(book)
            .map_err(|e| format!("cannot load the book at {}: {e}", book.display()))?;
        md.config.build.build_dir = dir.path().to_path_buf();
        md.build().map_err(|e| format!("the book does not build: {e}"))?;
        let settings = serde_json::json!({ "token": token, "examples": examples, "reload": true });
        let settings = format!("<script>window.PARLAB_RUNNER = {settings};</script>\n</head>");
        let mut files = HashMap::new();
        read_tree(dir.path(), dir.path(), &settings, &mut files)
            .map_err(|e| format!("cannot read the built book in {}: {e}", dir.path().display()))?;
        Ok(Site { files })
    }

    /// The file a URL path names, with its content type; `None` outside the book.
    pub fn file(&self, path: &str) -> Option<(Bytes, &'static str)> {
        let relative = path.trim_start_matches('/');
        let relative = if relative.is_empty() || relative.ends_with('/') {
            format!("{relative}index.html")
        } else {
            relative.to_string()
        };
        self.files.get(&relative).cloned()
    }
}

/// Reads every file under `dir` into `files`, by its path from `root`.
fn read_tree(
    root: &Path,
    dir: &Path,
    settings: &str,
    files: &mut HashMap<String, (Bytes, &'static str)>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            read_tree(root, &path, settings, files)?;
            continue;
        }
        let Some(relative) = path.strip_prefix(root).ok().and_then(|p| p.to_str()) else { continue };
        let kind = content_type(relative);
        let mut bytes = std::fs::read(&path)?;
        if kind.starts_with("text/html") {
            bytes = String::from_utf8_lossy(&bytes).replacen("</head>", settings, 1).into_bytes();
        }
        files.insert(relative.to_string(), (Bytes::from(bytes), kind));
    }
    Ok(())
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css",
        "js" => "text/javascript",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
