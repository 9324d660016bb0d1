//! parlab-book: the course book served on this machine, with a Run control
//! on every example block (`checker book` starts it too). `site` builds the
//! pages with mdBook's library, `reload` builds them again when the book
//! changes, `server` speaks HTTP (hyper on tokio), `api` guards the run API,
//! `runner` builds an example (as committed or as edited in the page) and
//! runs it in the sandbox, streaming what it prints.
//!
//! Only this machine's browser may run code: the server listens on
//! 127.0.0.1 only, answers only requests addressed to 127.0.0.1 or
//! localhost (its `Host` check), and a run needs the token the served pages
//! carry and, if the browser names one, this server's own origin.

mod api;
mod reload;
mod runner;
mod server;
mod site;

use clap::Parser;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Serve the parlab course book with a Run control on every example (127.0.0.1 only).
#[derive(Parser)]
#[command(name = "parlab-book", version)]
struct Cli {
    /// The course's folder (holds `book/` and `crates/parlab/examples/`);
    /// by default the first folder upward from here that holds `book/book.toml`.
    #[arg(long)]
    repo: Option<PathBuf>,
    /// The port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 3000)]
    port: u16,
    /// Open the book in the browser.
    #[arg(long)]
    open: bool,
}

fn main() {
    let cli = Cli::parse();
    if let Err(message) = serve(&cli) {
        eprintln!("parlab-book: {message}");
        std::process::exit(2);
    }
}

fn serve(cli: &Cli) -> Result<(), String> {
    let repo = match &cli.repo {
        Some(repo) => repo.canonicalize().map_err(|e| format!("{}: {e}", repo.display()))?,
        None => find_repo()?,
    };
    parlab_sandbox::prepare("parlab-book");
    let examples = runner::examples(&repo)?;
    let listener = std::net::TcpListener::bind(("127.0.0.1", cli.port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e} (another server there? try --port)", cli.port))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let token = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
    eprintln!("building the book...");
    let book = repo.join("book");
    let site = site::Site::build(&book, &token, &examples)?;
    let api = api::Api::new(port, token.clone(), examples.clone(), runner::Runner::new(&repo));
    let pages = reload::Pages::new(site);
    let url = format!("http://127.0.0.1:{port}/");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the server's runtime: {e}"))?;
    let _watching =
        reload::watch(&repo, &pages, move |pages| site::Site::build(&book, &token, &examples).map(|s| pages.swap(s)))?;
    // The first line is the address, for people and for tests.
    println!(
        "serving the book at {url} (Ctrl-C stops; examples run on this machine's CPUs; edits to the book reload the page)"
    );
    if cli.open {
        open_browser(&url);
    }
    let server = server::Server { port, pages, api: Arc::new(api) };
    runtime.block_on(server.run(listener))
}

/// The first folder upward from here that holds the book.
fn find_repo() -> Result<PathBuf, String> {
    let here = std::env::current_dir().map_err(|e| format!("cannot read the current folder: {e}"))?;
    here.ancestors().find(|dir| dir.join("book/book.toml").is_file()).map(Path::to_path_buf).ok_or_else(|| {
        format!("no book/book.toml in {} or above it: run this in the course's folder, or give --repo", here.display())
    })
}

fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    if std::process::Command::new(opener).arg(url).spawn().is_err() {
        eprintln!("could not start {opener}: open {url} in your browser");
    }
}
