"""A self-contained report of one run: a directory with ``index.html`` (or ``index.md``), PNG figures
and ``summary.json`` (the :func:`scanner.store.info` summary).

Sections: provenance (card, versions, devices, seed), counts, pass fractions per constraint, the best
points (lowest ``chi2_total``), the figures (constraint summary, one per plot preset of the run's model,
1D profiles of the model's ``profile_columns`` that vary, the model's ``report_planes`` coloured by the
first failing constraint) and a corner plot of the viable points' varying parameters. What is model
specific comes from the model's presets (:class:`flavorscan.scanner.models.spec.Presets`). A figure that
cannot be drawn for this run (e.g. no viable points) is replaced by a one-line note; the report itself
still succeeds.
"""

from __future__ import annotations

import datetime
import html
import json
import math
from pathlib import Path

import numpy as np

from flavorscan.scanner import plots
from flavorscan.scanner.errors import UserError
from flavorscan.scanner.plots.levels import DEFAULT_CL, cl_label, percent
from flavorscan.scanner.provenance import PROVENANCE_KEYS

FORMATS = ("html", "md")


def _fmt(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "nan"
        return f"{v:.5g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def compact_json(obj, indent: int = 0) -> str:
    """JSON with one key per line, but lists of numbers (and matrices) on one line."""
    pad = "  " * indent

    def flat(x):
        return not isinstance(x, (dict, list)) or (
            isinstance(x, list) and all(not isinstance(y, dict) and (not isinstance(y, list) or all(
                not isinstance(z, (dict, list)) for z in y)) for y in x)
        )

    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f'{pad}  {json.dumps(k)}: {compact_json(v, indent + 1)}' for k, v in sorted(obj.items())]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if flat(obj):
        return json.dumps(obj)
    items = [f"{pad}  {compact_json(v, indent + 1)}" for v in obj]
    return "[\n" + ",\n".join(items) + f"\n{pad}]"


