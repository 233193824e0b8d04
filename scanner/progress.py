"""Progress of the long commands (run, refine, fit, discover, bench) on stderr, and their closing summary.

One :class:`Progress` per command: a compilation phase (``with progress.compiling("the scan kernel"):``,
announced when it starts and timed when it ends, because JIT compilation can take minutes on a loaded machine
and would otherwise look like a hang), then the work (``start``, ``update`` with absolute counts), then
``close``. On a terminal the work is a tqdm bar (units/s, ETA, rows kept); anywhere else (a SLURM log, a
pipe) it is one plain line per ``interval`` seconds, plus one right after compilation and a final one, so
batch logs show progress without carriage-return garbage. A heartbeat thread keeps both alive while one long
kernel call runs (a fit's optimizer loop is one call of minutes): it refreshes the bar's clock, and off a
terminal it writes the same periodic line (or "still compiling") when no update came for ``interval``
seconds. Nothing of this goes to stdout: stdout carries the results that tools parse.

This module imports nothing heavy at import time (the command modules import it while the parser is built,
and ``flavorscan --help`` must stay fast); tqdm is imported when a bar opens.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from contextlib import contextmanager

DEFAULT_INTERVAL = 30.0
BAR_REFRESH = 0.5  # seconds between heartbeat refreshes of a terminal bar (its elapsed time and rate)
SI_PREFIX_FROM = 10_000  # totals from which a terminal bar abbreviates counts (12.3M points)
HEARTBEAT_MAX_WAIT = 60.0  # longest single wait of the heartbeat thread off a terminal, in seconds


def add_progress_option(parser) -> None:
    """``--progress-interval SECONDS`` of a command that reports progress."""
    parser.add_argument("--progress-interval", type=float, default=DEFAULT_INTERVAL, metavar="SECONDS",
                        help="when stderr is not a terminal (batch logs): seconds between plain progress lines "
                             f"(default {DEFAULT_INTERVAL:g}; 0: a line per step)")


def from_args(args, command: str, unit: str = "points") -> Progress:
    """The Progress of a command from its parsed options (-q, -v, --progress-interval)."""
    from flavorscan.scanner.errors import UserError

    interval = getattr(args, "progress_interval", DEFAULT_INTERVAL)
    if not interval >= 0:  # also NaN
        raise UserError(f"--progress-interval: must be >= 0, got {interval}")
    return Progress(command, unit=unit, enabled=not args.quiet, verbose=args.verbose, interval=interval)


def duration(seconds: float) -> str:
    """Seconds as "14.2 s", "3 min 05 s" or "2 h 07 min"."""
    if round(seconds, 1) < 60:  # 59.99 is "1 min 00 s", not "60.0 s"
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {seconds:02d} s"


class Progress:
    """Progress of one command on ``stream`` (default stderr).

    Args:
        command: name shown in every line ("run", "refine", ...).
        unit: what ``done`` counts ("points", "starts", ...).
        enabled: False: silent (-q); the counts are still recorded for the summary.
        verbose: also print JAX/device information and :meth:`note` lines (-v).
        interval: seconds between plain lines off a terminal (0: every update).
        stream, clock, tty: injectable for tests (a StringIO, a fake clock, tty=False).
        heartbeat: run the heartbeat thread (tests with a fake clock turn it off).
    """

    def __init__(self, command: str, *, unit: str = "points", enabled: bool = True, verbose: bool = False,
                 interval: float = DEFAULT_INTERVAL, stream=None, clock=time.monotonic, tty: bool | None = None,
                 heartbeat: bool = True):
        self.command = command
        self.unit = unit
        self.enabled = enabled
        self.verbose = verbose and enabled
        self.interval = interval
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.tty = self.stream.isatty() if tty is None else tty
        self.total: int | None = None
        self.done = 0
        self.kept: int | None = None
        self.viable: int | None = None
        self.compile_seconds: float | None = None
        self._started = clock()
        self._compile_start: float | None = None
        self._compiling = ""
        self._working = False
        self._work_start: float | None = None  # the end of compilation: the rate excludes it
        self._last_line: float | None = None
        self._fraction: float | None = None
        self._base = 0
        self._end: float | None = None  # set by close: the summary's rate is of the work, not of later output
        self._bar = None
        self._lock = threading.Lock()  # the heartbeat thread writes too
        self._stop = threading.Event()
        self._thread = None
        self._heartbeat = heartbeat and enabled and (self.tty or interval > 0)

    # -- output ------------------------------------------------------------------------------------

    def _write(self, text: str) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.write(f"flavorscan {self.command}: {text}", file=self.stream)
            else:
                self.stream.write(f"flavorscan {self.command}: {text}\n")
                self.stream.flush()

    def note(self, text: str) -> None:
        """A line shown with -v only (device information, per-step timing)."""
        if self.verbose:
            self._write(text)

    def _beat(self) -> None:
        # The wait is capped: Event.wait overflows on a huge timeout (--progress-interval inf or 1e300, which
        # mean "no periodic lines"), and the interval check below decides whether a line is due anyway.
        tick = BAR_REFRESH if self.tty else min(max(self.interval, 1.0), HEARTBEAT_MAX_WAIT)
        while not self._stop.wait(tick):
            if self.tty:
                with self._lock:
                    if self._bar is not None:
                        self._bar.refresh()
                continue
            now = self.clock()
            if self._last_line is not None and now - self._last_line < self.interval:
                continue
            self._last_line = now
            if self._compile_start is not None:
                self._write(f"still compiling {self._compiling} ({duration(now - self._compile_start)})")
            elif self._working:
                self._write(self.line(self._fraction))

    def _start_heartbeat(self) -> None:
        if self._heartbeat and self._thread is None:
            self._thread = threading.Thread(target=self._beat, name="flavorscan-progress", daemon=True)
            self._thread.start()

    # -- phases ------------------------------------------------------------------------------------

    @contextmanager
    def compiling(self, what: str):
        """Announce a compilation and, when the block ends, its duration; the work's rate starts after it."""
        self.begin_compile(what)
        yield
        self.end_compile()

    def begin_compile(self, what: str) -> None:
        """Compilation starts (for code that cannot wrap it in :meth:`compiling`, e.g. a jitted call that
        compiles and then computes: :meth:`end_compile` says what else the timed span held)."""
        if self.verbose and self.compile_seconds is None:  # once, before the first compilation
            import jax

            devices = ", ".join(str(d) for d in jax.local_devices())
            self.note(f"JAX {jax.__version__}, backend {jax.default_backend()}, local devices: {devices}")
        if self._working and self.done == 0 and self._work_start is not None:
            # work announced but not begun (a fit compiles inside its first call): its clock and bar restart
            # after the compilation, so the rate excludes it; a compilation later in the work counts as work
            self._work_start = None
            if self._bar is not None:
                with self._lock:
                    self._bar.leave = False
                    self._bar.close()
                    self._bar = None
        if self.enabled:
            self._write(f"compiling {what} ...")
        self._compiling = what
        self._compile_start = self._last_line = self.clock()
        self._start_heartbeat()

    def end_compile(self, including: str = "", done: int = 0) -> None:
        """Compilation ended. ``including``: what else the timed span held (e.g. "the first evaluation");
        ``done``: the units of work it did (they count as done, not in the rate)."""
        if self._compile_start is None:
            return
        self.done = max(self.done, done)
        now = self.clock()
        seconds = now - self._compile_start
        self._compile_start = None
        self.compile_seconds = (self.compile_seconds or 0.0) + seconds
        if self.enabled:
            self._write(f"compiled in {seconds:.1f} s" + (f" (with {including})" if including else ""))
        if self._working and self._work_start is None:
            self._open()

    def start(self, total: int | None) -> None:
        """The work begins: ``total`` units (None: unknown, e.g. a time budget). During a compilation, or when
        one follows before the first update, the work's clock and bar start when the compilation ends."""
        self.total = total
        self._working = True
        if self._compile_start is None:
            self._open()
        self._start_heartbeat()

    def _open(self) -> None:
        self._work_start = self.clock()
        self._base = self.done  # the rate is of the work done after this point
        self._last_line = None  # the first update after compilation writes a line
        if self.enabled and self.tty:
            from tqdm import tqdm

            with self._lock:
                # SI prefixes (12.3M points) only where counts are large: with them tqdm shows 2 starts as "2.00"
                large = self.total is None or self.total >= SI_PREFIX_FROM
                self._bar = tqdm(total=self.total, initial=self.done, desc=f"flavorscan {self.command}", unit=f" {self.unit}",
                                 unit_scale=large, file=self.stream, dynamic_ncols=True, mininterval=BAR_REFRESH,
                                 smoothing=0.1)

    def update(self, done: int, kept: int | None = None, viable: int | None = None,
               fraction: float | None = None) -> None:
        """``done`` units of the work so far (absolute counts); ``fraction``: the share of the budget used when
        it is not ``done / total`` (a time budget)."""
        if not self._working:
            self.start(self.total)
        step = done - self.done
        self.done, self.kept, self.viable, self._fraction = done, kept, viable, fraction
        if not self.enabled:
            return
        if self._bar is not None:
            with self._lock:
                if kept is not None:
                    self._bar.set_postfix_str(self._counts(), refresh=False)
                self._bar.update(step)
            return
        now = self.clock()
        if self._last_line is None or now - self._last_line >= self.interval:
            self._last_line = now
            self._write(self.line(fraction))

    def close(self) -> None:
        """End the work: stop the heartbeat, then the bar's last state or a final plain line (once)."""
        if self._end is not None:
            return
        self._end = self.clock()
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.enabled and self._working:
            finished = not self.total or self.done >= self.total
            self._write(("done: " if finished else "stopped: ") + self.line(None, final=True))

    # -- text --------------------------------------------------------------------------------------

    def seconds(self) -> float:
        """Seconds of work so far (after compilation)."""
        end = self._end if self._end is not None else self.clock()
        return end - (self._work_start if self._work_start is not None else self._started)

    def rate(self) -> float:
        """Units per second of the work after compilation."""
        seconds = self.seconds()
        return (self.done - self._base) / seconds if seconds > 0 else 0.0

    def _counts(self) -> str:
        parts = [] if self.kept is None else [f"{self.kept:,d} {'row' if self.kept == 1 else 'rows'} kept"]
        if self.viable is not None:
            parts.append(f"{self.viable:,d} viable")
        return ", ".join(parts)

    def line(self, fraction: float | None = None, final: bool = False) -> str:
        """One plain progress line: units done (of the total, and the fraction), rate, counts, ETA."""
        rate = self.rate()
        if self.total:
            fraction = self.done / self.total
            text = f"{self.done:,d}/{self.total:,d} {self.unit} ({100 * fraction:.1f}%)"
        else:
            text = f"{self.done:,d} {self.unit}"
            if fraction is not None:
                text += f" ({100 * min(fraction, 1.0):.1f}% of the time budget)"
        if final:
            text += f" in {duration(self.seconds())}"
        elif self.done == self._base:  # nothing since compilation (one long kernel call): it is alive
            return text + f", running for {duration(self.seconds())}"
        text += f", {rate:,.1f} {self.unit}/s" if rate < 100 else f", {rate:,.0f} {self.unit}/s"
        if self._counts():
            text += ", " + self._counts()
        if not final and self.total and rate > 0 and self.done < self.total:
            text += f", ETA {duration((self.total - self.done) / rate)}"
        elif not final and not self.total and fraction and fraction < 1:  # a time budget
            text += f", ETA {duration(self.seconds() * (1 - fraction) / fraction)}"
        return text


def format_summary(title: str, items) -> str:
    """A few aligned ``label  value`` lines under a title (the human summary of a command on stdout);
    items whose value is None are left out."""
    items = [(label, value) for label, value in items if value is not None]
    width = max(len(label) for label, _ in items)
    return "\n".join([title] + [f"  {label:<{width}}  {value}" for label, value in items])


def timing_items(progress: Progress, seconds: float, evaluated: int, rate_digits: int = 0) -> list:
    """The ``seconds`` (with the compilation's share) and ``rate`` items of a command's summary; no rate when
    nothing was evaluated."""
    compiled = "" if progress.compile_seconds is None else f" (compilation {progress.compile_seconds:.1f})"
    rate = f"{progress.rate():,.{rate_digits}f} points/s" if evaluated else None
    return [("seconds", f"{seconds:,.1f}{compiled}"), ("rate", rate)]


def print_result(summary: dict, text: str, as_json: bool) -> None:
    """The result of run/refine/discover on stdout: the one-line JSON with --json or when stdout is not a
    terminal (pipes, files, scripts: the machine-readable form they always got), else the human summary."""
    if as_json or not sys.stdout.isatty():
        print(json.dumps(summary), file=sys.stdout)
    else:
        print(text, file=sys.stdout)
