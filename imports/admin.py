from django.contrib import admin

from .models import ImportRowChange, ImportRowError, ImportRun, ImportSource


@admin.register(ImportSource)
class ImportSourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "updated_at")
    list_filter = ("kind",)
    search_fields = ("name",)


class _ReadOnly(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False
    max_num = 0

    def has_change_permission(self, request, obj=None):
        return False


class RowErrorInline(_ReadOnly):
    model = ImportRowError
    fields = ("row", "column", "value", "message")


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """Every import is kept: runs are read, never edited here."""

    list_display = (
        "pk",
        "kind",
        "source",
        "file_name",
        "status",
        "rows",
        "new",
        "changed",
        "unchanged",
        "errors",
        "uploaded_by",
        "created_at",
        "applied_at",
    )
    list_filter = ("kind", "status", "source")
    search_fields = ("file_name", "sha256")
    date_hierarchy = "created_at"
    inlines = [RowErrorInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(ImportRowChange)
class ImportRowChangeAdmin(admin.ModelAdmin):
    list_display = ("run", "row", "key", "action")
    list_filter = ("action", "run__kind")
    search_fields = ("key",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
