"""Adjudicate two labelling passes of the evidence-reading sample (ketlit issue 12).

    python tools/evidence_adjudicate.py a            # set a: sample.txt[0:111]
    python tools/evidence_adjudicate.py b --from 111 --to 222

Mechanical part:
  * aligns the two passes' findings (by sentence index `s`, then `also`, then outcome wording),
    likewise adverse events and review pooled results;
  * computes agreement statistics (question % and Cohen's kappa, finding alignment, direction and
    favours agreement on aligned findings);
  * copies every field both passes agree on; lists every disagreement.
Reading part: disagreements are decided in resolutions_<set>.json (written by the adjudicator after
re-reading the abstracts). Keys:
  {pmid: {"fields": {field: {"value": v, "reason": r}},
          "findings": {key: {"action": "p1"|"p2"|"keep"|"drop", "set": {..}, "reason": r}},
          "ae": {key: {...same...}}, "pooled": {key: {...same...}},
          "review": {field: {"value": v, "reason": r}},
          "add_findings": [finding, ...], "notes": "..."}}
  finding keys: "1.i-2.j" (aligned pair: pass1 index i, pass2 index j), "1.i" / "2.j" (one pass only).
  For a pair, "set" overrides fields of the merged finding (e.g. {"direction": "decreased"}); a pair
  with no entry keeps pass-1 values for the fields in dispute. One-pass findings default to kept when
  their sentence is in a RESULTS/CONCLUSIONS section, else dropped, unless resolved otherwise.
Writes gold_<set>.jsonl, disagreements_<set>.md, and (for inspection) /tmp/adjudicate_todo_<set>.json
with the unresolved disagreements. An optional "_policy" list in the resolutions file (general rules the
adjudicator applied) is printed at the top of the report. Validates the gold file (JSON, quotes are
prefixes of sentence s).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sqlite3
import sys
from collections import Counter
from pathlib import Path

# Run from a checkout without installing: the package is in ../src.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from ketlit.evidence.sentences import abstract_sentences
from ketlit.sources.models import AbstractSection

HERE = Path(__file__).resolve().parents[1] / "labels" / "evidence"
SAMPLE = HERE / "sample.txt"
# The labelling cache (see labels/evidence/README.md for how to build it).
DB = os.environ.get("KETLIT_LABEL_DB", "/tmp/lab.db")

RECORD_CATEGORICAL = ["question", "condition", "population", "molecule", "route", "comparator_kind", "n",
                      "blinding", "trial", "relation", "readable"]
RECORD_TEXT = ["comparator", "duration", "timepoints"]
FINDING_CATEGORICAL = ["direction", "favours", "outcome_kind", "numbers"]
FINDING_TEXT = ["intervention", "comparator", "outcome", "timepoint"]
AE_CATEGORICAL = ["presence", "numbers"]
POOLED_CATEGORICAL = ["direction", "favours", "measure", "value", "ci"]
REVIEW_CATEGORICAL = ["k", "n", "certainty"]
FINDING_ORDER = ["s", "quote", "intervention", "comparator", "outcome", "outcome_kind", "direction", "favours",
                 "timepoint", "numbers", "also"]
QUOTE_LEN = 60


# ---------------------------------------------------------------- input
def load_jsonl(path: Path) -> dict[str, dict]:
    out = {}
    for line in path.read_text().splitlines():
        if line.strip():
            rec = json.loads(line)
            out[rec["pmid"]] = rec
    return out


def load_sentences(pmids: list[str]) -> dict[str, list]:
    con = sqlite3.connect(f"file:{DB}?mode=ro", uri=True)
    out = {}
    for pmid in pmids:
        row = con.execute("SELECT abstract_sections FROM articles WHERE pmid = ?", (pmid,)).fetchone()
        secs = [AbstractSection(label, c, t) for label, c, t in json.loads((row[0] if row else None) or "[]")]
        out[pmid] = abstract_sentences(secs)
    return out


def quote_of(sents: list, s: int) -> str | None:
    if s is None or not (0 <= s < len(sents)):
        return None
    text = sents[s].text
    if len(text) <= QUOTE_LEN:
        return text
    cut = text[:QUOTE_LEN]
    # end on a word boundary so the quote reads naturally (still a verbatim prefix)
    sp = cut.rfind(" ")
    return cut[:sp] if sp > 40 else cut


def is_result_sentence(sents: list, s: int) -> bool | None:
    """True/False for structured abstracts; None (judge by reading) for unstructured ones."""
    if s is None or not (0 <= s < len(sents)):
        return False
    cat = sents[s].category
    if cat in ("RESULTS", "CONCLUSIONS"):
        return True
    if cat is None and sents[s].label is None:
        return None
    return False


# ---------------------------------------------------------------- statistics
def kappa(a: list, b: list) -> float:
    n = len(a)
    if n == 0:
        return float("nan")
    po = sum(x == y for x, y in zip(a, b, strict=False)) / n
    ca, cb = Counter(a), Counter(b)
    pe = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    return 1.0 if pe == 1 else (po - pe) / (1 - pe)


def words(t) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", str(t or "").lower())) - {"the", "of", "and", "in", "at", "a", "to", "or"}


def sim(a, b) -> float:
    wa, wb = words(a), words(b)
    return len(wa & wb) / len(wa | wb) if wa | wb else 1.0


def norm_numbers(x):
    """Numbers compared loosely: float-normalise, drop empty containers, p text without spaces."""
    if isinstance(x, dict):
        d = {k: norm_numbers(v) for k, v in x.items() if v not in (None, [], {}, "")}
        return d or None
    if isinstance(x, list):
        return [norm_numbers(v) for v in x]
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return round(float(x), 4)
    if isinstance(x, str):
        return x.replace(" ", "").lower()
    return x


def same(field, a, b) -> bool:
    if field == "numbers":
        return norm_numbers(a) == norm_numbers(b)
    if field in ("trial",):
        return str(a or "").strip().lower() == str(b or "").strip().lower()
    return a == b


# ---------------------------------------------------------------- alignment
def align(items1: list[dict], items2: list[dict], text_key: str) -> tuple[list, list, list]:
    """Greedy alignment: same s first, then s in the other's `also`; ties broken by wording."""
    cands = []
    for i, a in enumerate(items1):
        for j, b in enumerate(items2):
            also_a, also_b = set(a.get("also") or []), set(b.get("also") or [])
            if a.get("s") == b.get("s"):
                base = 2
            elif a.get("s") in also_b or b.get("s") in also_a:
                base = 1
            else:
                continue
            wsim = sim(a.get(text_key), b.get(text_key))
            if base == 1 and wsim < 0.2:
                continue
            tie = (2 * sim(a.get("intervention", ""), b.get("intervention", ""))
                   + sim(a.get("comparator", ""), b.get("comparator", ""))
                   + (1 if a.get("timepoint") == b.get("timepoint") else 0)
                   + sim(json.dumps(a.get("numbers")), json.dumps(b.get("numbers"))))
            cands.append((base, wsim, tie, -abs(i - j), i, j))
    cands.sort(reverse=True)
    used1, used2, pairs = set(), set(), []
    for *_, i, j in cands:
        if i not in used1 and j not in used2:
            used1.add(i)
            used2.add(j)
            pairs.append((i, j))
    only1 = [i for i in range(len(items1)) if i not in used1]
    only2 = [j for j in range(len(items2)) if j not in used2]
    return sorted(pairs), only1, only2


