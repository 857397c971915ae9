"""Drawing the termly QA samples. Idempotent: drawing again never duplicates an entry,
and tops a sample up when PEPs (or reviews to moderate) were added since.

`draw_term_samples` runs a fixed number of queries whatever the number of officers,
PEPs or samples (see bench/sampling.py).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import LeadArea, LeadAreaTheme, User
from core.signals import bulk_written
from core.vocabulary import Rating, Role
from peps.models import Pep, Term
from reviews.models import QaReview, ReviewKind, ReviewStatus

from .. import rules
from ..models import ModerationGroup, Sample, SampleEntry, SampleKind
from ..rules import Reason, SamplingPolicy


def policy_from_settings() -> SamplingPolicy:
    conf = settings.QA_SAMPLING
    return SamplingPolicy(
        base_rate=Fraction(conf["base_rate"]),
        new_starter_rate=Fraction(conf["new_starter_rate"]),
        new_starter_days=conf["new_starter_days"],
        concern_rate=Fraction(conf["concern_rate"]),
        concern_share=Fraction(conf["concern_share"]),
        lead_sample_size=conf["lead_sample_size"],
        cross_moderation_size=conf["cross_moderation_size"],
        moderation_group_size=conf["moderation_group_size"],
    )


def qa_due_date(term: Term) -> date:
    return min(term.end_date, term.pep_deadline + timedelta(days=settings.QA_DUE_DAYS_AFTER_DEADLINE))


@dataclass
class DrawResult:
    term: Term
    samples_created: int = 0
    entries_created: int = 0
    by_kind: dict = field(default_factory=lambda: defaultdict(int))

    def __str__(self):
        kinds = ", ".join(f"{SampleKind(k).label}: {n}" for k, n in sorted(self.by_kind.items()))
        return (
            f"{self.term}: {self.samples_created} new samples, {self.entries_created} new entries"
            f"{' (' + kinds + ')' if kinds else ''}"
        )


@dataclass
class _Plan:
    """Samples and entries to create, gathered before two bulk inserts."""

    term: Term
    existing: dict  # scope key -> Sample
    order_key: dict  # pep id -> the child's LA reference: samples survive a database copy
    chosen: dict  # sample key -> set of pep ids already in it
    new_samples: dict = field(default_factory=dict)  # scope key -> unsaved Sample
    new_entries: list = field(default_factory=list)  # (scope key, SampleEntry without sample)

    def sample(self, key, **fields) -> tuple:
        if key not in self.existing and key not in self.new_samples:
            self.new_samples[key] = Sample(term=self.term, **fields)
        return key

    def already(self, key) -> set:
        return self.chosen.get(key, set())

    def add(self, key, pep_id, reason, assigned_to_id, due, original_review_id=None):
        self.new_entries.append(
            (
                key,
                SampleEntry(
                    pep_id=pep_id,
                    reason=reason,
                    assigned_to_id=assigned_to_id,
                    due_date=due,
                    original_review_id=original_review_id,
                ),
            )
        )
        self.chosen.setdefault(key, set()).add(pep_id)


def _scope_key(kind, officer_id=None, lead_area_id=None, group_id=None, reviewer_id=None):
    if kind == SampleKind.CROSS_MODERATION:
        return (kind, reviewer_id)
    return (kind, officer_id or lead_area_id or group_id)


def _sample_key(sample: Sample):
    return _scope_key(sample.kind, sample.officer_id, sample.lead_area_id, sample.group_id, sample.reviewer_id)


def _seed(term: Term, *parts) -> str:
    """Seeds from natural keys (not database ids), so a term's samples are the same on a
    copy of the database."""
    return "-".join([str(term.academic_year), term.season, *map(str, parts)])


def previous_term(term: Term) -> Term | None:
    return Term.objects.filter(start_date__lt=term.start_date).order_by("-start_date").first()


@transaction.atomic
def draw_term_samples(term: Term, policy: SamplingPolicy | None = None) -> DrawResult:
    """Draw (or top up) every sample of the term: line management, lead areas,
    cross-moderation and the moderation groups."""
    policy = policy or policy_from_settings()
    existing = {_sample_key(s): s for s in Sample.objects.filter(term=term)}
    chosen: dict = defaultdict(set)
    by_id = {s.pk: key for key, s in existing.items()}
    for sample_id, pep_id in SampleEntry.objects.filter(sample__term=term).values_list("sample", "pep"):
        chosen[by_id[sample_id]].add(pep_id)
    peps = list(
        Pep.objects.filter(term=term).values(
            "id",
            "officer_id",
            "child_id",
            "phase",
            "status",
            "pp_plus_requested",
            "attendance_percent",
            "child__has_send",
            "child__la_reference",
        )
    )
    plan = _Plan(
        term=term, existing=existing, chosen=chosen, order_key={p["id"]: p["child__la_reference"] for p in peps}
    )
    prior = previous_term(term)
    prior_peps = list(Pep.objects.filter(term=prior).values("child_id", "officer_id", "judgement")) if prior else []
    _plan_line_management(plan, policy, peps, prior_peps)
    _plan_lead_areas(plan, policy, peps)
    _plan_moderation(plan, policy)
    return _save(plan)


def _plan_line_management(plan: _Plan, policy: SamplingPolicy, peps, prior_peps) -> None:
    term = plan.term
    officers = User.objects.filter(role=Role.OFFICER, is_active=True).only(
        "id", "username", "start_date", "line_manager_id"
    )
    peps_by_officer = defaultdict(list)
    for pep in peps:
        peps_by_officer[pep["officer_id"]].append(pep)
    amber_children = {p["child_id"] for p in prior_peps if p["judgement"] in (Rating.AMBER, Rating.RED)}
    last_term_judgements = defaultdict(list)
    for p in prior_peps:
        last_term_judgements[p["officer_id"]].append(p["judgement"])
    due = qa_due_date(term)
    for officer in officers:
        caseload = peps_by_officer.get(officer.pk, [])
        rate, rate_reason = rules.officer_rate(
            policy,
            start_date=officer.start_date,
            term_start=term.start_date,
            last_term_judgements=last_term_judgements.get(officer.pk, ()),
        )
        minimum = rules.minimum_sample(len(caseload), rate)
        key = plan.sample(
            _scope_key(SampleKind.LINE_MANAGEMENT, officer_id=officer.pk),
            kind=SampleKind.LINE_MANAGEMENT,
            officer_id=officer.pk,
            reviewer_id=officer.line_manager_id,
            seed=_seed(term, "lm", officer.username),
            rate=_decimal(rate),
            rate_reason=rate_reason,
            caseload_size=len(caseload),
            minimum_size=minimum,
        )
        _refresh_sizes(
            plan,
            key,
            rate=rate,
            rate_reason=rate_reason,
            caseload=len(caseload),
            minimum=minimum,
            reviewer_id=officer.line_manager_id,
        )
        for pep_id, reason in rules.select_sample(
            [p["id"] for p in caseload],
            must_include=[p["id"] for p in caseload if p["child_id"] in amber_children],
            already_chosen=plan.already(key),
            target=minimum,
            seed=_seed(term, "lm", officer.username),
            fill_reason=rate_reason,
            order_key=plan.order_key,
        ):
            plan.add(key, pep_id, reason, officer.line_manager_id, due)


def _decimal(rate: Fraction) -> Decimal:
    return (Decimal(rate.numerator) / Decimal(rate.denominator)).quantize(Decimal("0.001"))


def _refresh_sizes(plan: _Plan, key, **figures) -> None:
    """An existing sample's figures follow the caseload (a PEP added later tops it up)."""
    sample = plan.existing.get(key)
    if sample is None:
        return
    before = (sample.rate, sample.rate_reason, sample.caseload_size, sample.minimum_size, sample.reviewer_id)
    sample.rate = _decimal(figures["rate"])
    sample.rate_reason = figures["rate_reason"]
    sample.caseload_size = figures["caseload"]
    sample.minimum_size = figures["minimum"]
    sample.reviewer_id = sample.reviewer_id or figures["reviewer_id"]
    after = (sample.rate, sample.rate_reason, sample.caseload_size, sample.minimum_size, sample.reviewer_id)
    if before != after:
        plan.chosen.setdefault(("_dirty",), set()).add(sample.pk)


