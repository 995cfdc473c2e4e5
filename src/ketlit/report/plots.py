"""Report figures as SVG: a forest plot of extracted rates and publications per year.

Design decisions:
- **No pyplot.** Figures are built with the object API (``matplotlib.figure.Figure``), which
  needs no GUI backend and keeps no global figure registry, so a nightly run on a headless
  server never tries to open a display and never leaks figures. The only global state
  touched is rcParams, and only inside ``rc_context``.
- **Byte-identical output for identical data**, so a regenerated report does not show a
  changed figure when nothing changed: a fixed ``svg.hashsalt`` (element ids), no ``Date``
  in the metadata, text kept as ``<text>`` (``svg.fonttype = none``: no embedded glyphs
  that depend on the installed fonts), a fixed font family and sizes, and the same
  ordering as the Markdown tables (``derive.sorted_studies`` / ``derive.bucket_years``).
  Identity holds for one matplotlib version; a new version may move coordinates.
- **matplotlib is imported inside the drawing functions**, not at module top: ``jobs`` imports
  this module for every report run, and ``ketlit status``, ``search`` or ``export`` must not pay
  for loading matplotlib. The object API needs no backend selection (no ``matplotlib.use``).
- Source text in labels is drawn with math parsing off (a ``$`` in a title must not start
  mathtext) and matplotlib XML-escapes text in SVG, so labels cannot inject markup.
- Files are written atomically (temporary file + ``os.replace``) and only when the bytes
  changed, so ``kill -9`` never leaves half an SVG and unchanged figures keep their mtime.
  A figure the report no longer shows (its forest plot lost its studies, ``plots = false``) is
  deleted once the new report is in place (:func:`remove_figures`): left behind, it would sit
  beside the report out of date.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ketlit import files
from ketlit.errors import InputError
from ketlit.files import ensure_dir
from ketlit.report.derive import bucket_years, pooled_reason, sorted_studies, study_interval
from ketlit.report.model import ForestData, ReportData

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

_RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "ketlit",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",  # ships with matplotlib: same metrics on every machine
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 9.0,
    "xtick.labelsize": 8.0,
    "ytick.labelsize": 8.0,
    "text.usetex": False,
    "text.parse_math": False,
    "path.simplify": True,
}
_METADATA: dict[str, str | None] = {"Date": None, "Creator": "ketlit"}
BAR_COLOUR = "#4C72B0"
EARLIER_COLOUR = "#A0A0A0"
STUDY_COLOUR = "#333333"
POOLED_COLOUR = "#C44E52"
MAX_FOREST_STUDIES = 60


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib  # imported here so report modules load without it (see the module docstring)

    with matplotlib.rc_context(_RC):
        yield


def _svg_bytes(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata=_METADATA)
    return buffer.getvalue()


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace``; skip (return False)
    when the file already holds exactly these bytes. Failures are one-line InputErrors and leave
    the previous file whole (see :func:`ketlit.files.write_atomic`)."""
    ensure_dir(Path(path).parent, "report folder")
    return files.write_atomic(Path(path), data)


