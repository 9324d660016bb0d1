//! Commands served by programs of their own, so that grading builds none of
//! their crates: `checker book` (the book server, `parlab-book`, with its web
//! stack) and `checker class` (the class grader, `parlab-class`, with
//! SQLite). The program is the one built beside this checker, else the one
//! on PATH, else built and started from the course's own workspace with cargo.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A program a command hands off to.
pub struct Companion {
    /// Its program name, and its package's.
    pub program: &'static str,
    /// The course's folder that holds its crate.
    pub crate_dir: &'static str,
    /// What it is, for the line said while cargo builds it.
    pub what: &'static str,
}

pub const BOOK: Companion = Companion { program: "parlab-book", crate_dir: "crates/book", what: "the book server" };
pub const CLASS: Companion = Companion { program: "parlab-class", crate_dir: "crates/class", what: "the class grader" };

/// Replaces this process with `companion` for the course at `repo`;
/// returns only if it could not be started.
pub fn hand_off(repo: &Path, companion: &Companion, args: Vec<OsString>) -> Result<i32, String> {
    let Companion { program, crate_dir, what } = companion;
    let mut command = match installed(program) {
        Some(path) => Command::new(path),
        None if repo.join(crate_dir).join("Cargo.toml").is_file() => {
            eprintln!("building {what} ({program}), about a minute the first time...");
            // From the folder the command was given in, so that the paths it
            // names (students, a gradebook) mean what they meant there.
            let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
            cargo.args(["run", "-q", "--manifest-path"]).arg(repo.join("Cargo.toml")).args(["-p", program, "--"]);
            cargo
        }
        None => {
            return Err(format!(
                "{what} is a program of its own: install it with `cargo install --locked --path {crate_dir}` in the \
                 course's folder, or run `cargo run -p {program}` there"
            ));
        }
    };
    let error = command.args(&args).exec();
    Err(format!("cannot start {what}: {error}"))
}

/// `program` beside this checker (the same build), or on PATH.
fn installed(program: &str) -> Option<PathBuf> {
    let beside = std::env::current_exe().ok().map(|exe| exe.with_file_name(program));
    if let Some(beside) = beside.filter(|p| p.is_file()) {
        return Some(beside);
    }
    std::env::split_paths(&std::env::var_os("PATH")?).map(|dir| dir.join(program)).find(|p| p.is_file())
}
