from axes.utils import reset as reset_failed_sign_ins
from django.contrib import admin, messages
from django.contrib.admin.utils import NestedObjects
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db import router
from django.db.models import Exists, OuterRef
from django.utils.text import capfirst
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import second_factor
from .models import LeadArea, User

# --- The second factor (issue 10) ---
# The devices' own admin pages would show an administrator anyone's TOTP key and QR code:
# they are not offered. An administrator resets a user's second factor from the users' list.
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)


class SecondFactorAdmin(admin.ModelAdmin):
    """The users' list says who has set up an authenticator app, and resets it."""

    actions = ["reset_second_factor"]

    def get_queryset(self, request):
        confirmed = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
        return super().get_queryset(request).annotate(has_second_factor=Exists(confirmed))

    def get_list_display(self, request):
        return (*super().get_list_display(request), "second_factor")

    @admin.display(description="Second factor", boolean=True, ordering="has_second_factor")
    def second_factor(self, user) -> bool:
        return user.has_second_factor

    @admin.action(description="Reset the second factor of the selected users", permissions=["change"])
    def reset_second_factor(self, request, queryset):
        users = list(queryset)
        for user in users:
            second_factor.reset(user)
            self.log_change(request, user, "Reset the second factor (authenticator app and recovery codes).")
        self.message_user(
            request,
            f"Second factor reset for {len(users)} user(s): each sets up an authenticator app at their next page.",
            messages.SUCCESS,
        )


# Said, instead of naming them, when records the admin does not manage keep a user.
OUTSIDE_THE_ADMIN = "Records kept outside the admin (of their work and line management): deactivate the user instead"


@admin.register(User)
class UserAdmin(SecondFactorAdmin, BaseUserAdmin):
    list_display = ("username", "get_full_name", "role", "line_manager", "start_date", "is_active")
    list_filter = ("role", "is_active", "lead_areas")
    search_fields = ("username", "first_name", "last_name", "email")
    autocomplete_fields = ("line_manager",)
    actions = ["unlock_sign_in", "reset_second_factor"]
    filter_horizontal = ("lead_areas", "groups", "user_permissions")
    # Set by signing in and by creating the user, never typed: and the admin's split date
    # and time inputs have no label of their own (axe: label).
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Virtual School", {"fields": ("role", "job_title", "line_manager", "start_date", "lead_areas")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        ("Virtual School", {"fields": ("first_name", "last_name", "email", "role", "line_manager", "start_date")}),
    )

    def get_deleted_objects(self, objs, request):
        """What deleting users would take: the records protecting a user that the admin
        does not manage (the confidential capability process, supervisions and their
        actions, training) are not named, only said to be there, as one fixed line."""
        to_delete, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        collector = NestedObjects(using=router.db_for_write(self.model))
        collector.collect(objs)
        unmanaged = {
            f"{capfirst(obj._meta.verbose_name)}: {obj}"
            for obj in collector.protected
            if not self.admin_site.is_registered(type(obj))
        }
        if unmanaged:
            protected = [*(item for item in protected if str(item) not in unmanaged), OUTSIDE_THE_ADMIN]
        return to_delete, model_count, perms_needed, protected

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
