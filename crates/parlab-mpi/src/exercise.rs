//! The glue between an MPI exercise and the checker: like
//! [`parlab::exercise::run`], with every rank solving and rank 0 reporting.

use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use parlab::exercise::INPUT_ENV;
use parlab::trace_file::{self, TRACE_FILE_ENV};
use serde::{Serialize, de::DeserializeOwned};
use std::fmt::Debug;

/// Starts MPI, runs `solve` on every rank with the communicator of all
/// ranks and the input (the checker's, or `default_input`), and reports
/// rank 0's answer as [`parlab::exercise::run`] does; the other ranks'
/// answers are dropped. Run by hand, rank 0 then prints a timeline of every
/// rank's tasks, gathered and put on its clock ([`crate::ranks::gather_spans`]).
///
/// ```no_run
/// use parlab_mpi::mpi::{collective::SystemOperation, topology::SimpleCommunicator, traits::*};
/// use parlab::workloads::{count_primes, split_range};
///
/// fn solve(world: &SimpleCommunicator, limit: u64) -> parlab::Result<u64> {
///     let part = split_range(limit, world.size() as usize)[world.rank() as usize];
///     let mine = count_primes(part);
///     let mut total = 0;
///     world.all_reduce_into(&mine, &mut total, SystemOperation::sum());
///     Ok(total)
/// }
///
/// fn main() {
///     // `mpirun -np 2 target/release/my_program`
///     parlab_mpi::exercise::run(1_000_000, solve);
/// }
/// ```
pub fn run<I, O>(default_input: I, solve: fn(&SimpleCommunicator, I) -> parlab::Result<O>)
where
    I: DeserializeOwned + Debug,
    O: Serialize + Debug,
{
    let by_checker = std::env::var_os(INPUT_ENV).is_some();
    // Run by hand, each rank traces into a file of its own, set before MPI
    // starts any thread; the spans travel to rank 0 by message afterwards.
    let own_trace = (!by_checker && std::env::var_os(TRACE_FILE_ENV).is_none()).then(|| {
        let path = std::env::temp_dir().join(format!("parlab-trace-rank-{}.jsonl", std::process::id()));
        let _ = std::fs::remove_file(&path);
        // SAFETY: nothing else runs yet: MPI starts its threads below.
        unsafe { std::env::set_var(TRACE_FILE_ENV, &path) };
        path
    });
    let Some(universe) = mpi::initialize() else {
        eprintln!("error: MPI was started already in this program");
        std::process::exit(1);
    };
    let world = universe.world();
    let reports = world.rank() == 0;
    let started_ns = crate::ranks::barrier_exit_ns(&world);
    parlab::exercise::run_copy(default_input, reports, |input| solve(&world, input));
    world.barrier();
    if let Some(path) = own_trace {
        let spans = trace_file::read(&path).unwrap_or_default();
        let _ = std::fs::remove_file(&path);
        if let Some(all) = crate::ranks::gather_spans(&world, started_ns, spans)
            && !all.is_empty()
        {
            let title = format!("your run on {} ranks", world.size());
            // No rank is the parent of another: none is marked so.
            let trace = parlab::Trace { parent_pid: 0, ..parlab::Trace::from_spans(title, all) };
            // Open MPI gives each rank a terminal of its own even when
            // mpirun's output goes to a pipe or a file: draw without colour.
            anstream::ColorChoice::Never.write_global();
            parlab::timeline::print(&trace);
        }
    }
}
