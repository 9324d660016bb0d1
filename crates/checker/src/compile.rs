//! Builds an exercise with cargo, showing its errors as cargo prints them,
//! and finds the program it made.

use parlab_sandbox::stage::CargoErrors;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds `package` of the workspace in `dir` (release: speed is graded) and
/// returns the path of its program. Cargo's own messages go to stderr.
pub fn build(dir: &Path, package: &str, quiet: bool) -> Result<PathBuf, String> {
    // A first build compiles the engine too, with nothing on the screen
    // under `--json` or cargo's `-q`: say so, once, whatever the options.
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| dir.join("target"), PathBuf::from);
    if !target.join("release").join(package).exists() {
        eprintln!("building {package}, about a minute the first time (it compiles the parlab engine too)...");
    }
    let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cargo.args(["build", "--release", "-p", package]).arg("--manifest-path").arg(dir.join("Cargo.toml"));
    let errors = if quiet { CargoErrors::Returned } else { CargoErrors::Shown };
    parlab_sandbox::stage::build(cargo, Some(package), errors).map_err(|why| match errors {
        CargoErrors::Returned => format!("{package} does not compile:\n{why}"),
        CargoErrors::Shown => format!("{package} does not compile ({why})"),
    })
}
