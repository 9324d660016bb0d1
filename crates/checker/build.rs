//! Embeds the reference solutions, from which the starters are derived (see
//! `src/starters.rs`): the checker can then reset an exercise, and its tests
//! lay out pristine starters, whatever state `exercises/` is in.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let solutions = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../solutions");
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
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("solutions.rs");
    std::fs::write(out, table).expect("write the solutions table");
}
