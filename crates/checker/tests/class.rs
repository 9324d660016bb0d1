//! `checker class`, as a teacher runs it: three generated student
//! repositories graded into a gradebook, the summary table, CSV and JSON,
//! and a student graded again adding rows whose latest is the grade.

mod common;

use common::*;
use std::path::Path;

/// A student's repository: the exercises folder with the given sources.
fn student(root: &Path, name: &str, sources: &[(&str, &str)]) {
    let exercises = root.join(name).join("exercises");
    std::fs::create_dir_all(&exercises).unwrap();
    std::fs::copy(repo().join("exercises/manifest.toml"), exercises.join("manifest.toml")).unwrap();
    for (exercise, source) in sources {
        std::fs::create_dir_all(exercises.join(exercise).join("src")).unwrap();
        std::fs::write(exercises.join(exercise).join("src/main.rs"), source).unwrap();
    }
}

/// `checker class ARGS` from the course, with the tests' shared build folder.
fn class(args: &[&str]) -> (i32, String, String) {
    let out = assert_cmd::Command::cargo_bin("checker")
        .unwrap()
        .arg("--dir")
        .arg(repo().join("exercises"))
        .arg("class")
        .args(args)
        .arg("--target-dir")
        .arg(target_dir())
        .env_remove("PARLAB_TRACE")
        .timeout(std::time::Duration::from_secs(600))
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[test]
fn a_class_of_three_is_graded_into_a_gradebook() {
    let _turn = turn();
    // The class grader as it is now, beside the checker, as `cargo build` leaves it.
    let built = std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(repo())
        .args(["build", "-q", "-p", "parlab-class"])
        .status()
        .unwrap();
    assert!(built.success());
    let root = repo().join("target/checker-tests/class-of-three");
    let _ = std::fs::remove_dir_all(&root);
    let sequential_04 = r#"
use parlab::Process;
use parlab::workloads::task_with;
fn solve(sleeps: Vec<f64>) -> parlab::Result<Vec<f64>> {
    sleeps.into_iter().map(|s| Process::start(move || task_with(s))?.join()).collect()
}
fn main() { parlab::exercise::run(vec![1.0; 10], solve); }
"#;
    let (one, four) = (solution("01_sequential"), solution("04_process_loop"));
    student(&root.join("class"), "ada", &[("01_sequential", &one), ("04_process_loop", &four)]);
    student(&root.join("class"), "ben", &[]);
    student(&root.join("class"), "cy", &[("01_sequential", &one), ("04_process_loop", sequential_04)]);
    // dan hands in ada's 04 through a link: graded as no work of dan's.
    student(&root.join("class"), "dan", &[]);
    std::fs::create_dir_all(root.join("class/dan/exercises/04_process_loop")).unwrap();
    std::os::unix::fs::symlink(
        root.join("class/ada/exercises/04_process_loop/src"),
        root.join("class/dan/exercises/04_process_loop/src"),
    )
    .unwrap();
    // eve's 01 holds a file too large to be a source: eve is not graded,
    // and says so, while the others are.
    student(&root.join("class"), "eve", &[("01_sequential", &one)]);
    std::fs::write(root.join("class/eve/exercises/01_sequential/src/data.rs"), vec![b'/'; (1 << 20) + 1]).unwrap();
    let db = root.join("book.sqlite");
    let csv = root.join("grades.csv");
    let (db_arg, csv_arg, class_arg) = (db.to_str().unwrap(), csv.to_str().unwrap(), root.join("class"));
    let (code, table, log) =
        class(&[class_arg.to_str().unwrap(), "--db", db_arg, "--only", "01,04", "--seed", "7", "--csv", csv_arg]);
    assert_eq!(code, 2, "{table}\n{log}");
    assert!(log.contains("1 student(s) could not be graded"), "{log}");
    // A progress line per student.
    for (i, name) in ["ada", "ben", "cy", "dan", "eve"].iter().enumerate() {
        assert!(log.contains(&format!("[{}/5] {name}: 2 exercise(s)", i + 1)), "{log}");
    }
    assert!(
        log.contains("eve: 2 exercise(s)") && log.contains("not graded: ") && log.contains("not a source file"),
        "{log}"
    );
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows[0], "student   01    04   passed", "{table}");
    // A correct program may be inconclusive on a busy machine, never failed.
    assert!(rows[1].replace("inc?", "pass").starts_with("ada      pass  pass "), "{table}");
    assert_eq!(rows[2], "ben       --    --    0 of 2", "{table}");
    assert!(rows[3].starts_with("cy       ") && rows[3].contains("FAIL"), "{table}");
    assert_eq!(rows[4], "dan       --    --    0 of 2", "{table}");
    assert_eq!(rows[5], "eve      err!  err!   0 of 2", "{table}");
    // CSV and JSON: the latest grade of each student's exercise.
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(csv_text.lines().count(), 1 + 10, "{csv_text}");
    assert!(csv_text.lines().any(|l| l.starts_with("cy,04_process_loop,failed,")), "{csv_text}");
    let (code, json, _) = class(&["--db", db_arg, "--json"]);
    assert_eq!(code, 0);
    let grades: Vec<serde_json::Value> = json.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(grades.len(), 10, "{json}");
    let cy_04 = grades.iter().find(|g| g["student"] == "cy" && g["exercise"] == "04_process_loop").unwrap();
    assert_eq!(cy_04["seed"], 7);
    assert_eq!(cy_04["verdict"], "failed");
    let reasons: Vec<String> = serde_json::from_str(cy_04["reasons"].as_str().unwrap()).unwrap();
    assert!(!reasons.is_empty(), "{cy_04}");
    assert_eq!(cy_04["source_sha256"].as_str().unwrap().len(), 64);
    assert!(cy_04["checker_version"].as_str().unwrap().starts_with("checker "));
    // Graded again after a fix: rows are added, the latest is the grade.
    student(&root.join("class"), "cy", &[("04_process_loop", &four)]);
    let (code, table, log) = class(&[root.join("class/cy").to_str().unwrap(), "--db", db_arg, "--only", "04"]);
    assert_eq!(code, 0, "{log}");
    let cy = table.lines().nth(1).unwrap();
    assert!(cy.starts_with("cy ") && !cy.contains("FAIL"), "{table}");
    let (_, json, _) = class(&["--db", db_arg, "--json"]);
    assert_eq!(json.lines().count(), 10, "{json}");
    // The build folder the class shared still builds other folders' own
    // sources (a stage inside it once made cargo take the stage's 04 for
    // every folder's: a starter passed).
    let starters = exercises_with("class-after", &[]);
    let (_, v) = verdict(&starters, "04_process_loop", &[]);
    assert_eq!(v["verdict"], "not_done", "{v}");
    assert!(no_learner_process());
}
