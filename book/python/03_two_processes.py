"""Step 3: two processes, started and joined, each task a span in
output/03-python-two-processes.jsonl (parlab_trace.py) for `checker timeline`."""
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
    fresh(os.path.join(out, "03-python-two-processes.jsonl"))
    start = time.perf_counter()
    p1 = Process(target=traced, args=(0, task))
    p2 = Process(target=traced, args=(1, task))
    p1.start()  # both run from here on
    p2.start()
    p1.join()  # wait for each; join() returns None
    p2.join()
    done()
    print(f"Finished in {time.perf_counter() - start:.2f} second(s)")
