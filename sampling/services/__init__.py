"""Sampling's writes, by job: drawing the samples, review bookkeeping, reminders and the
escalation of overdue QA."""

from .bookkeeping import (
    SettledElsewhere,
    awaiting_sampled_qa,
    current_settlement,
    finalise_pep,
    finalise_peps,
    record_review_in_samples,
    settle_disagreement,
    start_entry_review,
)
from .drawing import (
    DrawResult,
    draw_open_terms,
    draw_term_samples,
    policy_from_settings,
    previous_term,
    qa_due_date,
    terms_to_draw,
)
from .escalation import EscalationResult, escalate_overdue_qa, overdue_entries
from .reminders import reminder_entries, send_worklist_reminders, worklist_reminder_context

__all__ = [
    "DrawResult",
    "EscalationResult",
    "SettledElsewhere",
    "awaiting_sampled_qa",
    "current_settlement",
    "draw_open_terms",
    "draw_term_samples",
    "escalate_overdue_qa",
    "finalise_pep",
    "finalise_peps",
    "overdue_entries",
    "policy_from_settings",
    "previous_term",
    "qa_due_date",
    "record_review_in_samples",
    "reminder_entries",
    "send_worklist_reminders",
    "settle_disagreement",
    "start_entry_review",
    "terms_to_draw",
    "worklist_reminder_context",
]
