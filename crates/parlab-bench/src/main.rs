//! parlab-bench: parlab side by side with Python's multiprocessing and with
//! the operating system's own floor, in one run, on this machine.
//!
//! Run: `cargo run --release -p parlab-bench` (add `--quick` for a smoke run).
//! Prints a table of medians with min and max, the ratios that matter and
//! whether each target was met, and writes the same as Markdown and JSON.

mod cases;
mod chart;
mod fair;
mod floor;
mod measure;
mod payload;
mod peer;
mod python;
mod report;
mod scaling;
mod stats;

use clap::Parser;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(about = "parlab against Python's multiprocessing and the OS floor, side by side")]
pub struct Args {
    /// Tiny sizes and one repetition: checks that every case runs, measures nothing worth keeping.
    #[arg(long)]
    pub quick: bool,
    /// Leave out the Python half.
    #[arg(long)]
    pub no_python: bool,
    /// Run only these cases (steps, pool, start, tiny, cpu, in_time, scaling, peers); all when left out.
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Folder for results.md (what to compare), targets.md (the project's targets),
    /// results.json (everything) and the scaling charts (SVG).
    #[arg(long, default_value = "target/parlab-bench")]
    pub out: PathBuf,
    /// (internal) measure the Rust peer, procspawn, in this child and print JSON.
    #[arg(long, hide = true)]
    pub peer_child: Option<String>,
}

fn main() {
    // procspawn runs this program again for each of its children: there,
    // this call runs the child's function and never returns.
    procspawn::init();
    let args = Args::parse();
    if let Some(params) = &args.peer_child {
        peer::child_main(params);
    }
    if let Err(e) = parlab::ensure_single_threaded() {
        eprintln!("parlab-bench: {e}");
        std::process::exit(2);
    }
    let python = if args.no_python {
        None
    } else {
        let v = python::version();
        if v.is_none() {
            eprintln!("parlab-bench: no python3 on PATH: the Python half is skipped");
        }
        v
    };
    let report = cases::run_all(&args, python);
    // Markdown tables read fine in a terminal too.
    print!("{}", report.markdown());
    print!("\n{}", report.targets_markdown());
    if let Err(e) = report.save(&args.out) {
        eprintln!("parlab-bench: could not write results to {}: {e}", args.out.display());
        std::process::exit(1);
    }
    eprintln!("results written to {}/results.md and results.json", args.out.display());
}
