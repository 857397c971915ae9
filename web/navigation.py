"""The service navigation: one list of entries, each with the permission (from the access
policy) that shows it, so no role list is written twice."""

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    permission: str
    # (namespace, url-name prefix) pairs of the pages that make the entry current.
    sections: tuple[tuple[str, str], ...]


NAVIGATION = (
    NavEntry("Home", "home", "hvs.view_peps", (("", "home"),)),
    NavEntry("PEPs", "peps:list", "hvs.view_peps", (("peps", ""),)),
    NavEntry("QA worklist", "reviews:worklist", "hvs.view_worklist", (("reviews", ""),)),
    NavEntry("Coverage", "sampling:coverage", "hvs.view_coverage", (("sampling", "coverage"),)),
    NavEntry("Moderation", "sampling:moderation", "hvs.view_moderation", (("sampling", "moderation"),)),
    NavEntry("Peer review", "practice:peer_reviews", "hvs.view_peer_reviews", (("practice", "peer_review"),)),
    NavEntry("Supervision", "practice:supervisions", "hvs.hold_supervisions", (("practice", "supervision"),)),
    NavEntry(
        "My development",
        "practice:my_development",
        "hvs.view_my_development",
        (("practice", "my_development"), ("practice", "supervision")),
    ),
    NavEntry("Learning", "practice:learning", "hvs.view_learning", (("practice", "learning"),)),
    NavEntry(
        "Gold exemplars", "practice:exemplars", "hvs.view_exemplars", (("practice", "exemplar"), ("practice", "gold"))
    ),
    NavEntry("Reports", "reporting:dashboard", "hvs.view_reports", (("reporting", ""), ("reports", ""))),
    NavEntry("Messages", "notices:list", "hvs.view_messages", (("notices", ""),)),
    NavEntry("Imports", "imports:index", "hvs.import_data", (("imports", ""),)),
    NavEntry("Admin", "admin:index", "hvs.use_admin", (("admin", ""),)),
)


def entries_for(user, namespace: str = "", url_name: str = "") -> list[dict]:
    """The entries ``user`` may use, each with its URL and whether it is the current page."""
    if not (user and user.is_authenticated):
        return []
    return [
        {
            "label": entry.label,
            "url": reverse(entry.url_name),
            "active": any(namespace == ns and (url_name or "").startswith(prefix) for ns, prefix in entry.sections),
        }
        for entry in NAVIGATION
        if user.has_perm(entry.permission)
    ]


def context_processor(request) -> dict:
    if getattr(request, "second_factor_pending", False):
        return {"navigation": []}  # signed in with a password only: nothing to open yet
    match = getattr(request, "resolver_match", None)
    namespace = match.namespace if match else ""
    url_name = match.url_name if match else ""
    return {"navigation": entries_for(getattr(request, "user", None), namespace, url_name or "")}
