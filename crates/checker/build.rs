//! Embeds the reference solutions, from which the starters are derived (see
//! `src/starters.rs`): the checker can then reset an exercise, and its tests
//! lay out pristine starters, whatever state `exercises/` is in. Embeds the
//! course's engine too (`src/engine.rs`), to notice a graded repository
//! whose engine was changed.

use std::fmt::Write;
use std::path::{Path, PathBuf};

fn main() {
    let solutions = manifest_dir().join("../../solutions");
    println!("cargo:rerun-if-changed={}", solutions.display());
    let mut names: Vec<String> = std::fs::read_dir(&solutions)
        .expect("the solutions folder beside the crates")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("src/main.rs").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut table = String::from("&[\n");
    for name in &names {
        let file = solutions.join(name).join("src/main.rs");
        println!("cargo:rerun-if-changed={}", file.display());
        let _ = writeln!(table, "    ({name:?}, include_str!({:?})),", file.display().to_string());
    }
    table.push(']');
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("solutions.rs"), table).expect("write the solutions table");
    std::fs::write(out.join("engine.rs"), engine_table()).expect("write the engine table");
}

/// This crate's folder, read when the script runs: cargo reuses a compiled
/// build script in every clone that shares a target folder, so a path
/// compiled into it (`env!`) would name the first clone's files.
fn manifest_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
}

/// `&[("parlab/src/lib.rs", include_bytes!(...)), ...]`: every source file
/// of the engine's crates, and their manifests.
fn engine_table() -> String {
    let crates = manifest_dir().join("..");
    let mut files = Vec::new();
    for name in ["parlab", "parlab-mpi"] {
        let root = crates.join(name);
        files.push((format!("{name}/Cargo.toml"), root.join("Cargo.toml")));
        collect(&root, &root.join("src"), name, &mut files);
        println!("cargo:rerun-if-changed={}", root.join("src").display());
        println!("cargo:rerun-if-changed={}", root.join("Cargo.toml").display());
    }
    files.sort();
    let mut table = String::from("&[\n");
    for (key, path) in files {
        println!("cargo:rerun-if-changed={}", path.display());
        let _ = writeln!(table, "    ({key:?}, include_bytes!({:?})),", path.display().to_string());
    }
    table.push(']');
    table
}

fn collect(root: &Path, dir: &Path, name: &str, files: &mut Vec<(String, std::path::PathBuf)>) {
    for entry in std::fs::read_dir(dir).expect("the engine's sources").filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(root, &path, name, files);
        } else {
            let rel = path.strip_prefix(root).expect("under the crate").to_string_lossy().into_owned();
            files.push((format!("{name}/{rel}"), path));
        }
    }
}
