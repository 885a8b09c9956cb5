"""Run a parser of untrusted bytes in a child process with capped time and memory.

The child is `python -I award/sandbox_child.py KIND ...`: isolated mode (no environment variables,
no user site, not even the current folder on the path) and an empty environment, so neither the
app's code nor its secrets reach it. It caps its own CPU time and address space with setrlimit
before importing the parser, reads the file from stdin and answers one JSON object on stdout.
The parent adds the wall-clock limit. A child that runs out of time or memory, is killed, or
answers nonsense counts as "not finished": the caller refuses the file, it never retries.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from award.limits import ProcessLimits

CHILD = Path(__file__).with_name("sandbox_child.py")
log = logging.getLogger(__name__)
# Children at once per process: each may take up to its memory cap, so a threaded server under a
# burst of uploads waits for a slot (as long as one check may take) and then refuses.
CHILDREN_PER_PROCESS = 2
_slots = threading.BoundedSemaphore(CHILDREN_PER_PROCESS)


def run_child(kind: str, data: bytes, limits: ProcessLimits, *args: object) -> dict[str, Any] | None:
    """The child's answer, or None when it did not finish within the limits."""
    if not _slots.acquire(timeout=limits.wall_seconds):
        log.warning("sandbox %s: no free slot within %.1f s", kind, limits.wall_seconds)
        return None
    try:
        return _run(kind, data, limits, *args)
    finally:
        _slots.release()


def _run(kind: str, data: bytes, limits: ProcessLimits, *args: object) -> dict[str, Any] | None:
    command = [sys.executable, "-I", str(CHILD), kind, str(limits.cpu_seconds), str(limits.memory_bytes),
               *(str(arg) for arg in args)]
    try:
        finished = subprocess.run(command, input=data, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  timeout=limits.wall_seconds, env={}, cwd="/", check=False)
    except subprocess.TimeoutExpired:  # run() has killed the child already
        log.warning("sandbox %s: no answer within %.1f s for %d bytes", kind, limits.wall_seconds, len(data))
        return None
    except OSError as error:  # no process could be started (too many processes, no memory)
        log.warning("sandbox %s: the child could not start: %s", kind, error)
        return None
    try:
        answer = json.loads(finished.stdout)
    except ValueError:
        answer = None
    if finished.returncode != 0 or not isinstance(answer, dict):
        log.warning("sandbox %s: the child ended with status %s for %d bytes", kind, finished.returncode, len(data))
        return None
    return answer
