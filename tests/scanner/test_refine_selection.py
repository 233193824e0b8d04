"""The viable-first best-step rule of the refiner (scanner/refine.py) and the start selection of fits.

docs/refinement.md: with ``until = "viable"`` a viable iterate beats every non-viable one (then the lower
loss wins), because the loss minimum can lie outside the viable region; with ``until = "stalled"`` the
lowest loss wins. ``fit_card`` picks among its starts by the same rule (scanner.refine.beats), ties by start
index. "Viable" in the loop is the output ``viable`` column (every enabled constraint passes and every
observable is finite). ``refine_start_loss`` and ``refine_loss`` come from the same kernel, so they are
bitwise equal when the refined point is its start.

The setup makes the loss minimum non-viable with two Gaussian constraints on one observable: delta_a_e
(measurement set "current": -1.02e-12 +- 2.6e-13) and delta_a_e_rb (3.4e-13 +- 1.6e-13). Both pass
(n_sigma = 3.5) only for delta_a_e in [-2.2e-13, -1.1e-13], while the chi^2 of the pair is lowest near
their weighted mean, -3.4e-14, where delta_a_e fails. The TX-I point gives delta_a_e = -8.19e-13, linear
in yL_ce (the S1 charm loop, chirally enhanced with yR_ce); only yL_ce is free (through log|yL_ce|, its
sign fixed), so the loss is a 1-D valley in log|yL_ce|:

    yL_ce   0.0006 ...  ~0.0012 (loss min ~19.91, not viable) ... [0.0027, 0.0054] viable (loss >= ~20.16) ... 0.02

A trajectory started above 0.0054 crosses the viable interval and keeps going downhill out of it.

Compiled kernels (2 shared CPU cores): the until = "viable" refiner (loop and column kernel, ~17 s), the
loop of the until = "stalled" refiner and of an Adam learning_rate = 1.5 refiner (~5-7 s each). The column
kernel depends only on the physics and max_coupling, not on ``until`` or the optimizer: scanner.refine
shares one per physics between refiners (test_column_kernel_is_shared), so the other refiners' results
(run_loop, or their own ``refine`` / ``fit_card``) compile no second column kernel.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from flavorscan.scanner.config import resolve_card

ROOT = Path(__file__).resolve().parents[2]

YL_CE_TX1 = 0.02  # yL_ce of the TX-I point (runs/tx1_nh.toml)
CARD_YL_CE = 0.004  # the card's yL_ce: inside the viable interval
STEPS = 200
SETUP = '''
[constraints]
enabled = ["delta_a_e", "delta_a_e_rb"]
n_sigma = 3.5

[refine]
free = ["yL_ce"]
steps = 200
batch_size = 4
'''
# lanes of the trajectory tests (yL_ce): viable start that walks out of the viable interval; non-viable start
# far above it that crosses it; non-viable start below it that never reaches it; non-viable start above it
CROSSING = np.array([0.005, 0.02, 0.0006, 0.01])
# lanes of the large-step test: starts below the loss minimum whose first Adam step (~ +1.5 in log|yL_ce|)
# lands inside the viable interval at a HIGHER loss; then a viable start and a far non-viable one
UPHILL = np.array([0.0008, 0.0007, 0.005, 0.02])


def card_text(yl_ce: float = CARD_YL_CE) -> str:
    tx1 = (ROOT / "runs" / "tx1_nh.toml").read_text()
    tx1 = tx1.replace('measurements = "paper2022"', 'measurements = "current"')
    old = "yL = [[0.0, 0.0, 0.0], [0.02, 0.0, 0.0], [0.0, 1.2, 0.0]]"
    assert old in tx1, "runs/tx1_nh.toml changed: update this test's card"
    return tx1.replace(old, f"yL = [[0.0, 0.0, 0.0], [{yl_ce!r}, 0.0, 0.0], [0.0, 1.2, 0.0]]") + SETUP


@pytest.fixture(scope="module")
def card():
    card = resolve_card(tomllib.loads(card_text()))
    assert card["point"]["yL"][1][0] == CARD_YL_CE
    return card


@pytest.fixture(scope="module")
def refiner(card):
    """The until = "viable" (default) refiner, Adam at its default learning rate; its column kernel
    evaluates every point of this file."""
    from flavorscan.scanner.refine.loop import refiner_for

    assert card["refine"]["until"] == "viable"
    return refiner_for(card, card["refine"])


def batch_params(refiner, yl_ce) -> dict:
    """A batch of the card's point with yL_ce replaced by the given (real) values."""
    from flavorscan.scanner.pipeline import point_params

    card = resolve_card(tomllib.loads(card_text()))
    base = point_params(card, refiner.inputs)
    yl_ce = np.asarray(yl_ce, dtype=np.float64)
    params = {k: np.repeat(np.asarray(v)[None], len(yl_ce), axis=0) for k, v in base.items()}
    params["yL"] = params["yL"].copy()
    params["yL"][:, 1, 0] = yl_ce
    return params


