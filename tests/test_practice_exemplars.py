"""practice.exemplars: marking what made a review Gold, and curating the marks into the
anonymised library."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from practice.exemplars import (
    AlreadyCurated,
    Identifier,
    accept_exemplar,
    anonymisation_errors,
    decline_exemplar,
    gold_areas,
    identifiers,
    identifying,
    mark_gold,
)
from practice.models import GoldExemplar, GoldExemplarStatus
from reviews.services import save_review, start_review

from .factories import (
    ChildFactory,
    DesignatedTeacherFactory,
    PepFactory,
    SchoolFactory,
    SocialWorkerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def gold_review(manager, officer, rate_all):
    """The manager's Gold review (seven areas Gold, area 8 Green) of a PEP of Amelia Brightwater."""
    officer.first_name, officer.last_name = "Olive", "Oakenshield"
    officer.save()
    school = SchoolFactory(name="Larkspur Primary School")
    child = ChildFactory(
        allocated_officer=officer,
        first_name="Amelia",
        last_name="Brightwater",
        la_reference="LA-77123",
        upn="A123456789012",
        school=school,
        designated_teacher=DesignatedTeacherFactory(name="Mrs Priya Ramanathan", school=school),
        social_worker=SocialWorkerFactory(name="Dmitri Vasquez"),
    )
    pep = PepFactory(child=child)
    review = start_review(pep, manager)
    return save_review(
        review, rate_all(review, ["gold"] * 7 + ["green"]), strengths="", development_points="", submit=True
    )


@pytest.fixture
def green_review(manager, officer, rate_all):
    """A Green review with one Gold area (the first)."""
    pep = PepFactory(child=ChildFactory(allocated_officer=officer))
    review = start_review(pep, manager)
    return save_review(
        review, rate_all(review, ["gold"] + ["green"] * 7), strengths="", development_points="", submit=True
    )


def test_the_reviewer_marks_the_pep_and_a_second_mark_edits_it(gold_review, manager):
    mark, created = mark_gold(gold_review, manager, "  Targets built on the child's voice ")
    assert created and mark.what_made_it_gold == "Targets built on the child's voice"
    assert mark.status == GoldExemplarStatus.PROPOSED and mark.area is None and mark.marked_by == manager
    again, created = mark_gold(gold_review, manager, "SMART targets")
    assert not created and again.pk == mark.pk
    assert GoldExemplar.objects.get().what_made_it_gold == "SMART targets"


def test_a_gold_area_is_marked_apart_from_the_pep(gold_review, manager):
    first = gold_areas(gold_review)[0]
    mark_gold(gold_review, manager, "The whole plan")
    area_mark, created = mark_gold(gold_review, manager, "Everyone attended", area=first)
    assert created and area_mark.area == first
    assert GoldExemplar.objects.count() == 2
    assert len(gold_areas(gold_review)) == 7


def test_only_gold_is_marked(green_review, manager):
    with pytest.raises(ValidationError, match="not judged Gold"):
        mark_gold(green_review, manager, "The plan")
    green_area = green_review.area_ratings.get(area__position=2).area
    with pytest.raises(ValidationError, match="rated Gold"):
        mark_gold(green_review, manager, "Attendance", area=green_area)
    gold_area = gold_areas(green_review)[0]
    assert mark_gold(green_review, manager, "The meeting", area=gold_area)[1]


def test_only_the_reviewer_marks(gold_review, vsh, other_manager):
    for someone in (vsh, other_manager):
        with pytest.raises(PermissionDenied):
            mark_gold(gold_review, someone, "Mine")
    assert not GoldExemplar.objects.exists()


def test_a_mark_needs_words(gold_review, manager):
    with pytest.raises(ValidationError, match="Enter what made it Gold"):
        mark_gold(gold_review, manager, "   ")


