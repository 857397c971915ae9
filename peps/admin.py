from django.contrib import admin
from django.db import models

from .models import (
    AspirationEntry,
    Child,
    DesignatedTeacher,
    Pep,
    PepStatusChange,
    School,
    SocialCareTeam,
    SocialWorker,
    Term,
)


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ("name", "urn", "local_authority", "is_out_of_authority")
    list_filter = ("is_out_of_authority",)
    search_fields = ("name", "urn")


@admin.register(DesignatedTeacher)
class DesignatedTeacherAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "school")
    search_fields = ("name", "email", "school__name")
    autocomplete_fields = ("school",)


@admin.register(SocialCareTeam)
class SocialCareTeamAdmin(admin.ModelAdmin):
    list_display = ("name", "manager_name", "manager_email")
    search_fields = ("name", "manager_name")


@admin.register(SocialWorker)
class SocialWorkerAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "team")
    list_filter = ("team",)
    search_fields = ("name", "email")


@admin.register(Child)
class ChildAdmin(admin.ModelAdmin):
    list_display = (
        "la_reference",
        "last_name",
        "first_name",
        "year_group",
        "school",
        "allocated_officer",
        "has_send",
        "has_ehcp",
    )
    list_filter = ("year_group", "has_send", "has_ehcp", "allocated_officer")
    search_fields = ("la_reference", "upn")
    # Not by name: the search travels in the address, and addresses reach logs.
    search_help_text = "Search by LA reference or UPN."
    autocomplete_fields = ("school", "social_worker", "designated_teacher", "allocated_officer")
    list_select_related = ("school", "allocated_officer")


@admin.register(Term)
class TermAdmin(admin.ModelAdmin):
    list_display = ("__str__", "start_date", "end_date", "pep_deadline")
    list_filter = ("academic_year", "season")


class AspirationInline(admin.StackedInline):
    """Stacked, not tabular: a tabular inline's fields have a column header but no label
    of their own, which fails WCAG 1.3.1 / 4.1.2 (axe: label, select-name)."""

    model = AspirationEntry
    extra = 0


class StatusChangeInline(admin.TabularInline):
    model = PepStatusChange
    extra = 0
    readonly_fields = ("from_status", "to_status", "changed_by", "changed_at", "note")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Pep)
class PepAdmin(admin.ModelAdmin):
    # Links to the ePEP system are https (and Django 6 assumes it).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("child", "term", "phase", "officer", "status", "judgement", "meeting_date")
    list_filter = ("term", "phase", "status", "judgement")
    search_fields = ("child__la_reference", "child__upn")
    # Not by name: the search travels in the address, and addresses reach logs.
    search_help_text = "Search by LA reference or UPN."
    autocomplete_fields = ("child", "officer")
    list_select_related = ("child", "term", "officer")
    # The status and the judgement change only through peps.services and reviews.services,
    # which record each change in the status history.
    readonly_fields = ("status", "judgement", "created_at", "updated_at")
    inlines = [AspirationInline, StatusChangeInline]


@admin.register(AspirationEntry)
class AspirationEntryAdmin(admin.ModelAdmin):
    list_display = ("pep", "category", "trusted_adult")
    list_filter = ("category",)
    list_select_related = ("pep__child", "pep__term")


@admin.register(PepStatusChange)
class PepStatusChangeAdmin(admin.ModelAdmin):
    list_display = ("pep", "from_status", "to_status", "changed_by", "changed_at")
    list_filter = ("to_status",)
    list_select_related = ("pep__child", "pep__term", "changed_by")
    readonly_fields = [f.name for f in PepStatusChange._meta.fields]

    # The status history is an audit trail, written by the services as the status changes.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