def numpy_columns(columns) -> dict:
    import jax

    return {k: np.asarray(v) for k, v in jax.device_get(columns).items()}


def evaluate(refiner, yl_ce) -> dict:
    """Columns (incl. refine_loss) at the given yL_ce values, through the refiner's column kernel (batch 4)."""
    yl_ce = np.asarray(yl_ce, dtype=np.float64)
    assert len(yl_ce) % 4 == 0
    parts = []
    for lo in range(0, len(yl_ce), 4):
        u, fixed, mask = refiner.encode(batch_params(refiner, yl_ce[lo:lo + 4]))
        parts.append(numpy_columns(refiner.column_kernel(u, fixed, mask)))
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def run_loop(loop_refiner, column_refiner, yl_ce, steps=STEPS) -> dict:
    """The refined columns of a batch: ``loop_refiner``'s jitted while loop (which holds the best-step
    rule) from the given starts, its best parameters (and the starts, for refine_start_loss) evaluated by
    ``column_refiner``'s column kernel. Same as ``loop_refiner.refine`` (test_loop_helper_matches_refine)."""
    u, fixed, mask = loop_refiner.encode(batch_params(loop_refiner, yl_ce))
    best_u, diag = loop_refiner.loop_kernel(u, fixed, mask, np.int64(steps))
    out = numpy_columns(column_refiner.column_kernel(best_u, fixed, mask))
    diag = numpy_columns(diag)
    out["refine_steps"] = diag["steps"].astype(np.int64)
    out["refine_status"] = diag["status"].astype(np.int8)
    start = column_refiner.column_kernel(u, fixed, mask)
    out["refine_start_loss"] = numpy_columns(start)["refine_loss"].astype(np.float64)
    return out


@pytest.fixture(scope="module")
def landscape(refiner):
    """The loss along log|yL_ce| on a grid of 64 points from 2e-4 to 2e-2."""
    grid = np.geomspace(2e-4, 2e-2, 64)
    columns = evaluate(refiner, grid)
    loss, viable = columns["refine_loss"], columns["viable"].astype(bool)
    inside = np.flatnonzero(viable)
    return {
        "grid": grid,
        "loss": loss,
        "viable": viable,
        "min_loss": float(loss.min()),
        "argmin": int(np.argmin(loss)),
        "min_viable_loss": float(loss[viable].min()) if inside.size else np.nan,
        # the viable interval lies strictly between these two grid points
        "viable_bounds": (grid[inside[0] - 1], grid[inside[-1] + 1]) if inside.size else None,
        "inside": inside,
    }


@pytest.fixture(scope="module")
def viable_result(refiner):
    """Refiner.refine, until = "viable", of the CROSSING lanes."""
    return refiner.refine(batch_params(refiner, CROSSING), steps=STEPS)


@pytest.fixture(scope="module")
def stalled_refiner(card, refiner):
    """The until = "stalled" refiner (everything else equal): its own loop, the shared column kernel."""
    from flavorscan.scanner.refine.loop import refiner_for

    stalled = refiner_for(card, dict(card["refine"], until="stalled"))
    assert stalled is not refiner and stalled.settings["until"] == "stalled"
    return stalled


@pytest.fixture(scope="module")
def stalled_result(stalled_refiner, refiner):
    """The CROSSING lanes with until = "stalled"."""
    return run_loop(stalled_refiner, refiner, CROSSING)


# ---------------------------------------------------------------------------------------------- the setup

