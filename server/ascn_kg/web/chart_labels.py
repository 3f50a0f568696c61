"""Chart labels that never overlap: text metrics, wrapping by words, and a label placer.

The server draws its charts as SVG without script, so it must know how wide a text will
be. The charts ask for DejaVu Sans, then Verdana (two of the widest common sans-serif
faces, with nearly the same metrics), then a CJK face for Korean; widths here are DejaVu
Sans's advance widths (measured in Chromium, rounded up to 1/50 em), Hangul at 1 em, and
the box a text occupies is what ``getBBox()`` reports for DejaVu Sans (0.93 em above the
baseline, 0.24 em below). Slightly generous, so that a real text fits inside its box.

:func:`place` puts every label (point labels, threshold labels, quadrant titles) in one of
its candidate places so that no two labels overlap, no label covers a point or is crossed
by a threshold line, and leader lines do not cross labels: greedily, most crowded first,
then improved one label at a time until nothing changes. A point label takes a place next
to its point when one is free, else a place further out joined to the point by a leader.
"""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

FONT_FAMILY = "'DejaVu Sans', Verdana, 'Noto Sans CJK KR', 'Malgun Gothic', sans-serif"
ASCENT, DESCENT = 0.95, 0.26  # em above and below the baseline (getBBox: 0.93 and 0.24)
LINE_HEIGHT = 1.25  # em between the baselines of a wrapped text
WIDE = 1.0  # em of a wide (Hangul, CJK) character
OTHER = 0.7  # em of any other character the tables lack
_REGULAR = {
    "'ijl": 0.28, "IJ": 0.30, " ,.·’": 0.32, "/:;\\|": 0.34, "f": 0.36, "-": 0.38, "()[]rt": 0.40, "!²": 0.42,
    '"': 0.46, "*_`–": 0.50, "?csz": 0.54, "Lo": 0.56, "Feké": 0.58, "vxy": 0.60, "PTYa": 0.62,
    "$0123456789ESbdghnpqu{}É": 0.64, "K": 0.66, "ABCRVXZ": 0.70, "U": 0.74, "HN": 0.76, "&DG": 0.78,
    "OQ": 0.80, "w": 0.82, "#+<=>^~×": 0.84, "M": 0.88, "%": 0.96, "m": 0.98, "@W—": 1.00,
}
_BOLD = {
    "'": 0.32, " ijl": 0.36, ",./IJ\\|·’": 0.38, ":;": 0.40, "-": 0.42, "f²": 0.44, "!()[]": 0.46, "t": 0.48,
    "_`r–": 0.50, '"*': 0.54, "?": 0.58, "csz": 0.60, "L": 0.64, "vxy": 0.66, "aeké": 0.68,
    "$0123456789EFToÉ": 0.70, "bdghnpqu{}": 0.72, "CPSYZ": 0.74, "ABKRVX": 0.78, "U": 0.82,
    "#+<=>DGHN^~×": 0.84, "OQ": 0.86, "&": 0.88, "w": 0.94, "@M—": 1.00, "%": 1.02, "m": 1.06, "W": 1.12,
}
WIDTHS = {bold: {c: w for chars, w in table.items() for c in chars} for bold, table in ((False, _REGULAR),
                                                                                          (True, _BOLD))}
GAP = 2.0  # the least space between two labels, or a label and a point
# What a place costs: overlaps are never chosen while a clean place exists.
OVERLAP, COVERS_POINT, CROSSED_BY_LINE, LEADER_CROSSES_LABEL, LEADER_CROSSES_POINT = 1e5, 3e4, 2e4, 2e4, 500.0
LEADERS_CROSS = 3000.0
# A label nearer to another point than to its own reads as that point's label.
AMBIGUOUS, AMBIGUOUS_WITH_LEADER = 800.0, 400.0


