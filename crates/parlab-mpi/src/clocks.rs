//! One time axis for spans taken by ranks on different machines.
//!
//! Each rank times its tasks on its own machine's monotonic clock, which
//! starts at that machine's boot: two machines' readings cannot be compared.
//! So every rank notes its clock as it leaves one barrier that all ranks
//! pass together; rank 0's reading becomes the common origin, and every other
//! rank's spans are shifted by the difference between its reading and rank
//! 0's. What is left is the barrier's own skew (ranks leave it a few
//! microseconds apart, more across a network), which [`skew_ns`] reports.
//! On one machine the clocks are the same clock, so the skew can be seen
//! directly: the barrier readings differ by only that much.

use parlab::Span;
use serde::{Deserialize, Serialize};

/// One rank's spans, on its own clock, with its reading as it left the
/// common barrier.
///
/// ```
/// use parlab_mpi::clocks::RankSpans;
///
/// let r = RankSpans { rank: 1, barrier_exit_ns: 5_000, spans: Vec::new() };
/// assert_eq!(r.rank, 1);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankSpans {
    pub rank: usize,
    /// This rank's monotonic clock as it left the barrier, in nanoseconds.
    pub barrier_exit_ns: u64,
    pub spans: Vec<Span>,
}

/// Every rank's spans on rank 0's clock, each span's `worker` set to its
/// rank, numbered rank by rank (in start order within a rank) and ordered
/// by start.
///
/// ```
/// use parlab::Span;
/// use parlab_mpi::clocks::{RankSpans, align};
///
/// let span = |pid, start_ns, end_ns| Span { index: 0, pid, tid: pid, worker: 0, tasks: 1, start_ns, end_ns, sleep: None };
/// // Rank 1's clock reads 1,000,000 ns more than rank 0's at the same moment.
/// let ranks = vec![
///     RankSpans { rank: 0, barrier_exit_ns: 100, spans: vec![span(7, 200, 300)] },
///     RankSpans { rank: 1, barrier_exit_ns: 1_000_100, spans: vec![span(8, 1_000_200, 1_000_300)] },
/// ];
/// let all = align(ranks);
/// assert_eq!((all[0].start_ns, all[1].start_ns), (200, 200)); // the same moment
/// assert_eq!((all[0].worker, all[1].worker), (0, 1));
/// ```
pub fn align(ranks: Vec<RankSpans>) -> Vec<Span> {
    let origin = ranks.iter().find(|r| r.rank == 0).or(ranks.first()).map_or(0, |r| r.barrier_exit_ns);
    let mut all: Vec<Span> = ranks
        .into_iter()
        .flat_map(|r| {
            let (exit, rank) = (r.barrier_exit_ns, r.rank);
            let shift = move |t: u64| (t as i128 - exit as i128 + origin as i128).max(0) as u64;
            r.spans.into_iter().map(move |s| Span {
                start_ns: shift(s.start_ns),
                end_ns: shift(s.end_ns),
                worker: rank,
                ..s
            })
        })
        .collect();
    // Numbered rank by rank, each rank's spans in the order they started:
    // a timeline then shows rank 0 first, and a rank's one task as its number.
    all.sort_by_key(|s| (s.worker, s.start_ns));
    all.iter_mut().enumerate().for_each(|(i, s)| s.index = i);
    all.sort_by_key(|s| (s.start_ns, s.worker));
    all
}

/// How far apart the ranks left the barrier, in nanoseconds, when their
/// readings come from one clock (ranks on one machine): the error the
/// alignment may leave.
///
/// ```
/// use parlab_mpi::clocks::skew_ns;
///
/// assert_eq!(skew_ns(&[1_000, 1_250, 1_100]), 250);
/// assert_eq!(skew_ns(&[]), 0);
/// ```
pub fn skew_ns(barrier_exits_ns: &[u64]) -> u64 {
    let max = barrier_exits_ns.iter().max().copied().unwrap_or(0);
    let min = barrier_exits_ns.iter().min().copied().unwrap_or(0);
    max - min
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(pid: i32, start_ns: u64, end_ns: u64) -> Span {
        Span { index: 9, pid, tid: pid, worker: 0, tasks: 1, start_ns, end_ns, sleep: Some(1.0) }
    }

    #[test]
    fn a_rank_whose_clock_is_behind_is_moved_forward_and_nothing_else_changes() {
        let ranks = vec![
            RankSpans { rank: 1, barrier_exit_ns: 50, spans: vec![span(8, 60, 90)] },
            RankSpans { rank: 0, barrier_exit_ns: 10_050, spans: vec![span(7, 10_070, 10_080)] },
        ];
        let all = align(ranks);
        assert_eq!(all.len(), 2);
        // Rank 1's span began 10 ns after its barrier: 10,060 on rank 0's clock.
        assert_eq!((all[0].pid, all[0].start_ns, all[0].end_ns, all[0].worker), (8, 10_060, 10_090, 1));
        assert_eq!((all[1].pid, all[1].start_ns, all[1].worker), (7, 10_070, 0));
        // Numbered rank by rank: rank 0's span is 0, though rank 1's started first.
        assert_eq!((all[0].index, all[1].index), (1, 0));
        assert_eq!(all[0].sleep, Some(1.0));
    }

    #[test]
    fn ranks_on_one_clock_stay_where_they_were_up_to_the_skew() {
        let ranks = vec![
            RankSpans { rank: 0, barrier_exit_ns: 1_000, spans: vec![span(7, 2_000, 3_000)] },
            RankSpans { rank: 1, barrier_exit_ns: 1_004, spans: vec![span(8, 2_000, 3_000)] },
        ];
        let all = align(ranks);
        assert_eq!(all[0].start_ns, 1_996);
        assert_eq!(all[1].start_ns, 2_000);
        assert_eq!(skew_ns(&[1_000, 1_004]), 4);
    }
}
