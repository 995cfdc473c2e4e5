"""Configuration, resolved in one place: flag > environment > ``ketlit.toml`` > default.

Every knob is a field of :class:`Settings` (its type and default) with a row in ``ENV_VARS``
(its environment variable). The CLI passes flags in as ``overrides``. Only this module reads
``os.environ`` — :func:`load_settings` for the settings, :func:`pubmed_cap` for the one
test-only knob — so a test can build a :class:`Settings` directly and know exactly what the
code will see. ``ketlit.toml`` is read and checked by :mod:`ketlit.tomlfile`, like every
other user TOML file.
The API key is held in a field excluded from ``repr`` so it cannot leak through logging
or a printed settings object; it and any password written into a base URL are registered with
:mod:`ketlit.redact` as soon as they are read, so every later message can be scrubbed of them.

Numbers are checked here, once: a float must be finite and inside its field's range (``nan``,
``inf``, ``1e300`` or a negative timeout would otherwise reach the socket layer and fail there with
a traceback), an integer must be a whole number in range, and ``true`` is not a number. A base URL
must parse (a bracketed IPv6 host, a port that fits) and name a host.

Limits for unattended runs: ``timeout`` bounds each socket operation and, times
:data:`ketlit.http.REQUEST_DEADLINE_FACTOR`, the whole of one request; ``run_deadline`` bounds
one fetch run (one query on one source, retries and backoff included); ``max_decompressed_mb``
bounds a service reply once decompressed (gzip bombs; see :mod:`ketlit.http`).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ketlit.errors import ConfigError, InputError
from ketlit.redact import add_secrets, redact_text, url_secrets
from ketlit.tomlfile import read_user

DEFAULT_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
DEFAULT_CTGOV_URL = "https://clinicaltrials.gov/api/v2/"
CONFIG_FILE_NAME = "ketlit.toml"


@dataclass(frozen=True)
class Settings:
    """Resolved settings. Build with :func:`load_settings`."""

    db: Path = Path("cache/ketlit.db")
    ncbi_api_key: str | None = field(default=None, repr=False)
    ncbi_email: str | None = None
    ncbi_tool: str = "ketlit"
    eutils_url: str = DEFAULT_EUTILS_URL
    ctgov_url: str = DEFAULT_CTGOV_URL
    # Requests per second. NCBI allows 3 without a key and 10 with one; a configured value
    # above the allowance is clamped (see ncbi_rate_limit), lower values are honoured.
    ncbi_rate: float | None = None
    ctgov_rate: float = 1.0
    timeout: float = 30.0
    # Seconds one fetch run (one query on one source) may take, retries and waits included: an
    # unattended run must end, whatever the service does. Four hours: a full fetch of a very
    # large query without an API key takes about one.
    run_deadline: float = 14400.0
    # MiB a service reply may take once decompressed: a page of 1,000 CT.gov studies with
    # results is rarely over 100 MiB, an EFetch page of 500 records about 10 MiB.
    max_decompressed_mb: int = 512
    max_retries: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    batch_size: int = 500
    overlap_days: int = 3
    # User TOML files merged over the packaged tagging rules (see ketlit.tagging.rules), claim rules
    # and regulatory facts (see ketlit.claims.rules). Slugs the tagging file adds may be used
    # in the other two and in query files.
    tagging_rules: Path | None = None
    claim_rules: Path | None = None
    regulatory: Path | None = None
    # User verdict rules and reference standard (see ketlit.claims.policy), merged over the packaged ones.
    verdict_rules: Path | None = None
    reference_standard: Path | None = None
    config_file: Path | None = None

    @property
    def ncbi_rate_limit(self) -> float:
        """Effective NCBI request rate: the allowance for key/no key, or lower if configured."""
        allowance = 10.0 if self.ncbi_api_key else 3.0
        if self.ncbi_rate is None:
            return allowance
        return min(self.ncbi_rate, allowance)

    def user_files(self) -> list[tuple[Path, str]]:
        """The user's own files a command reads (config and rules), each with what it is: what an
        ``--out`` must never replace (:func:`ketlit.files.refuse_overwrite`)."""
        named = (("config_file", "the config file"), ("tagging_rules", "the tagging rules file"),
                 ("claim_rules", "the claim rules file"), ("regulatory", "the regulatory facts file"),
                 ("verdict_rules", "the verdict rules file"), ("reference_standard", "the reference standard file"))
        return [(path, what) for name, what in named if (path := getattr(self, name)) is not None]

    def secrets(self) -> list[str]:
        """Values that must never appear in output, logs or the database: the API key and the
        passwords of the base URLs."""
        found = [self.ncbi_api_key, *url_secrets(self.eutils_url), *url_secrets(self.ctgov_url)]
        return list(dict.fromkeys(s for s in found if s))


# name -> environment variable
ENV_VARS: dict[str, str] = {
    "db": "KETLIT_DB",
    "ncbi_api_key": "NCBI_API_KEY",
    "ncbi_email": "NCBI_EMAIL",
    "ncbi_tool": "NCBI_TOOL",
    "eutils_url": "KETLIT_EUTILS_URL",
    "ctgov_url": "KETLIT_CTGOV_URL",
    "ncbi_rate": "KETLIT_NCBI_RATE",
    "ctgov_rate": "KETLIT_CTGOV_RATE",
    "timeout": "KETLIT_TIMEOUT",
    "run_deadline": "KETLIT_RUN_DEADLINE",
    "max_decompressed_mb": "KETLIT_MAX_DECOMPRESSED_MB",
    "max_retries": "KETLIT_MAX_RETRIES",
    "backoff_base": "KETLIT_BACKOFF_BASE",
    "backoff_cap": "KETLIT_BACKOFF_CAP",
    "batch_size": "KETLIT_BATCH_SIZE",
    "overlap_days": "KETLIT_OVERLAP_DAYS",
    "tagging_rules": "KETLIT_TAGGING_RULES",
    "claim_rules": "KETLIT_CLAIM_RULES",
    "regulatory": "KETLIT_REGULATORY",
    "verdict_rules": "KETLIT_VERDICT_RULES",
    "reference_standard": "KETLIT_REFERENCE_STANDARD",
}

# name -> (lowest, highest) accepted value; floats must also be above zero.
_FLOATS: dict[str, tuple[float, float]] = {
    "ncbi_rate": (0.001, 1000.0),  # slower than one request per ~17 minutes is a typo, and would wait for ever
    "ctgov_rate": (0.001, 1000.0),
    "timeout": (0.0, 3600.0),
    "run_deadline": (0.0, 7 * 86400.0),
    "backoff_base": (0.0, 3600.0),
    "backoff_cap": (0.0, 3600.0),
}
_INTS: dict[str, tuple[int, int]] = {
    "max_retries": (0, 100),
    "batch_size": (1, 10000),  # EFetch's own maximum per request
    "overlap_days": (0, 3650),
    "max_decompressed_mb": (1, 64 * 1024),
}
_URLS = {"eutils_url", "ctgov_url"}
_BRACKETED = re.compile(r"\[[^\[\]]+\](?::[0-9]*)?")
_PATHS = {"db", "tagging_rules", "claim_rules", "regulatory", "verdict_rules", "reference_standard"}


def _number(name: str, value: Any) -> float | int:
    if isinstance(value, bool):
        raise ValueError("not a number")
    if name in _FLOATS:
        number = float(value)
        lo, hi = _FLOATS[name]
        if not math.isfinite(number) or not lo < number <= hi:
            raise ValueError("out of range")
        return number
    whole = float(value) if isinstance(value, float) else int(value)
    if isinstance(whole, float) and not whole.is_integer():
        raise ValueError("not a whole number")
    integer = int(whole)
    lo_int, hi_int = _INTS[name]
    if not lo_int <= integer <= hi_int:
        raise ValueError("out of range")
    return integer


def _range(name: str) -> str:
    if name in _FLOATS:
        return f"a number above {_FLOATS[name][0]:g} and at most {_FLOATS[name][1]:g}"
    return f"a whole number from {_INTS[name][0]} to {_INTS[name][1]}"


def _url(name: str, text: str, origin: str) -> str:
    if not text.startswith(("http://", "https://")):
        raise ConfigError(f"invalid URL for {name} ({origin}): must start with http:// or https://")
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises for a port that is not a number or does not fit
        host = parts.hostname
        hostport = parts.netloc.rpartition("@")[2]
        if hostport.startswith("[") and not _BRACKETED.fullmatch(hostport):
            raise ValueError(f"unexpected text after the IPv6 address in {hostport!r}")
    except ValueError as exc:
        written = text.partition("//")[2].partition("/")[0].rpartition("@")[2]
        hint = ""
        if written.count(":") > 1 and not written.startswith("["):
            hint = " (an IPv6 address goes in brackets: http://[::1]:8080/)"
        raise ConfigError(f"invalid URL for {name} ({origin}): {redact_text(str(exc))}{hint}") from None
    if not host:
        raise ConfigError(f"invalid URL for {name} ({origin}): no host name")
    # Endpoints are joined onto the base, so it must end with a slash.
    return text if text.endswith("/") else text + "/"


def _coerce(name: str, value: Any, origin: str) -> Any:
    if value is None or value == "":
        return None
    if name in _PATHS:
        if not isinstance(value, str | os.PathLike):  # `db = 5` in ketlit.toml: a mistake, not a file "5"
            raise ConfigError(f"invalid value for {name} ({origin}): {_brief(value)} (expected a path, in quotes)")
        return Path(value).expanduser()
    if name in _FLOATS or name in _INTS:
        try:
            return _number(name, value)
        except (TypeError, ValueError, OverflowError):
            shown = redact_text(_brief(value))
            raise ConfigError(f"invalid value for {name} ({origin}): {shown} (expected {_range(name)})") from None
    text = str(value).strip()
    if name in _URLS:
        add_secrets(url_secrets(text))
        return _url(name, text, origin)
    return text


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 24 else f"{text[:12]}…({len(text)} characters)"


def _read_config_file(path: Path) -> dict[str, Any]:
    # Accept both top-level keys and a [ketlit] table (which then wins: top-level keys beside it are not read).
    root = read_user(path, "config file").root()
    table = root.table("ketlit") or root
    table.known_keys(ENV_VARS)
    return dict(table.data)


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    config_file: Path | None = None,
    cwd: Path | None = None,
) -> Settings:
    """Resolve settings: ``overrides`` (CLI flags) > ``env`` > config file > defaults."""
    environ = os.environ if env is None else env
    base = Path.cwd() if cwd is None else cwd
    if config_file is None and environ.get("KETLIT_CONFIG"):
        config_file = Path(environ["KETLIT_CONFIG"])
    if config_file is None and (base / CONFIG_FILE_NAME).is_file():
        config_file = base / CONFIG_FILE_NAME
    if config_file is not None and not config_file.is_file():
        what = "is a folder, not a config file" if config_file.is_dir() else "not found"
        raise ConfigError(f"config file {what}: {config_file}")

    values: dict[str, Any] = {}
    if config_file is not None:
        for name, raw in _read_config_file(config_file).items():
            values[name] = _coerce(name, raw, f"config file {config_file}")
    for name, var in ENV_VARS.items():
        if var in environ and environ[var] != "":
            values[name] = _coerce(name, environ[var], f"environment variable {var}")
    for name, raw in (overrides or {}).items():
        if name not in ENV_VARS:
            raise ConfigError(f"unknown setting: {name}")
        if raw is not None:
            values[name] = _coerce(name, raw, "command-line flag")
    values = {k: v for k, v in values.items() if v is not None}
    known = {f.name for f in fields(Settings)}
    settings = replace(Settings(), **{k: v for k, v in values.items() if k in known})
    add_secrets(settings.secrets())
    return replace(settings, config_file=config_file)


def traceback_wanted(env: Mapping[str, str] | None = None) -> bool:
    """Whether ``KETLIT_TRACEBACK`` asks for the full traceback of an unexpected error (for a bug report)."""
    return (os.environ if env is None else env).get("KETLIT_TRACEBACK", "") not in ("", "0")


def pubmed_cap(env: Mapping[str, str] | None = None) -> int:
    """The most records one PubMed search may return: the service's 9,999, or ``KETLIT_PUBMED_CAP``."""
    # Not a setting (no flag, no config key, not documented): it exists only so that a test
    # stand-in with a small corpus can exercise the date-splitting of oversized searches.
    value = (os.environ if env is None else env).get("KETLIT_PUBMED_CAP", "9999")
    if not value.isdigit() or int(value) < 1:
        raise InputError(f"KETLIT_PUBMED_CAP must be a positive integer (got {value!r})")
    return int(value)
