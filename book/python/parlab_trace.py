"""Python's own timelines: record a span for each task, as parlab's engine does.

Standard library only. `traced(index, f, *args)` runs `f(*args)` and appends one
line to the trace file named by PARLAB_TRACE_FILE, in the engine's trace format
(pid, kernel thread id, start and end on the monotonic clock, in nanoseconds);
`fresh(path)` and `done()` mark when the run starts and ends. So
`checker timeline FILE...` draws Python's runs the way it draws Rust's, on one
time axis. Each line is one `os.write` to a file opened with O_APPEND, so
processes and threads writing at once never mix their lines.
"""
import json
import os
import threading
import time

TRACE_FILE_ENV = "PARLAB_TRACE_FILE"


def _now_ns():
    # The engine's clock: CLOCK_MONOTONIC, the same for every process here.
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def traced(index, f, *args):
    """Runs f(*args) and records its span, the task's number being `index`."""
    start = _now_ns()
    result = f(*args)
    end = _now_ns()
    _append({"index": index, "pid": os.getpid(), "tid": threading.get_native_id(),
             "worker": 0, "tasks": 1, "start_ns": start, "end_ns": end})
    return result


def _append(record):
    path = os.environ.get(TRACE_FILE_ENV)
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (json.dumps(record) + "\n").encode())
        finally:
            os.close(fd)


def fresh(path):
    """Names `path` as the trace file for what follows, emptied first, and
    records that the run starts now: what comes before the first task
    (starting processes, a pool's workers) shows on the timeline."""
    if os.path.exists(path):
        os.remove(path)
    os.environ[TRACE_FILE_ENV] = path
    _append({"run_start_ns": _now_ns()})


def done():
    """Records that the run ends now (after the last join or the pool's
    shutdown), as the engine's trace ends when its run returns."""
    _append({"run_end_ns": _now_ns()})


if __name__ == "__main__":
    # A demonstration: two threads that sleep a tenth of a second each, side
    # by side, traced to the file named on the command line.
    import sys
    fresh(sys.argv[1] if len(sys.argv) > 1 else "trace.jsonl")
    sleepers = [threading.Thread(target=traced, args=(i, time.sleep, 0.1))
                for i in range(2)]
    for t in sleepers:
        t.start()
    for t in sleepers:
        t.join()
    done()
    print(f"2 spans in {os.environ[TRACE_FILE_ENV]}: draw them with `checker timeline`")
