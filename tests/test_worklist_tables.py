"""web.templatetags.worklist_tables: the worklist's rows written in Python, escaped."""

from web.templatetags.worklist_tables import not_sampled_rows, sampled_rows

HOSTILE = '<script>alert("x")</script>'


def _row(**changes) -> dict:
    row = {
        "child": HOSTILE,
        "la_reference": "T-1",
        "officer": "Olu Officer",
        "reason": "Random 25%",
        "due_date": "1 Dec 2026",
        "due": "overdue",
        "status_colour": "grey",
        "status": "Not started",
        "judgement": "",
        "pep_url": "/peps/1/",
        "review_url": "",
        "start_url": "/qa/entries/1/start/",
        "continues": False,
    }
    return row | changes


def test_every_value_is_escaped():
    html = sampled_rows([_row()]) + not_sampled_rows(
        [
            {
                "child": HOSTILE,
                "la_reference": HOSTILE,
                "term": "Autumn",
                "officer": HOSTILE,
                "deadline": "1 Dec",
                "pep_url": "/peps/1/",
                "start_url": "/r/1/",
                "finalise_url": "/f/1/",
                "pk": 1,
            }
        ]
    )
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_the_action_follows_the_row():
    assert ">Rate<span" in sampled_rows([_row()])
    assert ">Continue<span" in sampled_rows([_row(continues=True)])
    done = sampled_rows([_row(start_url="", review_url="/reviews/9/", judgement="gold", status="Done")])
    assert 'href="/reviews/9/">View<' in done and "app-rating-tag--gold" in done and "<button" not in done
    assert "Overdue" in sampled_rows([_row()]) and "Due soon" in sampled_rows([_row(due="soon")])
    assert "Overdue" not in sampled_rows([_row(due="")])


def test_ones_own_pep_outside_the_sample_has_no_rate_button():
    pep = {
        "child": "Kid",
        "la_reference": "T-1",
        "term": "Autumn",
        "officer": "Me",
        "deadline": "1 Dec",
        "pep_url": "/peps/1/",
        "start_url": "",
        "finalise_url": "/f/1/",
        "pk": 1,
    }
    html = not_sampled_rows([pep])
    assert ">Rate<" not in html and "Finalise without QA" in html
    assert 'id="finalise-1" name="pep" type="checkbox" value="1"' in html
