"""Tagging: records → tags on five axes (indication, route, molecule, design, population), from TOML rules."""
