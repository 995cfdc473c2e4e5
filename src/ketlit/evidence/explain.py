"""Plain-text lines for ``ketlit explain PMID``: the stored study profile, readable in a terminal.

Pure: takes the stored profile (``ProfileStore.profile``) and the abstract's sentences, returns
lines; the CLI prints them. Every finding is shown with the sentence that carries it, so a
reader can check the label against the words in seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _ranges(roles: Sequence[str]) -> str:
    parts: list[str] = []
    start = 0
    for i in range(1, len(roles) + 1):
        if i == len(roles) or roles[i] != roles[start]:
            span = f"s{start}" if i - 1 == start else f"s{start}–s{i - 1}"
            parts.append(f"{span} {roles[start]}")
            start = i
    return " · ".join(parts)


def effect_text(f: Mapping[str, Any], *, arms: int = 4, counts: bool = True, certainty: bool = True) -> str:
    """A stored finding's numbers in one line: effect with its 95% CI, up to ``arms`` arm rates
    (with events/n when ``counts``), p, and the certainty a review states (when ``certainty``)."""
    bits = []
    e = f.get("effect")
    if e:
        lo, hi = e["ci"]
        level = "CI, level not stated," if e.get("ci_level") == "unstated" else "95% CI"
        bits.append(f"{e['measure']} {e['value']:g} ({level} {lo:g} to {hi:g})")
    rates = f.get("rates") or []
    if rates:
        bits.append(
            " vs ".join(
                f"{r['percent']:g}%" + (f" ({r['events']}/{r['n']})" if counts and r.get("n") else "")
                for r in rates[:arms]
            )
        )
    if f.get("p"):
        bits.append(f"p {f['p']}")
    if certainty and f.get("certainty"):
        bits.append(f"{f['certainty'].replace('_', ' ')} certainty")
    return "; ".join(bits)


def _review_lines(review: Mapping[str, Any] | None) -> list[str]:
    """A review's studies, participants, stated certainty and topic (when its title names one)."""
    if not review:
        return []
    cert = review.get("certainty")
    lines = [
        f"  review: k = {review.get('k') if review.get('k') is not None else '?'}, "
        f"N = {review.get('n') if review.get('n') is not None else '?'}, stated certainty "
        + (f"{cert.replace('_', ' ')} (s{review.get('certainty_s')})" if cert else "none")
    ]
    if review.get("topic"):
        lines.append(f"  review topic: {review['topic']} (title: \"{review.get('topic_words') or ''}\")")
    return lines


def profile_lines(profile: dict[str, Any], sentences: Sequence[str], *, width: int = 160) -> list[str]:
    """The profile as indented lines (no markup)."""

    def clip(text: str) -> str:
        return text if len(text) <= width else text[: width - 1] + "…"

    q = profile["question"]
    lines = [f"study profile (evidence rules {str(profile.get('rules_sha256', ''))[:12]})"]
    rule = f"rule {q['rule']}: " if q["rule"] >= 0 else ""
    lines.append(f"  question: {q['value']}" + (f'  ({rule}"{q["words"]}")' if q["words"] else ""))
    about = []
    for key, name in (
        ("conditions", "condition"),
        ("populations", "population"),
        ("molecules", "molecule"),
        ("routes", "route"),
        ("designs", "design"),
    ):
        if profile.get(key):
            about.append(f"{name} {', '.join(profile[key])}")
    if about:
        lines.append("  " + " · ".join(about))
    study = []
    if profile.get("comparator"):
        study.append(f"comparator {profile['comparator']} ({profile['comparator_kind']})")
    study.append(f"n = {profile['n']}" if profile.get("n") is not None else "n not stated")
    if profile.get("blinding"):
        study.append(f"blinding {profile['blinding']}")
    if profile.get("timepoints"):
        study.append(f"timepoints {', '.join(profile['timepoints'])}")
    lines.append("  " + " · ".join(study))
    group = profile.get("group") or {}
    if group:
        role = "main report" if group.get("main") else f"counted through {group.get('id')}"
        members = group.get("members") or []
        extra = f"; members {', '.join(members)}" if len(members) > 1 else ""
        lines.append(
            f"  trial group {group.get('id')}: {role}{extra}"
            + (f" · relation {profile['relation']}" if profile.get("relation") else "")
        )
    if profile.get("nct_ids"):
        lines.append(f"  registry: {', '.join(profile['nct_ids'])}")
    if profile.get("trial_keys"):
        # Other registries' IDs and study acronyms: what else joins the record's trial group.
        lines.append(f"  trial named: {', '.join(k.split(':', 1)[1] for k in profile['trial_keys'])}")
    how = "from the abstract's labels" if profile.get("roles_labelled") else "inferred (unlabelled abstract)"
    lines.append(f"  sentence roles, {how}: {_ranges(profile.get('roles') or [])}")
    findings = profile.get("findings") or []
    lines.append(f"  findings ({len(findings)}):")
    roles = profile.get("roles") or []
    for f in findings:
        s = f["s"]
        role = roles[s] if s < len(roles) else "?"
        comp = f" vs {f['comparator']}" if f.get("comparator") else ""
        numbers = effect_text(f)
        lines.append(
            clip(
                f"    s{s} [{role}] {f['direction']}, favours {f['favours']} — "
                f"{f.get('outcome') or 'outcome not named'}"
                f"{comp} ({f['outcome_kind']})" + (f"; {numbers}" if numbers else "") + f"  [{f['basis']}]"
            )
        )
        if s < len(sentences):
            lines.append(clip(f'        "{sentences[s]}"'))
    for a in profile.get("adverse_events") or []:
        rates = effect_text({"rates": a.get("rates")})  # the rates printed for this harm, as a finding's arms
        said = f"  adverse event s{a['s']}: {a['event']} — {a['presence']}"
        lines.append(clip(said + (f"; {rates}" if rates else "")))
    lines.extend(clip(line) for line in _review_lines(profile.get("review")))
    if profile.get("readable"):
        lines.append("  readable: yes")
    else:
        lines.append(f"  readable: no — {profile.get('unreadable_reason') or 'nothing the reader can tell'}")
    return lines
