//! Builds an example, as committed or as edited in the page, and runs it in
//! the checker's sandbox (time limit, process cap, output cap, nothing left
//! running), one run at a time: a second click waits for the first.

use parlab_sandbox::stage::{CargoErrors, RunFolder};
use parlab_sandbox::{self as sandbox, Limits, RunAs, Watch};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Runs waiting for their turn, at most; more are refused (the server is busy).
const MAX_WAITING: usize = 4;

/// One line of a run's answer.
pub enum Event {
    /// What the program printed (stdout and stderr, as read).
    Out(String),
    /// What the runner is doing: waiting, building, running.
    Status(String),
    /// Why there is no run: cargo's or rustc's message, or a refusal.
    Error(String),
    /// A timeline the run drew (SVG).
    Svg { name: String, svg: String },
    /// How the run ended.
    End { ending: String, secs: f64 },
}

impl Event {
    /// The event as one JSON line.
    pub fn line(&self) -> String {
        let value = match self {
            Event::Out(text) => json!({ "out": text }),
            Event::Status(text) => json!({ "status": text }),
            Event::Error(text) => json!({ "error": text }),
            Event::Svg { name, svg } => json!({ "svg": svg, "name": name }),
            Event::End { ending, secs } => json!({ "end": ending, "secs": secs }),
        };
        format!("{value}\n")
    }
}