def _lead_area_matches(area: LeadArea, pep: dict) -> bool:
    if area.theme == LeadAreaTheme.SEND:
        return bool(pep["child__has_send"])
    if area.theme == LeadAreaTheme.PP_PLUS:
        return bool(pep["pp_plus_requested"])
    if area.theme == LeadAreaTheme.ATTENDANCE:
        attendance = pep["attendance_percent"]
        return attendance is not None and float(attendance) < settings.QA_ATTENDANCE_THRESHOLD
    return bool(area.phase) and pep["phase"] == area.phase


def _plan_lead_areas(plan: _Plan, policy: SamplingPolicy, peps) -> None:
    areas = LeadArea.objects.filter(leads__role=Role.LEAD, leads__is_active=True).distinct()
    leads_by_area = defaultdict(list)
    for area_id, lead_id in (
        User.objects.filter(role=Role.LEAD, is_active=True, lead_areas__isnull=False)
        .values_list("lead_areas", "id")
        .order_by("id")
    ):
        leads_by_area[area_id].append(lead_id)
    due = plan.term.end_date
    for area in areas:
        leads = leads_by_area.get(area.pk, [])
        size = area.sample_size or policy.lead_sample_size
        key = plan.sample(
            _scope_key(SampleKind.LEAD_AREA, lead_area_id=area.pk),
            kind=SampleKind.LEAD_AREA,
            lead_area_id=area.pk,
            reviewer_id=leads[0] if leads else None,
            seed=_seed(plan.term, "lead", area.code),
            minimum_size=size,
        )
        candidates = [p["id"] for p in peps if _lead_area_matches(area, p)]
        additions = rules.select_sample(
            candidates,
            already_chosen=plan.already(key),
            target=size,
            seed=_seed(plan.term, "lead", area.code),
            fill_reason=Reason.LEAD_AREA,
            order_key=plan.order_key,
        )
        for pep_id, reason in additions:
            # Round robin across draws too: a top-up carries on from where the last left off.
            plan.add(key, pep_id, reason, leads[len(plan.already(key)) % len(leads)] if leads else None, due)


