"""Step 10: what a process keeps to itself, in Python.

A child gets a copy of the parent's memory (under fork, as it was at the fork;
under spawn and forkserver, as the module defines it), a pool worker keeps its
state from one task to the next, a crash ends only the child, and threads
share one counter.
"""
import concurrent.futures
import os
import threading
from multiprocessing import Process, get_start_method

counter = 0
lock = threading.Lock()


def count():
    global counter
    with lock:
        counter += 1
        return counter


if __name__ == "__main__":
    counter = 100
    print(f"start method: {get_start_method()}")
    with concurrent.futures.ProcessPoolExecutor(1) as pool:
        seen = [pool.submit(count).result() for _ in range(3)]
    print(f"processes: one worker counted {seen}, the parent still sees {counter}")

    crashing = Process(target=os.abort)
    crashing.start()
    crashing.join()
    print(f"a child that aborts has exit code {crashing.exitcode}; the parent goes on")

    # Threads last: from Python 3.12, forking while other threads run warns.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: count(), range(4)))
    print(f"threads: four tasks counted, the parent sees {counter}")
