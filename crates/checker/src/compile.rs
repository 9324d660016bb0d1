//! Builds an exercise with cargo, showing its errors as cargo prints them,
//! and finds the program it made.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Builds `package` of the workspace in `dir` (release: speed is graded) and
/// returns the path of its program. Cargo's own messages go to stderr.
pub fn build(dir: &Path, package: &str, quiet: bool) -> Result<PathBuf, String> {
    // A first build compiles the engine too, with nothing on the screen
    // under `--json` or cargo's `-q`: say so, once, whatever the options.
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| dir.join("target"), PathBuf::from);
    if !target.join("release").join(package).exists() {
        eprintln!("building {package}, about a minute the first time (it compiles the parlab engine too)...");
    }
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.args(["build", "--release", "--message-format=json-render-diagnostics", "-p", package])
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(if quiet { Stdio::piped() } else { Stdio::inherit() });
    let out = cmd.output().map_err(|e| format!("could not run cargo: {e}"))?;
    if !out.status.success() {
        let shown = if quiet {
            format!(":\n{}", String::from_utf8_lossy(&out.stderr))
        } else {
            " (see cargo's errors above)".into()
        };
        return Err(format!("{package} does not compile{shown}"));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == package)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| format!("cargo built {package} but named no program"))
}
