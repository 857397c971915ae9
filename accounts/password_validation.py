"""Password rules beyond Django's (settings.AUTH_PASSWORD_VALIDATORS), all offline.

- ``VariedCharactersValidator``: too few different characters (``aaaaaaaaaaaa``).
- ``PredictablePatternValidator``: nothing but a season, month, weekday or the council's
  or service's name, with numbers and symbols (``Summer2026!!!``, ``Hillingdon2025``):
  the first guesses of anyone who knows where the password is used.
- ``GuessablePasswordValidator``: zxcvbn's estimate of how guessable it is, from its
  bundled lists (passwords from breaches, English words, names, surnames) and patterns
  (repeats, sequences like ``abcd`` or ``6789``, keyboard runs like ``qwerty``, dates,
  look-alike letters like ``p@55w0rd``), with the user's names as words too.

Messages are plain English and say what to do instead.
"""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from zxcvbn import zxcvbn

SEASONS = ["spring", "summer", "autumn", "fall", "winter"]
MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
# Words of the service itself; the council's and the Virtual School's names are added.
SERVICE_WORDS = [
    "virtual",
    "school",
    "vs",
    "hvs",
    "pep",
    "peps",
    "london",
    "borough",
    "council",
    "welcome",
    "password",
    "of",
]


def _predictable_words() -> list[str]:
    names = f"{settings.AUTHORITY_NAME} {settings.VIRTUAL_SCHOOL_NAME}".lower()
    words = set(SEASONS + MONTHS + WEEKDAYS + SERVICE_WORDS + re.findall(r"[a-z]+", names))
    return sorted(words, key=len, reverse=True)


def _made_of(letters: str, words: list[str]) -> bool:
    """Whether ``letters`` is one or more of ``words`` run together."""
    reachable = [True] + [False] * len(letters)
    for end in range(1, len(letters) + 1):
        reachable[end] = any(
            end >= len(word) and reachable[end - len(word)] and letters[end - len(word) : end] == word for word in words
        )
    return reachable[-1]


class VariedCharactersValidator:
    """At least ``min_distinct`` different characters."""

    def __init__(self, min_distinct: int = 6):
        self.min_distinct = min_distinct

    def validate(self, password: str, user=None) -> None:
        if len(set(password)) < self.min_distinct:
            raise ValidationError(
                f"Your password uses too few different characters. Use at least {self.min_distinct} "
                "different letters, numbers or symbols, for example three or four unrelated words.",
                code="password_too_repetitive",
            )

    def get_help_text(self) -> str:
        return f"It must use at least {self.min_distinct} different characters."


class PredictablePatternValidator:
    """Not only a season, month, weekday or the council's name, with numbers and symbols."""

    def validate(self, password: str, user=None) -> None:
        letters = re.sub(r"[^a-z]", "", password.lower())
        if letters and _made_of(letters, _predictable_words()):
            raise ValidationError(
                "Your password is only a season, month, day, the council's name or a word like "
                "'password' with numbers or symbols: one of the first things anyone would guess. "
                "Use three or four unrelated words instead.",
                code="password_predictable",
            )

    def get_help_text(self) -> str:
        return "It must not be a season, month, day or the council's name with a year or symbols."


class GuessablePasswordValidator:
    """zxcvbn's score (0 to 4) at least ``settings.PASSWORD_MIN_STRENGTH``."""

    def __init__(self, min_score: int | None = None):
        self.min_score = min_score

    def _inputs(self, user) -> list[str]:
        words = [settings.AUTHORITY_NAME, settings.VIRTUAL_SCHOOL_NAME, "hvs", "pep"]
        if user is not None:
            for name in ("username", "first_name", "last_name", "email", "job_title"):
                value = getattr(user, name, "")
                if isinstance(value, str) and value:
                    words.append(value)
        return words

    def validate(self, password: str, user=None) -> None:
        min_score = self.min_score if self.min_score is not None else settings.PASSWORD_MIN_STRENGTH
        # zxcvbn refuses passwords over 72 characters; those are long enough not to guess.
        result = zxcvbn(password[:72], user_inputs=self._inputs(user))
        if result["score"] >= min_score:
            return
        warning = result["feedback"].get("warning") or ""
        reason = f" ({warning.rstrip('.')})" if warning else ""
        raise ValidationError(
            f"Your password would be too easy to guess{reason}. Use three or four unrelated words, "
            "and avoid names, dates, repeated characters and runs like abcd or 1234.",
            code="password_guessable",
        )

    def get_help_text(self) -> str:
        return "It must not be easy to guess: no names, dates, repeats or runs like abcd or 1234."
