"""The three default QA pro-formas (EYFS, SSA, Post 16) of eight areas each.

The SSA wording is the base; EYFS and Post 16 replace what differs for their phase.
Seeded by a data migration; after that the pro-formas are data, edited in the admin.
"""

SSA_AREAS = [
    {
        "title": "PEP meeting",
        "description": "Who attended, whether the SW and DT were present, the date of the next meeting.",
        "gold": "The child, carer, SW and DT all attended and contributed; the meeting was held "
        "within timescale and the next meeting date is set and agreed.",
        "green": "The SW and DT attended, the child's participation is recorded and the next meeting date is set.",
        "amber": "A key professional (SW or DT) did not attend, or attendees or the next meeting "
        "date are not recorded in full.",
        "red": "No attendees recorded, neither SW nor DT present, or no next meeting date.",
    },
    {
        "title": "About the child",
        "description": "The SW's section: care context, health, SEND, placement.",
        "gold": "The SW section is fully updated for this term and gives a rich, current picture of "
        "care context, health, SEND and placement, with its impact on learning explained.",
        "green": "The SW section is updated this term and covers care context, health, SEND and placement.",
        "amber": "The SW section is partly updated or carried over from last term; some of care "
        "context, health, SEND or placement is missing.",
        "red": "The SW section has not been updated, or is blank.",
    },
    {
        "title": "Education",
        "description": "Setting, provision, support in place, transitions.",
        "gold": "Provision and support are described precisely, with their impact evidenced; "
        "transitions are planned with named actions and dates.",
        "green": "Setting, provision and support in place are clear; any transition is planned.",
        "amber": "Provision or support is described only in general terms; transitions are not planned.",
        "red": "No account of the setting, provision or support in place.",
    },
    {
        "title": "Attainment and progress",
        "description": "Current levels and progress since the last PEP.",
        "gold": "Current attainment in every subject with targets, progress since the last PEP "
        "analysed, and interventions to accelerate progress linked to the data.",
        "green": "Current attainment and progress since the last PEP are recorded for core subjects.",
        "amber": "Attainment data is incomplete or out of date; progress since the last PEP is not commented on.",
        "red": "No attainment or progress data.",
    },
    {
        "title": "Views, wishes and feelings",
        "description": "The child's voice, captured directly.",
        "gold": "The child's voice is strong, in their own words, and shows clearly how it has shaped the plan.",
        "green": "The child's views are captured directly and reflected in the plan.",
        "amber": "The child's views are summarised by an adult or thin, and not linked to the plan.",
        "red": "No child's voice.",
    },
    {
        "title": "Attendance",
        "description": "Attendance and exclusions this term.",
        "gold": "Attendance and any exclusions are recorded and analysed, with effective actions "
        "and their impact shown.",
        "green": "Attendance and exclusions are recorded, with actions where attendance is below expectation.",
        "amber": "Attendance is recorded without analysis, or low attendance has no action.",
        "red": "No attendance or exclusion information.",
    },
    {
        "title": "Targets and outcomes",
        "description": "SMART targets, last targets evaluated, PP+ costed against targets.",
        "gold": "Every target is SMART with a named who, what and when; last term's targets are "
        "evaluated; PP+ is costed against each target with evidence attached.",
        "green": "Targets are specific and measurable; last targets are evaluated; PP+ is linked to targets.",
        "amber": "Some targets are vague or not measurable, last targets are not evaluated, or PP+ "
        "is not linked to targets.",
        "red": "No targets, or very weak targets, and no evidence of PP+ use.",
    },
    {
        "title": "Aspiration Pathway",
        "description": "Aspirations, trusted adult, support network, next steps.",
        "gold": "Aspirations across the child's whole life are recorded with a trusted adult, a "
        "support network and reasonable next steps, reviewed since the last PEP.",
        "green": "Aspirations are recorded with a trusted adult and next steps.",
        "amber": "Aspirations are recorded without a trusted adult, support network or steps.",
        "red": "The Aspiration Pathway is not completed.",
    },
]

PHASE_OVERRIDES = {
    "eyfs": {
        2: {"description": "The SW's section: care context, health checks and development reviews, SEND, placement."},
        3: {
            "description": "Setting (childminder, nursery, Reception), early years funding, "
            "support in place, transition to school.",
            "gold": "The setting, funded hours and key person are recorded; support and its "
            "impact are evidenced; the transition to school is planned with named "
            "actions and dates.",
        },
        4: {
            "title": "Development and learning",
            "description": "Development across the prime and specific areas of learning.",
            "gold": "Development in every prime and specific area is recorded against "
            "age-related expectations, progress since the last PEP analysed, and next "
            "steps linked to it.",
            "green": "Development in the prime areas is recorded with progress since the last PEP.",
            "amber": "Development information is partial or out of date.",
            "red": "No information on the child's development.",
        },
        5: {
            "description": "The child's voice, captured through play, observation and the key person.",
            "gold": "The child's voice is strongly evidenced through observation, play and the "
            "key person, and shapes the plan.",
        },
        6: {"description": "Attendance at the setting and use of funded hours."},
        8: {"description": "Aspirations for the child, made with the carer and key person; interests and next steps."},
    },
    "post16": {
        3: {
            "title": "Education, employment or training",
            "description": "Course or placement, provider, support in place, transitions.",
            "red": "No account of the young person's course, training or employment.",
        },
        4: {
            "title": "Qualifications and progress",
            "description": "Qualifications held and being studied for, progress on the course.",
            "gold": "Qualifications held and being studied for are recorded with predicted grades "
            "and progress analysed, with support to meet them.",
            "green": "Qualifications held and current course progress are recorded.",
            "amber": "Qualifications or progress are only partly recorded.",
            "red": "No information on qualifications or progress.",
        },
        5: {"description": "The young person's voice, in their own words."},
        6: {
            "title": "Attendance and engagement",
            "description": "Attendance and engagement in education, employment or training.",
            "red": "No information on attendance or engagement in education, employment or training.",
        },
        8: {
            "title": "Aspiration Pathway and careers",
            "description": "Aspirations, careers guidance, pathway to adulthood, trusted adult.",
            "gold": "Aspirations across the young person's life and career are recorded with "
            "careers guidance, a trusted adult and a pathway plan with reasonable next "
            "steps.",
        },
    },
}

TITLES = {
    "eyfs": "PEP QA pro-forma – EYFS",
    "ssa": "PEP QA pro-forma – Statutory school age",
    "post16": "PEP QA pro-forma – Post 16",
}


def default_areas(phase: str) -> list[dict]:
    overrides = PHASE_OVERRIDES.get(phase, {})
    return [{**area, **overrides.get(position, {})} for position, area in enumerate(SSA_AREAS, start=1)]


def seed_default_pro_formas(ProForma, ProFormaArea) -> None:
    """Create version 1 of each phase's pro-forma unless one exists (models passed in so a
    migration can use its historical models)."""
    for phase, title in TITLES.items():
        if ProForma.objects.filter(phase=phase).exists():
            continue
        pro_forma = ProForma.objects.create(phase=phase, version=1, title=title, is_active=True)
        ProFormaArea.objects.bulk_create(
            ProFormaArea(
                pro_forma=pro_forma,
                position=position,
                title=area["title"],
                description=area["description"],
                gold_criteria=area["gold"],
                green_criteria=area["green"],
                amber_criteria=area["amber"],
                red_criteria=area["red"],
            )
            for position, area in enumerate(default_areas(phase), start=1)
        )
