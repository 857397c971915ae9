from axes.utils import reset as reset_failed_sign_ins
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import LeadArea, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "get_full_name", "role", "line_manager", "start_date", "is_active")
    list_filter = ("role", "is_active", "lead_areas")
    search_fields = ("username", "first_name", "last_name", "email")
    autocomplete_fields = ("line_manager",)
    actions = ["unlock_sign_in"]
    filter_horizontal = ("lead_areas", "groups", "user_permissions")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Virtual School", {"fields": ("role", "job_title", "line_manager", "start_date", "lead_areas")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Virtual School", {"fields": ("first_name", "last_name", "email", "role", "line_manager", "start_date")}),
    )

    @admin.action(description="Unlock sign-in (clear failed sign-ins)", permissions=["change"])
    def unlock_sign_in(self, request, queryset):
        """Lets the chosen users sign in again now, before the lockout's cool-off ends.
        An address locked out on its own is unlocked under "Access attempts"."""
        cleared = sum(reset_failed_sign_ins(username=user.get_username()) for user in queryset)
        self.message_user(
            request,
            f"Sign-in unlocked for {queryset.count()} user(s); {cleared} failed sign-in record(s) cleared.",
            messages.SUCCESS,
        )


@admin.register(LeadArea)
class LeadAreaAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "phase")
    prepopulated_fields = {"code": ("name",)}
