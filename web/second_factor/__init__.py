"""The second-factor pages (enrolment, the code, recovery codes) and sign-in through the
council's identity provider (OpenID Connect)."""
