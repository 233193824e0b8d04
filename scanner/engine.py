"""The scan engine: fixed-shape chunks, one per-chunk kernel, chunks spread over devices, kept rows to HDF5.

Per step the engine evaluates D chunks at once (D = number of local devices): the same jitted per-chunk
programs (sampling, observables, constraints) are dispatched to each device with that device's chunk index, so
each device samples and evaluates its own chunk. A chunk's content depends only on (seed, chunk index), and
every device runs the same programs, hence rows are bitwise identical for any device count, shard split or resumption. Only the
(D, chunk) keep-mask and the kept rows (gathered on device into a power-of-two bucket) are copied to the
host, so host memory is bounded by the chunk size, not by the number of points.

Compilation: the programs are traced once per run but XLA compiles them once per device (an executable is
bound to its device). One SPMD program over all devices (``shard_map``) compiles once, runs as fast on the
CPU, but its rows differed from a one-device run in the last bit (measured with 4 host devices), so the
engine keeps per-device programs. On GPUs JAX's persistent compilation cache (``JAX_COMPILATION_CACHE_DIR``)
leaves the device assignment out of its key, so with the cache set the devices after the first should load
the executable instead of compiling it (not measured: no GPU was available).
"""

from __future__ import annotations

import itertools
import math
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec, SingleDeviceSharding

from flavorscan.scanner import models
from flavorscan.scanner.errors import StopRequested, UserError
from flavorscan.scanner.pipeline import make_point_function, model_inputs


class ColumnPack:
    """Named per-point columns of a chunk packed into one array per dtype, shape (1, chunk, k): what the engine's
    programs return and gather instead of one array per column.

    Why: every array a jitted program returns is a separate device buffer with a Python object, and the LQ model
    has 504 columns; packed, the per-step host work no longer grows with the number of constraints (measured:
    2.5 ms of a 26 ms step at chunk 4096, BENCHMARKS.md). Packing copies values, so rows are unchanged bit for
    bit."""

    def __init__(self, dtypes: dict):
        self.dtypes = {name: np.dtype(dtype) for name, dtype in dtypes.items()}
        self.groups = {}  # dtype code -> column names, in column order
        self._where = {}  # column name -> (dtype code, position in its group)
        for name, dtype in self.dtypes.items():
            group = self.groups.setdefault(dtype.str, [])
            self._where[name] = (dtype.str, len(group))
            group.append(name)

    def shapes(self, chunk_size: int) -> dict:
        """The shapes of :meth:`pack`'s output for a chunk of ``chunk_size`` points."""
        return {code: jax.ShapeDtypeStruct((1, chunk_size, len(names)), np.dtype(code))
                for code, names in self.groups.items()}

    def pack(self, columns: dict) -> dict:
        """(chunk,) columns (traced) -> {dtype code: (1, chunk, k)}."""
        return {code: jnp.stack([columns[name] for name in names], axis=-1)[None] for code, names in self.groups.items()}

    def unpack(self, packed: dict) -> dict:
        """{dtype code: (..., k)} (traced or numpy) -> {name: (...)} in column order."""
        return {name: packed[code][..., k] for name, (code, k) in self._where.items()}


