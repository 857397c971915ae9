import pytest
from django.test import override_settings

from core.vocabulary import Role
from peps.models import PepStatus

from .factories import ChildFactory, PepFactory, UserFactory
from .factories import rate_all as _rate_all
from .services import ENV_VAR, SKIP_PREFIX, services_required


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Factories set a password on every user; the default PBKDF2 makes that the slowest
    part of a test. Session-scoped, so Hypothesis tests see no function-scoped fixture."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """With HVS_REQUIRE_SERVICES=1, a "service unavailable" skip is reported as a failure."""
    report = yield
    if report.skipped and services_required() and isinstance(report.longrepr, tuple):
        reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        if reason.startswith(SKIP_PREFIX):
            report.outcome = "failed"
            report.longrepr = f"{reason} (skips are failures with {ENV_VAR}=1)"
    return report


# People: two teams, each a manager with one officer, plus the whole-school roles.


@pytest.fixture
def manager(db):
    return UserFactory(role=Role.MANAGER, username="manager")


@pytest.fixture
def officer(manager):
    return UserFactory(role=Role.OFFICER, username="officer", line_manager=manager)


@pytest.fixture
def other_manager(db):
    return UserFactory(role=Role.MANAGER, username="other_manager")


@pytest.fixture
def other_officer(other_manager):
    return UserFactory(role=Role.OFFICER, username="other_officer", line_manager=other_manager)


@pytest.fixture
def lead(db):
    return UserFactory(role=Role.LEAD, username="lead")


@pytest.fixture
def vsh(db):
    return UserFactory(role=Role.VSH, username="vsh")


@pytest.fixture
def administrator(db):
    return UserFactory(role=Role.ADMINISTRATOR, username="administrator")


# PEPs


@pytest.fixture
def pep(officer):
    """A submitted SSA (Year 5) PEP of a child on ``officer``'s caseload."""
    child = ChildFactory(allocated_officer=officer, year_group=5)
    return PepFactory(child=child, status=PepStatus.SUBMITTED)


@pytest.fixture
def other_pep(other_officer, pep):
    """A submitted PEP, same term as ``pep``, of a child on ``other_officer``'s caseload."""
    child = ChildFactory(allocated_officer=other_officer, year_group=5)
    return PepFactory(child=child, term=pep.term, status=PepStatus.SUBMITTED)


@pytest.fixture
def rate_all():
    """``rate_all(review, ratings, comment="ok")``: the ``areas`` dict for ``save_review``."""
    return _rate_all


# The suite's budget: no test over five seconds. Listed at the end of every run (CI also
# prints the ten slowest), so a slow test is seen when it is written.
TEST_SECONDS_BUDGET = 5.0


def pytest_terminal_summary(terminalreporter):
    slow = [
        (report.duration, report.nodeid)
        for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
        if report.when == "call" and report.duration > TEST_SECONDS_BUDGET
    ]
    if slow:
        terminalreporter.section(f"tests over the {TEST_SECONDS_BUDGET:.0f} s budget")
        for duration, nodeid in sorted(slow, reverse=True):
            terminalreporter.write_line(f"{duration:5.1f} s  {nodeid}")
