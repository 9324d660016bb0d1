"""Step 7: CPU-bound work on processes and on threads, in Python.

Counts the primes below 300,000 in parts, as parlab-bench's Python side does:
sequentially, on a multiprocessing.Pool and on a ThreadPoolExecutor, both with
one worker per CPU. It keeps every CPU busy for about a second.
"""
import concurrent.futures
import multiprocessing
import os
import time


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


def timed(f):
    start = time.perf_counter()
    result = f()
    return result, time.perf_counter() - start


if __name__ == "__main__":
    limit, cpus = 300_000, os.cpu_count() or 1
    k = 4 * cpus  # parts, the most expensive first
    parts = [(limit * i // k, limit * (i + 1) // k) for i in reversed(range(k))]

    primes, sequential = timed(lambda: sum(map(count_primes, parts)))
    with multiprocessing.Pool(cpus) as pool:
        on_processes, processes = timed(
            lambda: sum(pool.map(count_primes, parts, chunksize=1)))
    with concurrent.futures.ThreadPoolExecutor(cpus) as executor:
        on_threads, threads = timed(lambda: sum(executor.map(count_primes, parts)))
    assert primes == on_processes == on_threads

    print(f"{primes} primes below {limit}; {cpus} CPU(s)")
    print(f"sequential {sequential:.3f} s")
    print(f"processes  {processes:.3f} s  speedup {sequential / processes:.2f}x")
    print(f"threads    {threads:.3f} s  speedup {sequential / threads:.2f}x")
