import django_filters
from django.db.models import F, Q
from django.db.models.functions import Coalesce

from access.policy import visible_officers
from accounts.models import User
from core.vocabulary import YEAR_GROUPS, Phase, Rating, Role, key_stage
from peps.models import Pep, PepStatus, PepStatusChange, School, SocialCareTeam, Term
from web.widgets import govuk_selects


def _key_stage_ranges() -> dict[str, tuple[int | None, int | None]]:
    """Key stage -> (lowest, highest) year group, from peps.models.key_stage; the first
    stage is open below and the last open above, as key_stage() is."""
    years: dict[str, list[int]] = {}
    for year, _label in YEAR_GROUPS:
        years.setdefault(key_stage(year), []).append(year)
    stages = list(years)
    return {
        stage: (None if n == 0 else min(found), None if n == len(stages) - 1 else max(found))
        for n, (stage, found) in enumerate(years.items())
    }


KEY_STAGE_RANGES = _key_stage_ranges()

# The term filter's value for every term (the list defaults to the current one).
ALL_TERMS = "all"


class PepFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Child's name or LA reference",
        method="search",
    )
    # No empty choice: the list shows the current term unless a term, or "All terms"
    # (?term=all), is chosen (the view fills the default in), so the history is a choice.
    term = django_filters.ModelChoiceFilter(
        queryset=Term.objects.all(),
        empty_label=None,
        null_label="All terms",
        null_value=ALL_TERMS,
        method="filter_term",
    )
    phase = django_filters.ChoiceFilter(choices=Phase.choices, empty_label="All phases")
    status = django_filters.ChoiceFilter(choices=PepStatus.choices, empty_label="All statuses")
    judgement = django_filters.ChoiceFilter(
        choices=[
            *Rating.choices,
            ("good", "Good or better (Gold or Green)"),
            ("judged", "Judged"),
            ("none", "Not yet judged"),
        ],
        empty_label="All judgements",
        method="filter_judgement",
    )
    officer = django_filters.ModelChoiceFilter(
        queryset=User.objects.filter(role=Role.OFFICER),
        empty_label="All officers",
    )
    school = django_filters.ModelChoiceFilter(
        queryset=School.objects.all(),
        empty_label="All schools",
        field_name="child__school",
        label="School or setting",
    )
    # The filters below are what the reports link to: each figure to the PEPs behind it.
    key_stage = django_filters.ChoiceFilter(
        choices=[(stage, stage) for stage in KEY_STAGE_RANGES],
        empty_label="All key stages",
        label="Key stage",
        method="filter_key_stage",
    )
    completion = django_filters.ChoiceFilter(
        choices=[
            ("completed", "Completed"),
            ("on_time", "Completed by the deadline"),
            ("late", "Completed after the deadline"),
            ("not_completed", "Not completed"),
        ],
        empty_label="Any",
        label="Completion",
        method="filter_completion",
    )
    # Like the reports, the social worker filters leave out drafts.
    sw_attended = django_filters.ChoiceFilter(
        choices=[("yes", "Attended the meeting"), ("no", "Did not attend the meeting")],
        empty_label="Any",
        label="Social worker",
        method="filter_sw_attended",
    )
    sw_section = django_filters.ChoiceFilter(
        choices=[("updated", "Updated"), ("not_updated", "Not updated")],
        empty_label="Any",
        label="Social worker's section",
        method="filter_sw_section",
    )
    team = django_filters.ModelChoiceFilter(
        queryset=SocialCareTeam.objects.all(),
        empty_label="All teams",
        field_name="child__social_worker__team",
        label="Social care team",
    )
    returned = django_filters.ChoiceFilter(
        choices=[("yes", "Returned for amendment"), ("amended", "Returned, then amended")],
        empty_label="Any",
        label="Returned for amendment",
        method="filter_returned",
    )

    class Meta:
        model = Pep
        fields = [
            "q",
            "term",
            "phase",
            "status",
            "judgement",
            "officer",
            "school",
            "key_stage",
            "completion",
            "sw_attended",
            "sw_section",
            "team",
            "returned",
        ]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.term_shown: Term | str | None = None
        # Offer only the officers whose work the user may see.
        if user is not None:
            self.filters["officer"].queryset = visible_officers(user)
        govuk_selects(self.form.fields)

    def search(self, queryset, name, value):
        # Every word must match a name or the reference: "amy smi" finds Amy Smith.
        for word in value.split():
            queryset = queryset.filter(
                Q(child__first_name__icontains=word)
                | Q(child__last_name__icontains=word)
                | Q(child__la_reference__icontains=word)
            )
        return queryset

    def filter_term(self, queryset, name, value):
        return queryset if value == ALL_TERMS else queryset.filter(term=value)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        chosen = self.form.cleaned_data.get("term")
        if "term" in self.form.errors:
            # ?term=999999 or ?term=bogus: the current term, not the whole history.
            chosen = Term.objects.current()
            queryset = queryset.filter(term=chosen) if chosen else queryset
        # The term the list shows, or ALL_TERMS, for the page's heading.
        self.term_shown = chosen
        return queryset

    def filter_judgement(self, queryset, name, value):
        if value == "none":
            return queryset.filter(judgement="")
        if value == "good":
            return queryset.filter(judgement__in=[Rating.GOLD, Rating.GREEN])
        if value == "judged":
            return queryset.filter(judgement__in=Rating.values)
        return queryset.filter(judgement=value)

    def filter_key_stage(self, queryset, name, value):
        # The year group of the PEP's term; the child's current one if it was not recorded.
        low, high = KEY_STAGE_RANGES[value]
        queryset = queryset.annotate(pep_year=Coalesce("year_group", "child__year_group"))
        if low is not None:
            queryset = queryset.filter(pep_year__gte=low)
        if high is not None:
            queryset = queryset.filter(pep_year__lte=high)
        return queryset

    def filter_completion(self, queryset, name, value):
        return queryset.filter(
            {
                "completed": Q(date_completed__isnull=False),
                "on_time": Q(date_completed__lte=F("term__pep_deadline")),
                "late": Q(date_completed__gt=F("term__pep_deadline")),
                "not_completed": Q(date_completed__isnull=True),
            }[value]
        )

    def filter_sw_attended(self, queryset, name, value):
        return queryset.exclude(status=PepStatus.DRAFT).filter(meeting_date__isnull=False, sw_attended=(value == "yes"))

    def filter_sw_section(self, queryset, name, value):
        return queryset.exclude(status=PepStatus.DRAFT).filter(sw_section_updated=(value == "updated"))

    def filter_returned(self, queryset, name, value):
        changes = PepStatusChange.objects.filter(to_status=PepStatus.RETURNED)
        if value == "amended":
            changes = PepStatusChange.objects.filter(from_status=PepStatus.RETURNED, to_status=PepStatus.SUBMITTED)
        return queryset.filter(pk__in=changes.values("pep"))


# Column key -> ORDER BY fields, for the sortable PEP table.
PEP_SORTS = {
    "child": ("child__last_name", "child__first_name"),
    "reference": ("child__la_reference",),
    "term": ("term__start_date",),
    "phase": ("phase",),
    "officer": ("officer__first_name", "officer__last_name"),
    "meeting": ("meeting_date",),
    "status": ("status",),
    "judgement": ("judgement",),
}
