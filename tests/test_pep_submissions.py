"""peps.submissions: PEPs submitted for QA in bulk, as an import does."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peps.models import Pep, PepStatus, PepStatusChange
from peps.signals import pep_submitted
from peps.submissions import record_arrival_submitted, submit_peps

from .factories import PepFactory, TermFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced():
    heard = []

    def receiver(sender, pep, by, **kwargs):
        heard.append((pep.pk, pep.term_id, by))

    pep_submitted.connect(receiver, dispatch_uid="test-announced")
    yield heard
    pep_submitted.disconnect(dispatch_uid="test-announced")


def test_only_drafts_are_submitted_each_with_its_history_and_announced(vsh, announced):
    term = TermFactory()
    drafts = [PepFactory(term=term, status=PepStatus.DRAFT) for _ in range(3)]
    returned = PepFactory(term=term, status=PepStatus.RETURNED)
    submitted = submit_peps([*drafts, returned], vsh, "From the ePEP.")
    assert sorted(submitted) == sorted(p.pk for p in drafts)
    assert set(Pep.objects.filter(pk__in=submitted).values_list("status", flat=True)) == {PepStatus.SUBMITTED}
    assert Pep.objects.get(pk=returned.pk).status == PepStatus.RETURNED
    changes = PepStatusChange.objects.filter(pep__in=drafts)
    assert changes.count() == 3 and {(c.from_status, c.to_status, c.changed_by, c.note) for c in changes} == {
        (PepStatus.DRAFT, PepStatus.SUBMITTED, vsh, "From the ePEP.")
    }
    assert sorted(announced) == sorted((p.pk, term.pk, vsh) for p in drafts)
    assert submit_peps(drafts, vsh) == []  # a second time: nothing


def test_queries_do_not_grow_with_the_peps():
    term = TermFactory()
    few = [PepFactory(term=term, status=PepStatus.DRAFT) for _ in range(2)]
    many = [PepFactory(term=term, status=PepStatus.DRAFT) for _ in range(20)]
    with CaptureQueriesContext(connection) as small:
        submit_peps(few, None)
    with CaptureQueriesContext(connection) as large:
        submit_peps(many, None)
    assert len(large) == len(small)


def test_peps_created_submitted_have_their_submission_recorded(announced):
    pep = PepFactory(status=PepStatus.SUBMITTED)
    record_arrival_submitted([pep], None, "Imported.")
    change = pep.status_changes.get()
    assert (change.from_status, change.to_status, change.changed_by) == (PepStatus.DRAFT, PepStatus.SUBMITTED, None)
    assert announced == [(pep.pk, pep.term_id, None)]