def test_setup_loss_minimum_lies_outside_the_viable_interval(landscape):
    """Precondition of every other test here: along log|yL_ce| the viable points form one interval in the
    middle of the grid, and the loss minimum lies outside it, below the interval, clearly lower than any
    viable loss. Breaks if the physics (delta_a_e of TX-I), the data of delta_a_e / delta_a_e_rb, the
    Gaussian pass rule or n_sigma handling change so that this valley no longer exists; the other tests
    would then test nothing and must be re-tuned."""
    viable, inside = landscape["viable"], landscape["inside"]
    assert inside.size >= 8, "no viable interval on the grid"
    assert np.all(np.diff(inside) == 1), "viable points not one interval"
    assert 0 < inside[0] and inside[-1] < len(viable) - 1
    lo, hi = landscape["viable_bounds"]
    assert 0.0024 < lo < 0.0028 and 0.0053 < hi < 0.006
    assert not viable[landscape["argmin"]] and landscape["grid"][landscape["argmin"]] < lo
    assert landscape["min_viable_loss"] > landscape["min_loss"] + 0.2
    # the loss falls monotonically from the top of the grid, through the viable interval, to the minimum
    top = landscape["loss"][landscape["argmin"]:]
    assert np.all(np.diff(top) > 0)


def test_loop_helper_matches_refine(refiner, viable_result):
    """run_loop (the jitted loop + the column kernel, used below for the refiners whose column kernel is not
    compiled) gives bit for bit what Refiner.refine gives. Breaks if refine() adds a step between the loop
    and the columns (then the stalled / large-step tests would not test what refine() returns)."""
    again = run_loop(refiner, refiner, CROSSING)
    for name in viable_result:
        np.testing.assert_array_equal(again[name], viable_result[name], err_msg=name)


def test_column_kernel_is_shared(refiner, stalled_refiner):
    """Refiners that differ only in until / optimizer settings share one compiled column kernel (it depends
    on the physics and max_coupling only). Breaks if each refiner compiles its own (~10 s more here)."""
    assert stalled_refiner.column_kernel is refiner.column_kernel


def test_start_loss_and_refined_loss_are_bitwise_equal_at_the_start(refiner, landscape):
    """A budget of one step: the only evaluated iterate is the start, so every refined point IS its start
    (yL_ce bit for bit). refine_start_loss and refine_loss must then be bitwise equal, and equal to the
    column kernel at the start (the landscape). Breaks if the two losses come from different computations:
    the loop's value-and-gradient kernel and the column kernel differ by 1-2 ulp at some of these 64 points
    (7 of them when this test was written)."""
    grid = landscape["grid"]
    out = refiner.refine(batch_params(refiner, grid), steps=1)
    start = evaluate(refiner, grid)  # the same batches of 4 as refine's
    np.testing.assert_array_equal(out["yL_ce"], start["yL_ce"])
    np.testing.assert_array_equal(out["refine_steps"], 1)
    np.testing.assert_array_equal(out["refine_start_loss"], out["refine_loss"])
    np.testing.assert_array_equal(out["refine_loss"], landscape["loss"])


# ---------------------------------------------------------------------------------------------- one trajectory

def test_until_viable_returns_the_best_viable_iterate_of_a_crossing_trajectory(refiner, viable_result, landscape):
    """until = "viable": lane 0 starts viable and walks downhill out of the viable interval; lanes 1 and 3
    start non-viable above it and cross it; all three must return a viable point (inside the interval) and
    converge there, although their trajectories continue to non-viable iterates of lower loss. Breaks if
    the best step is the plain lowest loss (they would return a non-viable point near the loss minimum),
    or if 'converged' stops requiring a viable best."""
    out = viable_result
    lo, hi = landscape["viable_bounds"]
    start = evaluate(refiner, CROSSING)
    assert list(start["viable"].astype(bool)) == [True, False, False, False]
    np.testing.assert_array_equal(out["refine_start_loss"], start["refine_loss"])
    assert CROSSING[1] > hi and CROSSING[3] > hi and CROSSING[2] < lo
    for lane in (0, 1, 3):
        assert out["viable"][lane] and out["refine_n_failing"][lane] == 0, lane
        assert lo < out["yL_ce"][lane] < hi, lane
        assert out["refine_status"][lane] == 0, lane  # converged: viable best, stalled for `patience` steps
        assert 0 < out["refine_steps"][lane] < STEPS, lane
        assert out["refine_loss"][lane] < out["refine_start_loss"][lane] - 0.1, lane  # it did move downhill
        assert out["refine_loss"][lane] > landscape["min_loss"] + 0.2, lane
    # the sign is fixed: yL_ce only moved through its magnitude
    assert np.all(out["yL_ce"] > 0)


