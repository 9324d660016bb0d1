//! `checker book`: the course book served on this machine, with a Run
//! control on every example block. `site` builds and serves the pages,
//! `api` guards the run API, `runner` builds an example (as committed or as
//! edited in the page) and runs it in the sandbox, streaming what it prints.
//!
//! Only this machine's browser may run code: the server listens on
//! 127.0.0.1 only, and a run needs the token the served pages carry and, if
//! the browser names one, this server's own origin.

mod api;
mod http;
mod runner;
mod site;

use std::path::PathBuf;
use std::sync::Arc;

/// What `checker book` was asked for.
pub struct Options {
    /// The project's root (holds `book/` and `crates/parlab/examples/`).
    pub repo: PathBuf,
    /// 0 picks a free port.
    pub port: u16,
    pub open: bool,
}

/// Builds the book and serves it until interrupted.
pub fn serve(opts: &Options) -> Result<i32, String> {
    let examples = runner::examples(&opts.repo)?;
    let listener = std::net::TcpListener::bind(("127.0.0.1", opts.port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e} (another server there? try --port)", opts.port))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let token = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
    eprintln!("building the book...");
    let site = site::Site::build(&opts.repo.join("book"), &token, &examples)?;
    let api = Arc::new(api::Api::new(port, token, examples, runner::Runner::new(&opts.repo)));
    let url = format!("http://127.0.0.1:{port}/");
    // The first line is the address, for people and for tests.
    println!("serving the book at {url} (Ctrl-C stops; examples run on this machine's CPUs)");
    if opts.open {
        open_browser(&url);
    }
    let site = Arc::new(site);
    for stream in listener.incoming().filter_map(Result::ok) {
        let (site, api) = (Arc::clone(&site), Arc::clone(&api));
        std::thread::spawn(move || match http::read(stream, api::MAX_BODY) {
            Err((stream, status, why)) => api::refuse(stream, status, &why),
            Ok(request) if request.path.starts_with("/api/") => api.handle(request),
            Ok(request) => site.handle(request),
        });
    }
    Ok(0)
}

fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    if std::process::Command::new(opener).arg(url).spawn().is_err() {
        eprintln!("could not start {opener}: open {url} in your browser");
    }
}