def _pct(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{percent(x, significant=3)}%"


class _Doc:
    """Just enough of a document model to write both HTML and Markdown."""

    def __init__(self, fmt: str):
        self.fmt = fmt
        self.parts: list[str] = []

    def h(self, level: int, text: str) -> None:
        if self.fmt == "html":
            self.parts.append(f"<h{level}>{html.escape(text)}</h{level}>")
        else:
            self.parts.append(f"{'#' * level} {text}\n")

    def p(self, text: str) -> None:
        if self.fmt == "html":
            self.parts.append(f"<p>{html.escape(text)}</p>")
        else:
            self.parts.append(text + "\n")

    def pre(self, text: str, folded: str | None = None) -> None:
        """Preformatted text; ``folded``: in HTML, closed under this line until clicked (a long block would
        push every figure several screens down)."""
        if self.fmt == "html":
            block = f"<pre>{html.escape(text)}</pre>"
            if folded:
                block = f"<details><summary>{html.escape(folded)}</summary>{block}</details>"
            self.parts.append(block)
        else:
            self.parts.append("```\n" + text + "\n```\n")

    def table(self, header: list[str], rows: list[list[str]], wide: bool = False) -> None:
        if self.fmt == "html":
            out = ['<div class="wide">' if wide else "<div>", "<table>", "<tr>"]
            out += [f"<th>{html.escape(h)}</th>" for h in header]
            out.append("</tr>")
            for row in rows:
                out.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>")
            out += ["</table>", "</div>"]
            self.parts.append("\n".join(out))
        else:
            def esc(c):
                return c.replace("|", "\\|")

            lines = ["| " + " | ".join(esc(h) for h in header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
            self.parts.append("\n".join(lines) + "\n")

    def figure(self, filename: str, caption: str) -> None:
        if self.fmt == "html":
            self.parts.append(
                f'<figure><img src="{html.escape(filename)}" alt="{html.escape(caption)}">'
                f"<figcaption>{html.escape(caption)}</figcaption></figure>"
            )
        else:
            self.parts.append(f"![{caption}]({filename})\n\n*{caption}*\n")

    def note(self, text: str) -> None:
        if self.fmt == "html":
            self.parts.append(f'<p class="note">{html.escape(text)}</p>')
        else:
            self.parts.append(f"> {text}\n")

    def render(self, title: str) -> str:
        if self.fmt == "md":
            return "\n".join(self.parts) + "\n"
        style = (
            "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}"
            "table{border-collapse:collapse;font-size:13px;margin:0.5em 0}"
            "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
            "th{background:#f0f0f0}td:first-child,th:first-child{text-align:left}"
            ".wide{overflow-x:auto}pre{background:#f6f6f6;padding:0.8em;overflow-x:auto;font-size:12px}"
            "img{max-width:100%;border:1px solid #eee}figure{margin:1.5em 0}"
            "figcaption{font-size:13px;color:#555}.note{color:#a33;font-size:13px}"
            "summary{cursor:pointer;color:#236;font-size:13px}"
        )
        return (
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{style}</style></head><body>\n"
            + "\n".join(self.parts)
            + "\n</body></html>\n"
        )


def _best_rows(data: plots.RunData, top: int) -> tuple[np.ndarray, str]:
    chi2 = data.chi2()
    finite = np.isfinite(chi2) & data.finite()
    viable = data.viable() & finite
    pool, what = (viable, "viable rows") if viable.any() else (finite, "all rows (no viable row)")
    idx = np.flatnonzero(pool)
    if idx.size == 0:
        return idx, what
    k = min(top, idx.size)
    part = idx[np.argpartition(chi2[idx], k - 1)[:k]] if idx.size > k else idx
    return part[np.argsort(chi2[part], kind="stable")], what


def build_report(directory, out, *, fmt: str = "html", top: int = 10, corner_max: int = 10, dpi: int = 110) -> Path:
    """Write the report of ``directory`` into the directory ``out``; returns the index file's path."""
    if fmt not in FORMATS:
        raise UserError(f"format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    plots.require_matplotlib()
    data = plots.RunData(directory)
    data.require_rows()
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create {out}: {exc.strerror or exc}") from None

    summary = data.summary
    card = data.card
    doc = _Doc(fmt)
    title = f"flavorscan report: {data.path.name}"
    doc.h(1, title)
    if card.get("title"):
        doc.p(card["title"])
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    doc.p(f"Run: {data.path.resolve()}  ·  model: {data.model or 'unknown'}  ·  generated {now}")
    if data.note:
        doc.note(data.note)

    # -- provenance --------------------------------------------------------------------------------
    doc.h(2, "Provenance")
    prov = dict(summary.get("provenance") or {})
    keys = [k for k in PROVENANCE_KEYS if k in prov] + sorted(k for k in prov if k not in PROVENANCE_KEYS)
    rows = [[k, _fmt(prov[k])] for k in keys]
    rows.append(["card_hash", str(summary.get("card_hash", ""))])
    rows.append(["shards", _fmt(summary.get("shards") or [])])
    rows.append(["segments", _fmt(summary.get("segments"))])
    doc.table(["key", "value"], rows)
    for key, values in (summary.get("provenance_variants") or {}).items():
        doc.note(f"{key} differs between segments: {', '.join(map(str, values))}")
    doc.h(3, "Card (resolved)")
    card_text = compact_json(card) if card else "(no card recorded)"
    doc.pre(card_text, folded=f"show the resolved card ({card_text.count(chr(10)) + 1} lines)")

    # -- counts ------------------------------------------------------------------------------------
    doc.h(2, "Counts")
    planned = summary.get("planned_chunks")
    rows = [
        ["stored rows", _fmt(summary.get("rows"))],
        ["finished chunks", _fmt(summary.get("finished_chunks")) + (f" of {planned} planned" if planned else "")],
        ["complete", _fmt(summary.get("complete")) if summary.get("complete") is not None else "unknown"],
        ["viable stored rows", f"{_fmt(summary.get('viable_rows'))} ({_pct(summary.get('viable_fraction'))})"],
    ]
    counts = summary.get("counts") or {}
    points = counts.get("points")
    if points:
        rows.append(["points evaluated (per-chunk counts)", _fmt(points)])
        if "viable" in counts:
            rows.append(["viable among evaluated points", f"{counts['viable']} ({_pct(counts['viable'] / points)})"])
    if summary.get("duplicate_chunks"):
        rows.append(["chunks recorded twice (read once)", _fmt(summary["duplicate_chunks"])])
    if summary.get("tmp_files"):
        rows.append(["unfinished .tmp segments (ignored)", _fmt(summary["tmp_files"])])
    doc.table(["", "value"], rows)
    n_viable = int(np.count_nonzero(data.viable() & data.finite()))
    if n_viable == 0:
        never = [c for c in data.constraints if not np.any(np.asarray(data.get(f"pass_{c}"), bool))]
        why = f" No stored row passes {', '.join(never)}." if never else ""
        doc.note(f"No viable point: none of the {data.rows} stored rows passes every enabled constraint."
                 f"{why} The best-points table lists the lowest-χ² rows instead, and the figures of viable "
                 "points (e.g. the corner plot) are left out.")
    if summary.get("viable_fraction") == 1.0 and not points:
        doc.note("Every stored row is viable: this run probably keeps viable rows only, so fractions over "
                 "stored rows say nothing about how often constraints fail.")

    # -- pass fractions ------------------------------------------------------------------------------
    doc.h(2, "Pass fractions per constraint")
    limits = set(data.limit_constraints())
    pf = summary.get("pass_fractions") or {}
    rows = []
    for name in data.constraints:
        evaluated = counts.get(f"pass_{name}")
        rows.append([
            name,
            "limit" if name in limits else "χ²",
            _pct(pf.get(name)),
            _pct(evaluated / points) if (points and evaluated is not None) else "–",
        ])
    if rows:
        doc.table(["constraint", "kind", "stored rows", "all evaluated points"], rows)
        doc.p("Stored rows may be a selection (viable rows, best rows per chunk); the last column, from the "
              "per-chunk counts, covers every evaluated point where the run recorded it.")
    else:
        doc.note("No pass_<constraint> columns in this run.")

    # -- best points ---------------------------------------------------------------------------------
    doc.h(2, "Best points")
    if "chi2_total" in data.columns:
        best, what = _best_rows(data, top)
        if best.size:
            params = [p for p in data.parameters() if p in data.varying([p])]
            obs = [c for c in data.constraints if c in data.columns and c not in params]
            lines = ["point_id", "chi2_total", "viable"] + (["chunk"] if "chunk" in data.columns else [])
            header = ["column"] + [f"#{i + 1}" for i in range(best.size)]
            table = []
            for name in lines + params + obs:
                values = data.get(name)
                table.append([name] + [_fmt(values[i]) for i in best])
            doc.p(f"Lowest chi2_total among {what}: identifiers, the parameters that vary in the run, and "
                  "the observables of the enabled constraints.")
            doc.table(header, table, wide=True)
        else:
            doc.note("No row with a finite chi2_total.")
    else:
        doc.note("No chi2_total column in this run.")

    # -- figures -----------------------------------------------------------------------------------
    doc.h(2, "Figures")
    figures: list[tuple[str, str, str, object]] = []

    def add(filename, heading, caption, draw):
        figures.append((filename, heading, caption, draw))

    add("constraints.png", "Constraints", "Pass fraction per constraint and how often each is the first to fail (card order).",
        lambda p: plots.constraint_summary(data, p, dpi=dpi))
    for preset in data.presets.plots:
        add(f"{preset.name.replace('-', '_')}.png", preset.name, preset.report_caption or preset.description,
            lambda p, name=preset.name: plots.draw_preset(data, name, p, dpi=dpi))
    profile_cols = [c for c in data.presets.profile_columns if data.has(c)]
    profile_cols = data.varying(profile_cols) if profile_cols else []
    if profile_cols and "chi2_total" in data.columns:
        add("profiles.png", "Profile χ²", "1D profile χ²: min chi2_total per bin among rows passing every limit, relative to "
            f"the overall minimum (lines: Δχ² = 1, 4, the {' and '.join(map(cl_label, DEFAULT_CL))} levels of one "
            "parameter).", lambda p: plots.profiles(data, profile_cols, p, dpi=dpi))
    for x, y in data.presets.report_planes:
        if data.has(x) and data.has(y) and len(data.varying([x, y])) == 2:
            add(f"obs_{x}_{y}.png", f"{x} vs {y}", f"{x} against {y}, coloured by the first failing constraint; "
                "in red the measurements of the run's set: bands of ±1σ, ±2σ, or the 68.27 % and 95.45 % "
                "ellipses of two correlated measurements; hatched: excluded by a limit.",
                lambda p, x=x, y=y: plots.scatter(data, x, y, p, color="constraint", dpi=dpi))
    corner_info = {}

    def draw_corner(p):
        path, shown, left = plots.corner(data, p, max_params=corner_max, dpi=min(dpi, 100))
        corner_info["left"] = left
        return path

    add("corner.png", "Corner plot", "Corner plot of the viable points' parameters that vary (|z| for complex couplings). "
        "Point density reflects the scan's prior, not a posterior.", draw_corner)

    for filename, heading, caption, draw in figures:
        doc.h(3, heading)
        try:
            draw(out / filename)
        except UserError as exc:
            doc.note(f"{filename} skipped: {exc}")
            continue
        doc.figure(filename, caption)
        if filename == "corner.png" and corner_info.get("left"):
            doc.note(f"{len(corner_info['left'])} more varying parameters not shown (--corner-max): "
                     + ", ".join(corner_info["left"]))

    index = out / ("index.html" if fmt == "html" else "index.md")
    try:
        index.write_text(doc.render(title), encoding="utf-8")
        (out / "summary.json").write_text(json.dumps(dict(summary, card=card), indent=2) + "\n",
                                          encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {index}: {exc.strerror or exc}") from None
    return index
