"""Step 4: ten processes, all started before any is joined."""
import time
from multiprocessing import Process


def task():
    print("Task starts")
    time.sleep(1)
    print("Task ends")


if __name__ == "__main__":
    start = time.perf_counter()
    processes = []
    for _ in range(10):
        p = Process(target=task)
        p.start()
        processes.append(p)
    # Join only after every process has started: joining inside the first loop
    # would run them one at a time again.
    for p in processes:
        p.join()
    print(f"Finished in {time.perf_counter() - start:.2f} second(s)")
