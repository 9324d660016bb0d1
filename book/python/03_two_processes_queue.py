"""Step 3, results: join() returns None, so a child sends its result back
through a Queue (or a Pipe) that the parent reads."""
from multiprocessing import Process, Queue


def square(x, results):
    results.put((x, x * x))


if __name__ == "__main__":
    results = Queue()
    children = [Process(target=square, args=(x, results)) for x in (3, 4)]
    for child in children:
        child.start()
    # Read before joining: a child that has put a large result waits for the
    # parent to read it, and join() would then wait for ever.
    squares = dict(sorted(results.get() for _ in children))
    for child in children:
        print(f"join() returned {child.join()}, exit code {child.exitcode}")
    print(f"results from the queue: {squares}")
