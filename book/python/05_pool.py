"""Step 5: a pool of ten, then a pool of the default size, each task a span in
output/05-python-*.jsonl (parlab_trace.py) for `checker timeline`."""
import concurrent.futures
import os
import sys
import time

from parlab_trace import done, fresh, traced


def task_with(sleep_time):
    print(f"Task starts: sleeping {sleep_time} s")
    time.sleep(sleep_time)
    print(f"Task ends: slept {sleep_time} s")
    return sleep_time


def default_workers():
    # ProcessPoolExecutor() makes os.process_cpu_count() workers from Python
    # 3.13 (the CPUs this process may run on), os.cpu_count() before (every
    # CPU of the machine). Neither counts a container's CPU quota.
    if sys.version_info >= (3, 13):
        return os.process_cpu_count() or 1
    return os.cpu_count() or 1


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "output"
    os.makedirs(out, exist_ok=True)
    tasks = range(10)
    # traced(i, task_with, 1) in a worker: the pool's workers inherit the
    # trace file's name, set by fresh() before the pool starts them.
    fresh(os.path.join(out, "05-python-pool-of-ten.jsonl"))
    start = time.perf_counter()
    with concurrent.futures.ProcessPoolExecutor(10) as executor:
        results = list(executor.map(traced, tasks, [task_with] * 10, [1] * 10))
    done()
    print(f"Pool of 10: finished in {time.perf_counter() - start:.2f} second(s)")

    fresh(os.path.join(out, "05-python-default-pool.jsonl"))
    start = time.perf_counter()
    with concurrent.futures.ProcessPoolExecutor() as executor:
        results = list(executor.map(traced, tasks, [task_with] * 10, [1] * 10))
    done()
    took = time.perf_counter() - start
    workers = default_workers()
    print(f"Default pool ({workers} workers): finished in {took:.2f} second(s)")
