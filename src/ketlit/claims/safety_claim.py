"""Reading a safety claim: the harms it names (its topics) and what it says about them (its stance).

Design decisions:

* **Topics, then stance.** Topics come from the clause's own words; a clause that names none
  ("These effects typically subside quickly.") takes those of the previous sentence. The stance is
  the first of ``[safety.stance]`` whose words occur (denial before minimising, …), else
  "assertion": the page acknowledges the harm.
* **A harm restricted to misuse.** "Bladder problems have only been reported with daily
  recreational use" neither denies the harm nor merely names it: it says the harm is limited to
  misuse. Such a clause (``[safety.terms] restriction``) has the stance "restriction", and the words
  of its setting are not read as topics ("abuse" in "only in people who abuse it" is the setting,
  not an addiction claim). A restriction to some other setting is read with the ordinary stances.
* **Who has the harm is no harm.** "The bladder problems seen in recreational users" names one harm
  (bladder) and the people it is seen in; the setting's words (``[safety.terms] setting``) do not add
  a second topic (addiction) when the clause names another.
"""

from __future__ import annotations

from ketlit.claims.rules import Rules


def _mask_setting(clause: str, rules: Rules) -> str:
    """The clause with the misuse words from its restriction on blanked (the setting's words run
    past the restriction's shortest match: "only … with daily recreational use")."""
    restriction = rules.safety_terms.get("restriction")
    misuse = rules.safety_terms.get("misuse")
    if restriction is None or misuse is None:
        return clause
    chars = list(clause)
    for r in restriction.finditer(clause):
        for m in misuse.finditer(clause[r.start() :]):
            start, end = r.start() + m.start(), r.start() + m.end()
            chars[start:end] = " " * (end - start)
    return "".join(chars)


def read_safety(clause: str, prev: str, rules: Rules) -> tuple[tuple[str, ...], str]:
    """(topics, stance) of a safety clause (see the module docstring)."""
    restricted = "restriction" in rules.safety_terms and rules.safety_terms["restriction"].any(clause)
    read = _mask_setting(clause, rules) if restricted else clause
    topics = [t for t, p in rules.safety_topics.items() if p.any(read)]
    if len(topics) > 1 and "setting" in rules.safety_terms:
        # "the bladder problems seen in recreational users": who has the harm, not a second harm.
        unset = rules.safety_terms["setting"].blank(read)
        kept = [t for t in topics if rules.safety_topics[t].any(unset)]
        topics = kept or topics
    if (not topics or topics == ["side_effects"]) and prev:
        # "These effects typically subside quickly." names its topics in the previous sentence.
        inherited = [t for t, p in rules.safety_topics.items() if p.any(prev) and t not in ("general_safety",)]
        topics = list(dict.fromkeys(topics + inherited))
    if restricted:
        return tuple(topics) or ("general_safety",), "restriction"
    stance = next((name for name, p in rules.safety_stances.items() if p.any(clause)), "assertion")
    if stance == "denial" and "majority" in rules.safety_terms and rules.safety_terms["majority"].any(clause):
        stance = "minimising"  # "most patients … without nausea": how often, not never
    return tuple(topics) or ("general_safety",), stance