def char_width(char: str, bold: bool = False) -> float:
    """The advance width of one character, in em."""
    known = WIDTHS[bold].get(char)
    if known is not None:
        return known
    return WIDE if unicodedata.east_asian_width(char) in "WF" else OTHER


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of ``text`` at ``size`` px (a little generous)."""
    return size * sum(char_width(c, bold) for c in text) * 1.02 + 1.0


def wrap_words(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """``text`` in lines no wider than ``width``, broken only between words (never inside one,
    Korean included); a single word wider than ``width`` keeps a line of its own."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", size, bold) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle (SVG user units, y downwards)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box, gap: float = 0.0) -> bool:
        return (self.x0 < other.x1 + gap and other.x0 < self.x1 + gap
                and self.y0 < other.y1 + gap and other.y0 < self.y1 + gap)

    def within(self, outer: Box) -> bool:
        return outer.x0 <= self.x0 and self.x1 <= outer.x1 and outer.y0 <= self.y0 and self.y1 <= outer.y1

    def nearest(self, x: float, y: float) -> tuple[float, float]:
        """The point of the box nearest to (x, y)."""
        return min(max(x, self.x0), self.x1), min(max(y, self.y0), self.y1)

    def crossed_by(self, segment: Segment) -> bool:
        """Whether a segment passes through the box (Liang–Barsky clipping)."""
        (ax, ay), (bx, by) = segment
        dx, dy = bx - ax, by - ay
        low, high = 0.0, 1.0
        for p, q in ((-dx, ax - self.x0), (dx, self.x1 - ax), (-dy, ay - self.y0), (dy, self.y1 - ay)):
            if p == 0:
                if q < 0:
                    return False
                continue
            t = q / p
            if p < 0:
                low = max(low, t)
            else:
                high = min(high, t)
            if low > high:
                return False
        return True


Segment = tuple[tuple[float, float], tuple[float, float]]


def block_box(x: float, baseline: float, lines: Sequence[str], size: float, bold: bool = False,
              anchor: str = "start") -> Box:
    """The box of a text of ``lines`` whose first baseline is at (x, baseline)."""
    width = max(text_width(line, size, bold) for line in lines)
    x0 = x - width if anchor == "end" else x - width / 2 if anchor == "middle" else x
    return Box(x0, baseline - ASCENT * size, x0 + width, baseline + (len(lines) - 1) * LINE_HEIGHT * size
               + DESCENT * size)


@dataclass(frozen=True)
class Candidate:
    """A place for a label: its box, a leader line to its point (or None), and a small cost."""

    box: Box
    leader: Segment | None = None
    cost: float = 0.0


@dataclass
class Label:
    """Something to place: its text lines, size, weight, and the places it may take."""

    key: str
    lines: list[str]
    size: float
    candidates: list[Candidate]
    bold: bool = False
    point: tuple[float, float, float] | None = None  # the labelled point (x, y, radius)
    chosen: Candidate | None = field(default=None, repr=False)

    @property
    def x(self) -> float:
        """Where the text starts (text-anchor start)."""
        assert self.chosen is not None
        return round(self.chosen.box.x0, 1)

    @property
    def baselines(self) -> list[float]:
        assert self.chosen is not None
        first = self.chosen.box.y0 + ASCENT * self.size
        return [round(first + i * LINE_HEIGHT * self.size, 1) for i in range(len(self.lines))]

    def size_box(self) -> tuple[float, float]:
        width = max(text_width(line, self.size, self.bold) for line in self.lines)
        height = (ASCENT + DESCENT + (len(self.lines) - 1) * LINE_HEIGHT) * self.size
        return width, height


