"""The number reader splits abstracts with :func:`sentence_texts`, which must give exactly the texts
of :func:`split_sentences` (what every other reader of sentences gets)."""

from __future__ import annotations

from ketlit.claims.text import sentence_texts, split_sentences
from ketlit.sources.pubmed_parse import parse_pubmed_xml
from tests.conftest import shared

PAGES = [
    "",
    "   \n\n  ",
    "Ketamine for depression\n\nKetamine works fast. It is given by i.v. infusion (0.5 mg/kg).\n"
    "• Rapid relief within 24 hours\n• Lasts about 1 week\n\n1. Anesthetic and Pain Management\n"
    "Is ketamine FDA-approved? Esketamine (Spravato) is, since 2019; ketamine is used off label, e.g. "
    "in clinics, vs. ECT.\nA line that wraps\nonto the next one, and then ends.",
    "RESULTS: Response was 52.3% vs. 18% (p < 0.01).  No. 5 of the   patients relapsed.\nCONCLUSIONS: Fast.",
]


def test_sentence_texts_are_split_sentences_texts() -> None:
    body = shared("replay", "pubmed", "psynamic_all.xml").read_bytes()
    texts = PAGES + [line for a in parse_pubmed_xml(body)[:400] for line in a.abstract.split("\n")]
    for text in texts:
        assert sentence_texts(text) == [s.text for s in split_sentences(text)], text
    assert sum(len(sentence_texts(t)) for t in texts) > 2000
