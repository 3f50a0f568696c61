"""The label placer and the typology chart's layouts, measured on the server's own boxes
(the browser test measures the drawn texts with getBBox())."""

from __future__ import annotations

import itertools
import math

import pytest
from flask import Flask

from ascn_kg.web.chart_labels import Box, Label, around_point, block_box, place, text_width, wrap_words
from ascn_kg.web.charts import NARROW, WIDE, layout_chart

CITIES = 26


def test_words_wrap_between_words_only_in_both_languages() -> None:
    assert wrap_words("Low-density city in a developed economy", 10.5, 90, bold=True) == \
        ["Low-density", "city in a", "developed", "economy"]
    assert wrap_words("인구밀도가 낮은 선진국형 도시", 10.5, 90, bold=True) == ["인구밀도가 낮은", "선진국형 도시"]
    assert wrap_words("반다르세리베가완", 10, 40) == ["반다르세리베가완"]  # one word stays whole, even if wide
    assert wrap_words("Bandar Seri Begawan", 10, 80) == ["Bandar Seri", "Begawan"]


def test_text_widths_follow_the_font_and_count_hangul_wide() -> None:
    # generous, not wasteful: Chromium draws these (DejaVu Sans, Noto Sans CJK) 689.7 and 552 wide
    assert 689.7 <= text_width("Kuala Lumpur", 100) <= 689.7 * 1.06
    assert 552 <= text_width("쿠알라룸푸르", 100) <= 552 * 1.12
    assert text_width("Manila", 11, bold=True) > text_width("Manila", 11)


def test_a_crowded_column_gets_distinct_labels_joined_by_leaders() -> None:
    frame = Box(0, 0, 300, 300)
    points = [(150.0, 140.0 + 3 * i, 6.0) for i in range(6)]  # six points almost on one another
    labels = []
    for i, point in enumerate(points):
        label = Label(f"p{i}", [f"City number {i}"], 10, [], point=point)
        label.candidates = around_point(label, frame)
        labels.append(label)
    place(labels, points, [((0.0, 150.0), (300.0, 150.0))])
    boxes = [label.chosen.box for label in labels]
    assert all(box.within(frame) for box in boxes)
    assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))
    assert not any(box.crossed_by(((0.0, 150.0), (300.0, 150.0))) for box in boxes)
    assert sum(label.chosen.leader is not None for label in labels) >= 2
    for label in labels:
        if label.chosen.leader is not None:
            (sx, sy), (ex, ey) = label.chosen.leader
            px, py, r = label.point
            assert math.hypot(sx - px, sy - py) == pytest.approx(r, abs=0.01)  # from the point's edge
            assert label.chosen.box.nearest(ex, ey) == pytest.approx((ex, ey))  # to the label's edge


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("layout", [WIDE, NARROW], ids=["wide", "narrow"])
def test_no_two_texts_of_the_chart_overlap(app: Flask, lang: str, layout) -> None:
    with app.test_request_context(f"/typology?lang={lang}"):
        chart = layout_chart(lang, layout)
    plot = Box(chart["left"], chart["top"], chart["right"], chart["bottom"])
    boxes = {f"city {p['name']}": p["label"].chosen.box for p in chart["points"]}
    boxes |= {f"quadrant {q['text']}": q["label"].chosen.box for q in chart["quadrants"]}
    boxes |= {f"threshold {lab.lines[0]}": lab.chosen.box for lab in (chart["x_label"], chart["y_label"])}
    size = layout.tick
    boxes |= {f"x tick {text}": block_box(x, chart["x_tick_baseline"], [text], size, anchor=anchor)
              for x, text, _, anchor in chart["xticks"]}
    boxes |= {f"y tick {text}": block_box(chart["left"] - 6, y + size * 0.35, [text], size, anchor="end")
              for y, text, _, _ in chart["yticks"]}
    assert len(chart["points"]) == CITIES and all(p["label"].lines and p["label"].lines[0] for p in chart["points"])
    clashes = [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes.items(), 2) if box_a.overlaps(box_b)]
    assert clashes == []
    assert all(box.within(Box(0, 0, layout.w, layout.h)) for box in boxes.values())
    lines = [((chart["xc"], plot.y0), (chart["xc"], plot.y1)), ((plot.x0, chart["yc"]), (plot.x1, chart["yc"]))]
    crossed = [key for key, box in boxes.items() if any(box.crossed_by(line) for line in lines)]
    assert crossed == []
    r = layout.radius
    dots = {f"city {p['name']}": Box(p["x"] - r, p["y"] - r, p["x"] + r, p["y"] + r) for p in chart["points"]}
    covering = [(key, city) for key, box in boxes.items() for city, dot in dots.items()
                if key != city and box.overlaps(dot)]
    assert covering == []


def test_the_layouts_are_the_same_every_time(app: Flask) -> None:
    with app.test_request_context("/typology"):
        first = layout_chart("en", NARROW)
        second = layout_chart("en", NARROW)
    assert [p["label"].chosen for p in first["points"]] == [p["label"].chosen for p in second["points"]]