def around_point(label: Label, frame: Box) -> list[Candidate]:
    """Places next to the label's point (right first), then further out with a leader line."""
    assert label.point is not None
    x, y, r = label.point
    w, h = label.size_box()
    gap = r + 2
    d = gap * 0.7
    near = [  # (x0, y0, cost): right, left, the diagonals, above, below
        (x + gap, y - h / 2, 0.0), (x - gap - w, y - h / 2, 0.5),
        (x + d, y - d - h, 1.0), (x + d, y + d, 1.0), (x - d - w, y - d - h, 1.5), (x - d - w, y + d, 1.5),
        (x - w / 2, y - gap - h, 2.0), (x - w / 2, y + gap, 2.0),
    ]
    for shift in (-0.4, 0.4, -0.8, 0.8):  # beside the point, a little higher or lower
        near += [(x + gap, y - h / 2 + shift * h, 0.4 + abs(shift)),
                 (x - gap - w, y - h / 2 + shift * h, 0.9 + abs(shift))]
    out = [Candidate(Box(x0, y0, x0 + w, y0 + h), None, cost) for x0, y0, cost in near]
    for distance in (10, 18, 28, 40, 54, 70, 88):
        for step in range(16):
            angle = math.tau * step / 16
            dx, dy = math.cos(angle), math.sin(angle)
            cx = x + dx * (r + distance) + dx * w / 2
            cy = y + dy * (r + distance) + dy * h / 2
            box = Box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
            tx, ty = box.nearest(x, y)
            length = math.hypot(tx - x, ty - y) or 1.0
            start = (x + (tx - x) / length * r, y + (ty - y) / length * r)
            out.append(Candidate(box, (start, (tx, ty)), 6.0 + distance * 1.2 + (0.5 if dx < 0 else 0.0)))
    return [c for c in out if c.box.within(frame)]


def fixed_places(label: Label, starts: Iterable[tuple[float, float, float]], frame: Box) -> list[Candidate]:
    """Places given by their top-left corners (x0, y0, cost), kept inside ``frame``."""
    w, h = label.size_box()
    boxes = (Candidate(Box(x0, y0, x0 + w, y0 + h), None, cost) for x0, y0, cost in starts)
    return [c for c in boxes if c.box.within(frame)]


def place(labels: list[Label], points: Sequence[tuple[float, float, float]], lines: Sequence[Segment],
          rounds: int = 25) -> list[Label]:
    """Choose a candidate for every label (see the module's docstring); labels without any
    candidate raise ValueError. Returns the labels, each with ``chosen`` set."""
    for label in labels:
        if not label.candidates:
            raise ValueError(f"no room for the label {label.key!r}")
    dots = [(Box(x - r, y - r, x + r, y + r), (x, y, r)) for x, y, r in points]
    alone = {id(label): [c.cost + static_cost(label, c, dots, lines) for c in label.candidates]
             for label in labels}

    def crowd(label: Label) -> int:
        if label.point is None:
            return 10_000  # titles and threshold labels first: they have few places
        x, y, _ = label.point
        return sum(1 for px, py, _ in points if math.hypot(px - x, py - y) < 40)

    order = sorted(labels, key=lambda lab: (-crowd(lab), lab.key))
    placed: list[Label] = []
    for label in order:
        label.chosen = best(label, alone[id(label)], placed)
        placed.append(label)
    descend(order, alone, rounds)
    if any(conflict(label, alone, order) >= HARD for label in order):
        anneal(order, alone)  # one label at a time got stuck: let several move together
        descend(order, alone, rounds)
    return labels


HARD = 1e4  # a cost this high means two things overlap, or a line crosses a text


def descend(order: list[Label], alone: dict[int, list[float]], rounds: int) -> None:
    """Move each label to its best place given the others, until nothing moves."""
    for _ in range(rounds):
        changed = False
        for label in order:
            others = [other for other in order if other is not label]
            choice = best(label, alone[id(label)], others)
            if choice is not label.chosen:
                label.chosen, changed = choice, True
        if not changed:
            return


def conflict(label: Label, alone: dict[int, list[float]], order: list[Label]) -> float:
    """What the label's current place costs, the others staying where they are."""
    assert label.chosen is not None
    index = next(i for i, c in enumerate(label.candidates) if c is label.chosen)
    return alone[id(label)][index] + pair_cost(label.chosen, [o.chosen for o in order if o is not label])


