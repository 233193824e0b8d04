"""evosax strategies on the discovery problem: the comparison behind docs/discovery.md ("Libraries").

Runs one evosax strategy (CMA_ES, DifferentialEvolution as DE, ...) with population 1024 on a signed-log relaxation
of the leptoquark textures (36 real coupling entries, |z| in [1e-7, 1] or exactly 0, masses 1-3 TeV), scored by
the discovery loss of `flavorscan discover` on the built-in wide prior, for a wall-clock budget; CMA-ES restarts
from another prior member every quarter of the budget. Prints the distinct viable points found.

evosax is not a flavorscan dependency: install it into a scratch environment (measured with evosax 0.3.2).

    python scripts/evosax_compare.py SECONDS [CMA_ES|DE] [current|paper2022]
"""
import sys, time, json, math
import numpy as np
import flavorscan.kernels  # x64
import jax, jax.numpy as jnp
from flavorscan.scanner.bench.yields import builtin_card
from flavorscan.scanner.discover.search import Discovery
from flavorscan.scanner.models.lq.presets import DISCOVER_CARD

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 300
WHICH = sys.argv[2] if len(sys.argv) > 2 else "CMA_ES"
SET = sys.argv[3] if len(sys.argv) > 3 else "current"
card = builtin_card(DISCOVER_CARD)
card = dict(card, measurements=SET)
from flavorscan.scanner.likelihood import resolve_likelihood
from flavorscan.scanner import models
card["likelihood"] = resolve_likelihood(models.get("lq"), SET, card["constraints"])
disc = Discovery(card)
pf = disc.point_function
V = 8.0
LLO, LHI = math.log(1e-7), 0.0

def decode(x):
    v = x[:36]
    a = jnp.clip(jnp.abs(v), 0.0, V)
    mag = jnp.exp(LLO + (a - 1.0) / (V - 1.0) * (LHI - LLO))
    z = jnp.where(a >= 1.0, jnp.sign(v) * mag, 0.0).reshape(4, 3, 3) + 0j
    m = jnp.exp(math.log(1000.0) + jax.nn.sigmoid(x[36:38]) * math.log(3.0))
    return {"fR": z[0], "fL": z[1], "yR": z[2], "yL": z[3], "M_R2": m[0], "M_S1": m[1]}

@jax.jit
def fitness(pop, w):
    def one(x):
        cols = pf(decode(x))
        osc, other = disc._terms(cols)
        f = other + w * osc
        return jnp.where(jnp.isfinite(f), f, 1e30), cols["viable"]
    return jax.vmap(one)(pop)

import evosax.algorithms as algos
P = 1024
key = jax.random.PRNGKey(0)
dummy = jnp.zeros(38)
if WHICH == "DE":
    algo = algos.DifferentialEvolution(population_size=P, solution=dummy)
else:
    algo = getattr(algos, WHICH)(population_size=P, solution=dummy)
params = algo.default_params
rng = np.random.default_rng(0)
init = np.concatenate([np.where(rng.random((P, 36)) < 0.3, rng.choice([-1, 1], (P, 36)) * rng.uniform(1, V, (P, 36)), rng.uniform(-0.9, 0.9, (P, 36))), rng.normal(0, 1, (P, 2))], axis=1)
key, k1 = jax.random.split(key)
if WHICH in ("DE", "SimpleGA", "PSO"):
    fit0, _ = fitness(jnp.asarray(init), 0.0)
    state = algo.init(k1, jnp.asarray(init), fit0, params)
else:
    import dataclasses
    params = dataclasses.replace(params, std_init=2.0)
    state = algo.init(k1, jnp.asarray(init[0]), params)
restarts = 0
t0 = time.time(); gen = 0; seen = set(); evals = 0
while time.time() - t0 < SECONDS:
    w = 0.0 if (time.time() - t0) % (SECONDS / 4) < SECONDS / 12 else 1.0
    if WHICH not in ("DE", "SimpleGA", "PSO") and (time.time() - t0) > (restarts + 1) * SECONDS / 4:
        restarts += 1  # a restart from another prior member (four in all)
        key, kr = jax.random.split(key)
        state = algo.init(kr, jnp.asarray(init[restarts]), params)
    key, ka, kt = jax.random.split(key, 3)
    pop, state = algo.ask(ka, state, params)
    f, viable = fitness(pop, w)
    state, _ = algo.tell(kt, pop, f, state, params)
    evals += P; gen += 1
    v = np.asarray(viable)
    for row in np.asarray(pop)[v]:
        seen.add(row.tobytes())
    if gen % 50 == 0:
        print(f"[{time.time()-t0:.0f}s] gen {gen} best {float(jnp.min(f)):.3g} viable so far {len(seen)}", flush=True)
print(json.dumps({"strategy": WHICH, "set": SET, "seconds": round(time.time()-t0, 1), "generations": gen, "evaluations": evals, "distinct_viable": len(seen)}))
