"""Step 3: two processes, started and joined."""
import time
from multiprocessing import Process


def task():
    print("Task starts")
    time.sleep(1)
    print("Task ends")


if __name__ == "__main__":
    start = time.perf_counter()
    p1 = Process(target=task)
    p2 = Process(target=task)
    p1.start()  # both run from here on
    p2.start()
    p1.join()  # wait for each; join() returns None
    p2.join()
    print(f"Finished in {time.perf_counter() - start:.2f} second(s)")
