//! HTTP/1.1 for a book served to this machine's browser, on hyper: keep-alive
//! (a page loads a few dozen files over a handful of connections), at most
//! `MAX_CONNECTIONS` at once (more wait to be accepted), idle ones closed,
//! and every request checked for its `Host` before anything else, so that a
//! page of another site that reaches 127.0.0.1 through a name of its own
//! (DNS rebinding) gets nothing.

use crate::api::Api;
use crate::reload::Pages;
use bytes::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::{Method, Request, Response, StatusCode, header};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

/// Connections at once: a browser opens six per host; tabs, tests and a
/// reader's tools fit well under this.
const MAX_CONNECTIONS: usize = 64;

/// How long a connection may take to send a request's head (idle keep-alive
/// connections included) before it is closed.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// A page waiting for a reload hears a comment this often, so that one whose
/// tab has closed is noticed and its connection freed.
const RELOAD_PING: Duration = Duration::from_secs(15);

pub struct Server {
    pub port: u16,
    pub pages: Arc<Pages>,
    pub api: Arc<Api>,
}

impl Server {
    /// Answers requests until the process ends.
    pub async fn run(self, listener: std::net::TcpListener) -> Result<(), String> {
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| e.to_string())?;
        let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
        let server = Arc::new(self);
        loop {
            let slot = Arc::clone(&slots).acquire_owned().await.map_err(|e| e.to_string())?;
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(_) => {
                    // Out of file descriptors, most likely: let some close.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let server = Arc::clone(&server);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let server = Arc::clone(&server);
                    async move { Ok::<_, Infallible>(server.answer(request).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(HEAD_TIMEOUT)
                    .keep_alive(true)
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
                drop(slot);
            });
        }
    }

    async fn answer(&self, request: Request<Incoming>) -> Response<Out> {
        if let Err(why) = self.check_host(&request) {
            return refuse(StatusCode::FORBIDDEN, &why);
        }
        let path = request.uri().path().to_string();
        match path.as_str() {
            "/api/reload" => self.reload(&request),
            _ if path.starts_with("/api/") => self.api.answer(request).await,
            _ => self.page(&request, &path),
        }
    }

    /// Only requests addressed to this server by its own names.
    fn check_host(&self, request: &Request<Incoming>) -> Result<(), String> {
        let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        let port = self.port.to_string();
        let ours = |name: &str| host == format!("{name}:{port}") || host == name;
        if ours("127.0.0.1") || ours("localhost") {
            Ok(())
        } else {
            Err(format!(
                "this server answers only to 127.0.0.1:{port} and localhost:{port}, not to {host:?} (a page of another \
                 site reaching it under a name of its own?)"
            ))
        }
    }

    fn page(&self, request: &Request<Incoming>, path: &str) -> Response<Out> {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return refuse(StatusCode::METHOD_NOT_ALLOWED, "pages are read with GET");
        }
        match self.pages.current().file(path) {
            Some((bytes, kind)) => respond(StatusCode::OK, kind, bytes),
            None => respond(StatusCode::NOT_FOUND, "text/plain; charset=utf-8", format!("no such page: {path}")),
        }
    }

    /// `GET /api/reload`: an event each time the book has been built again.
    fn reload(&self, request: &Request<Incoming>) -> Response<Out> {
        if request.method() != Method::GET {
            return refuse(StatusCode::METHOD_NOT_ALLOWED, "use GET");
        }
        let (tx, out) = Out::lines();
        let mut builds = self.pages.builds();
        builds.mark_unchanged();
        tokio::spawn(async move {
            loop {
                let line = tokio::select! {
                    changed = builds.changed() => match changed {
                        Ok(()) => "data: reload\n\n",
                        Err(_) => return,
                    },
                    () = tokio::time::sleep(RELOAD_PING) => ": still here\n\n",
                };
                if tx.send(Bytes::from_static(line.as_bytes())).is_err() {
                    return;
                }
            }
        });
        streaming(out, "text/event-stream")
    }
}

/// A response's body: whole, or lines sent as they come until every sender
/// is gone. Hyper drops it when the connection closes, and a sender's next
/// `send` fails: that is how a run notices its page went away.
pub enum Out {
    Whole(Option<Bytes>),
    Lines(tokio::sync::mpsc::UnboundedReceiver<Bytes>),
}

impl Out {
    pub fn lines() -> (tokio::sync::mpsc::UnboundedSender<Bytes>, Out) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (tx, Out::Lines(rx))
    }
}

impl Body for Out {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Out::Whole(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Out::Lines(rx) => rx.poll_recv(cx).map(|line| line.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Out::Whole(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Out::Whole(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Out::Lines(_) => SizeHint::default(),
        }
    }
}

/// A whole answer.
pub fn respond(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Out> {
    let mut response = Response::new(Out::Whole(Some(body.into())));
    *response.status_mut() = status;
    headers(&mut response, content_type);
    response
}

/// An answer whose body follows as it comes.
pub fn streaming(body: Out, content_type: &str) -> Response<Out> {
    let mut response = Response::new(body);
    headers(&mut response, content_type);
    response
}

fn headers(response: &mut Response<Out>, content_type: &str) {
    let h = response.headers_mut();
    if let Ok(kind) = header::HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, kind);
    }
    h.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
}

/// An error as JSON: `{"error": why}`.
pub fn refuse(status: StatusCode, why: &str) -> Response<Out> {
    respond(status, "application/json", serde_json::json!({ "error": why }).to_string())
}
