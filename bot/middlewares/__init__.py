"""Outer middlewares: they hand every handler its session, language and services."""
