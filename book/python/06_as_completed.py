"""Step 6: the task takes its sleep time; results as the tasks finish."""
import concurrent.futures
import time


def task_with(sleep_time):
    print(f"Task starts: sleeping {sleep_time} s")
    time.sleep(sleep_time)
    print(f"Task ends: slept {sleep_time} s")
    return sleep_time


if __name__ == "__main__":
    sleeps = [1, 0.4, 0.8, 0.2, 0.6]
    start = time.perf_counter()
    # One worker per task, as in the Rust: with fewer workers, tasks would
    # wait their turn and finish in another order.
    with concurrent.futures.ProcessPoolExecutor(len(sleeps)) as executor:
        futures = {executor.submit(task_with, s): i for i, s in enumerate(sleeps)}
        for f in concurrent.futures.as_completed(futures):
            print(f"task {futures[f]} done: slept {f.result()} s")
    print(f"Finished in {time.perf_counter() - start:.2f} second(s)")
