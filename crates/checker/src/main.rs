//! checker: grades the parlab exercises. Is the answer right, did the tasks
//! really run in parallel, and is the program really faster, on this machine?
//!
//! `checker verify [EXERCISE]`, `checker list`, `checker hint EXERCISE`,
//! `checker reset EXERCISE`, `checker watch`. Exit codes: 0 passed, 1 failed,
//! 2 usage or setup error, 3 inconclusive.

mod compile;
mod grade;
mod inputs;
mod limits;
mod manifest;
mod progress;
mod sandbox;
mod verdict;
mod verify;
mod watch;

use clap::{Parser, Subcommand};
use manifest::Manifest;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;
use verdict::Status;

#[derive(Parser)]
#[command(
    name = "checker",
    version,
    about = "Grades the parlab exercises: right answer, really parallel, really faster"
)]
struct Cli {
    /// The exercises folder (holds manifest.toml); found from the current folder upwards if left out.
    #[arg(long, global = true)]
    dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Grade one exercise, or all in course order up to the first that is not done.
    Verify {
        /// "03_two_processes" or just "03".
        exercise: Option<String>,
        #[command(flatten)]
        grading: Grading,
    },
    /// Show every exercise and whether it passed.
    List,
    /// Show the hint of an exercise.
    Hint { exercise: String },
    /// Put the starter code of an exercise back (from git history).
    Reset { exercise: String },
    /// Grade again whenever an exercise's source is saved.
    Watch {
        exercise: Option<String>,
        #[command(flatten)]
        grading: Grading,
    },
    /// (internal) run the sequential reference for the baseline
    #[command(hide = true)]
    Baseline { exercise: String, input: PathBuf, answer: PathBuf },
}

#[derive(clap::Args, Clone)]
struct Grading {
    /// Replay the inputs of an earlier run.
    #[arg(long)]
    seed: Option<u64>,
    /// One JSON object per exercise on stdout (schema in the README).
    #[arg(long)]
    json: bool,
    /// Seconds a run may take before it is stopped.
    #[arg(long, default_value_t = 20.0)]
    timeout: f64,
    /// Real seconds per course second (sleeps are scaled to this).
    #[arg(long, default_value_t = 0.05)]
    time_scale: f64,
}

