"""The cache: every SQL statement ketlit runs lives in this package (and only here)."""

import ketlit.store._nopandas  # noqa: F401  (first: imports sqlite-utils without pandas; see there)