class ScanEngine:
    """Evaluates the chunks of a [scan] card; ``run`` streams the kept rows into a store writer."""

    def __init__(self, card: dict, devices=None):
        self.card = card
        self.scan = card["scan"]
        self.chunk_size = self.scan["chunk_size"]
        self.n_chunks = math.ceil(self.scan["n"] / self.chunk_size)
        self.devices = list(devices or jax.local_devices())
        self.inputs = model_inputs(card)
        self.point_function = make_point_function(card, self.inputs)
        self.sample = models.get(card["model"]).sample
        self._sharding = NamedSharding(Mesh(np.array(self.devices), ("chunks",)), PartitionSpec("chunks"))
        self._count_names = ["points", "viable"] + [f"pass_{name}" for name in self.point_function.constraints.names]
        # Per chunk three jitted programs, sampling, observables and then everything else, dispatched to every
        # device on its own (asynchronously): every device runs the very same programs, so rows are bitwise
        # identical for any device count. Measured on the LQ bench chunk (BENCHMARKS.md): fewer programs take
        # up to 2x the CPU time, because XLA fuses the cheap arithmetic of each input (random numbers,
        # observables) into each of its many consumers and so recomputes it. Why not one shard_map program:
        # module docstring.
        index = jax.ShapeDtypeStruct((), jnp.int64)
        self._params_shape = jax.eval_shape(self._sample_chunk, index)
        observed = jax.eval_shape(jax.vmap(self.point_function.observe), self._params_shape)
        self._observed = ColumnPack({name: shape.dtype for name, shape in observed.items()})
        finished = jax.eval_shape(self._finish_columns, observed, index, index)[0]
        self._finished = ColumnPack({name: shape.dtype for name, shape in finished.items()})
        self.column_dtypes = {**self._observed.dtypes, **self._finished.dtypes}
        self._sample_program = jax.jit(self._sample_chunk)
        self._observe_program = jax.jit(self._observe_chunk)
        self._finish_program = jax.jit(self._finish_chunk)
        self._gather = jax.jit(self._gather_rows)
        self._observed_shape = self._observed.shapes(self.chunk_size)
        self._integer = jax.dtypes.canonicalize_dtype(np.int64)
        self._n_points = [jax.device_put(np.asarray(self.scan["n"], dtype=self._integer), d) for d in self.devices]

    # -- traced ------------------------------------------------------------------------------------

    def _sample_chunk(self, chunk_index):
        return self.sample(self.scan, chunk_index, self.chunk_size)

    def _observe_chunk(self, params):
        """The parameter and observable columns of one chunk, packed."""
        return self._observed.pack(jax.vmap(self.point_function.observe)(params))

    def _finish_columns(self, observed, chunk_index, n_points):
        """The other columns (constraints, point_id, chunk, candidate), keep mask and counts (ordered as
        ``_count_names``) of one chunk from its observed columns.

        The scan's point count is an argument, not a constant of the program, so that the compiled kernel is
        the same for any ``--n`` (and JAX's persistent compilation cache, when enabled, serves them all)."""
        size = self.chunk_size
        columns = jax.vmap(self.point_function.constraints.evaluate)(observed)
        in_chunk = jnp.arange(size, dtype=jnp.int64)
        point_id = chunk_index.astype(jnp.int64) * size + in_chunk
        columns["point_id"] = point_id
        columns["chunk"] = jnp.full((size,), chunk_index, dtype=jnp.int64)
        in_scan = point_id < n_points  # the last chunk may be partial
        if self.scan["keep"] == "all":
            keep = in_scan
        else:
            keep = columns["viable"] & in_scan
        best = self.scan["best_per_chunk"]
        if best:
            score = jnp.where(in_scan, columns["chi2_total"] + columns["penalty_total"], jnp.inf)
            score = jnp.where(jnp.isnan(score), jnp.inf, score)
            _, index = jax.lax.top_k(-score, best)
            candidate = jnp.zeros((size,), bool).at[index].set(True) & jnp.isfinite(score)
            columns["candidate"] = candidate
            keep = keep | candidate
        # One reduction over the stacked pass columns: a separate sum per column let XLA fuse each column's
        # producers into its own reduction and recompute them (measured: +50 ms on a 16384-point LQ chunk of
        # 115 ms, BENCHMARKS.md).
        counted = jnp.stack([in_scan] + [columns[name] for name in self._count_names[1:]])
        counts = jnp.sum(counted & in_scan, axis=1)
        return columns, keep, counts

    def _finish_chunk(self, observed, chunk_index, n_points):
        """(packed other columns, keep mask, counts) of one chunk from its packed observed columns, each with
        a leading axis of 1. The observed columns are not returned again: a jitted program copies every input
        it returns."""
        observed = self._observed.unpack({code: value[0] for code, value in observed.items()})
        columns, keep, counts = self._finish_columns(observed, chunk_index, n_points)
        return self._finished.pack(columns), keep[None], counts[None]

    def _one_chunk(self, chunk_index, n_points):
        """(packed observed columns, packed other columns, keep, counts) of one chunk (scalar index and point
        count on one device), each with a leading axis of length 1."""
        observed = self._observe_program(self._sample_program(chunk_index))
        return (observed, *self._finish_program(observed, chunk_index, n_points))

    def _evaluate(self, chunk_indices):
        """(packed observed columns, packed other columns, keep, counts) of D chunks (a sequence of D ints, one
        per device), each with a leading (D,) axis (sharded over the devices)."""
        indices = np.asarray(chunk_indices, dtype=self._integer)
        parts = [self._one_chunk(jax.device_put(indices[k], device), self._n_points[k])
                 for k, device in enumerate(self.devices)]
        if len(parts) == 1:
            return parts[0]
        shape = (len(self.devices),)

        def combine(*pieces):
            return jax.make_array_from_single_device_arrays(shape + pieces[0].shape[1:], self._sharding, list(pieces))

        return jax.tree.map(combine, *parts)

    @staticmethod
    def _gather_rows(packed, flat_index):
        return jax.tree.map(lambda value: value.reshape((-1,) + value.shape[2:])[flat_index], packed)

    # -- host loop ---------------------------------------------------------------------------------

    def evaluate_chunks(self, chunk_indices):
        """Kept rows and per-chunk counts (points, viable, pass_<name>) of up to D chunks:
        {chunk index: ({column: numpy array}, {count name: int})}; zero-row chunks included."""
        count = len(chunk_indices)
        padded = list(chunk_indices) + [chunk_indices[-1]] * (len(self.devices) - count)
        observed, finished, keep, counts = self._evaluate(padded)
        keep, counts = jax.device_get((keep, counts))
        keep = np.asarray(keep)[:count]
        chunk_counts = [dict(zip(self._count_names, map(int, counts[position]))) for position in range(count)]
        flat = np.flatnonzero(keep.reshape(-1))
        empty = {name: np.empty((0,), dtype) for name, dtype in self.column_dtypes.items()}
        result = {c: (empty, chunk_counts[position]) for position, c in enumerate(chunk_indices)}
        if flat.size == 0:
            return result
        bucket = 1 << int(math.ceil(math.log2(flat.size)))
        index = jnp.asarray(np.pad(flat, (0, bucket - flat.size)))
        observed, finished = jax.device_get(self._gather((observed, finished), index))
        rows = {**self._observed.unpack(observed), **self._finished.unpack(finished)}
        rows = {name: np.asarray(value)[: flat.size] for name, value in rows.items()}
        owner = flat // self.chunk_size
        for position, c in enumerate(chunk_indices):
            mine = owner == position
            result[c] = ({name: value[mine] for name, value in rows.items()}, chunk_counts[position])
        return result

    def warm_up(self, chunk_indices) -> None:
        """Compile what a run uses before timing it: evaluate one step of chunks (the sampling and chunk
        programs) and compile the compaction (gather) program for every power-of-two bucket it can be called
        with."""
        padded = list(chunk_indices) + [chunk_indices[-1]] * (len(self.devices) - len(chunk_indices))
        packed = self._evaluate(padded)[:2]
        jax.block_until_ready(packed)
        largest = len(self.devices) * self.chunk_size
        bucket = 1
        while True:
            # the index dtype of evaluate_chunks (int64, or int32 with x64 off)
            jax.block_until_ready(self._gather(packed, jnp.asarray(np.zeros(bucket, dtype=np.int64))))
            if bucket >= largest:
                break
            bucket *= 2

    def planned_chunks(self, shard=(0, 1)) -> range:
        """The chunk indices of shard (I, N): I, I + N, I + 2N, ... (a lazy range: a scan may have 2^32 chunks)."""
        index, count = shard
        return range(index, self.n_chunks, count)

    def chunk_points(self, chunk_index: int) -> int:
        """Points of the scan in chunk ``chunk_index`` (the last chunk may be partial)."""
        return max(0, min(self.chunk_size, self.scan["n"] - chunk_index * self.chunk_size))

    def compile(self) -> None:
        """Compile the sampling, observable and chunk programs for every device ahead of the first step, so
        that a run can report compilation (seconds to minutes) apart from evaluation; the jitted calls of the
        steps then find the executables in JAX's cache. The gather programs are small and compile on first
        use."""
        for k, device in enumerate(self.devices):
            where = SingleDeviceSharding(device)

            def placed(shapes):
                return jax.tree.map(lambda s: jax.ShapeDtypeStruct(s.shape, s.dtype, sharding=where,
                                                                   weak_type=s.weak_type), shapes)

            index = jax.device_put(np.asarray(0, dtype=self._integer), device)
            self._sample_program.lower(index).compile()
            self._observe_program.lower(placed(self._params_shape)).compile()
            self._finish_program.lower(placed(self._observed_shape), index, self._n_points[k]).compile()

    def run(self, writer, shard=(0, 1), progress=None, stop=None) -> dict:
        """Evaluate every planned chunk not yet finished in the writer's directory; returns a summary.
        ``progress``: a :class:`flavorscan.scanner.progress.Progress` (compilation, then points against
        what this run still has to evaluate: a resumed run counts only what is left). ``stop``: an object
        whose ``requested`` attribute, checked before and after every step, ends the run with a
        StopRequested (the chunks finished so far are in the writer).

        Host memory does not depend on the number of chunks: the planned chunks are a lazy range and only
        the finished ones (the writer's manifest) are held as a set."""
        planned = self.planned_chunks(shard)
        done = {c for c in writer.finished_chunks() if c in planned}
        # every planned chunk but the last is full
        planned_points = self.chunk_size * (len(planned) - 1) + self.chunk_points(planned[-1]) if planned else 0
        todo_points = planned_points - sum(self.chunk_points(c) for c in done)
        pending = (c for c in planned if c not in done)
        kept = viable = evaluated = chunks = 0
        start = time.perf_counter()  # the run's seconds include compilation, as they always did
        if todo_points:
            if progress is None:
                self.compile()
            else:
                with progress.compiling(f"the {self.card['model']} scan kernel"):
                    self.compile()
        if progress is not None:
            progress.start(todo_points)
        try:
            while batch := list(itertools.islice(pending, len(self.devices))):
                if stop is not None and stop.requested:  # a signal before the first step (start-up, resume scan)
                    raise StopRequested
                step_start = time.perf_counter()
                for c, (rows, counts) in self.evaluate_chunks(batch).items():
                    writer.add_chunk(c, rows, counts=counts)
                    kept += len(rows["point_id"])
                    viable += counts["viable"]
                chunks += len(batch)
                evaluated += sum(self.chunk_points(c) for c in batch)
                if progress is not None:
                    progress.note(f"chunks {', '.join(map(str, batch))}: {time.perf_counter() - step_start:.3f} s")
                    progress.update(evaluated, kept, viable)
                if stop is not None and stop.requested:
                    raise StopRequested
        finally:
            if progress is not None:
                progress.close()
        return {"chunks_skipped": len(done), "chunks_evaluated": chunks, "points_evaluated": evaluated,
                "rows_kept": kept, "seconds": time.perf_counter() - start}


def initialise_distributed() -> tuple[int, int]:
    """jax.distributed under SLURM (or explicit FLAVORSCAN_COORDINATOR / _NUM_PROCESSES / _PROCESS_ID):
    returns this process's shard (process index, process count)."""
    coordinator = os.environ.get("FLAVORSCAN_COORDINATOR")
    try:
        if coordinator:
            jax.distributed.initialize(
                coordinator_address=coordinator,
                num_processes=int(os.environ["FLAVORSCAN_NUM_PROCESSES"]),
                process_id=int(os.environ["FLAVORSCAN_PROCESS_ID"]),
            )
        else:
            jax.distributed.initialize()  # cluster auto-detection (SLURM, ...)
    except (KeyError, ValueError, RuntimeError) as exc:
        detail = f"{exc} is not set" if isinstance(exc, KeyError) else str(exc).splitlines()[0]
        raise UserError(f"--distributed: cannot start jax.distributed ({detail}); run under SLURM or set "
                        "FLAVORSCAN_COORDINATOR, FLAVORSCAN_NUM_PROCESSES and FLAVORSCAN_PROCESS_ID") from None
    return jax.process_index(), jax.process_count()
