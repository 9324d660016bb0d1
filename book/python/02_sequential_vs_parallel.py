"""Step 2: the task twice, one after the other, then in two processes side by
side, each task recorded as a span (parlab_trace.py) to a trace file per run,
for `checker timeline` to draw beside the Rust example's timelines.

Usage: python3 02_sequential_vs_parallel.py [OUTPUT_FOLDER]   (default: output)
"""
import multiprocessing
import os
import sys
import time

from parlab_trace import done, fresh, traced


def task():
    print("Task starts")
    time.sleep(1)
    print("Task ends")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "output"
    os.makedirs(out, exist_ok=True)
    # Forked processes inherit the trace file's name from the environment.
    multiprocessing.set_start_method("fork")

    fresh(os.path.join(out, "02-python-sequential.jsonl"))
    start = time.perf_counter()
    traced(0, task)
    traced(1, task)
    done()
    print(f"one after the other: {time.perf_counter() - start:.2f} s")

    fresh(os.path.join(out, "02-python-parallel.jsonl"))
    start = time.perf_counter()
    processes = [multiprocessing.Process(target=traced, args=(i, task)) for i in range(2)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    done()
    print(f"side by side: {time.perf_counter() - start:.2f} s")
