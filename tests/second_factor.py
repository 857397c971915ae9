"""The second factor in tests: a confirmed authenticator device, its current code, and a
session marked verified as django_otp.login marks it (``otp_device_id``)."""

import time

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

# Client.force_login as Django has it: a password-only sign-in (conftest patches it).
password_only_login = Client.force_login


def confirmed_device(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def code_for(device: TOTPDevice) -> str:
    """A code the device accepts now: the current one, or the next step's when the current
    one was already used (a TOTP code works once)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    now = totp.t()
    for offset in range(0, device.tolerance + 1):
        if now + offset > device.last_t:
            totp.drift = device.drift + offset
            return f"{totp.token():0{device.digits}d}"
    raise AssertionError("every acceptable code of this step was used: wait for the next step")


def mark_verified(client: Client, user) -> TOTPDevice:
    device = confirmed_device(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def force_login_with_second_factor(self: Client, user, backend=None) -> None:
    password_only_login(self, user, backend)
    mark_verified(self, user)
