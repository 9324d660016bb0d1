"""Step 6: the task takes its sleep time; results as the tasks finish, each
task a span in output/06-python-as-completed.jsonl (parlab_trace.py)."""
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


if __name__ == "__main__":
    sleeps = [1, 0.4, 0.8, 0.2, 0.6]
    out = sys.argv[1] if len(sys.argv) > 1 else "output"
    os.makedirs(out, exist_ok=True)
    fresh(os.path.join(out, "06-python-as-completed.jsonl"))
    start = time.perf_counter()
    # One worker per task, as in the Rust: with fewer workers, tasks would
    # wait their turn and finish in another order.
    with concurrent.futures.ProcessPoolExecutor(len(sleeps)) as executor:
        futures = {executor.submit(traced, i, task_with, s): i
                   for i, s in enumerate(sleeps)}
        for f in concurrent.futures.as_completed(futures):
            print(f"task {futures[f]} done: slept {f.result()} s")
    done()
    print(f"Finished in {time.perf_counter() - start:.2f} second(s)")
