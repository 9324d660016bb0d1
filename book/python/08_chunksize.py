"""Step 8: tiny tasks on Python's pools, and what each does with chunksize.

- multiprocessing.Pool.map chunks by itself when given no chunksize: about
  len(inputs) / (4 * workers) inputs per message.
- ProcessPoolExecutor.map defaults to chunksize=1: one message per input.
- ThreadPoolExecutor.map accepts chunksize and ignores it.

The tasks are the book's tiny task, is n prime? (as 1 or 0), as in
parlab-bench. It keeps every CPU busy for several seconds
(ProcessPoolExecutor at chunksize=1 is the slow one).
"""
import concurrent.futures
import multiprocessing
import os
import time


def tiny(n):
    if n < 2:
        return 0
    if n % 2 == 0:
        return 1 if n == 2 else 0
    d = 3
    while d * d <= n:
        if n % d == 0:
            return 0
        d += 2
    return 1


def rate(n, f):
    start = time.perf_counter()
    f()
    return n / (time.perf_counter() - start)


if __name__ == "__main__":
    n, n_slow, workers = 100_000, 20_000, os.cpu_count() or 1
    chunk = n // (4 * workers)
    runs = []
    with concurrent.futures.ProcessPoolExecutor(workers) as ex:
        list(ex.map(tiny, range(4 * workers)))  # start the workers first
        runs.append(("ProcessPoolExecutor.map, default (1)",
                     rate(n_slow, lambda: list(ex.map(tiny, range(n_slow))))))
        runs.append((f"ProcessPoolExecutor.map, chunksize={chunk}",
                     rate(n, lambda: list(ex.map(tiny, range(n), chunksize=chunk)))))
    with multiprocessing.Pool(workers) as pool:
        pool.map(tiny, range(4 * workers))
        runs.append(("Pool.map, chunksize=1",
                     rate(n, lambda: pool.map(tiny, range(n), chunksize=1))))
        runs.append(("Pool.map, default (chunks by itself)",
                     rate(n, lambda: pool.map(tiny, range(n)))))
    with concurrent.futures.ThreadPoolExecutor(workers) as ex:
        runs.append((f"ThreadPoolExecutor.map, chunksize={chunk} (ignored)",
                     rate(n_slow, lambda: list(ex.map(tiny, range(n_slow),
                                                      chunksize=chunk)))))
    for name, tasks_per_s in runs:
        print(f"{name:<48} {tasks_per_s:>12,.0f} tasks/s")
