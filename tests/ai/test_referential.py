"""ROME 4.0 import: counts, idempotence, newer version replacing the older, known content."""
from __future__ import annotations

import csv
import gzip
import io
import shutil

import pytest

from ai import models as m
from ai.referential import DATA_ROOT, rome_counts, rome_import
from config.errors import Conflict


def test_import_twice_gives_the_same_counts(rome):
    before = rome_counts()
    assert before["occupation"] == 1584
    assert before["jobtitle"] == 13120
    assert before["skill"] == 18317
    assert before["occupationskill"] > 50000
    assert before["mobility"] > 14000
    again = rome_import()
    assert again.changed is False
    assert rome_counts() == before
    forced = rome_import(force=True)
    assert forced.changed is True
    assert rome_counts() == before
    assert m.RomeVersion.objects.get().version == 460


def test_known_occupation_has_its_competences_and_riasec(rome):
    dev = m.Occupation.objects.get(code_rome="M1805")
    assert dev.label == "Développeur / Développeuse informatique"
    assert (dev.riasec_major, dev.riasec_minor) == ("I", "C")
    assert dev.executive is True
    assert dev.domain_id == "M18" and dev.domain.grand_domain_id == "M"
    skills = set(dev.skill_links.values_list("skill__label", flat=True))
    assert {"Coder", "Concevoir une application web", "Analyser les besoins informatiques"} <= skills
    assert dev.skill_links.filter(category="savoir_etre", skill__label="Faire preuve d'autonomie").exists()
    assert "Analyste développeur / Analyste développeuse" in set(dev.job_titles.values_list("label", flat=True))
    assert list(dev.mobilities.order_by("rank").values_list("target_id", flat=True)[:2]) == ["M1802", "M1803"]
    assert dev.definition and dev.sector_links.filter(principal=True).count() == 1


def _write_gz(path, rows, header):
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(buffer.getvalue())


def test_newer_version_replaces_the_older_in_one_go_and_older_is_refused(rome, tmp_path):
    source = DATA_ROOT / "rome-v460"
    target = tmp_path / "rome-v461"
    target.mkdir()
    for path in source.glob("*.csv.gz"):
        shutil.copy(path, target / path.name.replace("v460", "v461"))
    # v461 renames M1805 and drops M1809 (its links are filtered out by the import).
    name = "unix_referentiel_code_rome_v461_utf8.csv.gz"
    with gzip.open(target / name, "rt", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [row for row in reader if row[0] != "M1809"]
    for row in rows:
        if row[0] == "M1805":
            row[3] = "Développeur / Développeuse logiciel"
    _write_gz(target / name, rows, header)

    report = rome_import(directory=target)
    assert report.changed and report.version == 461
    assert m.RomeVersion.objects.get().version == 461
    assert m.Occupation.objects.count() == 1583
    assert m.Occupation.objects.get(code_rome="M1805").label == "Développeur / Développeuse logiciel"
    assert not m.JobTitle.objects.filter(occupation_id="M1809").exists()
    assert rome_import(directory=target).changed is False
    with pytest.raises(Conflict):
        rome_import(directory=source)


def test_command_is_a_no_op_when_loaded_and_on_first_start(rome):
    from django.core.management import call_command

    out = io.StringIO()
    call_command("import_rome", if_empty=True, stdout=out)  # what `make run` does on every start
    assert out.getvalue() == ""
    call_command("import_rome", stdout=out)
    assert "déjà à jour" in out.getvalue()
    assert m.RomeVersion.objects.get().version == 460
