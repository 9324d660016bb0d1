//! The course around the exercises: where the exercises and the book are,
//! which exercise is the learner's current one, and how to write a command
//! the way the learner runs the checker.

use crate::manifest::{Exercise, Manifest};
use crate::progress::Progress;
use std::path::{Path, PathBuf};

/// Environment variable: the exercises folder, where `--dir` is not given
/// (a classroom's workflow may grade a copy).
pub const EXERCISES_ENV: &str = "PARLAB_EXERCISES";

/// The exercises folder: [`EXERCISES_ENV`], else `exercises/manifest.toml`
/// here or in a parent.
pub fn find_exercises() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(EXERCISES_ENV) {
        return Ok(PathBuf::from(dir));
    }
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    for d in cwd.ancestors() {
        if d.join("manifest.toml").is_file() && d.join("Cargo.toml").is_file() {
            return Ok(d.to_path_buf());
        }
        if d.join("exercises/manifest.toml").is_file() {
            return Ok(d.join("exercises"));
        }
    }
    Err("no exercises found: run checker inside the parlab repository, or pass --dir <exercises folder>".into())
}

/// The chapter of an exercise (chapters share the exercise's number), as a
/// path from the course's root: the book lies beside the exercises folder,
/// wherever the checker was installed from.
pub fn chapter_of(dir: &Path, exercise: &str) -> String {
    let number = exercise.split('_').next().unwrap_or("");
    let chapters = dir.join("../book/src");
    std::fs::read_dir(&chapters)
        .ok()
        .and_then(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .find(|f| f.starts_with(&format!("{number}_")) && f.ends_with(".md"))
        })
        .map(|f| format!("book/src/{f}"))
        .unwrap_or_else(|| format!("the book's chapter {number}"))
}

/// The first exercise not passed with its current source; `None` when all are.
pub fn current<'m>(manifest: &'m Manifest, dir: &Path, progress: &Progress) -> Option<&'m Exercise> {
    manifest.exercises.iter().find(|e| !progress.passed_unchanged(dir, &e.name))
}

/// How the learner runs the checker: `cargo run -p checker --` when cargo
/// started it (cargo sets CARGO_PKG_NAME for the program it runs), else `checker`.
pub fn invocation() -> &'static str {
    if std::env::var("CARGO_PKG_NAME").is_ok_and(|n| n == "checker") { "cargo run -p checker --" } else { "checker" }
}
