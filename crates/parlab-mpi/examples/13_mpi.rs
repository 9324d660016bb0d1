//! Step 13: beyond one machine. MPI starts N copies of this program, its
//! *ranks*, on one machine or many; they share no memory and work together
//! by messages: scatter, gather, reduce, send and receive.
//!
//! Run (Open MPI; add `--allow-run-as-root` as root):
//! `cargo build --release -p parlab-mpi --features mpi --example 13_mpi`
//! `mpirun -np 2 --bind-to none target/release/examples/13_mpi` (the kernel
//! places the ranks, as it places every other program: chapter 13 says why)

use mpi::collective::SystemOperation;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use parlab::stats::median;
use parlab::workloads::{count_primes, scaled, split_range};
use parlab::{Process, ProcessPool, Span, Trace, timeline};
use parlab_mpi::ranks::{barrier_exit_ns, gather_spans};
use serde_bytes::ByteBuf;
use std::io::{Read, Write};
use std::time::Instant;

/// The tutorial's task, quiet: only rank 0 prints, so the output does not
/// depend on which rank's line reaches `mpirun` first.
fn sleep_task(secs: f64) -> f64 {
    std::thread::sleep(scaled(secs));
    secs
}

/// Times `f` as this rank's task `index`, claiming `secs` course seconds.
fn timed(index: usize, rank: usize, secs: f64, f: impl FnOnce() -> f64) -> (f64, Span) {
    let (value, mut span) = Span::measure(index, rank, f);
    span.sleep = Some(secs);
    (value, span)
}

/// A trace of every rank's spans. No rank is the others' parent (`mpirun`
/// started them all), and no CPU time was recorded for it: its summary
/// shows 0 s of CPU, which says nothing here.
fn ranks_trace(title: &str, spans: Vec<Span>) -> Trace {
    Trace { parent_pid: 0, ..Trace::from_spans(title, spans) }
}

// ANCHOR: every_rank
/// Step 4 with ranks: there is no loop that starts processes; `mpirun`
/// started them all, and each runs the task.
fn every_rank_runs_the_task(world: &SimpleCommunicator) -> Option<Trace> {
    let rank = world.rank() as usize;
    let started = barrier_exit_ns(world);
    let (_, span) = timed(0, rank, 1.0, || sleep_task(1.0));
    // The clocks, for the timeline: each rank's reading as it left the barrier.
    let root = world.process_at_rank(0);
    let pid = std::process::id();
    // Each rank's host, as MPI names it (64 bytes, padded with zeros).
    let mut host = [0u8; 64];
    let name = mpi::environment::processor_name().unwrap_or_default();
    let n = name.len().min(host.len());
    host[..n].copy_from_slice(&name.as_bytes()[..n]);
    if rank == 0 {
        let mut exits = vec![0u64; world.size() as usize];
        let mut pids = vec![0u32; world.size() as usize];
        let mut hosts = vec![0u8; 64 * world.size() as usize];
        root.gather_into_root(&started, &mut exits[..]);
        root.gather_into_root(&pid, &mut pids[..]);
        root.gather_into_root(&host[..], &mut hosts[..]);
        println!("{} ranks, pids {pids:?}", world.size());
        let hosts: Vec<String> = hosts
            .chunks(64)
            .map(|h| String::from_utf8_lossy(h).trim_end_matches('\0').to_string())
            .collect();
        let skew = parlab_mpi::clocks::skew_ns(&exits);
        if hosts.iter().any(|h| *h != hosts[0]) {
            // Another machine's clock counts from its own boot: the readings
            // differ by that, not by the barrier's skew.
            println!("on hosts {hosts:?}");
            println!(
                "clocks {:.6} s apart at the barrier: times moved onto rank 0's clock",
                skew as f64 / 1e9
            );
        } else {
            println!(
                "the ranks left the barrier within {:.1} µs of each other",
                skew as f64 / 1e3
            );
        }
    } else {
        root.gather_into(&started);
        root.gather_into(&pid);
        root.gather_into(&host[..]);
    }
    let spans = gather_spans(world, started, vec![span])?;
    let trace = ranks_trace("13 every rank runs the task", spans);
    println!("Finished in {:.2} second(s)", trace.wall_secs());
    Some(trace)
}
// ANCHOR_END: every_rank

/// The tag of a result message: MPI matches a receive by source and tag.
const RESULT: mpi::Tag = 1;