def _plan_moderation(plan: _Plan, policy: SamplingPolicy) -> None:
    """Cross-moderation (each manager re-rates PEPs reviewed by other managers) and the
    moderation groups' school-wide samples, both drawn from submitted line-management
    reviews of the term."""
    term = plan.term
    originals = {}
    for review_id, pep_id, reviewer_id in (
        QaReview.objects.filter(pep__term=term, kind=ReviewKind.LINE_MANAGEMENT, status=ReviewStatus.SUBMITTED)
        .order_by("submitted_at", "pk")
        .values_list("id", "pep_id", "reviewer_id")
    ):
        originals[pep_id] = (review_id, reviewer_id)  # the latest review of each PEP
    due = term.end_date
    usernames = dict(User.objects.filter(role=Role.MANAGER, is_active=True).values_list("id", "username"))
    managers = list(usernames)
    for manager_id in managers:
        key = plan.sample(
            _scope_key(SampleKind.CROSS_MODERATION, reviewer_id=manager_id),
            kind=SampleKind.CROSS_MODERATION,
            reviewer_id=manager_id,
            seed=_seed(term, "xmod", usernames[manager_id]),
            minimum_size=policy.cross_moderation_size,
        )
        candidates = [
            pep for pep, (_, reviewer) in originals.items() if reviewer != manager_id and reviewer in managers
        ]
        for pep_id, reason in rules.select_sample(
            candidates,
            already_chosen=plan.already(key),
            target=policy.cross_moderation_size,
            seed=_seed(term, "xmod", usernames[manager_id]),
            fill_reason=Reason.CROSS_MODERATION,
            order_key=plan.order_key,
        ):
            plan.add(key, pep_id, reason, manager_id, due, original_review_id=originals[pep_id][0])

    members_by_group = defaultdict(list)
    for group_id, member_id in (
        ModerationGroup.members.through.objects.filter(moderationgroup__is_active=True)
        .values_list("moderationgroup_id", "user_id")
        .order_by("user_id")
    ):
        members_by_group[group_id].append(member_id)
    for group in ModerationGroup.objects.filter(is_active=True):
        members = members_by_group.get(group.pk, [])
        size = group.sample_size or policy.moderation_group_size
        key = plan.sample(
            _scope_key(SampleKind.MODERATION_GROUP, group_id=group.pk),
            kind=SampleKind.MODERATION_GROUP,
            group_id=group.pk,
            seed=_seed(term, "group", group.name),
            minimum_size=size,
        )
        additions = rules.select_sample(
            originals.keys(),
            already_chosen=plan.already(key),
            target=size,
            seed=_seed(term, "group", group.name),
            fill_reason=Reason.MODERATION_GROUP,
            order_key=plan.order_key,
        )
        for pep_id, reason in additions:
            # Nobody moderates their own review.
            eligible = [m for m in members if m != originals[pep_id][1]] or members
            assignee = eligible[len(plan.already(key)) % len(eligible)] if eligible else None
            plan.add(key, pep_id, reason, assignee, due, original_review_id=originals[pep_id][0])


def _save(plan: _Plan) -> DrawResult:
    result = DrawResult(term=plan.term)
    created = Sample.objects.bulk_create(plan.new_samples.values())
    if created and created[0].pk is None:  # backends that do not return ids
        created = list(Sample.objects.filter(term=plan.term))
    bulk_written.send(sender=Sample, created=created)
    samples = {**plan.existing, **{_sample_key(s): s for s in created}}
    dirty = plan.chosen.get(("_dirty",), set())
    if dirty:
        fields = ["rate", "rate_reason", "caseload_size", "minimum_size", "reviewer_id"]
        changed = [s for s in plan.existing.values() if s.pk in dirty]
        Sample.objects.bulk_update(changed, fields)
        # (The values before were not kept: the trail records the values after.)
        bulk_written.send(
            sender=Sample,
            updated=[(s.pk, {f.removesuffix("_id"): ["", getattr(s, f)] for f in fields}) for s in changed],
        )
    entries = []
    for key, entry in plan.new_entries:
        entry.sample = samples[key]
        entries.append(entry)
        result.by_kind[samples[key].kind] += 1
    SampleEntry.objects.bulk_create(entries, batch_size=2000)
    bulk_written.send(sender=SampleEntry, created=entries)
    if entries:
        Sample.objects.filter(pk__in={e.sample_id for e in entries} & {s.pk for s in plan.existing.values()}).update(
            topped_up_at=timezone.now()
        )
    result.samples_created = len(plan.new_samples)
    result.entries_created = len(entries)
    return result


def terms_to_draw(today: date | None = None):
    """The terms that have opened and not yet ended: the ones whose samples are kept
    drawn and topped up."""
    today = today or timezone.localdate()
    return Term.objects.filter(start_date__lte=today, end_date__gte=today)


def draw_open_terms(today: date | None = None) -> list[DrawResult]:
    return [draw_term_samples(term) for term in terms_to_draw(today)]
