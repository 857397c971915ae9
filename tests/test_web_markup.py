"""web.markup: the small pieces of GOV.UK markup written in Python."""

import pytest
from django.template import Context, Template

from peps.models import PepStatus
from web import markup

# What templates/includes/pep_status_tag.html printed, before the tag replaced it.
STATUS_TAGS = {
    PepStatus.DRAFT: '<strong class="govuk-tag govuk-tag--grey">Draft</strong>',
    PepStatus.SUBMITTED: '<strong class="govuk-tag govuk-tag--blue">Submitted for QA</strong>',
    PepStatus.RETURNED: '<strong class="govuk-tag govuk-tag--orange">Returned for amendment</strong>',
    PepStatus.FINALISED: '<strong class="govuk-tag govuk-tag--green">Finalised</strong>',
}


def test_every_status_has_its_tag():
    assert set(STATUS_TAGS) == set(PepStatus)


@pytest.mark.parametrize(("status", "html"), STATUS_TAGS.items())
def test_a_pep_status_tag_prints_what_the_include_did(status, html):
    assert markup.pep_status_tag(status) == html
    assert markup.pep_status_tag(str(status.value)) == html
    rendered = Template("{% load hvs %}{% pep_status_tag status %}").render(Context({"status": status.value}))
    assert rendered == html


def test_an_unknown_status_is_grey_and_escaped():
    assert markup.pep_status_tag("<b>") == '<strong class="govuk-tag govuk-tag--grey">&lt;b&gt;</strong>'


@pytest.mark.parametrize("rating", ["gold", "green", "amber", "red"])
def test_a_rating_tag(rating):
    assert markup.rating_tag(rating) == (
        f'<strong class="govuk-tag app-rating-tag app-rating-tag--{rating} ">{rating.capitalize()}</strong>'
    )


def test_no_rating_says_not_rated():
    assert markup.rating_tag("") == markup.NOT_RATED
