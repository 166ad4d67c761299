"""BLAS/OpenMP held to one thread, also in libraries loaded inside the block (issue 29)."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
from threadpoolctl import threadpool_info
from research_core._threads import OneThread

def openmp():
    return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "openmp"}

with OneThread() as threads:
    import sklearn.cluster  # loads scikit-learn's OpenMP runtime inside the block
    before = openmp()
    threads.refresh()
    print(sorted(before), sorted(openmp()))
print(sorted(openmp()))
"""


def test_a_library_loaded_inside_the_block_is_held_to_one_thread():
    # A fresh process with no thread settings in its environment: OpenMP starts one thread
    # per core (2 here); the block's limit reaches it once refreshed, and ends with it.
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    env["OMP_NUM_THREADS"] = "2"  # as on a 2-core machine, whatever this one has
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    inside, after = done.stdout.strip().splitlines()
    assert inside == "[2] [1]" and after == "[2]"
