from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import LeadArea, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "get_full_name", "role", "line_manager", "start_date", "is_active")
    list_filter = ("role", "is_active", "lead_areas")
    search_fields = ("username", "first_name", "last_name", "email")
    autocomplete_fields = ("line_manager",)
    filter_horizontal = ("lead_areas", "groups", "user_permissions")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        ("Virtual School", {"fields": ("role", "job_title", "line_manager", "start_date", "lead_areas")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Virtual School", {"fields": ("first_name", "last_name", "email", "role", "line_manager", "start_date")}),
    )


@admin.register(LeadArea)
class LeadAreaAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "phase")
    prepopulated_fields = {"code": ("name",)}