def test_the_identifiers_of_a_review(gold_review):
    found = {item.what: item.value for item in identifiers(gold_review)}
    assert found == {
        "the child's first name": "Amelia",
        "the child's last name": "Brightwater",
        "the child's LA reference": "LA-77123",
        "the child's UPN": "A123456789012",
        "the school's name": "Larkspur Primary School",
        "the designated teacher's name": "Mrs Priya Ramanathan",
        "the social worker's name": "Dmitri Vasquez",
        "the officer's name": "Olive Oakenshield",
    }


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("amelia led her own meeting", "the child's first name"),
        ("AMELIA'S voice was heard", "the child's first name"),
        ("Amelia’s plan", "the child's first name"),
        ("see la-77123's plan", "the child's LA reference"),
        ("The BRIGHTWATER family", "the child's last name"),
        ("See LA-77123.", "the child's LA reference"),
        ("UPN a123456789012", "the child's UPN"),
        ("At Larkspur the DT", "the school's name"),
        ("at larkspur   primary  school", "the school's name"),
        ("Priya prepared well", "the designated teacher's name"),
        ("Mrs Ramanathan prepared well", "the designated teacher's name"),
        ("Dmitri updated the section", "the social worker's name"),
        ("Oakenshield chaired it", "the officer's name"),
    ],
)
def test_anonymisation_refuses_each_identifier(gold_review, text, what):
    errors = anonymisation_errors(text, gold_review)
    assert len(errors) == 1 and what in errors[0]


def test_anonymised_text_passes(gold_review):
    text = "The child led their own meeting; the DT and SW prepared together; Primary School transition planned."
    assert anonymisation_errors(text, gold_review) == []


def test_each_of_a_childs_names_is_refused_on_its_own():
    """A child with two first names (or last names) is named by either of them alone."""
    items = [
        Identifier("the child's first name", "Mary Jane"),
        Identifier("the child's last name", "De La Cruz"),
        Identifier("the child's LA reference", "LA 00123"),
    ]
    assert [phrase for _item, phrase in identifying("Jane's voice", items)] == ["Jane"]
    assert [phrase for _item, phrase in identifying("the CRUZ family", items)] == ["Cruz"]
    # Short particles ("De", "La") and a reference's parts are not names on their own.
    assert identifying("de la mode, LA 2026, 00123 items", items) == []


def test_words_are_matched_whole():
    items = [Identifier("the child's first name", "Ann"), Identifier("the social worker's name", "Mr Al Fox")]
    assert identifying("Annual plan, foxglove", items) == []  # not inside other words; no title, no short parts
    assert [phrase for _item, phrase in identifying("ann and fox", items)] == ["Ann", "Fox"]


def test_the_vsh_accepts_into_the_library(gold_review, manager, vsh):
    mark, _ = mark_gold(gold_review, manager, "Amelia's voice ran through it")
    accepted = accept_exemplar(mark, vsh, " The child's voice ", " The child's voice ran through every section. ")
    assert accepted.status == GoldExemplarStatus.IN_LIBRARY
    assert (accepted.title, accepted.anonymised_text) == (
        "The child's voice",
        "The child's voice ran through every section.",
    )
    assert accepted.curated_by == vsh and accepted.curated_at is not None


def test_accepting_refuses_names_in_the_title_or_text_and_keeps_the_mark(gold_review, manager, vsh):
    mark, _ = mark_gold(gold_review, manager, "Amelia's voice")
    with pytest.raises(ValidationError) as refused:
        accept_exemplar(mark, vsh, "Amelia's plan", "At Larkspur Primary School, Dmitri attended")
    errors = refused.value.message_dict
    assert errors["title"] == ["Remove the child's first name (“Amelia”) from the title"]
    assert errors["anonymised_text"] == [
        "Remove the school's name (“Larkspur Primary School”) from the anonymised text",
        "Remove the social worker's name (“Dmitri”) from the anonymised text",
    ]
    mark.refresh_from_db()
    assert mark.status == GoldExemplarStatus.PROPOSED and mark.anonymised_text == ""


def test_accepting_needs_a_title_and_text(gold_review, manager, vsh):
    mark, _ = mark_gold(gold_review, manager, "It")
    with pytest.raises(ValidationError) as refused:
        accept_exemplar(mark, vsh, "", " ")
    assert refused.value.message_dict == {"title": ["Enter a title"], "anonymised_text": ["Enter the anonymised text"]}


def test_only_the_vsh_curates(gold_review, manager, lead):
    mark, _ = mark_gold(gold_review, manager, "It")
    for someone in (manager, lead, UserFactory()):
        with pytest.raises(PermissionDenied):
            accept_exemplar(mark, someone, "T", "Text")
        with pytest.raises(PermissionDenied):
            decline_exemplar(mark, someone)


def test_declining_twice_says_so(gold_review, manager, vsh):
    mark, _ = mark_gold(gold_review, manager, "It")
    assert decline_exemplar(mark, vsh).status == GoldExemplarStatus.DECLINED
    with pytest.raises(AlreadyCurated):
        decline_exemplar(mark, vsh)
