from django.contrib import admin, messages
from django.db import transaction

from .models import AreaRating, ProForma, ProFormaArea, QaReview


class ProFormaAreaInline(admin.StackedInline):
    model = ProFormaArea
    extra = 0

    # A version used by a review is frozen so the review keeps the wording it was made on.
    def has_change_permission(self, request, obj=None):
        return obj is None or not obj.is_in_use

    def has_add_permission(self, request, obj=None):
        return obj is None or not obj.is_in_use

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.is_in_use


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
            copy = ProForma.objects.create(
                phase=pro_forma.phase, version=latest.version + 1, title=pro_forma.title,
                is_active=False,
            )
            for area in areas:
                area.pk = None
                area.pro_forma = copy
            ProFormaArea.objects.bulk_create(areas)
            self.message_user(
                request,
                f"Created {copy}, inactive. Edit it, then tick 'Is active' to use it for new reviews.",
                messages.SUCCESS,
            )


@admin.register(ProFormaArea)
class ProFormaAreaAdmin(admin.ModelAdmin):
    list_display = ("pro_forma", "position", "title")
    list_filter = ("pro_forma",)


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


@admin.register(QaReview)
class QaReviewAdmin(admin.ModelAdmin):
    list_display = ("pep", "reviewer", "kind", "status", "overall_judgement", "needs_amendment",
                    "submitted_at")
    list_filter = ("kind", "status", "overall_judgement", "needs_amendment")
    search_fields = ("pep__child__la_reference", "pep__child__last_name", "reviewer__last_name")
    list_select_related = ("pep__child", "pep__term", "reviewer")
    # The judgement comes from the rules on submit, never typed in.
    readonly_fields = ("overall_judgement", "needs_amendment", "submitted_at", "pro_forma")
    inlines = [AreaRatingInline]


@admin.register(AreaRating)
class AreaRatingAdmin(admin.ModelAdmin):
    list_display = ("review", "area", "rating")
    list_filter = ("rating",)
    list_select_related = ("review__pep__child", "review__pep__term", "area")

    def has_change_permission(self, request, obj=None):
        return False
