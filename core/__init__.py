"""Shared vocabulary of the Virtual School's PEP QA; imports nothing of the project."""
