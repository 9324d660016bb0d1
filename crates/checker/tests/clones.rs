//! Two clones of the course built with one shared target folder (as a
//! teacher does to grade many repositories without building each from
//! scratch): each checker embeds its own clone's solutions and engine, and
//! the second still builds once the first is gone. Cargo reuses a compiled
//! build script across such clones, so the script must read its paths when
//! it runs, not when it was compiled.

mod common;

use common::repo;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A copy of the parts of the course the checker builds from, in a
/// workspace of those crates alone.
fn clone_course(to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to.join("crates")).unwrap();
    for name in ["parlab", "parlab-mpi", "sandbox", "checker"] {
        copy_tree(&repo().join("crates").join(name), &to.join("crates").join(name));
    }
    copy_tree(&repo().join("solutions"), &to.join("solutions"));
    copy_tree(&repo().join("exercises"), &to.join("exercises"));
    std::fs::copy(repo().join("Cargo.lock"), to.join("Cargo.lock")).unwrap();
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    let members = manifest.lines().find(|l| l.starts_with("members = ")).expect("the workspace lists its members");
    let only = "members = [\"crates/parlab\", \"crates/parlab-mpi\", \"crates/sandbox\", \"crates/checker\"]";
    std::fs::write(to.join("Cargo.toml"), manifest.replace(members, only)).unwrap();
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().map(Result::unwrap) {
        let name = entry.file_name();
        if name == "target" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to.join(&name));
        } else {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

/// `cargo check -p checker` in `clone`, with the shared target folder.
fn check(clone: &Path, target: &Path) -> std::process::Output {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(clone)
        .args(["check", "-q", "-p", "checker"])
        .env("CARGO_TARGET_DIR", target)
        .output()
        .unwrap()
}

/// The solutions table the build script wrote last.
fn embedded_solutions(target: &Path) -> String {
    let build = target.join("debug/build");
    let newest: Option<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&build)
        .unwrap()
        .map(|e| e.unwrap().path().join("out/solutions.rs"))
        .filter(|p| p.is_file())
        .map(|p| (p.metadata().unwrap().modified().unwrap(), p))
        .max();
    std::fs::read_to_string(newest.expect("the build script wrote its solutions table").1).unwrap()
}

#[test]
fn two_clones_sharing_a_target_folder_each_embed_their_own_solutions() {
    // Kept between runs, so that only the checker itself is checked again.
    let work = repo().join("target/clones-test");
    let target = work.join("target");
    let (first, second) = (work.join("first"), work.join("second"));
    clone_course(&first);
    clone_course(&second);
    let out = check(&first, &target);
    assert!(out.status.success(), "the first clone: {}", String::from_utf8_lossy(&out.stderr));
    assert!(embedded_solutions(&target).contains(&format!("{}/", first.display())));
    // The first clone gone, the second builds, from its own files.
    std::fs::remove_dir_all(&first).unwrap();
    let out = check(&second, &target);
    assert!(out.status.success(), "the second clone, the first gone: {}", String::from_utf8_lossy(&out.stderr));
    let table = embedded_solutions(&target);
    assert!(table.contains(&format!("{}/", second.display())), "{table}");
    assert!(!table.contains(&format!("{}/", first.display())), "{table}");
}
