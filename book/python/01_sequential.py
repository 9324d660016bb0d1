"""Step 1: the task twice, one call after the other, timed."""
import time


def task():
    print("Task starts")
    time.sleep(1)
    print("Task ends")


if __name__ == "__main__":
    start = time.perf_counter()
    task()
    task()
    print(f"Finished in {time.perf_counter() - start:.2f} second(s)")
