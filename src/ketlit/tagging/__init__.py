"""Tagging: records → tags on five axes (indication, route, molecule, design, population), from TOML rules.

The flow inside the package, one module per concern:

* :mod:`~ketlit.tagging.model` — the record types: :class:`TagDoc` in, :class:`Tag` out.
* :mod:`~ketlit.tagging.documents` — an Article or a Study → :class:`TagDoc`.
* :mod:`~ketlit.tagging.rules` — read the packaged rules, merge a user's file, validate →
  :class:`TaggingRules` (typed in :mod:`~ketlit.tagging.specs`).
* :mod:`~ketlit.tagging.patterns` — regex planning (first grams, scan plans) for speed.
* :mod:`~ketlit.tagging.text` — a record's text joined, folded, masked and split in sentences.
* :mod:`~ketlit.tagging.engine` — :class:`Tagger`: match, weigh, decide.
* :mod:`~ketlit.tagging.vocab` — the slugs query files and claim rules may name.

Callers import from here; the modules' other names are the package's own.
"""

from ketlit.tagging.documents import doc_from_article, doc_from_study, split_labelled_abstract
from ketlit.tagging.engine import Tagger
from ketlit.tagging.model import (
    AXES,
    TEXT_FIELDS,
    Candidate,
    MeshTerm,
    Tag,
    TagAnalysis,
    TagDoc,
    TagEvidence,
    age_groups,
)
from ketlit.tagging.rules import load_rules, packaged_vocabularies, rules_digest, vocabularies
from ketlit.tagging.specs import TaggingRules
from ketlit.tagging.vocab import Vocabularies, tag_vocabularies

__all__ = [
    "AXES",
    "TEXT_FIELDS",
    "Candidate",
    "MeshTerm",
    "Tag",
    "TagAnalysis",
    "TagDoc",
    "TagEvidence",
    "Tagger",
    "TaggingRules",
    "Vocabularies",
    "age_groups",
    "doc_from_article",
    "doc_from_study",
    "load_rules",
    "packaged_vocabularies",
    "rules_digest",
    "split_labelled_abstract",
    "tag_vocabularies",
    "vocabularies",
]
