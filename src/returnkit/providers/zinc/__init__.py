"""Zinc API v2: return requests against placed orders."""
