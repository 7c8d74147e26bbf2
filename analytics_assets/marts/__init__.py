"""Marts: risk data derived from the core tables."""