# ---------------------------------------------------------------- merging
def ordered(f: dict, order: list[str]) -> dict:
    out = {k: f[k] for k in order if k in f}
    out.update({k: v for k, v in f.items() if k not in out})
    return out


def merge_item(a: dict, b: dict, cat_fields: list[str], text_fields: list[str], res: dict | None,
               where: str, pmid: str, dis: list, sents: list = ()) -> dict:
    """Merge an aligned pair; record disagreements on categorical fields (and s)."""
    m = copy.deepcopy(a)
    for k, v in b.items():
        if k not in m:
            m[k] = copy.deepcopy(v)
    disputed = []
    if a.get("s") != b.get("s"):
        disputed.append(("s", a.get("s"), b.get("s")))
    for f in cat_fields:
        if not same(f, a.get(f), b.get(f)):
            disputed.append((f, a.get(f), b.get(f)))
    also = sorted(set(a.get("also") or []) | set(b.get("also") or []))
    if "also" in a or "also" in b:
        m["also"] = also
    action = (res or {}).get("action", "p1")
    if action == "p2":
        m = copy.deepcopy(b)
        for k, v in a.items():
            m.setdefault(k, copy.deepcopy(v))
        if also:
            m["also"] = also
    if action == "drop":
        m = None
    elif res and res.get("set"):
        m.update(copy.deepcopy(res["set"]))
    if m is not None:
        for k in [k for k, v in m.items() if v == "__delete__"]:
            del m[k]
    if m is not None and "also" in m:
        m["also"] = sorted(set(m["also"]) - {m.get("s")})
        if not m["also"]:
            del m["also"]
    reason = (res or {}).get("reason")
    for f, va, vb in disputed:
        final = "dropped" if m is None else m.get(f)
        auto = None
        if res is None and f == "numbers" and m is not None:
            auto = auto_numbers(va, vb, sents, m.get("s"))
            if auto is not None:
                m["numbers"] = auto[0]
                final = auto[0]
        dis.append({"pmid": pmid, "where": where, "field": f, "p1": va, "p2": vb, "resolution": final,
                    "reason": reason or (auto[1] if auto else None), "resolved": res is not None or auto is not None})
    # corrections of values both passes agreed on (the convention or schema overrules an agreement)
    dfields = {d[0] for d in disputed}
    for f, v in ((res or {}).get("set") or {}).items():
        if f not in dfields and f != "also" and a.get(f) == b.get(f) and a.get(f) != v:
            dis.append({"pmid": pmid, "where": where, "field": f + " (both passes agreed; corrected)",
                        "p1": a.get(f), "p2": b.get(f), "resolution": v, "reason": reason, "resolved": True})
    return m


