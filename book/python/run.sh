#!/usr/bin/env bash
# Runs the Python twins of the book's chapters and writes what each prints to
# book/python/output/NAME.txt, after a first line naming the Python and the
# CPUs it ran with. Unbuffered, so the lines come in the order a terminal
# shows them.
#
# With no argument it runs the scripts that sleep or do next to nothing (about
# fifteen seconds in all). 07, 08 and 11 keep every CPU busy: name them to run
# them, on a machine nothing else is measuring on. 13_mpi (mpi4py, on two MPI
# ranks) too: `pip install mpi4py` first.
set -euo pipefail
cd "$(dirname "$0")"
python=${PYTHON:-python3}
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    names=(01_sequential 02_sequential_vs_parallel 03_two_processes 03_two_processes_queue 04_process_loop
           05_pool 06_as_completed 09_failures 10_isolation 12_io_bound)
fi
header=$("$python" -c 'import os, platform
print(f"# Python {platform.python_version()} on {platform.system()}"
      f" {platform.machine()}, os.cpu_count() = {os.cpu_count()}")')
mkdir -p output
for name in "${names[@]}"; do
    echo "running $name.py" >&2
    run=("$python" "$name.py")
    if [ "$name" = 13_mpi ]; then
        # One copy per rank, under Open MPI's launcher (as root it must be told).
        as_root=()
        [ "$(id -u)" = 0 ] && as_root=(--allow-run-as-root)
        run=(mpiexec "${as_root[@]}" -np 2 --bind-to none "$python" "$name.py" output)
    fi
    { echo "$header"; PYTHONUNBUFFERED=1 "${run[@]}" 2>&1; } >"output/$name.txt"
done
