"""Which way imports run: app.py → site/views → site/domain → models.py, never
back (shared/STYLE.md). Ruff's TID251 keeps the database's API inside the domain;
this test keeps the rest: the domain and the tables know nothing of Flask, the
views or the plumbing, and no area's views import another's."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "site"


def imported(path):
    """Every module `path` imports, as dotted names (`from a import b` gives a.b and a)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules(folder):
    return sorted(path for path in (SITE / folder).glob("*.py") if path.name != "__init__.py")


def refused(names, prefixes):
    return sorted(name for name in names if any(name == p or name.startswith(p + ".") for p in prefixes))


@pytest.mark.parametrize("path", [ROOT / "models.py", *modules("domain")], ids=lambda path: path.name)
def test_the_rules_and_the_tables_know_nothing_of_the_web(path):
    assert not refused(imported(path), ("flask", "flask_babel", "flask_wtf", "hamsayeh.views", "hamsayeh.web", "app"))


@pytest.mark.parametrize("path", modules("views"), ids=lambda path: path.name)
def test_no_area_imports_another_areas_views(path):
    assert not refused(imported(path), ("hamsayeh.views", "app"))


@pytest.mark.parametrize("path", modules("web"), ids=lambda path: path.name)
def test_the_plumbing_imports_no_views(path):
    assert not refused(imported(path), ("hamsayeh.views", "app"))


def test_the_test_sees_an_import_that_goes_the_wrong_way(tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text("from flask import g\nfrom hamsayeh.views import board\n")
    assert refused(imported(wrong), ("flask", "hamsayeh.views")) == [
        "flask",
        "flask.g",
        "hamsayeh.views",
        "hamsayeh.views.board",
    ]
