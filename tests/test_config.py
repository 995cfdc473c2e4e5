"""Configuration precedence: flag > environment > ketlit.toml > default."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketlit.config import DEFAULT_CTGOV_URL, DEFAULT_EUTILS_URL, load_settings, pubmed_cap
from ketlit.errors import ConfigError, InputError


def test_defaults(tmp_path: Path) -> None:
    s = load_settings(env={}, cwd=tmp_path)
    assert s.db == Path("cache/ketlit.db")
    assert s.eutils_url == DEFAULT_EUTILS_URL and s.ctgov_url == DEFAULT_CTGOV_URL
    assert s.ncbi_tool == "ketlit" and s.ncbi_email is None and s.ncbi_api_key is None
    assert s.ncbi_rate_limit == 3.0 and s.batch_size == 500


def test_precedence(tmp_path: Path) -> None:
    (tmp_path / "ketlit.toml").write_text('db = "from-file.db"\nncbi_tool = "filetool"\nncbi_email = "f@x.org"\n')
    env = {"KETLIT_DB": "from-env.db", "NCBI_TOOL": "envtool"}
    s = load_settings({"db": Path("from-flag.db")}, env=env, cwd=tmp_path)
    assert s.db == Path("from-flag.db")
    assert s.ncbi_tool == "envtool"
    assert s.ncbi_email == "f@x.org"
    s = load_settings({}, env=env, cwd=tmp_path)
    assert s.db == Path("from-env.db")
    s = load_settings({}, env={}, cwd=tmp_path)
    assert s.db == Path("from-file.db")


def test_ketlit_table_and_explicit_file(tmp_path: Path) -> None:
    cfg = tmp_path / "other.toml"
    cfg.write_text('[ketlit]\nncbi_rate = 2\neutils_url = "http://127.0.0.1:9/eutils"\n')
    s = load_settings(env={}, config_file=cfg, cwd=tmp_path)
    assert s.ncbi_rate_limit == 2.0
    assert s.eutils_url == "http://127.0.0.1:9/eutils/"  # a trailing slash is added


def test_rate_is_clamped_to_the_allowance(tmp_path: Path) -> None:
    assert load_settings(env={"KETLIT_NCBI_RATE": "50"}, cwd=tmp_path).ncbi_rate_limit == 3.0
    keyed = load_settings(env={"KETLIT_NCBI_RATE": "50", "NCBI_API_KEY": "k"}, cwd=tmp_path)
    assert keyed.ncbi_rate_limit == 10.0
    assert load_settings(env={"NCBI_API_KEY": "k"}, cwd=tmp_path).ncbi_rate_limit == 10.0


def test_key_not_in_repr(tmp_path: Path) -> None:
    s = load_settings(env={"NCBI_API_KEY": "sekrit-123"}, cwd=tmp_path)
    assert "sekrit-123" not in repr(s)
    assert s.secrets() == ["sekrit-123"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KETLIT_NCBI_RATE": "fast"}, "KETLIT_NCBI_RATE"),
        ({"KETLIT_BATCH_SIZE": "0"}, "batch_size"),
        ({"KETLIT_EUTILS_URL": "ftp://x"}, "eutils_url"),
        ({"KETLIT_CONFIG": "/nonexistent/ketlit.toml"}, "config file not found"),
    ],
)
def test_bad_values(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env=env, cwd=tmp_path)


def test_bad_config_file(tmp_path: Path) -> None:
    (tmp_path / "ketlit.toml").write_text("db = [unclosed\n")
    with pytest.raises(ConfigError, match=r"ketlit\.toml: invalid TOML"):
        load_settings(env={}, cwd=tmp_path)
    (tmp_path / "ketlit.toml").write_text('colour = "blue"\n')
    with pytest.raises(ConfigError, match=r"ketlit\.toml: colour: unknown key \(expected one of: db, "):
        load_settings(env={}, cwd=tmp_path)
    # In a [ketlit] table too, and a value of the wrong kind is named by its dotted key.
    (tmp_path / "ketlit.toml").write_text('[ketlit]\ncolour = "blue"\n')
    with pytest.raises(ConfigError, match=r"ketlit\.toml: ketlit\.colour: unknown key"):
        load_settings(env={}, cwd=tmp_path)
    (tmp_path / "ketlit.toml").write_text('ketlit = "yes"\n')
    with pytest.raises(ConfigError, match=r"ketlit\.toml: ketlit: must be a table, got a string"):
        load_settings(env={}, cwd=tmp_path)
    (tmp_path / "ketlit.toml").write_bytes(b'db = "caf\xe9.db"\n')
    with pytest.raises(ConfigError, match=r"ketlit\.toml: not UTF-8 text"):
        load_settings(env={}, cwd=tmp_path)
    with pytest.raises(ConfigError, match="config file is a folder"):  # not a file: refused before reading
        load_settings(env={}, config_file=tmp_path, cwd=tmp_path)
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(env={}, config_file=tmp_path / "missing.toml", cwd=tmp_path)


@pytest.mark.parametrize(
    ("name", "var"),
    [("tagging_rules", "KETLIT_TAGGING_RULES"), ("claim_rules", "KETLIT_CLAIM_RULES"),
     ("regulatory", "KETLIT_REGULATORY")],
)
def test_user_rules_files_resolve_like_every_setting(tmp_path: Path, name: str, var: str) -> None:
    assert getattr(load_settings(env={}, cwd=tmp_path), name) is None  # the packaged file alone
    (tmp_path / "ketlit.toml").write_text(f'{name} = "from-file.toml"\n')
    assert getattr(load_settings(env={}, cwd=tmp_path), name) == Path("from-file.toml")
    env = {var: "~/from-env.toml"}
    assert getattr(load_settings(env=env, cwd=tmp_path), name) == Path("~/from-env.toml").expanduser()
    flagged = load_settings({name: "from-flag.toml"}, env=env, cwd=tmp_path)
    assert getattr(flagged, name) == Path("from-flag.toml")
    # An empty variable means "not set", not "the current directory".
    assert getattr(load_settings(env={var: ""}, cwd=tmp_path), name) == Path("from-file.toml")


def test_pubmed_cap_is_the_services_unless_a_stand_in_lowers_it() -> None:
    assert pubmed_cap({}) == 9999
    assert pubmed_cap({"KETLIT_PUBMED_CAP": "50"}) == 50
    for bad in ("0", "-1", "many", ""):
        with pytest.raises(InputError, match="KETLIT_PUBMED_CAP must be a positive integer"):
            pubmed_cap({"KETLIT_PUBMED_CAP": bad})


def test_a_number_as_a_path_is_refused(tmp_path: Path) -> None:
    (tmp_path / "ketlit.toml").write_text("db = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"invalid value for db .*expected a path, in quotes"):
        load_settings(env={}, cwd=tmp_path)  # was read as a cache file named "5"
    (tmp_path / "ketlit.toml").write_text('db = "5.db"\n', encoding="utf-8")
    assert load_settings(env={}, cwd=tmp_path).db == Path("5.db")


def test_history_names_a_malformed_nct_id(tmp_path: Path) -> None:
    from ketlit.jobs.lookup import trial_history
    from ketlit.store import open_store

    store = open_store(tmp_path / "k.db")
    with pytest.raises(InputError, match="not an NCT ID"):
        trial_history(store, "123")
    with pytest.raises(InputError, match="NCT01234567 is not in the cache"):
        trial_history(store, " nct01234567 ")
