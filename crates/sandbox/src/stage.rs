//! Before a run: the program built by cargo, and a private folder made for
//! the run, holding its own copy of the program, handed to the unprivileged
//! user when the caller is root. The checker and the book's Run control
//! both build and stage this way.

use crate::RunAs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where cargo's messages go while it builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CargoErrors {
    /// To the terminal as cargo writes them (its progress too).
    Shown,
    /// Kept, and returned as the error when the build fails (without the
    /// progress lines).
    Returned,
}

/// Runs `cargo` (a `cargo build` command, without its message format) and
/// returns the program it built: the one of target `target`, or the last
/// one cargo named. The error says why there is none: cargo's errors as
/// rustc wrote them (with [`CargoErrors::Returned`]), or where they went.
///
/// ```no_run
/// use parlab_sandbox::stage::{CargoErrors, build};
///
/// let mut cargo = std::process::Command::new("cargo");
/// cargo.args(["build", "--release", "-p", "parlab", "--example", "01_sequential"]);
/// let program = build(cargo, Some("01_sequential"), CargoErrors::Returned).unwrap();
/// assert!(program.ends_with("01_sequential"));
/// ```
pub fn build(mut cargo: Command, target: Option<&str>, errors: CargoErrors) -> Result<PathBuf, String> {
    cargo.args(["--message-format", "json-render-diagnostics"]).stdin(Stdio::null()).stdout(Stdio::piped());
    if errors == CargoErrors::Returned {
        cargo.args(["--color", "never"]).stderr(Stdio::piped());
    } else {
        cargo.stderr(Stdio::inherit());
    }
    let out = cargo.output().map_err(|e| format!("cannot run cargo: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        if errors == CargoErrors::Shown {
            return Err("see cargo's errors above".into());
        }
        // Cargo's progress lines say nothing the reader needs.
        let errors: Vec<&str> =
            stderr.lines().filter(|l| !l.trim_start().starts_with("Compiling") && !l.contains("Blocking")).collect();
        return Err(errors.join("\n"));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .filter(|m| target.is_none_or(|t| m["target"]["name"] == t))
        .filter_map(|m| m["executable"].as_str().map(PathBuf::from))
        .next_back()
        .ok_or_else(|| format!("cargo built no program{}", target.map(|t| format!(" named {t}")).unwrap_or_default()))
}

/// A folder made for one run and removed with it: nothing a run leaves there
/// reaches the next, and every run looks the same from inside.
pub struct RunFolder {
    dir: tempfile::TempDir,
    program: PathBuf,
}

impl RunFolder {
    /// A new folder (its name starting with `prefix`) holding a copy of
    /// `program` named `name`, and the empty `subfolders`; each handed to
    /// `run_as`, so that the program may write there.
    ///
    /// ```
    /// use parlab_sandbox::stage::RunFolder;
    ///
    /// let folder = RunFolder::new("doc-", "/bin/sh".as_ref(), "program", &["svg"], None).unwrap();
    /// assert!(folder.program().ends_with("program") && folder.path().join("svg").is_dir());
    /// let path = folder.path().to_path_buf();
    /// drop(folder);
    /// assert!(!path.exists()); // removed with the run
    /// ```
    pub fn new(
        prefix: &str,
        program: &Path,
        name: &str,
        subfolders: &[&str],
        run_as: Option<&RunAs>,
    ) -> Result<RunFolder, String> {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .map_err(|e| format!("cannot make a private folder for the run: {e}"))?;
        let copy = dir.path().join(name);
        std::fs::copy(program, &copy).map_err(|e| format!("cannot copy {}: {e}", program.display()))?;
        let mut folders = vec![dir.path().to_path_buf()];
        for sub in subfolders {
            let path = dir.path().join(sub);
            std::fs::create_dir(&path).map_err(|e| format!("cannot make {}: {e}", path.display()))?;
            folders.push(path);
        }
        if let Some(user) = run_as {
            for folder in &folders {
                user.give(folder).map_err(|e| format!("cannot hand the run's folder to {}: {e}", user.name()))?;
            }
        }
        Ok(RunFolder { dir, program: copy })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The run's own copy of the program.
    pub fn program(&self) -> &Path {
        &self.program
    }
}
