"""The layer contract: imports only go down (bot → workflow → storage), sandbox stands alone."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "workflow", "storage", "sandbox", "templates", "tests", "bench")

# Which top-level packages each layer must never import.
FORBIDDEN = {
    "workflow": {"telegram", "bot"},
    "storage": {"workflow", "bot"},
    "sandbox": {"bot", "workflow", "storage", "templates"},
}
# Only these layers may import bot/.
MAY_IMPORT_BOT = {"bot", "tests", "bench"}


def imported_roots(path: Path) -> set[str]:
    """Top-level names imported anywhere in a file, function-level imports included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def layer_files() -> list[tuple[str, Path]]:
    """Every .py file of the project with the layer it belongs to."""
    files = [(package, path) for package in PACKAGES for path in (ROOT / package).rglob("*.py")]
    assert len(files) > 100, "the scan found too few files to be looking at the project"
    return files


def violations() -> list[str]:
    """Every import that goes against the contract, as 'file imports package'."""
    found = []
    for layer, path in layer_files():
        forbidden = set(FORBIDDEN.get(layer, set()))
        if layer not in MAY_IMPORT_BOT:
            forbidden.add("bot")
        for root in sorted(imported_roots(path) & forbidden):
            found.append(f"{path.relative_to(ROOT)} imports {root}")
    return found


def test_imports_only_go_down() -> None:
    assert violations() == []


def test_the_scan_sees_function_level_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\n"
        "def late():\n"
        "    from telegram import Bot\n"
        "    import bot.app as app\n"
        "    from . import sibling\n",
        encoding="utf-8",
    )
    assert imported_roots(sample) == {"os", "telegram", "bot"}
