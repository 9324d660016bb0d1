//! `POST /api/run`: who may run code, and what a request may carry. The
//! answer streams one JSON object per line (see `runner::Event`), sent as
//! each comes, until the run ends; a reader who goes away stops the run.

use crate::runner::{Event, Runner};
use crate::server::{Out, refuse, streaming};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, header};
use serde::Deserialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The largest request body: an example's source is a few KiB.
pub const MAX_BODY: usize = 64 * 1024;

/// A line every half second at least while a run is silent: a closed page
/// shows as a failed write, and stops the run.
const RUN_PING: Duration = Duration::from_millis(500);

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
    runner: Arc<Runner>,
}

type Refusal = (StatusCode, String);

impl Api {
    pub fn new(port: u16, token: String, examples: Vec<String>, runner: Runner) -> Api {
        let origins = [format!("http://127.0.0.1:{port}"), format!("http://localhost:{port}")];
        Api { origins, token, examples, runner: Arc::new(runner) }
    }

    pub async fn answer(&self, request: Request<Incoming>) -> Response<Out> {
        match self.admit(request).await {
            Err((status, why)) => refuse(status, &why),
            Ok(run) => self.stream(run),
        }
    }

    /// The request, checked: `Err` with the HTTP status and why.
    async fn admit(&self, request: Request<Incoming>) -> Result<(String, Option<String>), Refusal> {
        let path = request.uri().path();
        if path != "/api/run" {
            return Err((StatusCode::NOT_FOUND, format!("no such API: {path}")));
        }
        if request.method() != Method::POST {
            return Err((StatusCode::METHOD_NOT_ALLOWED, "use POST".into()));
        }
        let header = |name: &str| request.headers().get(name).map(|v| v.to_str().unwrap_or("?"));
        if let Some(origin) = header(header::ORIGIN.as_str())
            && !self.origins.iter().any(|o| o == origin)
        {
            return Err((StatusCode::FORBIDDEN, format!("runs are only for pages served here, not for {origin}")));
        }
        if header("X-Parlab-Token") != Some(self.token.as_str()) {
            return Err((
                StatusCode::FORBIDDEN,
                "missing or wrong token: reload the page served by `checker book`".into(),
            ));
        }
        let too_large = || {
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the code is over {} KiB: an example is a few KiB", MAX_BODY / 1024),
            )
        };
        let length = header(header::CONTENT_LENGTH.as_str()).and_then(|v| v.parse::<usize>().ok()).unwrap_or(0);
        if length > MAX_BODY {
            return Err(too_large());
        }
        let body = http_body_util::Limited::new(request.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    too_large()
                } else {
                    (StatusCode::BAD_REQUEST, format!("the request's body: {e}"))
                }
            })?
            .to_bytes();
        let run: RunRequest = serde_json::from_slice(&body)
            .map_err(|e| (StatusCode::BAD_REQUEST, format!("a malformed request: {e}")))?;
        if !self.examples.contains(&run.example) {
            return Err((StatusCode::NOT_FOUND, format!("no example named {:?}", run.example)));
        }
        let source = match (&run.code, &run.original) {
            (None, _) => None,
            (Some(code), Some(original)) => {
                Some(self.runner.splice(&run.example, original, code).map_err(|e| (StatusCode::BAD_REQUEST, e))?)
            }
            (Some(_), None) => {
                return Err((StatusCode::BAD_REQUEST, "edited code needs the block's original text too".into()));
            }
        };
        Ok((run.example, source))
    }

    /// Runs the example on a thread of its own (builds and runs block),
    /// its events streamed as they come.
    fn stream(&self, (example, source): (String, Option<String>)) -> Response<Out> {
        let (tx, out) = Out::lines();
        let stop = Arc::new(AtomicBool::new(false));
        let ping = tx.downgrade();
        let runner = Arc::clone(&self.runner);
        let stopping = Arc::clone(&stop);
        std::thread::spawn(move || {
            let send = |event: Event| {
                if tx.send(Bytes::from(event.line())).is_err() {
                    stopping.store(true, Ordering::SeqCst);
                }
            };
            runner.run(&example, source, &send, &stopping);
        });
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(RUN_PING).await;
                // The run has ended when its thread's sender is gone.
                let Some(tx) = ping.upgrade() else { return };
                if tx.send(Bytes::from_static(b"\n")).is_err() {
                    stop.store(true, Ordering::SeqCst);
                    return;
                }
            }
        });
        streaming(out, "application/x-ndjson")
    }
}