def anneal(order: list[Label], alone: dict[int, list[float]], steps: int = 6000, seed: int = 20180708) -> None:
    """Simulated annealing over the places of all labels (seeded: the same chart every time);
    keeps the cheapest arrangement it met."""
    rng = random.Random(seed)
    current = {id(lab): next(i for i, c in enumerate(lab.candidates) if c is lab.chosen) for lab in order}
    energy = sum(conflict(lab, alone, order) for lab in order)
    lowest, kept = energy, dict(current)
    temperature = 2e4
    cooling = (1.0 / temperature) ** (1 / steps)
    for _ in range(steps):
        label = order[rng.randrange(len(order))]
        choice = rng.randrange(len(label.candidates))
        others = [o.chosen for o in order if o is not label]
        old, new = label.chosen, label.candidates[choice]
        delta = (alone[id(label)][choice] - alone[id(label)][current[id(label)]]
                 + pair_cost(new, others) - pair_cost(old, others))
        if delta < 0 or rng.random() < math.exp(-delta / temperature):
            label.chosen, current[id(label)] = new, choice
            energy += delta
            if energy < lowest:
                lowest, kept = energy, dict(current)
        temperature *= cooling
    for label in order:
        label.chosen = label.candidates[kept[id(label)]]


def pair_cost(candidate: Candidate | None, others: list[Candidate | None]) -> float:
    """What a place costs against the places the others hold (overlaps, crossing leaders)."""
    cost = 0.0
    if candidate is None:
        return cost
    for other in others:
        if other is None:
            continue
        if candidate.box.overlaps(other.box, GAP):
            cost += OVERLAP
        if candidate.leader is not None and other.box.crossed_by(candidate.leader):
            cost += LEADER_CROSSES_LABEL
        if other.leader is not None and candidate.box.crossed_by(other.leader):
            cost += LEADER_CROSSES_LABEL
        if candidate.leader is not None and other.leader is not None and cross(candidate.leader, other.leader):
            cost += LEADERS_CROSS
    return cost


def static_cost(label: Label, candidate: Candidate, dots: list[tuple[Box, tuple[float, float, float]]],
                lines: Sequence[Segment]) -> float:
    """What a place costs whatever the other labels do: points covered, lines crossing it."""
    cost = 0.0
    own = distance(candidate.box, label.point) if label.point is not None else math.inf
    for box, dot in dots:
        if dot == label.point:
            continue
        if candidate.box.overlaps(box, GAP):
            cost += COVERS_POINT
        if candidate.leader is not None and box.crossed_by(candidate.leader):
            cost += LEADER_CROSSES_POINT
        if label.point is not None and distance(candidate.box, dot) + 1 < own:
            cost += AMBIGUOUS if candidate.leader is None else AMBIGUOUS_WITH_LEADER
    for line in lines:
        if candidate.box.crossed_by(line):
            cost += CROSSED_BY_LINE
    return cost


def cross(a: Segment, b: Segment) -> bool:
    """Whether two segments cross (touching ends do not count)."""
    (ax, ay), (bx, by) = a
    (cx, cy), (dx, dy) = b

    def side(px: float, py: float, qx: float, qy: float, rx: float, ry: float) -> float:
        return (qx - px) * (ry - py) - (qy - py) * (rx - px)

    return (side(ax, ay, bx, by, cx, cy) * side(ax, ay, bx, by, dx, dy) < 0
            and side(cx, cy, dx, dy, ax, ay) * side(cx, cy, dx, dy, bx, by) < 0)


def distance(box: Box, point: tuple[float, float, float]) -> float:
    """From the edge of a point's circle to a box (0 when they touch)."""
    x, y, r = point
    nx, ny = box.nearest(x, y)
    return max(0.0, math.hypot(nx - x, ny - y) - r)


def best(label: Label, alone: list[float], others: list[Label]) -> Candidate:
    """The cheapest candidate of ``label`` given the places the ``others`` hold."""
    chosen, lowest = label.candidates[0], math.inf
    taken = [other.chosen for other in others if other.chosen is not None]
    for candidate, cost in zip(label.candidates, alone, strict=True):
        if cost >= lowest:
            continue
        cost += pair_cost(candidate, taken)
        if cost < lowest:
            chosen, lowest = candidate, cost
    return chosen
