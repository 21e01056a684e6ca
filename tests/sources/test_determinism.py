"""Guards that a seed fixes every byte of the output, and that another seed changes it."""
from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from sources.synthetic.generator import GenerateOptions, generate

FDI = Path(sys.executable).parent / "fdi"
SMALL = dict(enterprises=60, years=(2023, 2024), defects=0.05)


def digests(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    first = digests(generate(GenerateOptions(out=tmp_path / "a", seed=11, **SMALL)) and tmp_path / "a")
    second = digests(generate(GenerateOptions(out=tmp_path / "b", seed=11, **SMALL)) and tmp_path / "b")
    assert first == second
    other = digests(generate(GenerateOptions(out=tmp_path / "c", seed=12, **SMALL)) and tmp_path / "c")
    shared = set(first) & set(other)
    changed = [name for name in shared if first[name] != other[name] and "central_rates" not in name]
    assert len(changed) > 0.5 * len(shared)


@pytest.mark.parametrize("defects", ["0.1", "0"])  # rows damaged as dicts; clean months written as columns
def test_the_bytes_do_not_depend_on_how_many_processes_write_the_customs_months(tmp_path, defects):
    options = ["--enterprises", "40", "--years", "2024", "--seed", "3", "--defects", defects]
    runs = {}
    for workers in ("1", "3"):
        # `fdi generate` in a process of its own: the months are forked only where no other thread runs.
        out = subprocess.run([str(FDI), "generate", "--out", str(tmp_path / workers), *options, "--workers", workers],
                             capture_output=True, text=True, check=True).stdout
        assert f"{workers} worker(s)" in out
        runs[workers] = digests(tmp_path / workers)
    assert runs["1"] == runs["3"]
    assert not (tmp_path / "3" / "_truth" / ".parts").exists()
    records = (tmp_path / "3" / "_truth" / "records.csv").read_text(encoding="utf-8")
    assert sum(line.startswith("customs,declarations,2024-12,") for line in records.splitlines()) > 100
    if defects == "0":
        return
    # Not vacuous: customs rows were damaged and periods re-sent, each from its delivery's own stream.
    defects_csv = (tmp_path / "3" / "_truth" / "defects.csv").read_text(encoding="utf-8")
    assert any(line.startswith("customs,declarations,") for line in defects_csv.splitlines())
    assert any(name.startswith("_replay/customs/") for name in runs["3"])


def test_forked_writers_finish_in_a_process_that_ignores_sigterm(tmp_path):
    """`with Pool` ended the writers with SIGTERM, which a process started under nohup or a supervisor
    that ignores it hands on to them: one run in three then waited for ever for a writer that never
    left (it hung the CI pre-check). The writers are now told to stop and join. Five runs, each given
    a minute: a hang kills the run's whole process group and fails."""
    def ignore_sigterm():
        signal.signal(signal.SIGTERM, signal.SIG_IGN)

    for run in range(5):
        out = tmp_path / str(run)
        proc = subprocess.Popen([str(FDI), "generate", "--out", str(out), "--enterprises", "40", "--years", "2024",
                                 "--seed", "3", "--workers", "3"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, preexec_fn=ignore_sigterm, start_new_session=True)
        try:
            output, _ = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"run {run}: `fdi generate --workers 3` did not finish in 60 s with SIGTERM ignored")
        assert proc.returncode == 0, output
        assert "3 worker(s)" in output
