"""Server-side SVG charts: accessible (role, title, desc with every value), escaped, bounded."""
from __future__ import annotations

from bilans.assessments import charts


def test_radar_has_one_point_per_axis_and_a_text_alternative():
    svg = charts.radar([("Réaliste", 100), ("Investigateur", 75), ("Artistique", 0), ("Social", 50), ("Entreprenant", 25), ("Conventionnel", None)], title="Profil RIASEC")
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-label="Profil RIASEC"' in svg
    assert svg.count("<circle") == 6 and svg.count("<text") == 6
    assert "<desc>Réaliste : 100 sur 100; Investigateur : 75 sur 100; Artistique : 0 sur 100; Social : 50 sur 100; " in svg
    assert "Conventionnel : — sur 100</desc>" in svg


def test_values_are_clamped_and_labels_escaped():
    svg = charts.radar([("<b>A</b>", 150), ("B", -10), ("C", 50)], title="T & U", maximum=100)
    assert "<b>" not in svg and "&lt;b&gt;A&lt;/b&gt;" in svg and "T &amp; U" in svg
    first_ring = charts.radar([("A", 100), ("B", 100), ("C", 100)], title="x")
    assert svg.count("<polygon") == first_ring.count("<polygon") == 5  # 4 rings + the shape


def test_bars_write_each_value_and_fall_back_for_two_axes():
    svg = charts.bars([("Réussite", 90), ("Autonomie", 87.5)], title="Valeurs")
    assert svg.count('<rect') == 4 and ">90</text>" in svg and ">87.5</text>" in svg
    assert charts.radar([("A", 1), ("B", 2)], title="Deux").count("<rect") == 4  # a radar needs 3 axes
