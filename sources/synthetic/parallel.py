"""Write planned deliveries in several processes and get the same bytes as in one.

A delivery is planned in the main process, in delivery order (`DefectPlanter.plan`
draws what happens to it as a whole from the planter's stream), and written
later by a job: a function of the planter that writes it, whose rows come from
streams of their own (`DefectPlanter.write` damages them from the plan's own
stream, customs months draw from the month's). `run` hands the jobs to forked
processes (sharing the built economy without copying it); each writes its truth
rows to `_truth/.parts/<job>/`, appended to `_truth/` in job order, so the
truth files too are the same bytes whatever the number of processes.
"""
from __future__ import annotations

import multiprocessing as mp
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sources.synthetic.defects import DefectPlanter
from sources.synthetic.truth import Truth

T = TypeVar("T")
Job = Callable[[DefectPlanter], T]

_FORKED: tuple[DefectPlanter, list[Job], Path] | None = None  # what a forked worker reads (only while the pool runs)


def run(planter: DefectPlanter, jobs: list[Job], workers: int) -> tuple[list, int]:
    """Each job's result, in job order, and the number of processes that ran them.

    A process with other threads running never forks (a forked child can hang
    on a lock another thread held: it did, inside pytest); it runs the jobs itself.
    """
    workers = max(1, min(workers, len(jobs)))
    if threading.active_count() > 1:
        workers = 1
    if workers == 1:
        return [job(planter) for job in jobs], 1
    planter.truth.flush()  # a forked worker must not inherit unwritten truth rows
    global _FORKED
    _FORKED = (planter, jobs, planter.truth.folder)
    pool = mp.get_context("fork").Pool(workers)
    try:
        results = []
        for result, part in pool.imap(_run_apart, range(len(jobs))):  # in job order
            planter.truth.append_part(Truth(Path(part)))
            results.append(result)
        # Every job is done: the workers are told to stop and exit on their own. Not `with Pool`, whose
        # exit terminates them by SIGTERM, which a process started with SIGTERM ignored (nohup and
        # some supervisors) passes on to its forked workers: the join then waited for ever.
        pool.close()
        pool.join()
        return results, workers
    finally:
        pool.terminate()  # a no-op once joined; on an error, the workers left (those that can be signalled)
        _FORKED = None
        shutil.rmtree(planter.truth.folder / ".parts", ignore_errors=True)


def _run_apart(index: int) -> tuple[object, str]:
    """In a worker: run a job with a truth of its own, returned to be appended."""
    planter, jobs, truth_folder = _FORKED  # the main truth's folder: `planter.truth` is the last job's part
    part = Truth(truth_folder / ".parts" / f"{index:06d}")
    planter.truth = part
    result = jobs[index](planter)
    part.close()
    return result, str(part.folder)