// ANCHOR: scatter_gather
/// Steps 5 and 6 with ranks: rank 0 scatters one sleep to each rank and
/// gathers the results in rank order (like `map`); then every rank sleeps
/// again and sends its result, and rank 0 takes the results as they come
/// (like `as_completed`), its own among them: it sleeps on a thread of its
/// own while its main thread watches for messages.
fn scatter_and_gather(world: &SimpleCommunicator) -> Option<Trace> {
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    let root = world.process_at_rank(0);
    // The longest sleep to rank 0, so that the ranks finish in reverse order.
    let sleeps: Vec<f64> =
        (0..size).map(|r| 1.0 - 0.5 * r as f64 / size as f64).collect();
    let mut mine = 0.0f64;
    if rank == 0 {
        root.scatter_into_root(&sleeps[..], &mut mine);
    } else {
        root.scatter_into(&mut mine);
    }
    let slept = sleep_task(mine);
    if rank == 0 {
        let mut results = vec![0.0f64; size];
        root.gather_into_root(&slept, &mut results[..]);
        println!("scattered {sleeps:?}, gathered {results:?}: in rank order");
    } else {
        root.gather_into(&slept);
    }

    let started = barrier_exit_ns(world);
    if rank != 0 {
        let (slept, span) = timed(rank, rank, mine, || sleep_task(mine));
        root.send_with_tag(&slept, RESULT);
        gather_spans(world, started, vec![span]);
        return None;
    }
    let own = std::thread::spawn(move || timed(0, 0, mine, || sleep_task(mine)));
    let mut order = Vec::new();
    let mut own_reported = false;
    while order.len() < size {
        if let Some(status) = world.any_process().immediate_probe_with_tag(RESULT) {
            let from = world.process_at_rank(status.source_rank());
            order.push((status.source_rank(), from.receive_with_tag::<f64>(RESULT).0));
        } else if !own_reported && own.is_finished() {
            own_reported = true;
            order.push((0, mine));
        } else {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
    println!("received as they came (rank, slept): {order:?}");
    let (_, span) = own.join().expect("rank 0's task thread");
    let spans = gather_spans(world, started, vec![span])?;
    Some(ranks_trace("13 results as they come", spans))
}
// ANCHOR_END: scatter_gather

// ANCHOR: reduce
/// CPU-bound work: rank 0 counts alone, then every rank counts its part of
/// the range and a reduce adds the parts up on rank 0.
fn count_on_every_rank(world: &SimpleCommunicator, limit: u64) -> Option<Trace> {
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    let root = world.process_at_rank(0);
    world.barrier();
    let alone = Instant::now();
    let one = if rank == 0 { count_primes((0, limit)) } else { 0 };
    let alone = alone.elapsed().as_secs_f64();

    let started = barrier_exit_ns(world);
    let t = Instant::now();
    let part = split_range(limit, size)[rank];
    let (mine, span) = Span::measure(rank, rank, || count_primes(part));
    let mut total = 0u64;
    if rank == 0 {
        root.reduce_into_root(&mine, &mut total, SystemOperation::sum());
        let together = t.elapsed().as_secs_f64();
        let speedup = alone / together;
        println!(
            "primes below {limit}: rank 0 alone {one} in {alone:.3} s; \
             {size} ranks {total} in {together:.3} s: {speedup:.2}x"
        );
    } else {
        root.reduce_into(&mine, SystemOperation::sum());
    }
    let spans = gather_spans(world, started, vec![span])?;
    Some(ranks_trace("13 primes on every rank", spans))
}
// ANCHOR_END: reduce

/// A round trip's cost: the median and the fastest of its samples, in seconds.
#[derive(Clone, Copy)]
struct Cost {
    median: f64,
    best: f64,
}

fn cost(samples: &[f64]) -> Cost {
    Cost {
        median: median(samples),
        best: samples.iter().copied().fold(f64::MAX, f64::min),
    }
}

/// Message sizes for the costs, and how many round trips each is timed over.
const SIZES: [(usize, usize); 5] =
    [(8, 2000), (1 << 10, 2000), (64 << 10, 400), (1 << 20, 60), (16 << 20, 8)];

// ANCHOR: ping_pong
/// Round trips between rank 0 and rank 1: rank 0 sends, rank 1 sends the
/// same bytes back. Median seconds per round trip, per size.
fn mpi_round_trips(world: &SimpleCommunicator) -> Vec<Cost> {
    let rank = world.rank();
    let mut medians = Vec::new();
    for (size, times) in SIZES {
        let mut buf = vec![7u8; size];
        let mut samples = Vec::new();
        world.barrier();
        for _ in 0..times {
            let t = Instant::now();
            if rank == 0 {
                world.process_at_rank(1).send(&buf[..]);
                world.process_at_rank(1).receive_into(&mut buf[..]);
            } else if rank == 1 {
                world.process_at_rank(0).receive_into(&mut buf[..]);
                world.process_at_rank(0).send(&buf[..]);
            }
            samples.push(t.elapsed().as_secs_f64());
        }
        medians.push(cost(&samples));
    }
    medians
}
// ANCHOR_END: ping_pong

/// The same round trips over two pipes between two processes of parlab.
fn pipe_round_trips() -> parlab::Result<Vec<Cost>> {
    let (mut from_parent, mut to_child) = std::io::pipe()?;
    let (mut from_child, mut to_parent) = std::io::pipe()?;
    let echo = Process::start(move || {
        for (size, times) in SIZES {
            let mut buf = vec![0u8; size];
            for _ in 0..times {
                from_parent.read_exact(&mut buf).expect("the parent writes");
                to_parent.write_all(&buf).expect("the parent reads");
            }
        }
    })?;
    let mut medians = Vec::new();
    for (size, times) in SIZES {
        let mut buf = vec![7u8; size];
        let mut samples = Vec::new();
        for _ in 0..times {
            let t = Instant::now();
            to_child.write_all(&buf)?;
            from_child.read_exact(&mut buf)?;
            samples.push(t.elapsed().as_secs_f64());
        }
        medians.push(cost(&samples));
    }
    echo.join()?;
    Ok(medians)
}

fn echo(bytes: ByteBuf) -> ByteBuf {
    bytes
}

/// The same bytes as one ProcessPool task's argument and result.
fn pool_round_trips() -> parlab::Result<Vec<Cost>> {
    let pool = ProcessPool::new(1)?;
    let mut medians = Vec::new();
    for (size, times) in SIZES {
        let mut samples = Vec::new();
        for _ in 0..times.min(200) {
            let bytes = ByteBuf::from(vec![7u8; size]);
            let t = Instant::now();
            let back = pool.submit(echo, bytes)?.join()?;
            samples.push(t.elapsed().as_secs_f64());
            assert_eq!(back.len(), size);
        }
        medians.push(cost(&samples));
    }
    Ok(medians)
}

fn size_name(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

/// Seconds as "0.8 µs" below 10 µs, else as the timelines show them.
fn short(secs: f64) -> String {
    if secs < 1e-5 { format!("{:.1} µs", secs * 1e6) } else { timeline::human(secs) }
}

fn costs_table(mpi: &[Cost], pipe: &[Cost], pool: &[Cost]) {
    println!("round trip (there and back), median (fastest):");
    println!(
        "{:>8}  {:>20}  {:>20}  {:>20}",
        "size", "MPI, 2 ranks", "pipe", "ProcessPool"
    );
    for (i, (size, _)) in SIZES.iter().enumerate() {
        let cell = |c: Cost| format!("{} ({})", short(c.median), short(c.best));
        let (mpi, pipe, pool) = (cell(mpi[i]), cell(pipe[i]), cell(pool[i]));
        println!("{:>8}  {mpi:>20}  {pipe:>20}  {pool:>20}", size_name(*size));
    }
    let last = SIZES.len() - 1;
    let gbs = |c: Cost| 2.0 * SIZES[last].0 as f64 / c.median / 1e9;
    println!(
        "bandwidth at {}: MPI {:.2} GB/s, pipe {:.2} GB/s, ProcessPool {:.2} GB/s",
        size_name(SIZES[last].0),
        gbs(mpi[last]),
        gbs(pipe[last]),
        gbs(pool[last])
    );
}

fn main() -> parlab::Result<()> {
    let limit = std::env::var("PARLAB_PRIMES_LIMIT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    // ANCHOR: start
    // Rank 0 counts on a thread of its own while its main thread waits for
    // messages: only the main thread calls MPI, which is what FUNNELED allows.
    let (universe, threading) = mpi::initialize_with_threading(mpi::Threading::Funneled)
        .expect("MPI starts once per program");
    if !matches!(
        threading,
        mpi::Threading::Funneled | mpi::Threading::Serialized | mpi::Threading::Multiple
    ) {
        eprintln!("error: MPI gives threading {threading:?}; rank 0 needs Funneled");
        std::process::exit(1);
    }
    let world = universe.world();
    // ANCHOR_END: start
    let rank = world.rank();
    if rank == 0 {
        let library = mpi::environment::library_version().unwrap_or_default();
        // Its first words (the C string may end in NULs).
        let name = library.split([',', '\n', '\0']).next().unwrap_or("").trim();
        println!(
            "MPI library: {name}; {} usable CPUs here",
            parlab::Cpus::detect().usable
        );
    }
    let traces = [
        every_rank_runs_the_task(&world),
        scatter_and_gather(&world),
        count_on_every_rank(&world, limit),
    ];
    // Rank 0 has the three timelines: drawn on one axis, to compare.
    let traces: Vec<&Trace> = traces.iter().flatten().collect();
    if !traces.is_empty() {
        // Open MPI gives each rank a terminal even when mpirun's output goes
        // to a pipe or a file: draw without colour.
        anstream::ColorChoice::Never.write_global();
        timeline::print_together(&traces);
    }
    let mpi = if world.size() >= 2 { Some(mpi_round_trips(&world)) } else { None };
    // MPI ends here (MPI_Finalize); rank 0 goes on alone, and may fork.
    drop(universe);
    if rank == 0 {
        match mpi {
            Some(mpi) => costs_table(&mpi, &pipe_round_trips()?, &pool_round_trips()?),
            None => println!("one rank: no message costs (run with `mpirun -np 2`)"),
        }
    }
    Ok(())
}
