//! The book's pages, built once with mdBook's library into a folder of our
//! own, and served as files. Every HTML page gets the runner's settings (the
//! token and the examples) before `</head>`; `theme/runner.js` (part of the
//! book) reads them.

use std::io::Read;
use std::path::{Path, PathBuf};

pub struct Site {
    /// Holds the built book; removed when the server ends.
    _dir: tempfile::TempDir,
    root: PathBuf,
    settings: String,
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
        let settings = serde_json::json!({ "token": token, "examples": examples });
        let settings = format!("<script>window.PARLAB_RUNNER = {settings};</script>\n</head>");
        Ok(Site { root: dir.path().to_path_buf(), _dir: dir, settings })
    }

    pub fn handle(&self, request: super::http::Request) {
        match self.file(&request.path) {
            Some((bytes, kind)) => super::http::respond(request.stream, 200, kind, &bytes),
            None => {
                let why = format!("no such page: {}", request.path);
                super::http::respond(request.stream, 404, "text/plain; charset=utf-8", why.as_bytes())
            }
        }
    }

    /// The file a URL path names, with its content type; `None` outside the book.
    fn file(&self, path: &str) -> Option<(Vec<u8>, &'static str)> {
        let relative = path.trim_start_matches('/');
        let relative = if relative.is_empty() || relative.ends_with('/') {
            format!("{relative}index.html")
        } else {
            relative.to_string()
        };
        if relative.split('/').any(|part| part == ".." || part.starts_with('.')) {
            return None;
        }
        let file = self.root.join(&relative);
        let mut bytes = Vec::new();
        std::fs::File::open(&file).ok()?.read_to_end(&mut bytes).ok()?;
        let kind = content_type(&relative);
        if kind.starts_with("text/html") {
            let page = String::from_utf8_lossy(&bytes).replacen("</head>", &self.settings, 1);
            bytes = page.into_bytes();
        }
        Some((bytes, kind))
    }
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