/// The examples' names ("01_sequential", ...), in order.
pub fn examples(repo: &Path) -> Result<Vec<String>, String> {
    let dir = repo.join("crates/parlab/examples");
    let entries = std::fs::read_dir(&dir).map_err(|e| format!("cannot read the examples in {}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter_map(|f| f.strip_suffix(".rs").map(str::to_string))
        .filter(|n| n.len() > 3 && n.as_bytes()[..2].iter().all(u8::is_ascii_digit) && &n[2..3] == "_")
        .collect();
    names.sort();
    Ok(names)
}

pub struct Runner {
    repo: PathBuf,
    turn: Mutex<()>,
    waiting: AtomicUsize,
}

impl Runner {
    pub fn new(repo: &Path) -> Runner {
        Runner { repo: repo.to_path_buf(), turn: Mutex::new(()), waiting: AtomicUsize::new(0) }
    }

    fn example_file(&self, example: &str) -> PathBuf {
        self.repo.join("crates/parlab/examples").join(format!("{example}.rs"))
    }

    /// The example's source with `original` (a block of the book, which
    /// shows the example without its `ANCHOR` lines) replaced by `code`.
    pub fn splice(&self, example: &str, original: &str, code: &str) -> Result<String, String> {
        let source = std::fs::read_to_string(self.example_file(example))
            .map_err(|e| format!("cannot read example {example}: {e}"))?;
        let shown: String = source
            .lines()
            .filter(|l| !l.contains("ANCHOR:") && !l.contains("ANCHOR_END:"))
            .map(|l| format!("{l}\n"))
            .collect();
        let original = original.trim_end_matches('\n');
        if original.trim().is_empty() || !shown.contains(original) {
            return Err(format!(
                "this block is not part of example {example}: only the chapter's example can run from here"
            ));
        }
        Ok(shown.replacen(original, code.trim_end_matches('\n'), 1))
    }

    /// Builds and runs `example` (or `source`, an edited version of it),
    /// sending what happens to `send`; `stop` ends the run early.
    pub fn run(&self, example: &str, source: Option<String>, send: &dyn Fn(Event), stop: &Arc<AtomicBool>) {
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return send(Event::Error("too many runs are waiting: try again when one has ended".into()));
        }
        let turn = match self.turn.try_lock() {
            Ok(turn) => turn,
            Err(_) => {
                send(Event::Status("waiting for the run before this one to end".into()));
                self.turn.lock().unwrap_or_else(|e| e.into_inner())
            }
        };
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        if stop.load(Ordering::SeqCst) {
            return;
        }
        send(Event::Status(format!("building {example}{}", if source.is_some() { " (edited)" } else { "" })));
        // Edited versions share one scratch crate: another `checker book`
        // (another port) waits for it, built program and run included.
        let scratch = match source.as_ref().map(|_| self.lock_scratch()).transpose() {
            Ok(lock) => lock,
            Err(message) => return send(Event::Error(message)),
        };
        let built = match &source {
            None => self.build_committed(example),
            Some(code) => self.build_edited(code),
        };
        match built {
            Ok(program) => self.run_built(&program, send, stop),
            Err(message) => send(Event::Error(message)),
        }
        drop(scratch);
        drop(turn);
    }

    /// Holds the scratch crate of edited examples until dropped.
    fn lock_scratch(&self) -> Result<std::fs::File, String> {
        let root = self.repo.join("target/book-runner");
        std::fs::create_dir_all(&root).map_err(|e| format!("cannot make {}: {e}", root.display()))?;
        let file =
            std::fs::File::create(root.join("lock")).map_err(|e| format!("cannot lock {}: {e}", root.display()))?;
        file.lock().map_err(|e| format!("cannot lock {}: {e}", root.display()))?;
        Ok(file)
    }

    /// The committed example, built in the workspace (cached by cargo).
    fn build_committed(&self, example: &str) -> Result<PathBuf, String> {
        let mut cargo = Command::new(cargo_program());
        cargo.current_dir(&self.repo).args(["build", "--release", "-p", "parlab", "--example", example]);
        build(cargo)
    }

    /// An edited example, built as a crate of its own next to the
    /// workspace's target folder, with the example's dependencies.
    fn build_edited(&self, code: &str) -> Result<PathBuf, String> {
        let root = self.repo.join("target/book-runner");
        let krate = root.join("edited");
        std::fs::create_dir_all(krate.join("src")).map_err(|e| format!("cannot make {}: {e}", krate.display()))?;
        std::fs::write(krate.join("Cargo.toml"), self.edited_manifest()?)
            .map_err(|e| format!("cannot write the edited example's Cargo.toml: {e}"))?;
        if let Ok(lock) = std::fs::read(self.repo.join("Cargo.lock")) {
            // The workspace's versions: nothing new to fetch.
            let _ = std::fs::write(krate.join("Cargo.lock"), lock);
        }
        std::fs::write(krate.join("src/main.rs"), code).map_err(|e| format!("cannot write the edited example: {e}"))?;
        let mut cargo = Command::new(cargo_program());
        cargo.current_dir(&krate).env("CARGO_TARGET_DIR", root.join("target")).args([
            "build",
            "--release",
            "--bin",
            "example",
        ]);
        build(cargo)
    }

    /// A manifest with the examples' dependencies, as the workspace pins them.
    fn edited_manifest(&self) -> Result<String, String> {
        let text = std::fs::read_to_string(self.repo.join("Cargo.toml"))
            .map_err(|e| format!("cannot read the workspace's Cargo.toml: {e}"))?;
        let workspace: toml::Table = toml::from_str(&text).map_err(|e| format!("the workspace's Cargo.toml: {e}"))?;
        let deps = workspace.get("workspace").and_then(|w| w.get("dependencies")).and_then(|d| d.as_table());
        let mut manifest = toml::Table::new();
        manifest.insert(
            "package".into(),
            toml::Value::Table(toml::toml! { name = "example" version = "0.0.0" edition = "2024" publish = false }),
        );
        let mut dependencies = toml::Table::new();
        let parlab = self.repo.join("crates/parlab");
        dependencies.insert("parlab".into(), toml::Value::Table(toml::toml! { path = (parlab.display().to_string()) }));
        // What the examples may use: parlab's own dependencies and dev-dependencies.
        let engine = std::fs::read_to_string(parlab.join("Cargo.toml"))
            .map_err(|e| format!("cannot read parlab's Cargo.toml: {e}"))?;
        let engine: toml::Table = toml::from_str(&engine).map_err(|e| format!("parlab's Cargo.toml: {e}"))?;
        let used = ["dependencies", "dev-dependencies"].into_iter().filter_map(|k| engine.get(k)?.as_table());
        for name in used.flat_map(|t| t.keys()) {
            if let Some(spec) = deps.and_then(|d| d.get(name)) {
                dependencies.insert(name.clone(), spec.clone());
            }
        }
        manifest.insert("dependencies".into(), toml::Value::Table(dependencies));
        // Its own workspace: it sits under the project's folder without being part of it.
        manifest.insert("workspace".into(), toml::Value::Table(toml::Table::new()));
        Ok(manifest.to_string())
    }

    fn run_built(&self, program: &Path, send: &dyn Fn(Event), stop: &Arc<AtomicBool>) {
        let run_as = RunAs::unprivileged_if_root();
        let dir = match RunFolder::new("parlab-book-run-", program, "example", &["svg"], run_as.as_ref()) {
            Ok(dir) => dir,
            Err(e) => return send(Event::Error(e)),
        };
        let svg_dir = dir.path().join("svg");
        let mut envs: Vec<(&str, std::ffi::OsString)> =
            vec![(parlab::timeline::SVG_DIR_ENV, svg_dir.clone().into()), ("NO_COLOR", "1".into())];
        if let Some(scale) = std::env::var_os(parlab::workloads::TIME_SCALE_ENV) {
            envs.push((parlab::workloads::TIME_SCALE_ENV, scale));
        }
        // Chapter 12 starts a thousand processes and ten thousand threads.
        let limits =
            Limits { wall: Duration::from_secs(120), max_processes: 12_000, extra_threads: 0, max_output: 1 << 20 };
        let (out_tx, out_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let watch = Watch {
            output: Arc::new(move |bytes: &[u8]| {
                let _ = out_tx.send(bytes.to_vec());
            }),
            stop: Arc::clone(stop),
        };
        let spec = sandbox::Spec {
            program: dir.program(),
            args: &[],
            envs: &envs,
            cwd: dir.path(),
            limits: &limits,
            run_as: run_as.as_ref(),
            tag: "book",
            watch: Some(&watch),
            keep: &[],
        };
        send(Event::Status("running".into()));
        let started = Instant::now();
        let outcome = std::thread::scope(|s| {
            let running = s.spawn(|| sandbox::run(&spec));
            // Output goes on as it comes, until the run and its readers end.
            let mut pending = Vec::new();
            loop {
                match out_rx.recv_timeout(Duration::from_millis(50)) {
                    Ok(bytes) => {
                        pending.extend(bytes);
                        send_text(&mut pending, send);
                    }
                    Err(_) if running.is_finished() => break,
                    Err(_) => {}
                }
            }
            while let Ok(bytes) = out_rx.try_recv() {
                pending.extend(bytes);
            }
            if !pending.is_empty() {
                send(Event::Out(String::from_utf8_lossy(&pending).into_owned()));
            }
            running.join().expect("the sandbox does not panic")
        });
        drop(watch);
        let ending = match outcome {
            Err(e) => return send(Event::Error(format!("could not start the example: {e}"))),
            Ok(o) => describe(&o.ending, &limits),
        };
        for (name, svg) in pictures(&svg_dir) {
            send(Event::Svg { name, svg });
        }
        send(Event::End { ending, secs: started.elapsed().as_secs_f64() });
    }
}

/// Sends the complete UTF-8 prefix of `pending`, keeping a cut character.
fn send_text(pending: &mut Vec<u8>, send: &dyn Fn(Event)) {
    let cut = match std::str::from_utf8(pending) {
        Ok(_) => pending.len(),
        Err(e) => e.valid_up_to(),
    };
    if cut > 0 {
        let rest = pending.split_off(cut);
        send(Event::Out(String::from_utf8_lossy(pending).into_owned()));
        *pending = rest;
    }
}

fn describe(ending: &sandbox::Ending, limits: &Limits) -> String {
    match ending {
        sandbox::Ending::Exited(0) => "ended (exit code 0)".into(),
        sandbox::Ending::Exited(code) => format!("ended with exit code {code}"),
        sandbox::Ending::Signaled(sig) => format!("killed by {sig}"),
        sandbox::Ending::TimedOut => format!("stopped after {} s", limits.wall.as_secs()),
        sandbox::Ending::ForkBomb => format!("stopped: more than {} processes and threads", limits.max_processes),
        sandbox::Ending::OutputFlood => format!("stopped: printed more than {} bytes", limits.max_output),
        sandbox::Ending::Stopped => "stopped: the page went away".into(),
    }
}

/// The SVGs a run drew, by name.
fn pictures(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(dir).map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect()).unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "svg"));
    files.sort();
    files
        .into_iter()
        .filter_map(|p| {
            let svg = std::fs::read_to_string(&p).ok()?;
            Some((p.file_name()?.to_string_lossy().into_owned(), svg))
        })
        .collect()
}

fn cargo_program() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Runs cargo; the program it built, or its errors as rustc wrote them.
fn build(cargo: Command) -> Result<PathBuf, String> {
    parlab_sandbox::stage::build(cargo, None, CargoErrors::Returned)
}
