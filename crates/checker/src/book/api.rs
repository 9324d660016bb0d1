//! `POST /api/run`: who may run code, and what a request may carry. The
//! answer streams one JSON object per line (see `runner::Event`), written
//! to the socket as each comes, until the connection closes; a reader who
//! goes away stops the run.

use super::http::{self, Request};
use super::runner::{Event, Runner};
use serde::Deserialize;
use std::io::Write;
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The largest request body: an example's source is a few KiB.
pub const MAX_BODY: usize = 64 * 1024;

/// What a Run click sends.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// The chapter's example, e.g. "01_sequential".
    pub example: String,
    /// The block as the book shows it (where edited code goes in the example).
    #[serde(default)]
    pub original: Option<String>,
    /// The block as the reader edited it; `None` runs the example as committed.
    #[serde(default)]
    pub code: Option<String>,
}

pub struct Api {
    origins: [String; 2],
    token: String,
    examples: Vec<String>,
    runner: Runner,
}

impl Api {
    pub fn new(port: u16, token: String, examples: Vec<String>, runner: Runner) -> Api {
        let origins = [format!("http://127.0.0.1:{port}"), format!("http://localhost:{port}")];
        Api { origins, token, examples, runner }
    }

    pub fn handle(&self, request: Request) {
        match self.admit(&request) {
            Err((status, why)) => refuse(request.stream, status, &why),
            Ok(run) => self.stream(request.stream, run),
        }
    }

    /// The request, checked: `Err` with the HTTP status and why.
    fn admit(&self, request: &Request) -> Result<(String, Option<String>), (u16, String)> {
        if request.path != "/api/run" {
            return Err((404, format!("no such API: {}", request.path)));
        }
        if request.method != "POST" {
            return Err((405, "use POST".into()));
        }
        if let Some(origin) = request.header("Origin")
            && !self.origins.iter().any(|o| o == origin)
        {
            return Err((403, format!("runs are only for pages served here, not for {origin}")));
        }
        if request.header("X-Parlab-Token") != Some(self.token.as_str()) {
            return Err((403, "missing or wrong token: reload the page served by `checker book`".into()));
        }
        let run: RunRequest =
            serde_json::from_slice(&request.body).map_err(|e| (400, format!("a malformed request: {e}")))?;
        if !self.examples.contains(&run.example) {
            return Err((404, format!("no example named {:?}", run.example)));
        }
        let source = match (&run.code, &run.original) {
            (None, _) => None,
            (Some(code), Some(original)) => {
                Some(self.runner.splice(&run.example, original, code).map_err(|e| (400, e))?)
            }
            (Some(_), None) => return Err((400, "edited code needs the block's original text too".into())),
        };
        Ok((run.example, source))
    }

    /// Runs the example, writing each event to the socket as it comes.
    fn stream(&self, mut socket: TcpStream, (example, source): (String, Option<String>)) {
        if http::start_stream(&mut socket, "application/x-ndjson").is_err() {
            return;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::channel::<Event>();
        let writer = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                loop {
                    // A line every half second at least: a closed page shows
                    // as a failed write, and stops the run.
                    let line = match rx.recv_timeout(Duration::from_millis(500)) {
                        Ok(event) => event.line(),
                        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => "\n".to_string(),
                        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                    };
                    if socket.write_all(line.as_bytes()).and_then(|()| socket.flush()).is_err() {
                        stop.store(true, Ordering::SeqCst);
                        return;
                    }
                }
            })
        };
        let send = move |event: Event| {
            let _ = tx.send(event);
        };
        self.runner.run(&example, source, &send, &stop);
        drop(send);
        let _ = writer.join();
    }
}

/// Answers an error as JSON: `{"error": why}`.
pub fn refuse(stream: TcpStream, status: u16, why: &str) {
    let body = serde_json::json!({ "error": why }).to_string();
    http::respond(stream, status, "application/json", body.as_bytes());
}
