//! The folder where each student's work is graded: the course's own
//! exercises workspace (its manifest, its crates' manifests, its lock file,
//! its engine), with only the student's `src/` folders copied in. So every
//! student is built against the same engine and rules, a student's edited
//! `Cargo.toml` (a build script, another dependency) changes nothing, and one
//! build folder serves the whole class.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The most of one source file copied from a student's repository.
const MAX_FILE: u64 = 1 << 20;
/// The most files copied from one exercise's `src/`.
const MAX_FILES: usize = 200;

pub struct Stage {
    /// The staged exercises folder (holds manifest.toml).
    pub dir: PathBuf,
    /// The exercises' folder names, in course order.
    pub names: Vec<String>,
}

impl Stage {
    /// Lays out the course's exercises workspace under `at`.
    pub fn new(course: &Path, at: &Path) -> Result<Stage, String> {
        let from = course.join("exercises");
        let dir = at.join("exercises");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
        let copy =
            |a: &Path, b: &Path| std::fs::copy(a, b).map(drop).map_err(|e| format!("cannot copy {}: {e}", a.display()));
        for file in ["manifest.toml", "Cargo.lock"] {
            copy(&from.join(file), &dir.join(file))?;
        }
        let cargo = std::fs::read_to_string(from.join("Cargo.toml")).map_err(|e| format!("{}: {e}", from.display()))?;
        let crates = course.join("crates").canonicalize().map_err(|e| format!("the course's crates: {e}"))?;
        let cargo = cargo.replace("\"../crates/", &format!("\"{}/", crates.display()));
        std::fs::write(dir.join("Cargo.toml"), cargo).map_err(|e| e.to_string())?;
        let mut names: Vec<String> = std::fs::read_dir(&from)
            .map_err(|e| e.to_string())?
            .filter_map(Result::ok)
            .filter(|e| e.path().join("Cargo.toml").is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in &names {
            std::fs::create_dir_all(dir.join(name)).map_err(|e| e.to_string())?;
            copy(&from.join(name).join("Cargo.toml"), &dir.join(name).join("Cargo.toml"))?;
        }
        Ok(Stage { dir, names })
    }

    /// Puts the student's sources in place (the checker's starter where the
    /// student has none); returns each exercise's source hash (SHA-256 of its
    /// files' paths and contents). Call it on a fresh stage for each student:
    /// a program graded before may have left files anywhere in this one.
    pub fn load(&self, checker: &Path, student: &Path) -> Result<BTreeMap<String, String>, String> {
        let out = Command::new(checker)
            .arg("--dir")
            .arg(&self.dir)
            .args(["starters", "--write"])
            .arg(&self.dir)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", checker.display()))?;
        if !out.status.success() {
            return Err(format!("the checker's starters: {}", String::from_utf8_lossy(&out.stderr)));
        }
        let mut hashes = BTreeMap::new();
        for name in &self.names {
            let theirs = student.join(name).join("src");
            let ours = self.dir.join(name).join("src");
            // No link at any level: a link to another student's folder would
            // hand in their work under this student's name.
            let real_dir = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_dir());
            let real_file = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_file());
            if real_dir(&student.join(name)) && real_dir(&theirs) && real_file(&theirs.join("main.rs")) {
                std::fs::remove_dir_all(&ours).map_err(|e| e.to_string())?;
                copy_sources(&theirs, &ours)?;
            }
            hashes.insert(name.clone(), hash_tree(&ours)?);
        }
        Ok(hashes)
    }
}

/// Copies regular files only (no links: a link could reach the grader's
/// files or another student's), each of [`MAX_FILE`] bytes at most, and
/// [`MAX_FILES`] in all.
fn copy_sources(from: &Path, to: &Path) -> Result<(), String> {
    copy_counted(from, to, &mut 0)
}

fn copy_counted(from: &Path, to: &Path, files: &mut usize) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for entry in std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?.filter_map(Result::ok) {
        let kind = entry.file_type().map_err(|e| e.to_string())?;
        let path = entry.path();
        if kind.is_dir() {
            copy_counted(&path, &to.join(entry.file_name()), files)?;
        } else if kind.is_file() {
            *files += 1;
            if *files > MAX_FILES {
                return Err(format!("{} holds more than {MAX_FILES} files: not an exercise's sources", from.display()));
            }
            let size = entry.metadata().map_err(|e| e.to_string())?.len();
            if size > MAX_FILE {
                return Err(format!("{} is over {MAX_FILE} bytes: not a source file", path.display()));
            }
            std::fs::copy(&path, to.join(entry.file_name())).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

fn hash_tree(dir: &Path) -> Result<String, String> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files)?;
    files.sort();
    let mut hash = Sha256::new();
    for (rel, path) in files {
        hash.update(rel.as_bytes());
        hash.update([0]);
        hash.update(std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?);
        hash.update([0]);
    }
    Ok(format!("{:x}", hash.finalize()))
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) -> Result<(), String> {
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files)?;
        } else {
            let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
            files.push((rel, path));
        }
    }
    Ok(())
}
