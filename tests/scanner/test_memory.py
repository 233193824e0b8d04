"""Peak host memory of `flavorscan run` is bounded by the chunk (plus the segment buffer), not by N.

One child process runs the same keep = "all" scan twice through the real CLI, first with 4 chunks and then
with 16, and reports the peak of the Python heap during each run (tracemalloc, which numpy reports its
array buffers to: the rows copied from the device, the writer's buffer, the concatenated segment). Every row
is kept, so an engine or writer that accumulated rows would need 12 chunks x 1024 rows x > 2.4 kB = > 29 MB
more in the second run; bounded memory needs the same in both. Measured: 27.6 and 28.0 MiB; with
--segment-rows raised above N (the writer then holds every row until the end) 33.8 and 84.9 MiB.

Why not the resident set size: XLA's compiler needs 400-800 MB of RSS, and its high-water mark varies from
compile to compile by more than the signal (measured: two identical runs in one process, each compiling its
own engine, raise ru_maxrss by 50-160 MB).
"""

import json
import subprocess
import sys

import pytest

CARD = """
model = "lq"
measurements = "paper2022"
[scan]
n = 16384
chunk_size = 1024
seed = 5
keep = "all"
nu_term_signs = [1, -1, -1]
M_R2 = { range = [1000.0, 3000.0] }
M_S1 = { range = [1000.0, 3000.0] }
m0I0 = { range = [1e-8, 1e-5], prior = "log" }
""" + "".join(f'[scan.{matrix}]\nprobability = 1.0\nmagnitude = [1e-4, 1.0]\nphase = "uniform"\n'
              for matrix in ("fR", "fL", "yR", "yL"))

SMALL, LARGE = 4096, 16384

CHILD = f"""
import json, sys, tracemalloc
from flavorscan.scanner.cli import main
card, out = sys.argv[1], sys.argv[2]
tracemalloc.start()
peaks = []
for n in ({SMALL}, {LARGE}):
    tracemalloc.reset_peak()
    status = main(["run", card, "--out", f"{{out}}/n{{n}}", "--n", str(n), "--quiet", "--segment-rows", "2048"])
    if status:
        sys.exit(status)
    peaks.append(tracemalloc.get_traced_memory()[1])
print(json.dumps(peaks))
"""

ROW_BYTES_LOWER_BOUND = 300 * 8
"""Every row holds > 300 float64/int64/bool columns (parameters, ~100 observables, 3 columns per constraint)."""


@pytest.mark.slow
def test_peak_host_memory_does_not_grow_with_n(tmp_path, env):
    """Fails if kept rows accumulate in host memory during a run: the 4x larger scan would raise the
    peak by more than a quarter of its extra rows' size."""
    card = tmp_path / "scan.toml"
    card.write_text(CARD)
    result = subprocess.run([sys.executable, "-c", CHILD, str(card), str(tmp_path)], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    small, large = json.loads(result.stdout.strip().splitlines()[-1])
    from flavorscan.scanner.store import load

    rows = len(load(tmp_path / f"n{LARGE}", columns=["point_id"])["point_id"])
    assert rows == LARGE
    extra_rows_bytes = (LARGE - SMALL) * ROW_BYTES_LOWER_BOUND
    assert large - small < extra_rows_bytes / 4, (
        f"peak heap grew by {(large - small) / 2**20:.1f} MiB for {extra_rows_bytes / 2**20:.0f} MiB of extra rows")
