"""Step 7 in Python's own timelines: the same CPU-bound parts one after the
other, on processes and on threads, each task recorded as a span
(parlab_trace.py), one trace file per run. `checker timeline` draws the three
on one time axis, the axis of the Rust example's timelines.

Usage: python3 07_gil_timeline.py [OUTPUT_FOLDER]   (default: output)
"""
import concurrent.futures
import multiprocessing
import os
import sys
import time
from importlib import import_module

from parlab_trace import fresh, traced

# The prime test of 07_cpu_vs_io.py.
count_primes = import_module("07_cpu_vs_io").count_primes


def part(numbered):
    index, bounds = numbered
    return traced(index, count_primes, bounds)


def timed(f):
    started = time.perf_counter()
    result = f()
    return result, time.perf_counter() - started


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "output"
    os.makedirs(out, exist_ok=True)
    limit, cpus = 500_000, os.cpu_count() or 1
    k = 4 * cpus  # parts, the most expensive first
    bounds = [(limit * i // k, limit * (i + 1) // k) for i in reversed(range(k))]
    parts = list(enumerate(bounds))
    # Forked workers inherit the trace file's name from the environment.
    multiprocessing.set_start_method("fork")
    trace = lambda name: os.path.join(out, f"07-python-{name}.jsonl")

    # Each run names its trace file before it starts its workers.
    fresh(trace("sequential"))
    primes, sequential = timed(lambda: sum(map(part, parts)))
    fresh(trace("processes"))
    with multiprocessing.Pool(cpus) as pool:
        on_processes, processes = timed(lambda: sum(pool.map(part, parts, chunksize=1)))
    fresh(trace("threads"))
    with concurrent.futures.ThreadPoolExecutor(cpus) as executor:
        on_threads, threads = timed(lambda: sum(executor.map(part, parts)))
    assert primes == on_processes == on_threads

    print(f"{primes} primes below {limit:,} in {k} parts; {cpus} CPU(s)")
    runs = [("sequential", sequential), (f"multiprocessing.Pool({cpus})", processes),
            (f"ThreadPoolExecutor({cpus})", threads)]
    for name, secs in runs:
        print(f"{name:27}{secs:.3f} s  speedup {sequential / secs:.2f}x")
    switch_ms = sys.getswitchinterval() * 1000
    print(f"the GIL changes hands every {switch_ms:.0f} ms (sys.getswitchinterval())")