def test_until_viable_without_a_viable_iterate_keeps_the_lowest_loss(viable_result, landscape):
    """until = "viable", lane 2: starts below the viable interval and descends into the non-viable loss
    minimum without ever reaching the interval. Among non-viable iterates the lower loss wins (it ends at the
    minimum), and since no viable iterate was found it never counts as converged (status 1, the whole step
    budget). Breaks if non-viable iterates stop replacing each other by loss, or if a non-viable best can
    converge under until = "viable"."""
    out = viable_result
    assert not out["viable"][2]
    assert out["yL_ce"][2] < landscape["viable_bounds"][0]
    assert out["refine_loss"][2] < out["refine_start_loss"][2]
    assert out["refine_loss"][2] <= landscape["min_loss"] + 1e-3
    assert out["refine_status"][2] == 1 and out["refine_steps"][2] == STEPS


def test_until_stalled_returns_the_lowest_loss_iterate(viable_result, stalled_result, landscape):
    """until = "stalled", same starts: the lowest loss wins regardless of viability, so lanes 0, 1 and 3
    (whose until = "viable" results are viable, previous test) return non-viable iterates below the viable
    interval with a loss LOWER than any viable point of the grid; lane 0 even leaves its viable start. All
    converge (viability not required). Breaks if until = "stalled" also applies the viable-first rule, or
    if the rule's mode switch is inverted."""
    out = stalled_result
    lo, _ = landscape["viable_bounds"]
    for lane in range(4):
        assert not out["viable"][lane], lane
        assert out["refine_status"][lane] == 0, lane
        assert out["refine_loss"][lane] <= out["refine_start_loss"][lane], lane
        assert out["refine_loss"][lane] < landscape["min_viable_loss"], lane
        assert out["yL_ce"][lane] < lo, lane
    # same starts as the until = "viable" lanes (lane 0 starts viable: its stalled result is not the start)
    np.testing.assert_array_equal(out["refine_start_loss"], viable_result["refine_start_loss"])
    assert out["refine_loss"][0] < out["refine_start_loss"][0] - 0.1


def test_viable_iterate_beats_a_non_viable_one_of_lower_loss(card, refiner, landscape):
    """until = "viable" with Adam at learning_rate = 1.5: lanes 0 and 1 start non-viable BELOW the loss
    minimum, at a loss lower than any viable point; Adam's first step (~ +1.5 in log|yL_ce|) lands inside the
    viable interval at a higher loss. The viable iterate must win although the start (also an evaluated
    iterate) has the lower loss: the returned loss is ABOVE the start loss. Breaks if a viable iterate has to
    be lower in loss to replace a non-viable best (plain lowest loss would return the start)."""
    from flavorscan.scanner.refine.loop import refiner_for

    fast = refiner_for(card, dict(card["refine"], learning_rate=1.5))
    assert fast is not refiner
    start = evaluate(refiner, UPHILL)
    out = run_loop(fast, refiner, UPHILL)
    np.testing.assert_array_equal(out["refine_start_loss"], start["refine_loss"])
    lo, hi = landscape["viable_bounds"]
    for lane in (0, 1):
        assert not start["viable"][lane] and UPHILL[lane] < landscape["grid"][landscape["argmin"] - 1], lane
        assert start["refine_loss"][lane] < landscape["min_viable_loss"] - 0.1, lane
        assert out["viable"][lane], lane
        assert lo < out["yL_ce"][lane] < hi, lane
        assert out["refine_loss"][lane] > out["refine_start_loss"][lane] + 0.1, lane
        assert out["refine_status"][lane] == 0, lane
    # lanes 2 and 3 end viable as well (lane 2: its viable start, whose first step jumps out of the interval
    # to a lower loss; lane 3: the first step from far above lands inside); both losses come from the same
    # column kernel, so no allowance is needed even where the result is the start itself
    for lane in (2, 3):
        assert out["viable"][lane], lane
        assert out["refine_loss"][lane] <= out["refine_start_loss"][lane], lane


HUGE_M0I0 = 1e200  # the squared neutrino masses overflow: dm21_sq, dm3l_sq non-finite


