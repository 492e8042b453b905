"""Horizontal bar charts as geometry for the inline SVG macro: no script, no charting library."""

from dataclasses import dataclass

WIDTH = 400
LABEL_WIDTH = 120
VALUE_WIDTH = 50
ROW_HEIGHT = 26
BAR_HEIGHT = 18


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    y: int
    width: float


@dataclass(frozen=True, slots=True)
class BarChart:
    """`summary` is the text alternative: every bar's label and value in one sentence."""

    title: str
    unit: str
    bars: list[Bar]
    height: int
    summary: str
    label_width: int = LABEL_WIDTH
    bar_x: int = LABEL_WIDTH + 8
    width: int = WIDTH


def bar_chart(title: str, unit: str, values: list[tuple[str, int]]) -> BarChart:
    span = WIDTH - LABEL_WIDTH - 8 - VALUE_WIDTH
    top = max((value for _, value in values), default=0)
    bars = [
        Bar(
            label=label,
            value=value,
            y=index * ROW_HEIGHT,
            # A non-zero value keeps a sliver, so it never reads as zero.
            width=max(2.0, span * value / top) if value and top else 0.0,
        )
        for index, (label, value) in enumerate(values)
    ]
    described = "; ".join(f"{label}: {value:,} {unit}" for label, value in values)
    summary = f"{title}. {described}." if values else f"{title}: nothing to show yet."
    return BarChart(title, unit, bars, max(ROW_HEIGHT, len(bars) * ROW_HEIGHT), summary)
