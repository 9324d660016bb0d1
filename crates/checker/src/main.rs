//! checker: grades the parlab exercises. Is the answer right, did the tasks
//! really run in parallel, and is the program really faster, on this machine?
//!
//! A bare `checker` says where the learner stands; `checker verify [N]`,
//! `list`, `hint [N] [--code]`, `reset N`, `watch`, `book` (the course,
//! served with a Run control on its examples). Exit codes: 0 passed,
//! 1 failed or not done, 2 usage or setup error, 3 inconclusive.
//!
//! A verification reads as build -> run -> measure -> judge -> report:
//! `compile`, `sandbox` (with `parlab::OtherLoad`) and `speed`, `evidence` and `grade`,
//! `verdict`; `verify` runs the steps in that order.

mod cli;
mod commands;
mod compile;
mod course;
mod engine;
mod evidence;
mod grade;
mod handoff;
mod hosts;
mod inputs;
mod manifest;
mod progress;
mod speed;
mod starters;
mod verdict;
mod verify;
mod watch;
mod witness;

use clap::Parser;
use cli::{Cli, Cmd, Grading};
use manifest::Manifest;
use parlab_sandbox as sandbox;
use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

fn main() {
    let cli = Cli::parse();
    let json = cli.json;
    let code = match run(cli) {
        Ok(code) => code,
        Err(e) => commands::usage_error(json, &e),
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> Result<i32, String> {
    // The relay and its door run on another host, for a checker elsewhere.
    match &cli.command {
        Some(Cmd::Relay { timeout, scale, lasting, input }) => {
            let lasting = hosts::relay::parse_lasting(lasting)?;
            let args = hosts::relay::Args { timeout: *timeout, scale: *scale, lasting, input: input.clone() };
            return Ok(hosts::relay::main(args));
        }
        Some(Cmd::Knock { doors, door, words }) => {
            return match (doors, door) {
                (Some(doors), _) => {
                    let (host, command) = words.split_first().ok_or("knock --doors FILE HOST COMMAND...")?;
                    let door = hosts::knock::door_of(doors, host)?;
                    Ok(hosts::knock::main(&door, Some(host), command))
                }
                (None, Some(door)) => Ok(hosts::knock::main(door, None, words)),
                (None, None) => Err("knock needs --doors FILE or --door PATH".into()),
            };
        }
        _ => {}
    }
    // Drawing traces needs no exercises folder.
    if let Some(Cmd::Timeline { files, axis, names, like }) = &cli.command {
        let (axis, names) = match like {
            Some(svg) => commands::axis_of(svg)?,
            None => (*axis, *names),
        };
        return commands::timeline(files, axis, names);
    }
    let dir = match cli.dir {
        Some(d) => d,
        None => course::find_exercises()?,
    };
    // The folder must be a course's exercises folder; the rules are the checker's own.
    let marker = dir.join("manifest.toml");
    if !marker.is_file() {
        return Err(format!(
            "cannot read {}: not an exercises folder (pass --dir <exercises folder>)",
            marker.display()
        ));
    }
    let manifest = Manifest::embedded()?;
    let json = cli.json;
    match cli.command {
        None => Ok(commands::status(&manifest, &dir, json)),
        Some(Cmd::Verify { exercise, all, grading }) => {
            prepare_for_learner_programs();
            let opts = options(&dir, &grading, json);
            let which = match (&exercise, all) {
                (Some(name), _) => commands::Which::One(name),
                (None, true) => commands::Which::Every,
                (None, false) => commands::Which::UpToFirstNotDone,
            };
            Ok(commands::verify(&manifest, which, &opts, json, grading.inconclusive))
        }
        Some(Cmd::Timeline { .. }) => unreachable!("handled above"),
        Some(Cmd::List) => Ok(commands::list(&manifest, &dir, json)),
        Some(Cmd::Hint { exercise, code }) => commands::hint(&manifest, &dir, exercise.as_deref(), code),
        Some(Cmd::Reset { exercise }) => commands::reset(&manifest, &dir, &exercise),
        Some(Cmd::Watch { exercise, grading }) => {
            prepare_for_learner_programs();
            let opts = options(&dir, &grading, json);
            watch::watch(&dir, &manifest, json, |only| {
                let which = match only.or(exercise.as_deref()) {
                    Some(name) => commands::Which::One(name),
                    None => commands::Which::UpToFirstNotDone,
                };
                commands::verify(&manifest, which, &opts, json, grading.inconclusive);
            })
        }
        Some(Cmd::Book { port, open }) => {
            let repo = dir.canonicalize().map_err(|e| format!("{}: {e}", dir.display()))?;
            let repo = repo.parent().ok_or("the exercises folder has no parent: where is the book?")?;
            let mut args: Vec<OsString> = vec!["--repo".into(), repo.into(), "--port".into(), port.to_string().into()];
            if open {
                args.push("--open".into());
            }
            handoff::hand_off(repo, &handoff::BOOK, args)
        }
        Some(Cmd::Class { args }) => {
            let repo = dir.canonicalize().map_err(|e| format!("{}: {e}", dir.display()))?;
            let repo = repo.parent().ok_or("the exercises folder has no parent: where is the course?")?;
            let me = std::env::current_exe().map_err(|e| format!("cannot find the checker itself: {e}"))?;
            // The course and the checker that grade, unless named on the line.
            let given = |flag: &str| {
                args.iter().any(|a| a.to_str().is_some_and(|a| a == flag || a.starts_with(&format!("{flag}="))))
            };
            let mut all: Vec<OsString> = Vec::new();
            if !given("--course") {
                all.extend(["--course".into(), repo.into()]);
            }
            if !given("--checker") {
                all.extend(["--checker".into(), me.into()]);
            }
            if json && !given("--json") {
                all.push("--json".into());
            }
            all.extend(args);
            handoff::hand_off(repo, &handoff::CLASS, all)
        }
        Some(Cmd::Relay { .. } | Cmd::Knock { .. }) => unreachable!("handled above"),
        Some(Cmd::Baseline { exercise }) => {
            verify::run_baseline(manifest.find(&exercise)?)?;
            Ok(0)
        }
        Some(Cmd::Starters { write, check }) => commands::starters(&dir, &manifest, write.as_deref(), check),
    }
}

fn options(dir: &Path, g: &Grading, json: bool) -> verify::Options {
    verify::Options {
        dir: dir.to_path_buf(),
        seed: g.seed,
        time_scale: g.time_scale,
        limits: sandbox::Limits {
            wall: Duration::from_secs_f64(g.timeout),
            max_processes: 64,
            extra_threads: 0,
            max_output: 1 << 20,
        },
        quiet: json,
        hosts: g.hosts.clone(),
    }
}

/// Orphans come back to us, the program under test cannot reach into the
/// checker, and Ctrl-C, SIGTERM and SIGHUP stop the learner's processes first.
fn prepare_for_learner_programs() {
    sandbox::prepare("checker");
}