def test_non_finite_observable_is_not_viable_in_the_loop(refiner, landscape):
    """Lanes 0-2 at m0I0 = 1e200 (not free: only yL_ce is): dm21_sq and dm3l_sq overflow to non-finite
    values, but neither enabled constraint (delta_a_e, delta_a_e_rb) uses a neutrino observable, so the loss
    and its gradient stay finite, and at yL_ce = 0.005 / 0.004 (lanes 0, 1) both constraints pass; the
    output column viable is 0 there all the same (reason 1: a non-finite observable). The loop must use the
    same notion: no iterate of these lanes is viable, so the lowest loss wins (they walk down to the
    non-viable loss minimum, below every viable loss) and none converges (status 1, the whole budget).
    Lane 3 (0.005, ordinary m0I0) is the control: viable and converged. Breaks if the loop counts 'every
    enabled constraint passes' as viable: lanes 0 and 1 would then keep an iterate inside the viable interval
    and report converged (status 0) with viable = 0."""
    lanes = np.array([0.005, 0.004, 0.02, 0.005])
    params = batch_params(refiner, lanes)
    params["m0I0"] = params["m0I0"].copy()
    params["m0I0"][:3] = HUGE_M0I0
    u, fixed, mask = refiner.encode(params)
    start = numpy_columns(refiner.column_kernel(u, fixed, mask))
    passes = np.stack([start[f"pass_{name}"] for name in refiner.constraint_names], axis=1)
    # the construction
    assert not np.any(mask["scalars"][:, 2])  # m0I0 stays at 1e200
    for lane in range(3):
        assert not np.isfinite(start["dm21_sq"][lane]) and not np.isfinite(start["dm3l_sq"][lane]), lane
        assert start["reason"][lane] == 1 and not start["viable"][lane], lane
        assert np.isfinite(start["refine_loss"][lane]), lane
    assert np.all(passes[:2]) and not np.all(passes[2])
    assert start["viable"][3] and start["reason"][3] == 0

    out = refiner.refine(params, steps=STEPS)
    lo, hi = landscape["viable_bounds"]
    for lane in range(3):
        assert not out["viable"][lane] and out["reason"][lane] == 1, lane
        assert out["refine_status"][lane] == 1 and out["refine_steps"][lane] == STEPS, lane
        assert out["yL_ce"][lane] < lo, lane
        assert out["refine_loss"][lane] < landscape["min_viable_loss"], lane  # past the viable interval
    assert out["viable"][3] and out["refine_status"][3] == 0 and lo < out["yL_ce"][3] < hi
    # converged (status 0) under until = "viable" always means viable = 1 in the output
    assert np.all(out["viable"][out["refine_status"] == 0])


# ---------------------------------------------------------------------------------------------- fit starts

def expected_best(viable, loss, until="viable") -> int:
    """The documented rule, written out: until = "viable": viable first, then the lowest (finite) loss, then
    the lowest index; until = "stalled": the lowest (finite) loss, then the lowest index."""
    def key(i):
        finite = np.isfinite(loss[i])
        return (not viable[i] if until == "viable" else False, loss[i] if finite else np.inf, i)

    return min(range(len(loss)), key=key)


def per_start(card, refiner, settings):
    """What fit_card refines: its starts, through the same (cached) refiner."""
    from flavorscan.scanner.refine.fit import fit_starts
    from flavorscan.scanner.refine.loop import refiner_for

    assert refiner_for(card, settings) is refiner  # n_starts, seed, spreads: host-only, no recompilation
    starts = fit_starts(card, settings, refiner)
    return starts, refiner.refine_encoded(*starts, steps=settings["steps"], settings=settings)


def test_fit_prefers_a_viable_start_over_a_non_viable_one_of_lower_loss(card, refiner):
    """fit_card with 4 starts (seed 3): start 1 ends non-viable at the loss minimum (lowest loss of all),
    starts 0, 2, 3 end viable, start 2 with the lowest loss among them. The fit must report start 2.
    Breaks if the selection is the plain lowest loss (-> start 1), if viability is ignored or inverted, or
    if the start index outranks the loss (-> start 0)."""
    from flavorscan.scanner.refine.fit import fit_card
    from flavorscan.scanner.refine.settings import settings_of

    settings = settings_of(card, n_starts=4, seed=3)
    params, columns = per_start(card, refiner, settings)
    viable, loss = columns["viable"].astype(bool), columns["refine_loss"]
    # the precondition of the test (fixed by the seed)
    assert list(viable) == [True, False, True, True]
    assert int(np.argmin(loss)) == 1
    assert loss[2] < loss[3] < loss[0]
    assert expected_best(viable, loss) == 2

    result = fit_card(card, settings)
    assert result["start"] == 2
    assert result["viable"] and result["failing"] == []
    assert result["loss"] == float(loss[2]) and result["loss"] > float(loss[1])
    assert result["params"]["yL_ce"] == float(columns["yL_ce"][2])
    assert result["n_starts"] == 4 and result["starts_viable"] == 3


