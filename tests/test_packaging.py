"""A non-editable install carries every template: each file under templates/ is package data."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _package_data() -> dict[str, list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["setuptools"]["package-data"]


def test_every_template_file_is_declared_as_package_data() -> None:
    templates = ROOT / "templates"
    # setuptools expands the patterns as globs: `*` does not cross a folder.
    declared = {
        path for pattern in _package_data()["templates"] for path in templates.glob(pattern)
    }
    missing = [
        str(path.relative_to(templates))
        for path in templates.rglob("*")
        if path.is_file()
        and path.suffix not in (".py", ".pyc")
        and "__pycache__" not in path.parts
        and path not in declared
    ]
    assert missing == []


def test_templates_is_a_package_found_by_setuptools() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "templates*" in config["tool"]["setuptools"]["packages"]["find"]["include"]
    assert (ROOT / "templates" / "__init__.py").is_file()
