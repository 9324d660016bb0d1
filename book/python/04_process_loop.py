"""Step 4: ten processes, all started before any is joined, each task a span in
output/04-python-ten-processes.jsonl (parlab_trace.py) for `checker timeline`."""
import os
import sys
import time
from multiprocessing import Process

from parlab_trace import done, fresh, traced


def task():
    print("Task starts")
    time.sleep(1)
    print("Task ends")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "output"
    os.makedirs(out, exist_ok=True)
    fresh(os.path.join(out, "04-python-ten-processes.jsonl"))
    start = time.perf_counter()
    processes = []
    for i in range(10):
        p = Process(target=traced, args=(i, task))
        p.start()
        processes.append(p)
    # Join only after every process has started: joining inside the first loop
    # would run them one at a time again.
    for p in processes:
        p.join()
    done()
    print(f"Finished in {time.perf_counter() - start:.2f} second(s)")