def test_fit_without_a_viable_start_takes_the_lowest_loss(refiner):
    """fit_card with 4 starts around yL_ce = 0.0006 (spread 0.2 decades): none reaches the viable interval,
    so the lowest loss decides among the non-viable results. Breaks if the fit's loss key is dropped or
    reversed once viability does not separate the starts."""
    from flavorscan.scanner.refine.fit import fit_card
    from flavorscan.scanner.refine.settings import settings_of

    low = resolve_card(tomllib.loads(card_text(0.0006)))
    settings = settings_of(low, n_starts=4, seed=0, start_spread=0.2)
    _, columns = per_start(low, refiner, settings)
    viable, loss = columns["viable"].astype(bool), columns["refine_loss"]
    assert not viable.any() and np.all(np.isfinite(loss))
    assert len(set(loss.tolist())) == 4  # no ties: the loss alone decides
    result = fit_card(low, settings)
    assert result["start"] == expected_best(viable, loss) == int(np.argmin(loss))
    assert not result["viable"] and result["starts_viable"] == 0 and result["loss"] == float(loss.min())


def test_fit_until_stalled_takes_the_lowest_loss_over_viable_starts(card, stalled_refiner):
    """until = "stalled" (fits of a target that need not be viable): fit_card picks its start by the same rule
    as the best step, the lowest loss (ties by start index), not viable first. A budget of one step, so each
    start's result is the start itself; 4 starts (seed 9, spread 0.5 decades): 0 and 1 viable (1 lower),
    2 and 3 non-viable, 3 the lowest loss of all. Breaks if the fit applies viable-first under until =
    "stalled" (-> start 1) or ranks by index (-> start 0)."""
    from flavorscan.scanner.refine.fit import fit_card
    from flavorscan.scanner.refine.settings import settings_of

    settings = settings_of(card, n_starts=4, seed=9, start_spread=0.5, until="stalled", steps=1)
    (u, fixed, _), columns = per_start(card, stalled_refiner, settings)
    viable, loss = columns["viable"].astype(bool), columns["refine_loss"]
    # the precondition (fixed by the seed); yL is matrix 3 of the encoding, its entry (c, e) real
    start_yl_ce = np.exp(u["logabs"][:, 3, 1, 0]) * fixed["unit"][:, 3, 1, 0].real
    np.testing.assert_allclose(columns["yL_ce"], start_yl_ce, rtol=1e-14)  # the starts
    assert list(viable) == [True, True, False, False]
    assert int(np.argmin(loss)) == 3 and loss[1] < loss[0]
    assert expected_best(viable, loss, "viable") == 1
    assert expected_best(viable, loss, "stalled") == 3

    result = fit_card(card, settings)
    assert result["start"] == 3
    assert not result["viable"] and result["loss"] == float(loss.min())
    assert result["n_starts"] == 4 and result["starts_viable"] == 2


def test_fit_ties_broken_by_start_index(card, refiner):
    """start_spread = mass_spread = 0: the 4 starts are the card's point 4 times and refine to bit-identical
    results (the card's point, viable, and yL_ce = 0.0006, non-viable); the tie goes to start 0. Breaks if
    ties are broken by anything but the lowest index (e.g. the last start, or an unstable sort of the
    results). Note: a stable sort without the index key would still pass; exact ties between different
    starts cannot be produced through fit_starts otherwise. The same with until = "stalled" (the rule's
    other mode), with a one-step budget."""
    from flavorscan.scanner.refine.fit import fit_card
    from flavorscan.scanner.refine.settings import settings_of

    for yl_ce in (CARD_YL_CE, 0.0006):
        point = resolve_card(tomllib.loads(card_text(yl_ce)))
        settings = settings_of(point, n_starts=4, seed=5, start_spread=0.0, mass_spread=0.0)
        _, columns = per_start(point, refiner, settings)
        for name in ("refine_loss", "yL_ce", "viable", "refine_steps"):
            assert np.all(columns[name] == columns[name][0]), name
        result = fit_card(point, settings)
        assert result["start"] == 0
        viable = bool(columns["viable"][0])
        assert result["viable"] == viable and result["starts_viable"] == 4 * viable
        # until = "stalled" (one step: the results are the identical starts): the same tie rule
        stalled = fit_card(point, dict(settings, until="stalled", steps=1))
        assert stalled["start"] == 0 and stalled["starts_viable"] == 4 * viable
