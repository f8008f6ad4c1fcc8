"""Protections that span the whole program: the secrets redaction filter."""
