//! Builds an exercise with cargo, showing its errors as cargo prints them,
//! and finds the program it made: the program of these sources, even where
//! another copy of the exercises shares the target folder.

use parlab_sandbox::stage::CargoErrors;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds the exercise in folder `exercise` of the workspace in `dir`
/// (release: speed is graded) and returns the path of its program. Cargo's
/// own messages go to stderr.
pub fn build(dir: &Path, exercise: &str, package: &str, quiet: bool) -> Result<PathBuf, String> {
    // A first build compiles the engine too, with nothing on the screen
    // under `--json` or cargo's `-q`: say so, once, whatever the options.
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| dir.join("target"), PathBuf::from);
    if !target.join("release").join(package).exists() {
        eprintln!("building {package}, about a minute the first time (it compiles the parlab engine too)...");
    }
    let record = target.join("release").join(format!(".parlab-built-{package}"));
    let digest = sources_digest(dir, exercise);
    if std::fs::read_to_string(&record).ok() != Some(digest.clone()) {
        mark_changed(&dir.join(exercise));
    }
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo.args(["build", "--release", "-p", package]).arg("--manifest-path").arg(dir.join("Cargo.toml"));
    let errors = if quiet { CargoErrors::Returned } else { CargoErrors::Shown };
    let built = parlab_sandbox::stage::build(cargo, Some(package), errors).map_err(|why| match errors {
        CargoErrors::Returned => format!("{package} does not compile:\n{why}"),
        CargoErrors::Shown => format!("{package} does not compile ({why})"),
    })?;
    let _ = std::fs::write(&record, digest);
    Ok(built)
}

/// What the exercise's program is built from here: this folder's path, and
/// every file of the exercise's folder with the workspace's manifest and
/// lock file.
///
/// Cargo takes a build as fresh by its files' times, and keeps one record
/// per package and target folder, its paths relative to the workspace: two
/// copies of the exercises sharing a target folder (two clones of the
/// course, `CARGO_TARGET_DIR` set) share that record, and a copy whose
/// files are older than the other's last build would be graded by running
/// the other's program. So the checker keeps the digest of what it last
/// built beside the program, and marks the sources changed when they differ.
fn sources_digest(dir: &Path, exercise: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(dir.to_string_lossy().as_bytes());
    for file in [dir.join("Cargo.toml"), dir.join("Cargo.lock")] {
        hash.update(std::fs::read(&file).unwrap_or_default());
    }
    hash.update(folder_digest(&dir.join(exercise)).as_bytes());
    format!("{:x}", hash.finalize())
}

/// A digest of every file below `folder`: what it holds, not when it was
/// written.
pub fn folder_digest(folder: &Path) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for file in files_below(folder) {
        hash.update(file.to_string_lossy().as_bytes());
        hash.update(std::fs::read(&file).unwrap_or_default());
    }
    format!("{:x}", hash.finalize())
}

/// Every regular file below `folder` (no link followed, no `target`), in order.
fn files_below(folder: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(folder).into_iter().flatten().filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_dir() && entry.file_name() != "target" {
            found.extend(files_below(&entry.path()));
        } else if kind.is_file() {
            found.push(entry.path());
        }
    }
    found
}

/// Sets every file of the exercise to changed now, so that cargo builds it
/// again whatever its record says.
fn mark_changed(folder: &Path) {
    let now = std::time::SystemTime::now();
    for file in files_below(folder) {
        if let Ok(f) = std::fs::File::options().append(true).open(&file) {
            let _ = f.set_modified(now);
        }
    }
}