def publications_svg(counts: Mapping[int, int], *, years: int | None = None,
                     title: str = "Publications per year") -> bytes:
    """A bar chart of articles per publication year (``years``: the window as in the report)."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    earlier, rows = bucket_years(counts, years)
    labels = ([f"<{rows[0][0]}"] if earlier and rows else []) + [str(y) for y, _ in rows]
    values = ([earlier] if earlier and rows else []) + [n for _, n in rows]
    with _style():
        width = min(12.0, max(4.0, 0.28 * len(labels) + 1.5))
        fig = Figure(figsize=(width, 3.2))
        ax = fig.add_subplot()
        positions = list(range(len(values)))
        # The folded "earlier" bar is grey: it is a sum over years, not one year.
        colours = [EARLIER_COLOUR if earlier and i == 0 else BAR_COLOUR for i in positions]
        ax.bar(positions, values, color=colours, width=0.8)
        ax.set_title(title)
        ax.set_ylabel("Articles")
        # Label every year for short series, every fifth year otherwise, so labels never overlap.
        step = 1 if len(labels) <= 20 else 5
        shown = [i for i in positions if i % step == 0 or i == positions[-1]] if positions else []
        ax.set_xticks(shown, [labels[i] for i in shown], rotation=90 if step == 1 and len(labels) > 12 else 0)
        ax.spines[["top", "right"]].set_visible(False)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(-0.6, max(len(values), 1) - 0.4)
        fig.tight_layout()
        return _svg_bytes(fig)


def forest_svg(forest: ForestData, *, title: str | None = None) -> bytes:
    """A forest plot: each study's proportion with its 95% CI (marker area ∝ n) and the
    pooled estimate as a diamond, with its prediction interval when known."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Polygon

    studies = sorted_studies(forest.studies)[:MAX_FOREST_STUDIES]
    # No diamond for an estimate too thin to carry weight (the text beside the figure says why).
    pooled = forest.pooled if forest.pooled is not None and pooled_reason(forest.pooled) is None else None
    rows = len(studies) + (2 if pooled else 0)
    with _style():
        fig = Figure(figsize=(7.0, 1.2 + 0.28 * max(rows, 1)))
        ax = fig.add_subplot()
        biggest = max((s.total for s in studies), default=1) or 1
        labels: list[str] = []
        for i, study in enumerate(studies):
            y = rows - 1 - i
            lo, hi = study_interval(study)
            p = study.events / study.total if study.total else 0.0
            ax.plot([lo, hi], [y, y], color=STUDY_COLOUR, linewidth=1.0)
            ax.scatter([p], [y], s=12 + 60 * study.total / biggest, marker="s", color=STUDY_COLOUR, zorder=3)
            label = study.label if len(study.label) <= 40 else study.label[:39] + "…"
            labels.append(f"{label} ({study.events}/{study.total})")
        ticks = [rows - 1 - i for i in range(len(studies))]
        if pooled:
            # The pooled row sits at y = 0, one blank row below the last study.
            if pooled.pi_low is not None and pooled.pi_high is not None:
                ax.plot([pooled.pi_low, pooled.pi_high], [0, 0], color=POOLED_COLOUR, linewidth=1.0,
                        linestyle=(0, (2, 2)))
            ax.add_patch(Polygon(
                [(pooled.ci_low, 0), (pooled.estimate, 0.3), (pooled.ci_high, 0), (pooled.estimate, -0.3)],
                closed=True, color=POOLED_COLOUR, zorder=3,
            ))
            ax.axvline(pooled.estimate, color=POOLED_COLOUR, linewidth=0.6, linestyle=":")
            ticks.append(0)
            labels.append(f"Pooled (k = {pooled.k}, N = {pooled.n:,})")
        if forest.reference is not None:
            ax.axvline(forest.reference, color="#777777", linewidth=0.8, linestyle="--")
            ax.text(forest.reference, rows - 0.4, forest.reference_label or "claimed", fontsize=7.0,
                    ha="center", va="bottom", color="#555555")
        ax.set_yticks(ticks, labels)
        ax.set_ylim(-0.8, rows - 0.2 + (0.5 if forest.reference is not None else 0))
        ax.set_xlim(0.0, 1.0)
        ax.set_xticks([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], ["0%", "20%", "40%", "60%", "80%", "100%"])
        what = forest.outcome.replace("_", " ")
        ax.set_xlabel(f"{what} rate (95% CI)" + (f", {forest.timepoint}" if forest.timepoint else ""))
        ax.set_title(title or f"Extracted {what} rates")
        ax.spines[["top", "right", "left"]].set_visible(False)
        ax.tick_params(axis="y", length=0)
        fig.tight_layout()
        return _svg_bytes(fig)


def plot_publications(counts: Mapping[int, int], path: Path, *, years: int | None = None) -> Path:
    """Write the publications-per-year SVG to ``path``; return ``path``."""
    write_atomic(path, publications_svg(counts, years=years))
    return path


def plot_forest(forest: ForestData, path: Path) -> Path:
    """Write the forest-plot SVG to ``path``; return ``path``."""
    write_atomic(path, forest_svg(forest))
    return path


def figure_svgs(data: ReportData) -> dict[str, bytes]:
    """The report's figures as SVG bytes, ``{"publications_per_year" | "forest": svg}``: for the
    HTML report, which embeds them, and for :func:`write_figures`. None when the query file says
    ``plots = false`` or a figure has no data."""
    out: dict[str, bytes] = {}
    if not data.query.report.plots:
        return out
    if any(n > 0 for n in data.publications_per_year.values()):
        out["publications_per_year"] = publications_svg(data.publications_per_year, years=data.query.report.years)
    if data.forest is not None and data.forest.studies:
        out["forest"] = forest_svg(data.forest)
    return out


def figure_files(stem: str) -> dict[str, str]:
    """The file name of each figure the Markdown report ``<stem>.md`` can show, by figure."""
    return {"publications_per_year": f"{stem}-publications.svg", "forest": f"{stem}-forest.svg"}


def remove_figures(out_dir: Path, stem: str, keep: Mapping[str, str]) -> None:
    """Delete the figures of ``<stem>.md`` that it no longer shows (``keep``: what :func:`write_figures`
    returned). A forest plot whose studies left the query, or every figure after ``plots = false``, would
    otherwise stay beside the report, out of date; the caller removes them once the report is in place."""
    for name in sorted(set(figure_files(stem).values()) - set(keep.values())):
        path = Path(out_dir) / name
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise InputError(f"cannot remove {path} (a figure the report no longer shows): "
                             f"{exc.strerror or exc}") from None


def write_figures(data: ReportData, out_dir: Path, stem: str | None = None) -> dict[str, str]:
    """Draw the report's figures into ``out_dir`` (beside ``<stem>.md``) and return
    ``{"publications_per_year" | "forest": path relative to out_dir}`` for ``ReportData.figures``.

    Nothing is drawn when the query file says ``plots = false`` or a figure has no data."""
    names = figure_files(stem or data.query.name)
    out: dict[str, str] = {}
    for key, svg in figure_svgs(data).items():
        write_atomic(Path(out_dir) / names[key], svg)
        out[key] = names[key]
    return out


__all__ = ["figure_files", "figure_svgs", "forest_svg", "plot_forest", "plot_publications", "publications_svg",
           "remove_figures", "write_atomic", "write_figures"]
