"""The board report's commentary (reporting/commentary.py): the plain text rules, saving
with the version check, who may, and the audit trail."""

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied

from audit.models import AuditEntry
from audit.registration import AUDITED
from core.vocabulary import Role
from reporting.commentary import (
    CommentaryChangedElsewhere,
    board_report_commentary,
    commentary_for,
    paragraphs,
    plain_text,
    save_commentary,
)
from reporting.models import BoardCommentary

from .factories import TermFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_paragraphs_split_at_blank_lines_and_keep_single_line_breaks():
    text = "First paragraph,\nsame paragraph.\r\n\r\n  \n\nSecond.  \n\n\n"
    assert paragraphs(text) == ["First paragraph,\nsame paragraph.", "Second."]
    assert paragraphs("") == [] and paragraphs(" \n \n") == []


def test_plain_text_keeps_words_and_drops_what_no_document_can_hold():
    # Word's manual line break (\x0b) pasted is a line break; a NUL, an escape, U+FFFF go.
    assert plain_text("a\x0bb\x00c\x1bd\uffff\r\ne <b>&amp;</b>") == "a\nbcd\ne <b>&amp;</b>"


def test_the_first_save_creates_it_and_each_save_moves_the_version_on(vsh):
    term = TermFactory()
    assert commentary_for(term) is None
    assert board_report_commentary(term) == {"vsh_commentary": [], "vsh_next_steps": []}
    saved = save_commentary(term, by=vsh, version=0, commentary="One.\n\nTwo.", next_steps="Train DTs.")
    assert (saved.version, saved.updated_by) == (1, vsh)
    again = save_commentary(term, by=vsh, version=1, commentary="One.", next_steps="")
    assert again.pk == saved.pk and again.version == 2
    assert board_report_commentary(term) == {"vsh_commentary": ["One."], "vsh_next_steps": []}


def test_a_stale_version_is_refused_and_nothing_is_overwritten(vsh):
    term = TermFactory()
    save_commentary(term, by=vsh, version=0, commentary="From the first tab.", next_steps="")
    with pytest.raises(CommentaryChangedElsewhere) as error:
        save_commentary(term, by=vsh, version=0, commentary="From the second tab.", next_steps="")
    assert error.value.current_version == 1
    assert BoardCommentary.objects.get(term=term).commentary == "From the first tab."
    # A first save from two tabs: the second finds the first's row.
    other = TermFactory(academic_year=term.academic_year + 1)
    save_commentary(other, by=vsh, version=0, commentary="A", next_steps="")
    with pytest.raises(CommentaryChangedElsewhere):
        save_commentary(other, by=vsh, version=0, commentary="B", next_steps="")
    assert BoardCommentary.objects.filter(term=other).count() == 1


@pytest.mark.parametrize("role", [Role.MANAGER, Role.LEAD, Role.ADMINISTRATOR, Role.OFFICER])
def test_only_the_vsh_may_save_it(role):
    term = TermFactory()
    with pytest.raises(PermissionDenied):
        save_commentary(term, by=UserFactory(role=role), version=0, commentary="x", next_steps="")
    assert not BoardCommentary.objects.exists()


def test_the_audit_trail_records_who_changed_it_before_and_after(vsh):
    assert BoardCommentary in AUDITED
    term = TermFactory()
    saved = save_commentary(term, by=vsh, version=0, commentary="Before.", next_steps="")
    save_commentary(term, by=vsh, version=1, commentary="After.", next_steps="")
    entries = AuditEntry.objects.filter(object_pk=str(saved.pk), content_type__model="boardcommentary")
    update = entries.filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert update.changes["commentary"] == ["Before.", "After."]
    assert "version" not in update.changes and "updated_at" not in update.changes
