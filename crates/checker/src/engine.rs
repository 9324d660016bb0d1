//! The course's engine as the checker was built with it. A classroom's
//! checker is installed from the course's repository; the graded repository
//! is the student's, engine included, and an exercise links against the
//! engine it finds there. So before grading, the engine an exercise really
//! builds against (as cargo resolves it: paths, renames and patches
//! included) must be the checker's own, file for file.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Every file of the engine's crates: ("parlab/src/lib.rs", its bytes).
const ENGINE: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/engine.rs"));

/// Whether `package` in the exercises workspace `dir` builds against the
/// checker's own engine; `Err` names the first file that differs.
pub fn check(dir: &Path, package: &str) -> Result<(), String> {
    let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["metadata", "--format-version", "1", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("could not run cargo metadata: {e}"))?;
    let meta: Value = serde_json::from_slice(&out.stdout)
        .map_err(|_| "cargo metadata failed on the exercises: is their Cargo.toml intact?".to_string())?;
    for (crate_name, folder) in engine_deps(&meta, package) {
        same_as_embedded(&crate_name, &folder)?;
    }
    Ok(())
}

/// The engine crates `package` depends on, by the name its code uses them
/// by, and the folder cargo builds each from.
fn engine_deps(meta: &Value, package: &str) -> Vec<(String, PathBuf)> {
    let packages = meta["packages"].as_array().cloned().unwrap_or_default();
    let id_of =
        |name: &str| packages.iter().find(|p| p["name"] == name).and_then(|p| p["id"].as_str().map(String::from));
    let folder_of = |id: &str| {
        packages
            .iter()
            .find(|p| p["id"] == id)
            .and_then(|p| p["manifest_path"].as_str())
            .and_then(|m| Path::new(m).parent().map(Path::to_path_buf))
    };
    let Some(me) = id_of(package) else { return Vec::new() };
    let nodes = meta["resolve"]["nodes"].as_array().cloned().unwrap_or_default();
    let Some(node) = nodes.iter().find(|n| n["id"] == me.as_str()) else { return Vec::new() };
    let mut found = Vec::new();
    for dep in node["deps"].as_array().into_iter().flatten() {
        let crate_name = match dep["name"].as_str() {
            Some("parlab") => "parlab",
            Some("parlab_mpi") => "parlab-mpi",
            _ => continue,
        };
        if let Some(folder) = dep["pkg"].as_str().and_then(folder_of) {
            found.push((crate_name.to_string(), folder));
        }
    }
    found
}

fn same_as_embedded(crate_name: &str, folder: &Path) -> Result<(), String> {
    let changed = |file: &str| {
        Err(format!(
            "the course's engine in this repository was changed ({} differs from the course's): an exercise is \
             graded against the course's own engine; put it back (`git checkout -- {}`)",
            folder.join(file).display(),
            folder.display()
        ))
    };
    let prefix = format!("{crate_name}/");
    let mut expected: Vec<&str> = Vec::new();
    for (key, bytes) in ENGINE.iter().filter(|(k, _)| k.starts_with(&prefix)) {
        let rel = &key[prefix.len()..];
        expected.push(rel);
        if std::fs::read(folder.join(rel)).ok().as_deref() != Some(*bytes) {
            return changed(rel);
        }
    }
    let mut present = Vec::new();
    list(folder, &folder.join("src"), &mut present);
    match present.iter().find(|p| !expected.contains(&p.as_str())) {
        Some(extra) => changed(extra),
        None => Ok(()),
    }
}

fn list(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            list(root, &path, out);
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().into_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repositorys_engine_is_the_checkers_own() {
        let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        assert!(ENGINE.iter().any(|(k, _)| *k == "parlab/src/workloads.rs"));
        same_as_embedded("parlab", &crates.join("parlab")).unwrap();
        same_as_embedded("parlab-mpi", &crates.join("parlab-mpi")).unwrap();
        let err = same_as_embedded("parlab", &crates.join("parlab-mpi")).unwrap_err();
        assert!(err.contains("differs from the course's"), "{err}");
    }
}
