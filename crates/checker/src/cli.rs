//! The command line: what a learner (or a classroom's workflow) can ask for.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "checker",
    version,
    about = "Grades the parlab exercises: right answer, really parallel, really faster",
    after_help = "With no command: where you stand, and what to do next."
)]
pub struct Cli {
    /// The exercises folder (holds manifest.toml); found from the current folder upwards if left out.
    #[arg(long, global = true)]
    pub dir: Option<PathBuf>,
    /// Machine-readable output: one JSON object per exercise (schema in the README), errors too.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Grade one exercise, or all in course order up to the first that is not done.
    Verify {
        /// "3", "03" or "03_two_processes".
        exercise: Option<String>,
        /// Grade every exercise, not stopping at the first that is not done (a classroom's points).
        #[arg(long, conflicts_with = "exercise")]
        all: bool,
        #[command(flatten)]
        grading: Grading,
    },
    /// Show every exercise and whether it passed.
    List,
    /// Draw trace files (one span per line, as the engine writes them, or as
    /// book/python/parlab_trace.py does for Python) as timelines on one time
    /// axis; `PARLAB_SVG_DIR` saves each as SVG too.
    Timeline {
        /// Trace files, each drawn as one timeline titled by its name.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Draw on an axis at least this many seconds long (to compare with
        /// timelines drawn elsewhere on that axis).
        #[arg(long, default_value_t = 0.0)]
        axis: f64,
        /// Leave at least this many characters for the lanes' names, as the
        /// timelines compared with have (so that a second is as long).
        #[arg(long, default_value_t = 0)]
        names: usize,
        /// Take the axis and the room for names of this timeline (an SVG the
        /// engine drew), to compare with it.
        #[arg(long, conflicts_with_all = ["axis", "names"])]
        like: Option<PathBuf>,
    },
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
    /// Serve the course book with a Run control on every example (127.0.0.1 only).
    Book {
        /// The port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// Open the book in the browser.
        #[arg(long)]
        open: bool,
    },
    /// Grade every exercise of every student's repository into a gradebook (SQLite), one student
    /// after another; `checker class --help` lists the options.
    #[command(disable_help_flag = true)]
    Class {
        /// Students' repositories, or folders that hold them, and the class grader's options.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
    /// (internal) run the sequential reference for the baseline: input on stdin, answer on stdout
    #[command(hide = true)]
    Baseline { exercise: String },
    /// (internal) the checker's witness on another host, for `verify --hosts`: started by the
    /// checker through the remote shell; answers on stdin and stdout
    #[command(hide = true)]
    Relay {
        #[arg(long)]
        timeout: f64,
        #[arg(long)]
        scale: f64,
        /// VALUE:LASTS,... (course seconds)
        #[arg(long, default_value = "")]
        lasting: String,
        #[arg(long)]
        input: PathBuf,
    },
    /// (internal) mpirun's remote shell under `verify --hosts`: `knock --doors FILE HOST COMMAND...`
    /// asks the checker's relay on HOST to start COMMAND (`--door PATH COMMAND...` on HOST itself)
    #[command(hide = true)]
    Knock {
        #[arg(long, conflicts_with = "door")]
        doors: Option<PathBuf>,
        #[arg(long)]
        door: Option<PathBuf>,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        words: Vec<String>,
    },
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
pub struct Grading {
    /// Replay the inputs of an earlier run.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Seconds a run may take before it is stopped.
    #[arg(long, default_value_t = 20.0)]
    pub timeout: f64,
    /// Real seconds per course second (sleeps are scaled to this).
    #[arg(long, default_value_t = 0.05)]
    pub time_scale: f64,
    /// What an inconclusive verdict (a machine too busy to judge speed) counts as in the exit
    /// code: itself (3), a pass (0) or a failure (1). The verdict printed stays "inconclusive".
    #[arg(long, value_enum, default_value_t = InconclusiveAs::Inconclusive)]
    pub inconclusive: InconclusiveAs,
    /// The MPI exercise only: run its ranks on the hosts of this Open MPI hostfile (`NAME
    /// slots=N` per line), one rank per slot. On every host but this one the checker first starts a
    /// witness of its own through the remote shell (ssh, or `OMPI_MCA_plm_rsh_agent`): the checker
    /// must be at the same path there, and the run's folder ($TMPDIR) on a filesystem every host sees.
    #[arg(long)]
    pub hosts: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InconclusiveAs {
    Inconclusive,
    Pass,
    Fail,
}
