"""Signals during `flavorscan run` (docs/reliability.md): SIGINT/SIGTERM at any moment -> the buffered
chunks are written and the command exits 130; a second signal ends the process at once.

Two kinds of test. Deterministic ones run the real CLI in a subprocess whose driver script (``DRIVER``)
wraps one function so that the process signals itself at a chosen moment: while the card is read, while the
engine is built (JAX tracing), or inside the final segment write (the writer's ``write_new_file``). No test
hook lives in the production code. Asynchronous ones send the signal from outside at random moments of the
start-up (imports, card, tracing, XLA compilation)."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flavorscan.scanner.store import info, load

pytestmark = pytest.mark.slow  # every test here starts flavorscan processes

ROOT = Path(__file__).resolve().parents[2]
ENGINE_CARD = """
model = "lq"
measurements = "paper2022"
[scan]
n = 1024
chunk_size = 256
seed = 11
keep = "all"
mass_scale = "dm3l"
nu_term_signs = [1, -1, -1]
M_R2 = { range = [1000.0, 3000.0] }
M_S1 = { range = [1000.0, 3000.0], prior = "log" }
[scan.fR]
probability = 0.5
magnitude = [1e-3, 1.0]
[scan.yL]
pattern = [[0, 0, 0], [1, 0, 0], [0, 1, 0]]
magnitude = [1e-2, 1.5]
[scan.fL]
probability = [[0, 0, 1], [0, 0, 1], [0, 0, 1]]
magnitude = [1e-6, 1.0]
"""
N_CHUNKS = 4

DRIVER = """
import os, signal, sys
from flavorscan.scanner.cli import main

moment, signum, times = sys.argv[1], getattr(signal, sys.argv[2]), int(sys.argv[3])


def send():
    for _ in range(times):
        os.kill(os.getpid(), signum)


if moment == "card":
    import flavorscan.scanner.config as config
    real_load = config.load_card
    config.load_card = lambda path: (send(), real_load(path))[1]
elif moment == "engine":
    import flavorscan.scanner.engine as engine
    real_init = engine.ScanEngine.__init__
    def init(self, *args, **kwargs):
        send()
        real_init(self, *args, **kwargs)
    engine.ScanEngine.__init__ = init
elif moment == "final_write":
    import flavorscan.scanner.store.writer as writer
    real_write, real_close = writer.write_new_file, writer.RunWriter.close
    closing = []
    def close(self):
        closing.append(True)
        real_close(self)
    def write(path, data):
        if closing and str(path).endswith(".h5.tmp"):  # the last segment, written when the run ends
            send()
        real_write(path, data)
    writer.RunWriter.close, writer.write_new_file = close, write
sys.exit(main(sys.argv[4:]))
"""


@pytest.fixture(scope="module")
def card(tmp_path_factory):
    path = tmp_path_factory.mktemp("card") / "scan.toml"
    path.write_text(ENGINE_CARD)
    return path


def drive(moment, name, times, card, out, env, *extra):
    """The CLI `run` with a self-signal at ``moment``; returns the CompletedProcess."""
    argv = ["run", str(card), "--out", str(out), "--quiet", "--segment-rows", "512", *extra]
    return subprocess.run([sys.executable, "-c", DRIVER, moment, name, str(times), *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def assert_interrupted(result):
    assert result.returncode == 130, result.stderr[-3000:]
    assert result.stderr.strip().splitlines() == ["flavorscan: interrupted"], result.stderr[-3000:]


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("moment", ["card", "engine"])
def test_signal_during_start_up(tmp_path, card, env, moment, name):
    """A signal while the card is read or the engine is built (JAX tracing): exit 130 before any chunk is
    evaluated. Before, the handlers were installed only around the scan, so a SIGINT there raised a
    KeyboardInterrupt that could land in a JAX callback and be dropped (the run completed, exit 0)."""
    out = tmp_path / "run"
    result = drive(moment, name, 1, card, out, env)
    assert_interrupted(result)
    assert not list(out.glob("seg-*.h5")) if out.exists() else True


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_signal_during_the_final_segment_write(tmp_path, card, env, name):
    """A signal inside the last segment write: the segment is written, then exit 130. Before, the default
    handlers were back while the writer flushed: SIGTERM killed the process (every buffered chunk lost, a .tmp
    left) and SIGINT was sometimes swallowed (exit 0)."""
    out = tmp_path / "run"
    result = drive("final_write", name, 1, card, out, env, "--segment-rows", "100000")
    assert_interrupted(result)
    summary = info(out)
    assert summary["finished_chunks"] == N_CHUNKS and summary["complete"]
    assert len(load(out)["point_id"]) == 1024 and not list(out.glob("*.tmp"))


def test_second_signal_stops_at_once(tmp_path, card, env):
    """Two signals inside the final write: the second one ends the process at once (the system's default
    action), before the segment is written; the segments written before stay readable and a resume finishes
    the run."""
    out = tmp_path / "run"
    # 600-row segments: chunks 0-2 are written after chunk 2, chunk 3 is the final write
    result = drive("final_write", "SIGTERM", 2, card, out, env, "--segment-rows", "600")
    assert result.returncode == -signal.SIGTERM, result.stderr[-3000:]
    summary = info(out)
    assert summary["finished_chunks"] == 3
    result = subprocess.run([sys.executable, "-m", "flavorscan", "run", str(card), "--out", str(out), "--quiet"],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert info(out)["finished_chunks"] == N_CHUNKS and not list(out.glob("*.tmp"))


def test_asynchronous_signals_during_start_up(tmp_path, card, env):
    """SIGINT/SIGTERM from outside at random moments of the start-up (imports, card, tracing, compilation) of
    a long run: always exit 130 with one line, never a dropped interrupt ("Exception ignored in
    _xla_gc_callback"), never a completed run."""
    rng = random.Random(17)
    for trial in range(4):
        out = tmp_path / f"run{trial}"
        process = subprocess.Popen(
            [sys.executable, "-m", "flavorscan", "run", str(card), "--out", str(out), "--quiet", "--n", "2000000"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(0.8, 3.0))
        process.send_signal(rng.choice([signal.SIGINT, signal.SIGTERM]))
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 130, (trial, stderr[-3000:])
        assert "Exception ignored" not in stderr and stderr.strip().splitlines() == ["flavorscan: interrupted"]


def test_second_asynchronous_signal_during_compilation(tmp_path, card, env):
    """Two SIGINTs during the start-up: the process ends within a second of the second one, even inside
    compiled code (XLA compilation), where a Python-level KeyboardInterrupt would wait for it to return."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flavorscan", "run", str(card), "--out", str(tmp_path / "run"), "--quiet",
         "--n", "2000000"], env=dict(env, JAX_COMPILATION_CACHE_DIR=str(tmp_path / "fresh-cache")),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    sent = time.monotonic()
    stopped_by_first = process.poll() is not None
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=300)
    assert time.monotonic() - sent < 1.5
    if stopped_by_first:  # a slow machine was still before compilation: the first signal alone ends it cleanly
        assert process.returncode == 130
    else:
        assert process.returncode in (-signal.SIGINT, 130)
