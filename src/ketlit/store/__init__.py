"""The cache: every SQL statement ketlit runs lives in this package (and only here)."""
