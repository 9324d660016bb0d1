//! checker: grades the parlab exercises. Is the answer right, did the tasks
//! really run in parallel, and is the program really faster, on this machine?
//!
//! `checker verify [EXERCISE]`, `checker list`, `checker hint EXERCISE`,
//! `checker reset EXERCISE`, `checker watch`. Exit codes: 0 passed, 1 failed,
//! 2 usage or setup error, 3 inconclusive.

mod compile;
mod contention;
mod evidence;
mod grade;
mod inputs;
mod manifest;
mod progress;
mod sandbox;
mod speed;
mod starters;
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
    /// Show the hint of an exercise (the first not passed if none is named).
    Hint {
        exercise: Option<String>,
        /// Show the key lines of code too.
        #[arg(long)]
        code: bool,
    },
    /// Put the starter code of an exercise back, keeping your file as a backup.
    Reset { exercise: String },
    /// Grade again whenever an exercise's source is saved.
    Watch {
        exercise: Option<String>,
        #[command(flatten)]
        grading: Grading,
    },
    /// (internal) run the sequential reference for the baseline: input on stdin, answer on stdout
    #[command(hide = true)]
    Baseline { exercise: String },
    /// (internal) write every starter under OUT, or check that the exercises folder holds them
    #[command(hide = true)]
    Starters {
        #[arg(long)]
        write: Option<PathBuf>,
        #[arg(long)]
        check: bool,
    },
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
        Cmd::Hint { exercise, code } => {
            let progress = progress::Progress::load(&dir);
            let e = match exercise {
                Some(name) => manifest.find(&name)?,
                None => manifest
                    .exercises
                    .iter()
                    .find(|e| !progress.passed_unchanged(&dir, &e.name))
                    .unwrap_or(&manifest.exercises[manifest.exercises.len() - 1]),
            };
            println!("{} ({}):\n{}", e.name, e.title, e.hint.trim());
            if code {
                println!("\nThe key lines:\n");
                for line in e.hint_code.trim().lines() {
                    println!("    {line}");
                }
            } else {
                println!("\nStill stuck? `checker hint {} --code` shows the key lines.", e.number());
            }
            println!("Chapter: book/src/{}.md", chapter_of(&e.name));
            Ok(0)
        }
        Cmd::Reset { exercise } => {
            let e = manifest.find(&exercise)?;
            let backup = reset(&dir, &e.name)?;
            let file = dir.join(&e.name).join("src/main.rs");
            println!("{}: starter code restored in {}", e.name, file.display());
            if let Some(b) = backup {
                println!("your code was kept in {}", b.display());
            }
            Ok(0)
        }
        Cmd::Watch { exercise, grading } => {
            prepare_for_learner_programs();
            let opts = options(&dir, &grading);
            watch::watch(&dir, || {
                verify_cmd(&manifest, exercise.as_deref(), &opts, grading.json);
            })
        }
        Cmd::Baseline { exercise } => {
            verify::run_baseline(manifest.find(&exercise)?)?;
            Ok(0)
        }
        Cmd::Starters { write, check } => starters_cmd(&dir, &manifest, write.as_deref(), check),
    }
}

/// The hidden `starters` command: lays out pristine starters (for tests), or
/// checks that the exercises folder holds them (for CI, on a fresh clone).
fn starters_cmd(dir: &Path, manifest: &Manifest, write: Option<&Path>, check: bool) -> Result<i32, String> {
    let mut differ = Vec::new();
    for e in &manifest.exercises {
        let starter = starters::starter(&e.name)?;
        if let Some(out) = write {
            let file = out.join(&e.name).join("src/main.rs");
            std::fs::create_dir_all(file.parent().expect("a parent"))
                .and_then(|_| std::fs::write(&file, &starter))
                .map_err(|err| format!("cannot write {}: {err}", file.display()))?;
        }
        if check && std::fs::read_to_string(dir.join(&e.name).join("src/main.rs")).ok().as_deref() != Some(&*starter) {
            differ.push(e.name.clone());
        }
    }
    if !differ.is_empty() {
        return Err(format!(
            "these starters differ from their solutions' (checker reset fixes them): {}",
            differ.join(", ")
        ));
    }
    Ok(0)
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

/// Orphans come back to us, the program under test cannot reach into the
/// checker, and Ctrl-C, SIGTERM and SIGHUP stop the learner's processes first.
fn prepare_for_learner_programs() {
    sandbox::become_subreaper();
    sandbox::protect_checker();
    sandbox::sweep_stale_cgroups();
    let _ = ctrlc::set_handler(|| {
        sandbox::stop_current_run();
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

/// Restores the starter (derived from the embedded solution), keeping the
/// learner's file as `main.rs.N.bak` beside it when it differs; returns that path.
fn reset(dir: &Path, name: &str) -> Result<Option<PathBuf>, String> {
    let file = dir.join(name).join("src/main.rs");
    let starter = starters::starter(name)?;
    let mut backup = None;
    if let Ok(current) = std::fs::read_to_string(&file)
        && current != starter
    {
        let path =
            (1..).map(|n| file.with_extension(format!("rs.{n}.bak"))).find(|p| !p.exists()).expect("a free name");
        std::fs::write(&path, current).map_err(|e| format!("cannot keep your code in {}: {e}", path.display()))?;
        backup = Some(path);
    }
    std::fs::create_dir_all(file.parent().expect("a parent")).map_err(|e| e.to_string())?;
    std::fs::write(&file, starter).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    Ok(backup)
}
