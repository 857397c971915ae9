"""The layering the README describes: apps depend one way (import-linter checks the
graph, see pyproject.toml), and no import hides inside a function to dodge a cycle."""

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]["layers"]
APPS = set(LAYERS)


def _modules():
    for app in sorted(APPS):
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _nested_project_imports(path: Path) -> list[str]:
    """Imports of another project package made inside a function or class body."""
    tree = ast.parse(path.read_text(), filename=str(path))
    own = path.relative_to(ROOT).parts[0]
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.level == 0 and inner.module:
                names = [inner.module]
            elif isinstance(inner, ast.Import):
                names = [alias.name for alias in inner.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in APPS and top != own:
                    found.append(f"{path.relative_to(ROOT)}:{inner.lineno} imports {name}")
    return found


def test_every_app_is_in_the_layer_contract():
    on_disk = {p.parent.name for p in ROOT.glob("*/apps.py")} | {"core", "hvs_qa"}
    assert on_disk <= APPS, f"apps missing from the import-linter layers: {on_disk - APPS}"


def test_the_shared_vocabulary_is_the_lowest_layer():
    assert LAYERS[-1] == "core"


@pytest.mark.parametrize("path", list(_modules()), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_function_level_import_across_apps(path):
    assert _nested_project_imports(path) == []
