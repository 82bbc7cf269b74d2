"""The statement's charts, as SVG text drawn with matplotlib (Agg backend, no display).

They are printed on a notice board by a black-and-white laser printer, so no figure depends
on colour: bars are white or light grey with distinct hatching (lines, not dots: dot hatches
make the SVG ten times larger), and each bar is labelled with its amount. Text stays text
(``svg.fonttype = none``), in Noto Sans CJK with the reader's sans-serif as fallback, which
keeps a chart near 15 KB for phones; WeasyPrint draws it with the embedded Noto fonts. The
output is deterministic (fixed hash salt, no date), so the same period gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib import pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

#: Hatches that stay distinct on a monochrome print, in series order.
HATCHES = ("///", "---", "xxx", "\\\\\\", "|||", "+++")
FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "DejaVu Sans"]

_STYLE: dict[RcKeyType, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": FONTS,
    "font.size": 9,
    "svg.fonttype": "none",
    "svg.hashsalt": "commons-ledger",
    "axes.unicode_minus": False,
    "hatch.linewidth": 0.6,
    "axes.edgecolor": "black",
    "axes.labelcolor": "black",
    "xtick.color": "black",
    "ytick.color": "black",
    "text.color": "black",
}


def _know_cjk_fonts() -> None:
    """Make sure matplotlib knows the CJK fonts installed on this system. It keeps a list of
    the system's fonts in a cache (``~/.cache/matplotlib``) that it never refreshes: on a
    machine whose fonts-noto-cjk came after the first chart, every Chinese label would be laid
    out in DejaVu Sans (with a warning per missing glyph). Adds the system's Noto CJK files
    when none of them is known; costs one look at the font list otherwise."""
    known = {font.name for font in font_manager.fontManager.ttflist}
    if known & set(FONTS[:-1]):
        return
    for path in font_manager.findSystemFonts():  # ttf, otf and ttc
        if "CJK" in path and "Sans" in path:
            font_manager.fontManager.addfont(path)


_know_cjk_fonts()


def _yuan(value: float, _pos: object = None) -> str:
    return f"¥{value:,.0f}"


def _svg(fig: Figure) -> str:
    out = io.StringIO()
    fig.savefig(out, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)
    return out.getvalue()


def by_type(*, items: Sequence[tuple[str, Decimal]], title: str, hatch: str = "///") -> str:
    """A horizontal bar chart of amounts by type (income or uses), each bar labelled."""
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(
            figsize=(4.8, 0.45 + 0.32 * max(len(items), 1)), layout="constrained"
        )
        labels = [label for label, _ in items][::-1]
        values = [float(amount) for _, amount in items][::-1]
        bars = ax.barh(labels, values, color="white", edgecolor="black", hatch=hatch)
        ax.bar_label(bars, labels=[_yuan(v) for v in values], padding=3, fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.xaxis.set_major_formatter(FuncFormatter(_yuan))
        ax.tick_params(axis="x", labelsize=7)
        top = max(values, default=0.0)
        ax.set_xlim(0, top * 1.4 if top > 0 else 1)
        ax.spines[["top", "right"]].set_visible(False)
        return _svg(fig)


def quarters(
    *,
    periods: Sequence[str],
    series: Sequence[tuple[str, Sequence[Decimal]]],
    title: str,
) -> str:
    """Grouped bars: each series (income, costs, uses) for each of the last quarters."""
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(4.8, 2.8), layout="constrained")
        count = len(series)
        width = 0.8 / max(count, 1)
        for index, (name, values) in enumerate(series):
            xs = [p + (index - (count - 1) / 2) * width for p in range(len(periods))]
            ax.bar(
                xs,
                [float(v) for v in values],
                width,
                label=name,
                color="white" if index % 2 == 0 else "#d9d9d9",
                edgecolor="black",
                hatch=HATCHES[index % len(HATCHES)],
            )
        ax.set_xticks(range(len(periods)), list(periods))
        ax.yaxis.set_major_formatter(FuncFormatter(_yuan))
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(title, fontsize=10)
        ax.legend(frameon=False, fontsize=8, ncols=count, loc="upper left")
        ax.tick_params(axis="x", labelsize=8)
        ax.margins(y=0.25)
        ax.spines[["top", "right"]].set_visible(False)
        return _svg(fig)
