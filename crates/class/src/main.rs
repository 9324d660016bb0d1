//! `parlab-class`: grades a class. Every exercise of every student's
//! repository, one student after another (so that timings stay fair), with
//! the course's own rules and starters, through the checker (`checker verify
//! --all --json`: its witness and sandbox for every run), into a SQLite
//! gradebook. `checker class` hands off to this program.

mod gradebook;
mod grading;
mod stage;
mod students;
mod table;

use clap::Parser;
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "parlab-class",
    version,
    about = "Grades every exercise of every student's parlab repository into a gradebook (SQLite)",
    after_help = "With no STUDENTS: the latest grades in the gradebook, as a table (or CSV, JSON)."
)]
struct Cli {
    /// Students' repositories (course clones, or their exercises folders), or folders that hold them.
    students: Vec<PathBuf>,
    /// The gradebook, made if missing; grading again adds rows, the latest row of each exercise is the grade.
    #[arg(long, default_value = "gradebook.sqlite")]
    db: PathBuf,
    /// The course whose rules and starters grade (your clone); found from the current folder if left out.
    #[arg(long)]
    course: Option<PathBuf>,
    /// The checker that grades (default: the one beside this program, else `checker` on PATH).
    #[arg(long)]
    checker: Option<PathBuf>,
    /// One build folder for every student (default: the gradebook's name with `.build`).
    #[arg(long)]
    target_dir: Option<PathBuf>,
    /// Grade only these exercises ("01,04" or names), say those due so far; every exercise if left out.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// The inputs' seed, the same for every student (drawn, and recorded, if left out).
    #[arg(long)]
    seed: Option<u64>,
    /// Also write the latest grades as CSV to this file.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// The latest grades as JSON lines (one per student and exercise) instead of the table.
    #[arg(long)]
    json: bool,
}

fn main() {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => {}
        Err(e) => {
            eprintln!("parlab-class: {e}");
            std::process::exit(2);
        }
    }
}

fn run(cli: &Cli) -> Result<(), String> {
    let book = gradebook::Gradebook::open(&cli.db)?;
    let (mut shown, mut not_graded): (Option<Vec<String>>, usize) = (None, 0);
    if !cli.students.is_empty() {
        let course = match &cli.course {
            Some(c) => c.clone(),
            None => find_course()?,
        };
        let checker = match &cli.checker {
            Some(c) => c.clone(),
            None => find_checker()?,
        };
        let target = cli.target_dir.clone().unwrap_or_else(|| cli.db.with_extension("build"));
        let students = students::find(&cli.students)?;
        let seed = cli.seed.unwrap_or_else(|| fastrand::u64(..1_000_000_000));
        let class = grading::Class { course: &course, checker: &checker, target: &target, seed, only: &cli.only };
        not_graded = class.grade(&students, &book)?;
        shown = Some(students.into_iter().map(|s| s.name).collect());
    }
    let mut latest = book.latest()?;
    if let Some(names) = &shown {
        latest.retain(|row| names.contains(&row.student));
    }
    if let Some(path) = &cli.csv {
        gradebook::write_csv(path, &latest)?;
        eprintln!("wrote {} grade(s) to {}", latest.len(), path.display());
    }
    if cli.json {
        for row in &latest {
            println!("{}", serde_json::to_string(row).map_err(|e| e.to_string())?);
        }
    } else if latest.is_empty() {
        println!("{} holds no grades yet: name the students' repositories to grade them", cli.db.display());
    } else {
        print!("{}", table::summary(&latest));
    }
    if not_graded > 0 {
        return Err(format!("{not_graded} student(s) could not be graded: their rows say why (verdict `error`)"));
    }
    Ok(())
}

/// The course clone around the current folder: the first folder upwards
/// that holds `exercises/manifest.toml` and the engine.
fn find_course() -> Result<PathBuf, String> {
    let here = std::env::current_dir().map_err(|e| e.to_string())?;
    here.ancestors()
        .find(|d| is_course(d))
        .map(Path::to_path_buf)
        .ok_or_else(|| "run this in your clone of the course, or pass --course <folder>".to_string())
}

fn is_course(dir: &Path) -> bool {
    dir.join("exercises/manifest.toml").is_file() && dir.join("crates/parlab/Cargo.toml").is_file()
}

/// The checker beside this program (the same build), else on PATH.
fn find_checker() -> Result<PathBuf, String> {
    let beside = std::env::current_exe().ok().map(|exe| exe.with_file_name("checker"));
    if let Some(beside) = beside.filter(|p| p.is_file()) {
        return Ok(beside);
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join("checker"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "cannot find the checker: install it with `cargo install --locked --path crates/checker`, or pass \
             --checker <program>"
                .to_string()
        })
}