def flat_values(x) -> list:
    if isinstance(x, dict):
        return [v for k, val in x.items() if k != "measure" for v in flat_values(val)]
    if isinstance(x, list):
        return [v for val in x for v in flat_values(val)]
    return [x] if x not in (None, "", "intervention", "comparator") else []


def printed(v, text: str) -> bool:
    t = text.replace("\u2212", "-").replace("\u2009", "").replace(" ", "")
    if isinstance(v, str):
        return v.replace(" ", "").lstrip("=").lower() in t.lower()
    if isinstance(v, (int, float)):
        cands = {str(v), f"{v:g}", str(abs(v)), f"{abs(v):g}"}
        if isinstance(v, float):
            for d in (1, 2, 3, 4):
                cands.add(f"{abs(v):.{d}f}")
                cands.add(f"{abs(v):.{d}f}".lstrip("0"))
        return any(c and re.search(r"(?<![0-9])" + re.escape(c) + r"(?![0-9])", t) for c in cands)
    return False


def superset(a, b) -> bool:
    """b contains everything a has (dicts compared key by key, lists item by item)."""
    a, b = norm_numbers(a), norm_numbers(b)
    if a is None:
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return all(k in b and superset(v, b[k]) for k, v in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(superset(x, y) for x, y in zip(a, b, strict=False))
    return a == b


def auto_numbers(va, vb, sents, s):
    """One pass gave a subset of the other's numbers: keep the fuller set if sentence s prints it."""
    for small, big in ((va, vb), (vb, va)):
        if superset(small, big) and big:
            text = sents[s].text if s is not None and 0 <= s < len(sents) else ""
            if all(printed(v, text) for v in flat_values(big)):
                return copy.deepcopy(big), ("one pass gave fewer of the printed numbers; fuller set kept "
                                          "(checked against the sentence)")
    return None


def one_pass(item: dict, which: int, res: dict | None, sents, pmid: str, where: str, dis: list,
             result_check: bool = True, other: list = ()) -> dict | None:
    """A finding/AE/pooled result only one pass has. `other`: the other pass's items of the same kind;
    if one of them sits on the same sentence, this is a finer split of a result the other pass merged."""
    rs = is_result_sentence(sents, item.get("s")) if result_check else True
    split = any(o.get("s") == item.get("s") for o in other)
    if res is None:
        keep = rs is True
        reason = None
        if keep:
            reason = ("finer split of a result the other pass merged: kept (one entry per outcome/event)" if split
                      else "only one pass; results/conclusions sentence: kept")
    else:
        keep = res.get("action", "keep") in ("keep", "p1", "p2")
        reason = res.get("reason")
    out = None
    if keep:
        out = copy.deepcopy(item)
        if res and res.get("set"):
            out.update(copy.deepcopy(res["set"]))
        for k in [k for k, v in out.items() if v == "__delete__"]:
            del out[k]
    what = item.get('outcome') or item.get('event') or ''
    summary = f"s{item.get('s')} {what} [{item.get('direction') or item.get('presence') or ''}]"
    dis.append({"pmid": pmid, "where": where, "field": f"only pass{which}" + (" (split)" if split else ""),
                "p1": summary if which == 1 else "—", "p2": summary if which == 2 else "—",
                "resolution": "kept" if keep else "dropped", "reason": reason,
                "resolved": res is not None or rs is True})
    return out


USED: set = set()


class Tracked(dict):
    """A resolutions sub-dict that records which keys were looked up (to catch stale keys)."""

    def __init__(self, d, tag):
        super().__init__(d or {})
        self.tag = tag

    def get(self, k, default=None):
        if dict.__contains__(self, k):
            USED.add((self.tag, k))
        return dict.get(self, k, default)


def adjudicate(pmid, r1, r2, sents, res, dis, wording):
    res = dict(res or {})
    for part in ("fields", "findings", "ae", "pooled", "review"):
        res[part] = Tracked(res.get(part), (pmid, part))
    g = {"pmid": pmid}
    # record-level categorical
    for f in RECORD_CATEGORICAL:
        a, b = r1.get(f), r2.get(f)
        fr = (res.get("fields") or {}).get(f)
        if same(f, a, b) and not fr:
            g[f] = a
            continue
        if same(f, a, b) and fr and fr["value"] != a:
            g[f] = fr["value"]
            dis.append({"pmid": pmid, "where": "record", "field": f + " (both passes agreed; corrected)", "p1": a,
                        "p2": b, "resolution": g[f], "reason": fr.get("reason"), "resolved": True})
            continue
        if fr:
            g[f] = fr["value"]
        else:
            g[f] = a
        if not same(f, a, b):
            dis.append({"pmid": pmid, "where": "record", "field": f, "p1": a, "p2": b, "resolution": g[f],
                        "reason": fr and fr.get("reason"), "resolved": fr is not None})
    for f in RECORD_TEXT:
        a, b = r1.get(f), r2.get(f)
        fr = (res.get("fields") or {}).get(f)
        g[f] = fr["value"] if fr else a
        if a != b:
            wording["record." + f] += 1
    # findings
    f1, f2 = r1.get("findings") or [], r2.get("findings") or []
    pairs, o1, o2 = align(f1, f2, "outcome")
    fres = res.get("findings") or {}
    findings = []
    n_dir_dis = 0
    for i, j in pairs:
        key = f"1.{i}-2.{j}"
        m = merge_item(f1[i], f2[j], FINDING_CATEGORICAL, FINDING_TEXT, fres.get(key),
                       f"finding {key} (s{f1[i].get('s')})", pmid, dis, sents)
        for t in FINDING_TEXT:
            if f1[i].get(t) != f2[j].get(t):
                wording["finding." + t] += 1
        if f1[i].get("direction") != f2[j].get("direction"):
            n_dir_dis += 1
        if m is not None:
            findings.append(m)
    for i in o1:
        m = one_pass(f1[i], 1, fres.get(f"1.{i}"), sents, pmid, f"finding 1.{i}", dis, other=f2)
        if m is not None:
            findings.append(m)
    for j in o2:
        m = one_pass(f2[j], 2, fres.get(f"2.{j}"), sents, pmid, f"finding 2.{j}", dis, other=f1)
        if m is not None:
            findings.append(m)
    for extra in res.get("add_findings") or []:
        findings.append(copy.deepcopy(extra))
        dis.append({"pmid": pmid, "where": f"finding s{extra.get('s')}", "field": "added by adjudicator",
                    "p1": "—", "p2": "—", "resolution": f"added: {extra.get('outcome')} [{extra.get('direction')}]",
                    "reason": extra.pop("_reason", ""), "resolved": True})
    for m in findings:
        m["quote"] = quote_of(sents, m.get("s"))
    findings.sort(key=lambda m: (m.get("s") if m.get("s") is not None else 999))
    g["findings"] = [ordered(m, FINDING_ORDER) for m in findings]
    # adverse events
    a1, a2 = r1.get("adverse_events") or [], r2.get("adverse_events") or []
    pairs_ae, ao1, ao2 = align(a1, a2, "event")
    ares = res.get("ae") or {}
    aes = []
    for i, j in pairs_ae:
        key = f"1.{i}-2.{j}"
        m = merge_item(a1[i], a2[j], AE_CATEGORICAL, ["event"], ares.get(key), f"AE {key} (s{a1[i].get('s')})",
                       pmid, dis, sents)
        if m is not None:
            aes.append(m)
    for i in ao1:
        m = one_pass(a1[i], 1, ares.get(f"1.{i}"), sents, pmid, f"AE 1.{i}", dis, other=a2)
        if m is not None:
            aes.append(m)
    for j in ao2:
        m = one_pass(a2[j], 2, ares.get(f"2.{j}"), sents, pmid, f"AE 2.{j}", dis, other=a1)
        if m is not None:
            aes.append(m)
    for m in aes:
        m["quote"] = quote_of(sents, m.get("s"))
    aes.sort(key=lambda m: (m.get("s") if m.get("s") is not None else 999))
    g["adverse_events"] = [ordered(m, ["s", "quote", "event", "presence", "numbers"]) for m in aes]
    # review
    v1, v2 = r1.get("review"), r2.get("review")
    rres = res.get("review") or {}
    if v1 is None and v2 is None and not rres:
        g["review"] = None
    elif v1 is None or v2 is None:
        fr = (res.get("fields") or {}).get("review")
        g["review"] = fr["value"] if fr else (v1 or v2)
        dis.append({"pmid": pmid, "where": "record", "field": "review", "p1": "null" if v1 is None else "object",
                    "p2": "null" if v2 is None else "object", "resolution": "null" if g["review"] is None else "object",
                    "reason": fr and fr.get("reason"), "resolved": fr is not None})
    else:
        rv = {}
        for f in REVIEW_CATEGORICAL:
            fr = rres.get(f)
            rv[f] = fr["value"] if fr else v1.get(f)
            if v1.get(f) != v2.get(f):
                dis.append({"pmid": pmid, "where": "review", "field": f, "p1": v1.get(f), "p2": v2.get(f),
                            "resolution": rv[f], "reason": fr and fr.get("reason"), "resolved": fr is not None})
        pl1, pl2 = v1.get("pooled") or [], v2.get("pooled") or []
        pp, po1, po2 = align(pl1, pl2, "outcome")
        pres = res.get("pooled") or {}
        pooled = []
        for i, j in pp:
            key = f"1.{i}-2.{j}"
            m = merge_item(pl1[i], pl2[j], POOLED_CATEGORICAL, [], pres.get(key), f"pooled {key} (s{pl1[i].get('s')})",
                           pmid, dis, sents)
            if m is not None:
                pooled.append(m)
        for i in po1:
            m = one_pass(pl1[i], 1, pres.get(f"1.{i}"), sents, pmid, f"pooled 1.{i}", dis, other=pl2)
            if m is not None:
                pooled.append(m)
        for j in po2:
            m = one_pass(pl2[j], 2, pres.get(f"2.{j}"), sents, pmid, f"pooled 2.{j}", dis, other=pl1)
            if m is not None:
                pooled.append(m)
        for m in pooled:
            m["quote"] = quote_of(sents, m.get("s"))
        pooled.sort(key=lambda m: (m.get("s") if m.get("s") is not None else 999))
        rv["pooled"] = [ordered(m, ["s", "quote", "comparison", "outcome", "timepoint", "measure", "value", "ci",
                                    "direction", "favours"]) for m in pooled]
        g["review"] = {"k": rv["k"], "n": rv["n"], "pooled": rv["pooled"], "certainty": rv["certainty"]}
    g["notes"] = res.get("notes", r1.get("notes") or r2.get("notes") or "")
    g["labeller"] = "gold"
    g["agreement"] = {"question": r1.get("question") == r2.get("question"), "findings_both": len(pairs),
                      "findings_one": len(o1) + len(o2), "direction_disagreements": n_dir_dis}
    keyorder = ["pmid", "question", "condition", "population", "molecule", "route", "comparator", "comparator_kind",
                "n", "blinding", "duration", "timepoints", "findings", "adverse_events", "review", "trial",
                "relation", "readable", "notes", "labeller", "agreement"]
    return ordered(g, keyorder), pairs


# ---------------------------------------------------------------- checks
def sanity(g: dict) -> list[str]:
    out = []
    for f in g["findings"]:
        if f.get("direction") not in ("increased", "decreased", "no_difference"):
            out.append(f"s{f.get('s')}: bad direction {f.get('direction')}")
        if f.get("favours") not in ("intervention", "comparator", "neither"):
            out.append(f"s{f.get('s')}: bad favours {f.get('favours')}")
        if f.get("direction") == "no_difference" and f.get("favours") != "neither" and f.get("outcome_kind") != "other":
            out.append(f"s{f.get('s')}: no_difference but favours {f.get('favours')}")
    if not g["readable"] and g["findings"]:
        out.append("readable=false with findings")
    for pl in (g.get("review") or {}).get("pooled") or []:
        same_s = [f for f in g["findings"] if f.get("s") == pl.get("s") or pl.get("s") in (f.get("also") or [])]
        if not same_s:
            out.append(f"pooled s{pl.get('s')} has no finding on that sentence")
        elif not any(f.get("direction") == pl.get("direction") for f in same_s):
            out.append(f"pooled s{pl.get('s')} direction {pl.get('direction')} differs from its finding(s)")
    return out


def validate(path: Path, sents_by: dict) -> list[str]:
    errs = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            errs.append(f"line {n}: {e}")
            continue
        sents = sents_by[rec["pmid"]]
        pooled = (rec.get("review") or {}).get("pooled") or []
        items = list(rec["findings"]) + list(rec["adverse_events"]) + list(pooled)
        for it in items:
            s, q = it.get("s"), it.get("quote")
            if s is None or not (0 <= s < len(sents)) or not q or not sents[s].text.startswith(q):
                errs.append(f"{rec['pmid']} s{s}: quote not a prefix: {q!r}")
            for a in it.get("also") or []:
                if not (0 <= a < len(sents)):
                    errs.append(f"{rec['pmid']} also {a} out of range")
    return errs


# ---------------------------------------------------------------- report
def fmt(v) -> str:
    if v is None:
        return "null"
    s = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
    s = s.replace("|", "/").replace("\n", " ")
    return s if len(s) <= 70 else s[:67] + "..."


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("set", help="a or b")
    ap.add_argument("--from", dest="start", type=int, default=None)
    ap.add_argument("--to", dest="end", type=int, default=None)
    ap.add_argument("--out", default=str(HERE), help="directory for gold_<set>.jsonl and disagreements_<set>.md")
    a = ap.parse_args()
    start = a.start if a.start is not None else (0 if a.set == "a" else 111)
    end = a.end if a.end is not None else (111 if a.set == "a" else 222)
    pmids = [line.strip() for line in SAMPLE.read_text().splitlines() if line.strip()][start:end]
    p1 = load_jsonl(HERE / f"pass1_{a.set}.jsonl")
    p2 = load_jsonl(HERE / f"pass2_{a.set}.jsonl")
    missing = [p for p in pmids if p not in p1 or p not in p2]
    if missing:
        sys.exit(f"missing in a pass: {missing}")
    rpath = HERE / f"resolutions_{a.set}.json"
    resolutions = json.loads(rpath.read_text()) if rpath.exists() else {}
    policy = resolutions.pop("_policy", [])
    sents_by = load_sentences(pmids)

    dis: list[dict] = []
    wording: Counter = Counter()
    gold, q1, q2, d1, d2, fv1, fv2, ok1, ok2 = [], [], [], [], [], [], [], [], []
    n_both = n_one1 = n_one2 = 0
    warn = []
    for pmid in pmids:
        r1, r2 = p1[pmid], p2[pmid]
        g, pairs = adjudicate(pmid, r1, r2, sents_by[pmid], resolutions.get(pmid), dis, wording)
        gold.append(g)
        q1.append(r1["question"])
        q2.append(r2["question"])
        n_both += len(pairs)
        n_one1 += len(r1["findings"]) - len(pairs)
        n_one2 += len(r2["findings"]) - len(pairs)
        for i, j in pairs:
            d1.append(r1["findings"][i]["direction"])
            d2.append(r2["findings"][j]["direction"])
            fv1.append(r1["findings"][i]["favours"])
            fv2.append(r2["findings"][j]["favours"])
            ok1.append(r1["findings"][i].get("outcome_kind"))
            ok2.append(r2["findings"][j].get("outcome_kind"))
        warn += [f"{pmid} {w}" for w in sanity(g)]

    stale = [(p, part, k) for p, r in resolutions.items()
             for part in ("fields", "findings", "ae", "pooled", "review") for k in (r.get(part) or {})
             if ((p, part), k) not in USED]
    for st in stale:
        print("STALE resolution key (no such field/pair/one-pass item):", st)
    outdir = Path(a.out)
    out = outdir / f"gold_{a.set}.jsonl"
    out.write_text("".join(json.dumps(g, ensure_ascii=False) + "\n" for g in gold))
    errs = validate(out, sents_by)

    pct = lambda x, y: 100.0 * sum(u == v for u, v in zip(x, y, strict=False)) / len(x) if x else float("nan")  # noqa: E731
    n_find = sum(len(g["findings"]) for g in gold)
    stats = {
        "records": len(pmids),
        "question_agreement_pct": round(pct(q1, q2), 1), "question_kappa": round(kappa(q1, q2), 3),
        "findings_pass1": sum(len(p1[p]["findings"]) for p in pmids),
        "findings_pass2": sum(len(p2[p]["findings"]) for p in pmids),
        "findings_both": n_both, "findings_only_pass1": n_one1, "findings_only_pass2": n_one2,
        "alignment_pct": round(100.0 * n_both / (n_both + n_one1 + n_one2), 1) if n_both + n_one1 + n_one2 else None,
        "direction_agreement_pct": round(pct(d1, d2), 1), "direction_kappa": round(kappa(d1, d2), 3),
        "favours_agreement_pct": round(pct(fv1, fv2), 1), "favours_kappa": round(kappa(fv1, fv2), 3),
        "outcome_kind_agreement_pct": round(pct(ok1, ok2), 1),
        "gold_findings": n_find,
        "gold_adverse_events": sum(len(g["adverse_events"]) for g in gold),
        "disagreements": len(dis), "unresolved": sum(not d["resolved"] for d in dis),
    }
    kinds = Counter(
        (("one-pass finding" if d["where"].startswith("finding") else "one-pass adverse event"
          if d["where"].startswith("AE") else "one-pass pooled result")
         + (" (finer split of a same-sentence result)" if "split" in d["field"]
            else " (other pass has nothing on that sentence)")
         if d["field"].startswith("only") else "correction of an agreed value" if "corrected" in d["field"] else
         ("finding " if d["where"].startswith("finding") else "AE " if d["where"].startswith("AE") else
          "pooled " if d["where"].startswith("pooled") else "record ") + d["field"])
        for d in dis)
    Path(f"/tmp/adjudicate_todo_{a.set}.json").write_text(json.dumps([d for d in dis if not d["resolved"]], indent=1,
                                                         ensure_ascii=False))

    L = [f"# Disagreements, set {a.set} (sample.txt records {start}..{end - 1})", "",
         "Generated by `adjudicate.py` from pass1/pass2 and the adjudicator's `resolutions_" + a.set + ".json`.", "",
         "## Agreement statistics (computed before adjudication)", "",
         "| statistic | value |", "|---|---|",
         f"| records | {stats['records']} |",
         f"| question type: agreement | {stats['question_agreement_pct']}% (Cohen's kappa {stats['question_kappa']}) |",
         f"| findings: pass 1 / pass 2 | {stats['findings_pass1']} / {stats['findings_pass2']} |",
         f"| findings aligned (both passes) | {n_both} |",
         f"| findings in one pass only | {n_one1 + n_one2} (pass 1 only {n_one1}, pass 2 only {n_one2}); "
         f"aligned share {stats['alignment_pct']}% |",
         f"| direction on aligned findings | {stats['direction_agreement_pct']}% (kappa {stats['direction_kappa']}) |",
         f"| favours on aligned findings | {stats['favours_agreement_pct']}% (kappa {stats['favours_kappa']}) |",
         f"| outcome_kind on aligned findings | {stats['outcome_kind_agreement_pct']}% |",
         f"| gold: findings / adverse events | {n_find} / {stats['gold_adverse_events']} |",
         f"| disagreements listed below | {len(dis)} (unresolved: {stats['unresolved']}) |", "",
         "Alignment: same sentence `s` first, then one pass's `s` in the other's `also`, ties broken by outcome "
         "wording (greedy). Free-text wording (intervention/comparator/outcome/timepoint/duration) is not counted "
         "as a disagreement; the gold keeps pass 1's wording unless a resolution rewrote it. Differences in "
         "free-text wording: " + ", ".join(f"{k} {v}" for k, v in sorted(wording.items())) + ".", "",
         "## Disagreements by kind", "", "| kind | count |", "|---|---|"]
    if policy:
        L[L.index("## Disagreements by kind"):L.index("## Disagreements by kind")] = (
            ["## Adjudication rules applied (beyond the schema text)", ""] + [f"- {x}" for x in policy] + [""])
    L += [f"| {k} | {v} |" for k, v in kinds.most_common()]
    L += ["", "## All disagreements", "",
          "| pmid | field / sentence | pass 1 | pass 2 | resolution | reason |", "|---|---|---|---|---|---|"]
    for d in dis:
        L.append(f"| {d['pmid']} | {d['where']}: {d['field']} | {fmt(d['p1'])} | {fmt(d['p2'])} | "
                 f"{fmt(d['resolution'])} | "
                 f"{fmt(d['reason']) if d['reason'] else ('UNRESOLVED' if not d['resolved'] else '')} |")
    if warn:
        L += ["", "## Sanity warnings on the gold", ""] + [f"- {w}" for w in warn]
    (outdir / f"disagreements_{a.set}.md").write_text("\n".join(L) + "\n")

    print(json.dumps(stats, indent=1))
    print("disagreement kinds:", kinds.most_common(8))
    print("validation errors:", len(errs))
    for e in errs[:20]:
        print("  ", e)
    for w in warn[:30]:
        print("  warn", w)


if __name__ == "__main__":
    main()
