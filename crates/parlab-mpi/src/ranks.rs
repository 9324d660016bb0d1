//! Gathering every rank's spans to rank 0, on one time axis.

use crate::clocks::{RankSpans, align};
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use parlab::Span;

/// Waits until every rank is here, and returns this rank's monotonic clock
/// as it leaves: the reading [`gather_spans`] aligns the ranks' clocks by.
///
/// ```no_run
/// let universe = parlab_mpi::mpi::initialize().unwrap();
/// let t0 = parlab_mpi::ranks::barrier_exit_ns(&universe.world());
/// ```
pub fn barrier_exit_ns(world: &SimpleCommunicator) -> u64 {
    world.barrier();
    parlab::now_ns()
}

/// The tag of the messages that carry spans: apart from a program's own
/// messages (MPI matches a receive by source and tag), so that a program
/// that probes for any message of its own never finds spans instead.
pub const SPANS_TAG: mpi::Tag = 32_000;

/// Sends this rank's spans to rank 0, which gets every rank's, on its own
/// clock ([`align`]); the other ranks get `None`. Every rank must call it
/// (it is collective), with its reading from [`barrier_exit_ns`].
///
/// ```no_run
/// use parlab::{Span, Trace, timeline};
///
/// let universe = parlab_mpi::mpi::initialize().unwrap();
/// let world = universe.world();
/// let t0 = parlab_mpi::ranks::barrier_exit_ns(&world);
/// let ((), span) = Span::measure(0, 0, || std::thread::sleep(std::time::Duration::from_millis(10)));
/// if let Some(all) = parlab_mpi::ranks::gather_spans(&world, t0, vec![span]) {
///     timeline::print(&Trace::from_spans("every rank", all));
/// }
/// ```
pub fn gather_spans(world: &SimpleCommunicator, barrier_exit_ns: u64, spans: Vec<Span>) -> Option<Vec<Span>> {
    let rank = world.rank() as usize;
    let mine = RankSpans { rank, barrier_exit_ns, spans };
    let root = world.process_at_rank(0);
    if rank != 0 {
        let bytes = serde_json::to_vec(&mine).expect("spans encode as JSON");
        root.send_with_tag(&bytes[..], SPANS_TAG);
        return None;
    }
    let mut all = vec![mine];
    for other in 1..world.size() {
        let (bytes, _status) = world.process_at_rank(other).receive_vec_with_tag::<u8>(SPANS_TAG);
        all.push(serde_json::from_slice(&bytes).expect("a rank sent spans as JSON"));
    }
    Some(align(all))
}
