from django.contrib import admin, messages
from django.db import transaction

from core.signals import bulk_written

from .models import AreaRating, ProForma, ProFormaArea, QaReview, ReviewCorrection


class ProFormaAreaInline(admin.StackedInline):
    model = ProFormaArea
    extra = 0

    # A version used by a review is frozen so the review keeps the wording it was made on.
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or not obj.is_in_use)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and (obj is None or not obj.is_in_use)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or not obj.is_in_use)


@admin.register(ProForma)
class ProFormaAdmin(admin.ModelAdmin):
    list_display = ("title", "phase", "version", "is_active", "created_at")
    list_filter = ("phase", "is_active")
    inlines = [ProFormaAreaInline]
    actions = ["copy_as_new_version"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_in_use:
            return ("phase", "version", "title")
        return ()

    @admin.action(description="Copy as a new version (to change wording or areas)")
    @transaction.atomic
    def copy_as_new_version(self, request, queryset):
        for pro_forma in queryset:
            areas = list(pro_forma.areas.all())
            latest = ProForma.objects.filter(phase=pro_forma.phase).order_by("-version").first()
            assert latest is not None  # pro_forma itself is one
            copy = ProForma.objects.create(
                phase=pro_forma.phase,
                version=latest.version + 1,
                title=pro_forma.title,
                is_active=False,
            )
            for area in areas:
                area.pk = None
                area.pro_forma = copy
            bulk_written.send(sender=ProFormaArea, created=ProFormaArea.objects.bulk_create(areas))
            self.message_user(
                request,
                f"Created {copy}, inactive. Edit it, then tick 'Is active' to use it for new reviews.",
                messages.SUCCESS,
            )


@admin.register(ProFormaArea)
class ProFormaAreaAdmin(admin.ModelAdmin):
    list_display = ("pro_forma", "position", "title")
    list_filter = ("pro_forma",)
    list_select_related = ("pro_forma",)

    # Frozen as on the pro-forma's own page. The per-object check also refuses the bulk
    # delete action when a frozen area is among those selected.
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or not obj.pro_forma.is_in_use)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or not obj.pro_forma.is_in_use)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "pro_forma":  # an area is added to, or moved to, an unused version only
            kwargs["queryset"] = ProForma.objects.filter(reviews__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class AreaRatingInline(admin.TabularInline):
    model = AreaRating
    extra = 0
    fields = ("area", "rating", "comment")
    readonly_fields = fields

    # Ratings change only through the rating page, which re-judges the PEP.
    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReviewCorrectionInline(admin.TabularInline):
    model = ReviewCorrection
    extra = 0
    fields = ("corrected_at", "corrected_by", "reason", "judgement_before", "judgement_after", "status_change")
    readonly_fields = fields
    show_change_link = True

    # Corrections are made on the review's page (reviews.services.correct_review), which
    # re-judges the PEP; this is their record.
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReviewCorrection)
class ReviewCorrectionAdmin(admin.ModelAdmin):
    list_display = ("review", "corrected_by", "corrected_at", "judgement_before", "judgement_after")
    list_filter = ("judgement_before", "judgement_after")
    list_select_related = ("review__pep__child", "review__pep__term", "review__reviewer", "corrected_by")
    search_fields = ("review__pep__child__la_reference", "reason")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(QaReview)
class QaReviewAdmin(admin.ModelAdmin):
    list_display = ("pep", "reviewer", "kind", "status", "overall_judgement", "needs_amendment", "submitted_at")
    list_filter = ("kind", "status", "overall_judgement", "needs_amendment")
    search_fields = ("pep__child__la_reference", "reviewer__last_name")
    # Not by the child's name: the search travels in the address, and addresses reach logs.
    search_help_text = "Search by the child's LA reference or the reviewer's surname."
    list_select_related = ("pep__child", "pep__term", "reviewer")
    # Reviews start on the PEP page and are submitted on the rating page (reviews.services),
    # which judge the PEP and record its status. The judgement comes from the rules, never
    # typed in. A draft's feedback may be corrected here, or the draft deleted; a submitted
    # review is shown read-only.
    readonly_fields = (
        "pep",
        "reviewer",
        "kind",
        "status",
        "pro_forma",
        "overall_judgement",
        "needs_amendment",
        "submitted_at",
    )
    inlines = [AreaRatingInline, ReviewCorrectionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or not obj.is_submitted)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or not obj.is_submitted)

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        # A draft's area ratings go with it, though none can be deleted on its own.
        perms_needed.discard(AreaRating._meta.verbose_name)
        return deleted, model_count, perms_needed, protected


@admin.register(AreaRating)
class AreaRatingAdmin(admin.ModelAdmin):
    list_display = ("review", "area", "rating")
    list_filter = ("rating",)
    list_select_related = ("review__pep__child", "review__pep__term", "area")

    # Ratings are written only by the rating page, which re-judges the PEP.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
