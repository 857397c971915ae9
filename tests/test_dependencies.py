"""The production install has what the production code imports.

The Dockerfile installs ``[project].dependencies`` only, so a production module that
imports a dev-only package (pypdf, pytest, ...) breaks ``manage.py check`` in the image
while every test passes in the dev virtualenv. These tests read the packages and the
dependencies from pyproject.toml, so a new app is covered once it is listed there.
"""

import ast
import functools
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGES = PYPROJECT["tool"]["setuptools"]["packages"]
# Not shipped code: tests and migrations (which import only Django) are left out.
NOT_PRODUCTION = {"tests", "migrations"}


def normalise(distribution: str) -> str:
    """PEP 503 name: ``Django`` and ``django``, ``dj_database_url`` and ``dj-database-url`` agree."""
    return re.sub(r"[-_.]+", "-", distribution).lower()


def requirement_name(requirement: str) -> str:
    """``celery[redis]>=5.4,<6`` -> ``celery``."""
    return normalise(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement).group(1))


PRODUCTION_DISTRIBUTIONS = {requirement_name(r) for r in PYPROJECT["project"]["dependencies"]}


def production_modules() -> list[Path]:
    top_level = [ROOT / package for package in PACKAGES if "." not in package]
    return sorted(
        path
        for package in top_level
        for path in package.rglob("*.py")
        if not NOT_PRODUCTION & set(path.relative_to(ROOT).parts)
    )


def top_level_imports(source: str) -> set[str]:
    """The top-level names of the absolute imports in ``source`` (relative ones are first-party)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


@functools.cache
def providers() -> dict[str, list[str]]:
    """Import name -> the installed distributions providing it (a scan of all of them: once)."""
    return importlib.metadata.packages_distributions()


def undeclared_imports(source: str) -> dict[str, list[str]]:
    """Third-party imports of ``source`` that no production dependency provides, each with
    the distributions that do provide it (none: not installed at all)."""
    first_party = {package.partition(".")[0] for package in PACKAGES}
    problems = {}
    for name in top_level_imports(source):
        if name in sys.stdlib_module_names or name in first_party or name == "__future__":
            continue
        distributions = sorted({normalise(d) for d in providers().get(name, [])})
        if not PRODUCTION_DISTRIBUTIONS.intersection(distributions):
            problems[name] = distributions
    return problems


def test_the_production_modules_are_found():
    modules = {path.relative_to(ROOT).as_posix() for path in production_modules()}
    assert {"hvs_qa/settings.py", "reporting/services.py", "peps/models.py"} <= modules
    assert not any("/migrations/" in m or m.startswith("tests/") for m in modules)


def test_the_check_catches_a_dev_only_import():
    """Not vacuous: pypdf and pytest are dev dependencies, installed here but not in production."""
    source = "import io\nimport django.db\nfrom pypdf import PdfReader\nimport pytest\nfrom . import pdf\n"
    assert set(undeclared_imports(source)) == {"pypdf", "pytest"}
    assert undeclared_imports("import not_a_real_package_anywhere") == {"not_a_real_package_anywhere": []}


@pytest.mark.parametrize("module", production_modules(), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_production_code_imports_only_production_dependencies(module):
    assert undeclared_imports(module.read_text()) == {}, (
        f"{module.relative_to(ROOT)} imports packages that [project].dependencies in pyproject.toml "
        "does not provide (name: the distributions that do); move the import into tests/ or add "
        "the distribution to the production dependencies"
    )


def test_every_local_app_is_a_listed_package():
    """An app missing from [tool.setuptools].packages would escape the check above."""
    local_apps = {app.partition(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.partition(".")[0]).is_dir()}
    assert local_apps and local_apps <= set(PACKAGES)
