"""reviews.models: the areas of a pro-forma version used by a review are frozen."""

import pytest

from core.vocabulary import Phase
from reviews.models import ProFormaArea, ProFormaFrozen
from reviews.services import start_review

from .factories import ProFormaAreaFactory, ProFormaFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_use(pep, manager):
    return start_review(pep, manager).pro_forma


def test_an_area_of_a_version_in_use_cannot_be_saved(in_use):
    area = in_use.areas.get(position=1)
    title = area.title
    area.title = "Changed"
    with pytest.raises(ProFormaFrozen):
        area.save()
    assert ProFormaArea.objects.get(pk=area.pk).title == title


def test_an_area_of_a_version_in_use_cannot_be_deleted(in_use):
    area = in_use.areas.get(position=1)
    with pytest.raises(ProFormaFrozen):
        area.delete()
    assert ProFormaArea.objects.filter(pk=area.pk).exists()


def test_no_area_is_added_to_a_version_in_use(in_use):
    with pytest.raises(ProFormaFrozen):
        ProFormaAreaFactory(pro_forma=in_use, position=9)
    assert in_use.areas.count() == 8


def test_an_area_cannot_be_moved_onto_a_version_in_use(in_use):
    area = ProFormaFactory(phase=Phase.SSA).areas.get(position=1)
    area.pro_forma = in_use
    area.position = 9
    with pytest.raises(ProFormaFrozen):
        area.save()


def test_an_area_of_a_version_not_in_use_is_saved_and_deleted(in_use):
    area = ProFormaFactory(phase=Phase.SSA).areas.get(position=1)
    area.title = "Changed"
    area.save()
    assert ProFormaArea.objects.get(pk=area.pk).title == "Changed"
    area.delete()
    assert not ProFormaArea.objects.filter(pk=area.pk).exists()
