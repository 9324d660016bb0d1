//! Finding `mpirun` and building its command line.
//!
//! Open MPI's `mpirun` refuses to run as root and to start more ranks than
//! the machine has cores unless told; MPICH's `mpiexec` needs neither flag
//! and knows neither. [`Launcher`] knows which it found and asks only what
//! that one understands.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What to install when no MPI is found, per system.
pub const INSTALL_HINT: &str = "MPI is not installed. Debian or Ubuntu: `sudo apt-get install openmpi-bin \
     libopenmpi-dev libclang-dev`; Fedora: `sudo dnf install openmpi-devel clang-devel`, then `module load \
     mpi/openmpi-x86_64`; macOS: `brew install open-mpi llvm`. Then run this again";

/// The MPI launcher on this machine, and which implementation it belongs to.
///
/// ```
/// use parlab_mpi::launcher::Launcher;
///
/// // As an ordinary user (as root, Open MPI also gets `--allow-run-as-root`).
/// let open_mpi = Launcher { as_root: false, ..Launcher::at("/usr/bin/mpirun", true) };
/// let args = open_mpi.args(3, 2, "./ranks");
/// assert_eq!(args, ["-np", "3", "--oversubscribe", "--bind-to", "none", "./ranks"]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Launcher {
    /// The `mpirun` (or `mpiexec`) program.
    pub program: PathBuf,
    /// Whether it is Open MPI's (which takes `--oversubscribe`, `--allow-run-as-root`).
    pub open_mpi: bool,
    /// Whether it runs as root, which Open MPI must be told is meant.
    pub as_root: bool,
}

impl Launcher {
    /// The launcher at `program`, of Open MPI or not.
    ///
    /// ```
    /// let l = parlab_mpi::launcher::Launcher::at("mpiexec", false);
    /// assert_eq!(l.args(2, 2, "p"), ["-n", "2", "p"]);
    /// ```
    pub fn at(program: impl Into<PathBuf>, open_mpi: bool) -> Launcher {
        Launcher { program: program.into(), open_mpi, as_root: is_root() }
    }

    /// Finds `mpirun` (else `mpiexec`) on the PATH, and the library to build
    /// against (`mpicc`, which the `mpi` crate's build asks for its flags).
    /// Err says what is missing and how to install it.
    ///
    /// ```
    /// match parlab_mpi::launcher::Launcher::find() {
    ///     Ok(l) => assert!(l.program.is_file()),
    ///     Err(why) => assert!(why.contains("sudo apt-get install")),
    /// }
    /// ```
    pub fn find() -> Result<Launcher, String> {
        let program = on_path("mpirun").or_else(|| on_path("mpiexec")).ok_or_else(|| INSTALL_HINT.to_string())?;
        if on_path("mpicc").is_none() {
            return Err(format!(
                "{} is there, but not MPI's library for programs (no `mpicc`). {INSTALL_HINT}",
                program.display()
            ));
        }
        let version = Command::new(&program).arg("--version").output().map(|o| o.stdout).unwrap_or_default();
        let open_mpi = String::from_utf8_lossy(&version).contains("Open MPI");
        Ok(Launcher::at(program, open_mpi))
    }

    /// The arguments that start `ranks` copies of `program` on a machine with
    /// `cpus` usable CPUs. Ranks are not pinned to cores (`--bind-to none`):
    /// like threads and processes elsewhere in the course, the kernel places
    /// them. As root, Open MPI must be told that is meant.
    ///
    /// ```
    /// let l = parlab_mpi::launcher::Launcher::at("mpirun", true);
    /// assert_eq!(l.args(2, 2, "p")[..2], ["-np", "2"]);
    /// assert!(!l.args(2, 2, "p").contains(&"--oversubscribe".into()));
    /// ```
    pub fn args(&self, ranks: usize, cpus: usize, program: impl AsRef<Path>) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        if self.open_mpi {
            args.extend(["-np".into(), ranks.to_string().into()]);
            if ranks > cpus {
                args.push("--oversubscribe".into());
            }
            if self.as_root {
                args.push("--allow-run-as-root".into());
            }
            args.extend(["--bind-to".into(), "none".into()]);
        } else {
            args.extend(["-n".into(), ranks.to_string().into()]);
        }
        args.push(program.as_ref().as_os_str().to_owned());
        args
    }

    /// The arguments that start one rank per slot of the hosts in `hostfile`
    /// (`ranks` in all), dealt one host at a time (`--map-by node`), starting
    /// the daemons of the other hosts through `agent` (Open MPI's remote
    /// shell, `plm_rsh_agent`). Open MPI's flags: Err for another MPI.
    ///
    /// ```
    /// use parlab_mpi::launcher::Launcher;
    ///
    /// let l = Launcher { as_root: false, ..Launcher::at("mpirun", true) };
    /// let args = l.args_on_hosts("hosts".as_ref(), 2, "ssh", "./ranks").unwrap();
    /// assert_eq!(args[..6], ["-np", "2", "--hostfile", "hosts", "--map-by", "node"]);
    /// assert!(Launcher::at("mpiexec", false).args_on_hosts("hosts".as_ref(), 2, "ssh", "p").is_err());
    /// ```
    pub fn args_on_hosts(
        &self,
        hostfile: &Path,
        ranks: usize,
        agent: &str,
        program: impl AsRef<Path>,
    ) -> Result<Vec<OsString>, String> {
        if !self.open_mpi {
            return Err(format!("{} is not Open MPI's: ranks on several hosts need Open MPI", self.program.display()));
        }
        let mut args: Vec<OsString> =
            vec!["-np".into(), ranks.to_string().into(), "--hostfile".into(), hostfile.into()];
        args.extend(["--map-by", "node", "--bind-to", "none", "--mca", "plm_rsh_agent"].map(OsString::from));
        args.push(agent.into());
        if self.as_root {
            args.push("--allow-run-as-root".into());
        }
        args.push(program.as_ref().as_os_str().to_owned());
        Ok(args)
    }

    /// A command that starts `ranks` copies of `program`.
    ///
    /// ```no_run
    /// use parlab_mpi::launcher::Launcher;
    ///
    /// let status = Launcher::find().unwrap().command(2, 2, "target/release/examples/13_mpi").status();
    /// ```
    pub fn command(&self, ranks: usize, cpus: usize, program: impl AsRef<Path>) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(self.args(ranks, cpus, program));
        cmd
    }
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// `name` in a folder of the PATH, if there.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file())
}
