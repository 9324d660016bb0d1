//! parlab's tasks on MPI ranks: course chapter 13, "Beyond one machine".
//!
//! MPI starts N copies of one program (its *ranks*), on one machine or many,
//! and gives them messages and collective operations (scatter, gather,
//! reduce) instead of shared memory or fork. This crate adds what the course
//! needs on top of [rsmpi](https://docs.rs/mpi) (the `mpi` feature):
//!
//! - [`launcher`]: finds `mpirun` and builds its command line (no MPI library needed);
//! - [`clocks`]: puts every rank's spans on one time axis, aligned at a barrier;
//! - `ranks` (feature `mpi`): gathers the ranks' spans to rank 0;
//! - `exercise` (feature `mpi`): the glue between exercise 13 and the checker.
//!
//! Without the `mpi` feature the crate builds on a machine without MPI, so the
//! workspace's tests never need MPI installed.
//!
//! ```
//! use parlab_mpi::launcher::INSTALL_HINT;
//!
//! assert!(INSTALL_HINT.contains("openmpi-bin"));
//! ```

pub mod clocks;
pub mod launcher;

#[cfg(feature = "mpi")]
pub mod exercise;
#[cfg(feature = "mpi")]
pub mod ranks;

/// rsmpi, re-exported so that an exercise needs one dependency.
#[cfg(feature = "mpi")]
pub use mpi;
