"""The VSH's commentary and actions arising for a term's board report: reading, saving,
and the plain text rules both the PDF and the Word version present.

Plain text with paragraphs: a blank line starts a new paragraph, a single line break is
kept as a line break. Nothing typed is ever read as markup (the PDF's template escapes
it; the Word version writes it as text).
"""

import re

from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts.models import User
from peps.models import Term

from .models import BoardCommentary

PERMISSION = "hvs.edit_board_commentary"

# Characters an XML document (the .docx, and the PDF's HTML) cannot hold: C0 controls but
# tab and line breaks, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Word's manual line break and page break, as they come when pasted.
_WORD_BREAKS = re.compile("[\x0b\x0c]")
_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")


class CommentaryChangedElsewhere(Exception):
    """The commentary was saved (another tab, another person) after the form was opened."""

    def __init__(self, current_version: int):
        self.current_version = current_version
        super().__init__(
            "This commentary was changed in another tab or by someone else after you opened it. "
            "Nothing you typed has been lost: check it against the saved commentary below, then save again."
        )


def plain_text(value: str) -> str:
    """``value`` as the text kept: line endings as ``\\n``, Word's breaks as line breaks,
    characters no document can hold removed, trailing spaces and blank lines at the ends
    dropped."""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    text = _NOT_XML.sub("", _WORD_BREAKS.sub("\n", text))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def paragraphs(text: str) -> list[str]:
    """The paragraphs of ``text``: split at blank lines, each stripped, none empty. A
    paragraph keeps its single line breaks."""
    return [part.strip() for part in _BLANK_LINES.split(plain_text(text)) if part.strip()]


def commentary_for(term: Term) -> BoardCommentary | None:
    return BoardCommentary.objects.filter(term=term).select_related("updated_by").first()


def save_commentary(term: Term, *, by: User, version: int, commentary: str, next_steps: str) -> BoardCommentary:
    """Save the term's commentary from a form opened at ``version`` (0 before the first
    save): refused (CommentaryChangedElsewhere) if it was saved since."""
    if not by.has_perm(PERMISSION):
        raise PermissionDenied("Only the Virtual School Head writes the board report's commentary.")
    with transaction.atomic():
        # The row is locked (or, the first time, inserted: a second first save waits on the
        # unique term, then finds this one and its new version).
        saved, _created = BoardCommentary.objects.select_for_update().get_or_create(term=term)
        if saved.version != version:
            raise CommentaryChangedElsewhere(saved.version)
        saved.commentary, saved.next_steps = plain_text(commentary), plain_text(next_steps)
        saved.updated_by = by
        saved.version += 1
        saved.save()
    return saved


def board_report_commentary(term: Term) -> dict:
    """The board report's context for the VSH's words (the PDF's and the Word version's):
    the paragraphs of each, empty lists when none was written."""
    saved = commentary_for(term)
    return {
        "vsh_commentary": paragraphs(saved.commentary) if saved else [],
        "vsh_next_steps": paragraphs(saved.next_steps) if saved else [],
    }