fn main() {
    let cli = Cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(anstream::stderr(), "checker: {e}");
            2
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> Result<i32, String> {
    let dir = match cli.dir {
        Some(d) => d,
        None => find_exercises()?,
    };
    let manifest = Manifest::load(&dir.join("manifest.toml"))?;
    match cli.command {
        Cmd::Verify { exercise, grading } => {
            prepare_for_learner_programs();
            let opts = options(&dir, &grading);
            Ok(verify_cmd(&manifest, exercise.as_deref(), &opts, grading.json))
        }
        Cmd::List => {
            let progress = progress::Progress::load(&dir);
            let mut out = anstream::stdout();
            for e in &manifest.exercises {
                let mark = if progress.passed_unchanged(&dir, &e.name) {
                    "passed"
                } else if progress.is_passed(&e.name) {
                    "passed, changed since"
                } else {
                    "to do"
                };
                let _ = writeln!(out, "{:<22} {:<32} {mark}", e.name, e.title);
            }
            Ok(0)
        }
        Cmd::Hint { exercise } => {
            let e = manifest.find(&exercise)?;
            println!("{} ({}):\n{}", e.name, e.title, e.hint.trim());
            println!("Chapter: book/src/{}.md", chapter_of(&e.name));
            Ok(0)
        }
        Cmd::Reset { exercise } => {
            let e = manifest.find(&exercise)?;
            reset(&dir, &e.name)?;
            println!("{}: starter code restored in {}", e.name, dir.join(&e.name).join("src/main.rs").display());
            Ok(0)
        }
        Cmd::Watch { exercise, grading } => {
            prepare_for_learner_programs();
            let opts = options(&dir, &grading);
            watch::watch(&dir, || {
                verify_cmd(&manifest, exercise.as_deref(), &opts, grading.json);
            })
        }
        Cmd::Baseline { exercise, input, answer } => {
            verify::run_baseline(manifest.find(&exercise)?, &input, &answer)?;
            Ok(0)
        }
    }
}

fn options(dir: &Path, g: &Grading) -> verify::Options {
    verify::Options {
        dir: dir.to_path_buf(),
        seed: g.seed,
        time_scale: g.time_scale,
        limits: sandbox::Limits { wall: Duration::from_secs_f64(g.timeout), max_processes: 64, max_output: 1 << 20 },
        quiet: g.json,
    }
}

/// Orphans come back to us, and Ctrl-C kills the learner's processes first.
fn prepare_for_learner_programs() {
    sandbox::become_subreaper();
    limits::sweep_stale();
    let _ = ctrlc::set_handler(|| {
        sandbox::kill_current_group();
        limits::remove_current();
        eprintln!("\nchecker: interrupted; the program under test was stopped");
        std::process::exit(130);
    });
}

/// Verifies one exercise, or every one in order up to the first not done.
fn verify_cmd(manifest: &Manifest, exercise: Option<&str>, opts: &verify::Options, json: bool) -> i32 {
    let mut progress = progress::Progress::load(&opts.dir);
    let chosen: Vec<&manifest::Exercise> = match exercise {
        Some(name) => match manifest.find(name) {
            Ok(e) => vec![e],
            Err(e) => {
                eprintln!("checker: {e}");
                return 2;
            }
        },
        None => manifest.exercises.iter().collect(),
    };
    let all = exercise.is_none();
    for (i, ex) in chosen.iter().enumerate() {
        if all && progress.passed_unchanged(&opts.dir, &ex.name) {
            if !json {
                println!("passed before, unchanged: {}", ex.name);
            }
            continue;
        }
        let mut v = verify::verify(ex, opts);
        verify::progress_done(opts);
        progress.record(&opts.dir, &ex.name, v.verdict == Status::Passed);
        let next = manifest.exercises.iter().skip_while(|e| e.name != ex.name).nth(1);
        v.next = Some(match (v.verdict, next) {
            (Status::Passed, Some(n)) => {
                format!("`checker verify {}`: {} (chapter book/src/{}.md)", n.name, n.title, chapter_of(&n.name))
            }
            (Status::Passed, None) => "that was the last exercise: well done".into(),
            (Status::Inconclusive, _) => {
                format!("run `checker verify {} --seed {}` again when the machine is quieter", ex.name, v.seed)
            }
            _ => format!("read book/src/{}.md, or `checker hint {}`", chapter_of(&ex.name), ex.name),
        });
        if json {
            println!("{}", v.json());
        } else {
            let _ = write!(anstream::stdout(), "{}", v.text());
        }
        if v.verdict != Status::Passed || (all && i + 1 == chosen.len()) {
            return v.verdict.exit_code();
        }
    }
    0
}

/// Chapter file for an exercise: the chapters share the exercise's number.
fn chapter_of(exercise: &str) -> String {
    let number = exercise.split('_').next().unwrap_or("");
    let chapters = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../book/src");
    std::fs::read_dir(chapters)
        .ok()
        .and_then(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .find(|f| f.starts_with(&format!("{number}_")) && f.ends_with(".md"))
        })
        .map(|f| f.trim_end_matches(".md").to_string())
        .unwrap_or_else(|| exercise.to_string())
}

/// The exercises folder: `exercises/manifest.toml` here or in a parent.
fn find_exercises() -> Result<PathBuf, String> {
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

/// Restores the starter: the file as git first recorded it.
fn reset(dir: &Path, name: &str) -> Result<(), String> {
    let file = dir.join(name).join("src/main.rs");
    let git = |args: &[&str]| -> Result<String, String> {
        let out = std::process::Command::new("git")
            .current_dir(dir)
            .args(args)
            .output()
            .map_err(|e| format!("reset needs git, which could not run: {e}"))?;
        if !out.status.success() {
            return Err(format!("git {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let rel = format!("{name}/src/main.rs");
    let first = git(&["log", "--diff-filter=A", "--format=%H", "--", &rel])?;
    let commit =
        first.lines().last().ok_or_else(|| format!("git has no history of {rel}: cannot tell what the starter was"))?;
    let prefix = git(&["rev-parse", "--show-prefix"])?;
    let starter = git(&["show", &format!("{commit}:{}{rel}", prefix.trim())])?;
    std::fs::write(&file, starter).map_err(|e| format!("cannot write {}: {e}", file.display()))
}
