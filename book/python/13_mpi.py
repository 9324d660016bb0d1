"""Chapter 13 in Python: the same steps on MPI ranks, with mpi4py.

Every rank runs this whole file: the launcher starts one copy per rank.

    pip install mpi4py
    mpiexec -np 2 --bind-to none python3 13_mpi.py [OUTPUT_FOLDER]

(Open MPI as root: add --allow-run-as-root.) mpi4py's lowercase calls (send,
recv, scatter, gather, reduce) pickle any Python object; the capitalised ones
(Send, Recv) move a buffer's bytes as they are. Each rank records its tasks
with parlab_trace.py into one trace file per step, for `checker timeline`.
"""
import os
import statistics
import sys
import threading
import time

import mpi4py
from mpi4py import MPI

import parlab_trace
from parlab_trace import traced

RESULT = 1  # the tag of a result message


def is_prime(n):
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


def count_primes(part):
    start, end = part
    return sum(1 for n in range(start, end) if is_prime(n))


def trace_to(comm, path):
    """Every rank's spans go to `path`, emptied first by rank 0."""
    if comm.Get_rank() == 0 and os.path.exists(path):
        os.remove(path)
    os.environ[parlab_trace.TRACE_FILE_ENV] = path
    comm.Barrier()


def ping_pong(comm, size, rounds, pickled):
    """Round trips of `size` bytes between ranks 0 and 1, in seconds."""
    rank, message, times = comm.Get_rank(), bytearray(size), []
    for _ in range(rounds):
        comm.Barrier()
        start = time.perf_counter()
        if rank == 0 and pickled:
            comm.send(message, dest=1)
            message = comm.recv(source=1)
        elif rank == 1 and pickled:
            message = comm.recv(source=0)
            comm.send(message, dest=0)
        elif rank == 0:
            comm.Send(message, dest=1)
            comm.Recv(message, source=1)
        elif rank == 1:
            comm.Recv(message, source=0)
            comm.Send(message, dest=0)
        times.append(time.perf_counter() - start)
    return times


def human(secs):
    return f"{secs * 1e6:.1f} µs" if secs < 1e-3 else f"{secs * 1e3:.1f} ms"


if __name__ == "__main__":
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    out = sys.argv[1] if len(sys.argv) > 1 else "output"
    pids = comm.gather(os.getpid(), root=0)
    if rank == 0:
        os.makedirs(out, exist_ok=True)
        library = MPI.Get_library_version().split(",")[0]
        print(f"MPI library: {library}; mpi4py {mpi4py.__version__}; "
              f"{size} ranks, pids {pids}")

    # Every rank runs the task: no loop starts processes, mpiexec did.
    trace_to(comm, os.path.join(out, "13-python-every-rank.jsonl"))
    start = time.perf_counter()
    traced(rank, time.sleep, 1.0)
    comm.Barrier()
    if rank == 0:
        print(f"every rank slept 1 s: finished in {time.perf_counter() - start:.2f} s")

    # Scatter, gather, and results as they come.
    trace_to(comm, os.path.join(out, "13-python-results.jsonl"))
    sleeps = [1.0 - 0.25 * r for r in range(size)] if rank == 0 else None
    mine = comm.scatter(sleeps, root=0)
    if rank == 0:
        came = []  # (rank, slept), in the order they finished
        own = threading.Thread(
            target=lambda: came.append((0, traced(0, lambda: time.sleep(mine) or mine))))
        own.start()
        status = MPI.Status()
        for _ in range(size - 1):
            slept = comm.recv(source=MPI.ANY_SOURCE, tag=RESULT, status=status)
            came.append((status.Get_source(), slept))
        own.join()
    else:
        comm.send(traced(rank, lambda: time.sleep(mine) or mine), dest=0, tag=RESULT)
    gathered = comm.gather(mine, root=0)
    if rank == 0:
        print(f"scattered {sleeps}, gathered {gathered}: in rank order")
        print(f"received as they came (rank, slept): {came}")

    # CPU-bound work: each rank counts its part, a reduce adds them up.
    limit = 500_000
    if rank == 0:
        start = time.perf_counter()
        alone = count_primes((0, limit))
        alone_secs = time.perf_counter() - start
    trace_to(comm, os.path.join(out, "13-python-primes.jsonl"))
    start = time.perf_counter()
    part = (limit * rank // size, limit * (rank + 1) // size)
    total = comm.reduce(traced(rank, count_primes, part), op=MPI.SUM, root=0)
    if rank == 0:
        together = time.perf_counter() - start
        print(f"primes below {limit}: rank 0 alone {alone} in {alone_secs:.3f} s; "
              f"{size} ranks {total} in {together:.3f} s: {alone_secs / together:.2f}x")

    # What a message costs, pickled and as a buffer.
    rows = []
    for label, n in [("8 B", 8), ("1 KiB", 1 << 10), ("64 KiB", 64 << 10),
                     ("1 MiB", 1 << 20), ("16 MiB", 16 << 20)]:
        rounds = min(2000, max(20, (256 << 20) // n // 4))
        cells = []
        for pickled in (True, False):
            times = ping_pong(comm, n, rounds, pickled)
            cells.append(f"{human(statistics.median(times))} ({human(min(times))})")
        rows.append((label, *cells))
    if rank == 0:
        print("round trip between 2 ranks (there and back), median (fastest):")
        print(f"{'size':>8}  {'send/recv, pickled':>24}  {'Send/Recv, a buffer':>24}")
        for label, a, b in rows:
            print(f"{label:>8}  {a:>24}  {b:>24}")
