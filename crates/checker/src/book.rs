//! `checker book`: hands off to the book server, a program of its own
//! (`parlab-book`), so that grading builds none of the book's web stack.
//! The server is the one built beside this checker, else the one on PATH,
//! else built and started from the course's own workspace with cargo.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The book server's program name.
const SERVER: &str = "parlab-book";

/// Replaces this process with the book server for the course at `repo`;
/// returns only if it could not be started.
pub fn hand_off(repo: &Path, port: u16, open: bool) -> Result<i32, String> {
    let mut args: Vec<OsString> = vec!["--repo".into(), repo.into(), "--port".into(), port.to_string().into()];
    if open {
        args.push("--open".into());
    }
    let mut command = match installed() {
        Some(server) => Command::new(server),
        None if repo.join("crates/book/Cargo.toml").is_file() => {
            eprintln!("building the book server ({SERVER}), about a minute the first time...");
            let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
            cargo.current_dir(repo).args(["run", "-q", "-p", SERVER, "--"]);
            cargo
        }
        None => {
            return Err(format!(
                "the book server is a program of its own: install it with `cargo install --locked --path \
                 crates/book` in the course's folder, or run `cargo run -p {SERVER}` there"
            ));
        }
    };
    let error = command.args(&args).exec();
    Err(format!("cannot start the book server: {error}"))
}

/// `parlab-book` beside this checker (the same build), or on PATH.
fn installed() -> Option<PathBuf> {
    let beside = std::env::current_exe().ok().map(|exe| exe.with_file_name(SERVER));
    if let Some(beside) = beside.filter(|p| p.is_file()) {
        return Some(beside);
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(SERVER)).find(|p| p.is_file())
}
