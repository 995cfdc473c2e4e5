"""Parse PubMed XML (efetch ``PubmedArticleSet`` and the old ``MedlineCitationSet``) and
MEDLINE/.nbib text into :class:`ketlit.sources.models.Article` records. Pure: bytes in, records out.

Why lxml and not Biopython here: ``Bio.Entrez.read`` validates against the DTD and builds
the whole document as nested Python objects, which is about half as fast (below) and holds
the whole file in memory; ingest parses tens of thousands of records per run. ``iterparse``
lets us stream records and free each subtree as soon as it is converted. Biopython stays
the reference: ``tests/test_pubmed_parse.py`` checks every real XML record in
``../shared/data/pubmed`` against ``Bio.Entrez.read``. For MEDLINE text we *do* use
``Bio.Medline``: it is the right tool and the format has no speed concern.

Speed (``bench/ingest.py``): fields are read by walking each element's children once
(``_kids``) instead of one ElementPath ``find`` per field, and ``clean_text`` and the NCT
scan have cheap exits for the common case: about 2.2x the records/s of ``Entrez.read``
(it was ~1.1x), and libxml2 itself is now a third of the time.

Text rules: inline markup (``<i>``, ``<sup>``, MathML) is flattened with ``itertext`` so
no text is lost or truncated; whitespace runs collapse to one space; C0 control
characters (seen in real NCBI output) are dropped; text is NFC-normalised.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import IO, Any

from lxml import etree

from ketlit.errors import ParseError
from ketlit.ids import NCT_IN_TEXT, PMID, nct_ids_in_text
from ketlit.sources.models import (
    AbstractSection,
    Article,
    Author,
    Chemical,
    Correction,
    MeshHeading,
    PartialDate,
    Qualifier,
)

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
SEASONS = {"winter": "Winter", "spring": "Spring", "summer": "Summer", "fall": "Fall", "autumn": "Fall"}
# A season's first month, so a season-precision date still sorts sensibly.
SEASON_MONTH = {"Winter": 1, "Spring": 4, "Summer": 7, "Fall": 10}


def clean_text(text: str | None) -> str:
    """NFC, control characters dropped, whitespace collapsed."""
    if not text:
        return ""
    # Fast path first: this runs ~50 times per record and most strings are already clean.
    # ``isprintable`` is False for every character ``str.split`` treats as whitespace except
    # the ASCII space, and for every control character, so a printable string needs work
    # only if it has a double, leading or trailing space. Splitting an abstract costs ~5 µs.
    if text.isprintable():
        if "  " in text or text[0] == " " or text[-1] == " ":
            text = " ".join(text.split())
    else:
        text = " ".join(text.split())
        if not text.isprintable():
            text = _CONTROL_RE.sub("", text)
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text


def flat_text(el: etree._Element | None) -> str:
    """All text inside ``el`` (inline markup and MathML flattened), cleaned."""
    if el is None:
        return ""
    if len(el) == 0:
        return clean_text(el.text)
    return clean_text("".join(str(t) for t in el.itertext()))


# A date part is read as a number only when it is a few ASCII digits: ``str.isdigit`` also accepts
# "²" (which ``int`` refuses) and a 5,000-digit run (which ``int`` refuses to convert).
_DATE_NUMBER = re.compile(r"[0-9]{1,9}")


def _number(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if _DATE_NUMBER.fullmatch(text) else None


def _month(value: str | None) -> int | None:
    if not value:
        return None
    value = value.strip().lower().rstrip(".")
    number = _number(value)
    if number is not None:
        return number if 1 <= number <= 12 else None
    return MONTHS.get(value)


def _day(value: str | None) -> int | None:
    number = _number(value)
    return number if number is not None and 1 <= number <= 31 else None


_TOKEN_RE = re.compile(r"\d{4}|\d{1,2}|[A-Za-z]+")


def parse_medline_date(raw: str) -> PartialDate:
    """Parse free-form dates: "1998 Winter", "1990 May-Jun", "2000 Dec-2001 Jan", "1998-1999",
    "2001 Jan 15-30", "Spring 1999". Keeps the first date with its precision and the range end."""
    text = clean_text(raw)
    head, _, tail = text.partition("-")
    year = month = day = None
    season = None
    for token in _TOKEN_RE.findall(head):
        low = token.lower()
        if len(token) == 4 and token.isdigit():
            year = year or int(token)
        elif low in SEASONS:
            season = SEASONS[low]
        elif _month(low) and not token.isdigit():
            month = month or _month(low)
        elif token.isdigit() and month and day is None:
            day = _day(token)
    if year is None:
        found = re.search(r"\d{4}", text)
        year = int(found.group(0)) if found else None
    end = None
    if tail:
        end_year = year
        end_month = None
        end_day = None
        for token in _TOKEN_RE.findall(tail):
            if len(token) == 4 and token.isdigit():
                end_year = int(token)
            elif not token.isdigit() and _month(token):
                end_month = _month(token)
            elif token.isdigit() and day is not None:
                # "2001 Jan 15-30": a day range within the same month.
                end_month, end_day = end_month or month, _day(token)
        if end_year is not None:
            end = f"{end_year:04d}-{end_month:02d}" if end_month else f"{end_year:04d}"
            if end_day and end_month:
                end += f"-{end_day:02d}"
            if end_month is None and month is None and season is None and end_year == year:
                end = None
    if season and month is None:
        return PartialDate(year, SEASON_MONTH[season], None, season, "season", raw, end)
    if month is None:
        return PartialDate(year, None, None, None, "year" if year else None, raw, end)
    if day is None:
        return PartialDate(year, month, None, None, "month", raw, end)
    return PartialDate(year, month, day, None, "day", raw, end)


# -- element access -----------------------------------------------------------------------
# Speed: lxml's find/findtext/iterfind go through ElementPath and cost ~1.5 µs per call,
# while visiting a child costs ~0.1 µs; with ~60 fields per record, path lookups were most
# of the parse time. So each element's children are grouped by tag in one pass
# (``_kids``), and fields are read from the groups. The helpers below keep ElementPath's
# semantics exactly: the first match wins for find/findtext, and "A/B" means every B child
# of every A child, in document order.

_Kids = dict[Any, list[etree._Element]]


def _kids(el: etree._Element) -> _Kids:
    """Children grouped by tag, in document order."""
    out: _Kids = {}
    for child in el:
        group = out.get(child.tag)
        if group is None:
            out[child.tag] = [child]
        else:
            group.append(child)
    return out


def _first(kids: _Kids, tag: str) -> etree._Element | None:
    """``el.find(tag)``."""
    group = kids.get(tag)
    return group[0] if group else None


def _first_text(kids: _Kids, tag: str) -> str | None:
    """``el.findtext(tag)``: None when absent, "" when empty."""
    group = kids.get(tag)
    return None if group is None else group[0].text or ""


def _grandchildren(kids: _Kids, tag: str, child_tag: str) -> Iterator[etree._Element]:
    """``el.iterfind(f"{tag}/{child_tag}")``."""
    for parent in kids.get(tag, ()):
        for child in parent:
            if child.tag == child_tag:
                yield child


def _texts(el: etree._Element) -> dict[Any, str]:
    """The first text of each child tag (``findtext`` for every child at once; small elements)."""
    out: dict[Any, str] = {}
    for child in el:
        if child.tag not in out:
            out[child.tag] = child.text or ""
    return out


def parse_pub_date(el: etree._Element | None) -> PartialDate:
    """``PubDate`` (Year/Month/Day/Season or MedlineDate) with its precision."""
    if el is None:
        return PartialDate(None)
    texts = _texts(el)
    medline = texts.get("MedlineDate")
    if medline:
        return parse_medline_date(medline)
    year_text = (texts.get("Year") or "").strip()
    year = _number(year_text)
    month_text = texts.get("Month")
    season_text = texts.get("Season")
    day_text = texts.get("Day")
    raw = " ".join(t for t in (year_text, month_text, day_text, season_text) if t)
    month = _month(month_text)
    if month is None and month_text:
        # "Month" sometimes holds a season or a range ("Jul-Aug"); reuse the free-form parser.
        return parse_medline_date(f"{year_text} {month_text}")
    if season_text and month is None:
        season = SEASONS.get(season_text.strip().lower())
        if season:
            return PartialDate(year, SEASON_MONTH[season], None, season, "season", raw)
    if month is None:
        return PartialDate(year, None, None, None, "year" if year else None, raw)
    day = _day(day_text)
    if day is None:
        return PartialDate(year, month, None, None, "month", raw)
    return PartialDate(year, month, day, None, "day", raw)


def _ymd(el: etree._Element | None) -> str | None:
    """``DateCompleted`` / ``DateRevised`` / ``PubMedPubDate`` as ISO (numeric months)."""
    if el is None:
        return None
    texts = _texts(el)
    year = _number(texts.get("Year"))
    if year is None:
        return None
    month = _month(texts.get("Month")) or 1
    day = _day(texts.get("Day")) or 1
    return f"{year:04d}-{month:02d}-{day:02d}"


def _sections(abstract: etree._Element) -> list[AbstractSection]:
    out = []
    for node in abstract:
        if node.tag != "AbstractText":
            continue
        text = flat_text(node)
        label = node.get("Label")
        if text or label:
            out.append(AbstractSection(clean_text(label) or None, node.get("NlmCategory"), text))
    return out


def _mesh(kids: _Kids) -> list[MeshHeading]:
    out = []
    for heading in _grandchildren(kids, "MeshHeadingList", "MeshHeading"):
        descriptor = None
        qualifiers = []
        for node in heading:
            tag = node.tag
            if tag == "DescriptorName":
                if descriptor is None:
                    descriptor = node
            elif tag == "QualifierName":
                qualifiers.append(Qualifier(node.get("UI") or None, flat_text(node), node.get("MajorTopicYN") == "Y"))
        if descriptor is not None:
            out.append(
                MeshHeading(
                    descriptor.get("UI") or None,
                    flat_text(descriptor),
                    descriptor.get("MajorTopicYN") == "Y",
                    tuple(qualifiers),
                )
            )
    return out


def _chemicals(kids: _Kids) -> list[Chemical]:
    out = []
    for chem in _grandchildren(kids, "ChemicalList", "Chemical"):
        parts = _kids(chem)
        name = _first(parts, "NameOfSubstance")
        if name is not None:
            registry = (_first_text(parts, "RegistryNumber") or "").strip()
            out.append(
                Chemical(
                    name.get("UI") or None, flat_text(name), None if registry in ("", "0") else registry, "chemical"
                )
            )
    for suppl in _grandchildren(kids, "SupplMeshList", "SupplMeshName"):
        out.append(Chemical(suppl.get("UI") or None, flat_text(suppl), None, "supplementary"))
    return out


def _authors(kids: _Kids) -> list[Author]:
    """Authors of every ``AuthorList`` among ``kids`` (books have one for editors too)."""
    out = []
    for author in _grandchildren(kids, "AuthorList", "Author"):
        parts = _kids(author)
        affiliation = next(_grandchildren(parts, "AffiliationInfo", "Affiliation"), None)
        out.append(
            Author(
                clean_text(_first_text(parts, "LastName")) or None,
                clean_text(_first_text(parts, "ForeName")) or None,
                clean_text(_first_text(parts, "Initials")) or None,
                flat_text(_first(parts, "CollectiveName")) or None,
                clean_text(affiliation.text if affiliation is not None else None) or None,
            )
        )
    return out


def _ids(article: Article, id_list: etree._Element | None) -> None:
    if id_list is None:
        return
    for node in id_list:
        if node.tag != "ArticleId":
            continue
        kind = node.get("IdType")
        value = clean_text(node.text)
        if not value:
            continue
        if kind == "doi" and not article.doi:
            article.doi = value
        elif kind == "pmc" and not article.pmcid:
            article.pmcid = value
        elif kind == "pii" and not article.pii:
            article.pii = value


def _history(article: Article, kids: _Kids) -> None:
    """The Entrez date: the first ``entrez`` or ``pubmed`` date of ``History`` that parses."""
    for date in _grandchildren(kids, "History", "PubMedPubDate"):
        if article.entrez_date is None and date.get("PubStatus") in ("entrez", "pubmed"):
            article.entrez_date = _ymd(date)


def _add_nct(article: Article, nct: str, origin: str) -> None:
    link = (nct.upper(), origin)
    if link not in article.nct_links:
        article.nct_links.append(link)


def _keywords(kids: _Kids) -> list[str]:
    return [text for text in (flat_text(k) for k in _grandchildren(kids, "KeywordList", "Keyword")) if text]


def _languages(kids: _Kids) -> list[str]:
    return [text for text in (clean_text(x.text) for x in kids.get("Language", ())) if text]


def _publication_types(nodes: Iterable[etree._Element]) -> list[tuple[str | None, str]]:
    return [(pt.get("UI") or None, flat_text(pt)) for pt in nodes]


def _common_tail(article: Article, citation: etree._Element, kids: _Kids) -> None:
    """Fields shared by MedlineCitation records (journal articles)."""
    article.citation_status = citation.get("Status")
    article.date_completed = _ymd(_first(kids, "DateCompleted"))
    article.date_revised = _ymd(_first(kids, "DateRevised"))
    article.mesh = _mesh(kids)
    article.chemicals = _chemicals(kids)
    article.keywords = _keywords(kids)
    for cc in _grandchildren(kids, "CommentsCorrectionsList", "CommentsCorrections"):
        parts = _texts(cc)
        article.corrections.append(
            Correction(
                cc.get("RefType") or "",
                clean_text(parts.get("PMID")) or None,
                clean_text(parts.get("RefSource")) or None,
            )
        )


def _fill_text_links(article: Article) -> None:
    for nct in nct_ids_in_text(" ".join((article.title, article.abstract))):
        _add_nct(article, nct, "pubmed_abstract")


def _journal_article(article: Article, art: etree._Element) -> None:
    """Fields of a citation's ``Article`` element."""
    kids = _kids(art)
    article.title = flat_text(_first(kids, "ArticleTitle"))
    article.vernacular_title = flat_text(_first(kids, "VernacularTitle")) or None
    journal = _first(kids, "Journal")
    if journal is not None:
        parts = _kids(journal)
        article.journal = flat_text(_first(parts, "Title")) or None
        article.journal_abbrev = flat_text(_first(parts, "ISOAbbreviation")) or None
        article.issn = clean_text(_first_text(parts, "ISSN")) or None
        issue = _first(parts, "JournalIssue")
        if issue is not None:
            issue_parts = _kids(issue)
            article.volume = clean_text(_first_text(issue_parts, "Volume")) or None
            article.issue = clean_text(_first_text(issue_parts, "Issue")) or None
            article.pub_date = parse_pub_date(_first(issue_parts, "PubDate"))
    pages = next(_grandchildren(kids, "Pagination", "MedlinePgn"), None)
    article.pages = clean_text(pages.text if pages is not None else None) or None
    abstract = _first(kids, "Abstract")
    if abstract is not None:
        article.sections = _sections(abstract)
        article.abstract_source = "abstract" if article.sections else None
    article.languages = _languages(kids)
    article.authors = _authors(kids)
    article.publication_types = _publication_types(_grandchildren(kids, "PublicationTypeList", "PublicationType"))
    for bank in _grandchildren(kids, "DataBankList", "DataBank"):
        parts = _kids(bank)
        name = clean_text(_first_text(parts, "DataBankName"))
        for acc in _grandchildren(parts, "AccessionNumberList", "AccessionNumber"):
            accession = clean_text(acc.text)
            if not accession:
                continue
            article.databanks.append((name, accession))
            if name.lower().startswith("clinicaltrials") and NCT_IN_TEXT.fullmatch(accession):
                _add_nct(article, nct_ids_in_text(accession)[0], "pubmed_databank")
    for node in kids.get("ELocationID", ()):
        if node.get("EIdType") == "doi" and node.get("ValidYN", "Y") == "Y" and not article.doi:
            article.doi = clean_text(node.text) or None


def _checked_pmid(pmid: str | None, what: str) -> str:
    """The record's PMID, or :class:`ParseError`: a PMID is the natural key, so one that is not
    a PubMed number ("abc", "0", "12.5") is refused rather than stored and linked to."""
    if not pmid:
        raise ParseError(f"{what} without a PMID")
    if not PMID.match(pmid):
        raise ParseError(f"{what} with a malformed PMID {pmid[:40]!r}")
    return pmid


def parse_medline_citation(citation: etree._Element, pubmed_data: etree._Element | None) -> Article:
    """A ``MedlineCitation`` (+ optional ``PubmedData``) → :class:`Article`."""
    kids = _kids(citation)
    pmid_el = _first(kids, "PMID")
    pmid = _checked_pmid(clean_text(pmid_el.text if pmid_el is not None else None), "record")
    article = Article(pmid=pmid, version=pmid_el.get("Version") if pmid_el is not None else None)
    art = _first(kids, "Article")
    if art is not None:
        _journal_article(article, art)
    if not article.sections:
        # OtherAbstract (often another language) counts only when it is the only abstract.
        for other in kids.get("OtherAbstract", ()):
            sections = _sections(other)
            if sections:
                article.sections = sections
                article.abstract_source = "other_abstract"
                article.abstract_language = other.get("Language")
                break
    _common_tail(article, citation, kids)
    if pubmed_data is not None:
        data = _kids(pubmed_data)
        _ids(article, _first(data, "ArticleIdList"))
        _history(article, data)
    _fill_text_links(article)
    return article


def parse_book_article(book_article: etree._Element) -> Article:
    """A ``PubmedBookArticle`` (NCBI Bookshelf chapter or book) → :class:`Article`."""
    record = _kids(book_article)
    doc_el = _first(record, "BookDocument")
    if doc_el is None:
        raise ParseError("PubmedBookArticle without BookDocument")
    doc = _kids(doc_el)
    pmid = _checked_pmid(clean_text(_first_text(doc, "PMID")), "book record")
    book_el = _first(doc, "Book")
    article = Article(pmid=pmid, record_type="book")
    article.title = flat_text(_first(doc, "ArticleTitle"))
    if book_el is not None:
        book = _kids(book_el)
        if not article.title:
            article.title = flat_text(_first(book, "BookTitle"))
        publisher = next(_grandchildren(book, "Publisher", "PublisherName"), None)
        article.journal = clean_text(publisher.text if publisher is not None else None) or None
        article.pub_date = parse_pub_date(_first(book, "PubDate"))
        article.authors = _authors(book)
    article.authors = _authors(doc) or article.authors
    abstract = _first(doc, "Abstract")
    if abstract is not None:
        article.sections = _sections(abstract)
        article.abstract_source = "abstract" if article.sections else None
    article.languages = _languages(doc)
    article.publication_types = _publication_types(doc.get("PublicationType", ()))
    article.keywords = _keywords(doc)
    article.citation_status = "Book"
    _ids(article, _first(doc, "ArticleIdList"))
    data_el = _first(record, "PubmedBookData")
    if data_el is not None:
        data = _kids(data_el)
        _ids(article, _first(data, "ArticleIdList"))
        _history(article, data)
    _fill_text_links(article)
    return article


RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "MedlineCitation", "DeleteCitation")
SET_TAGS = ("PubmedArticleSet", "MedlineCitationSet")


def iter_records(source: bytes | IO[bytes]) -> Iterator[Article]:
    """Stream :class:`Article` records from efetch XML or a MEDLINE baseline file.

    Raises :class:`ParseError` for malformed or truncated XML (after yielding what came
    before the damage — callers that need all-or-nothing collect first) and for a root
    element that is not a PubMed record set.
    """
    stream: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source
    # Filtering events by tag in C matters: events for every element would create a Python
    # proxy per element and triple the parse time.
    context = etree.iterparse(
        stream,
        events=("end",),
        tag=RECORD_TAGS,
        load_dtd=False,
        no_network=True,
        resolve_entities=False,
        huge_tree=True,
        remove_comments=True,
    )
    try:
        for _event, el in context:
            parent = el.getparent()
            if parent is None or parent.tag not in SET_TAGS:
                continue  # a MedlineCitation inside a PubmedArticle: handled with its parent
            tag = el.tag
            if tag == "PubmedArticle":
                parts = _kids(el)
                citation = _first(parts, "MedlineCitation")
                if citation is None:
                    raise ParseError("PubmedArticle without MedlineCitation")
                yield parse_medline_citation(citation, _first(parts, "PubmedData"))
            elif tag == "MedlineCitation":
                yield parse_medline_citation(el, None)
            elif tag == "PubmedBookArticle":
                yield parse_book_article(el)
            el.clear(keep_tail=False)
            # Drop references to processed siblings so memory stays flat.
            while el.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        # libxml2's message may end in its own "line N", which lxml follows with ", line N, column C".
        msg = re.sub(r"\b(line (\d+)), line \2\b", r"\1", exc.msg)
        raise ParseError(f"malformed or truncated XML: {msg}") from None
    root = context.root
    if root is None:
        raise ParseError("empty XML document")
    if root.tag not in SET_TAGS:
        raise ParseError(f"not PubMed XML: root element is <{root.tag}>")


def parse_pubmed_xml(source: bytes | IO[bytes]) -> list[Article]:
    """All records of a document, or :class:`ParseError` — nothing partial."""
    return list(iter_records(source))


def deleted_pmids(source: bytes) -> list[str]:
    """PMIDs listed in ``DeleteCitation`` (update files)."""
    root = etree.fromstring(source, etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False))
    return [clean_text(p.text) for p in root.iterfind("DeleteCitation/PMID")]


# ---------------------------------------------------------------------------------------
# MEDLINE / .nbib text (PubMed "Save → PubMed format"), via Bio.Medline.

_MEDLINE_CORRECTIONS = {
    "CON": "CommentOn",
    "CIN": "CommentIn",
    "EIN": "ErratumIn",
    "EFR": "ErratumFor",
    "RIN": "RetractionIn",
    "ROF": "RetractionOf",
    "RPI": "RepublishedIn",
    "RPF": "RepublishedFrom",
    "UIN": "UpdateIn",
    "UOF": "UpdateOf",
    "ECI": "ExpressionOfConcernIn",
    "ECF": "ExpressionOfConcernFor",
    "CRI": "CorrectedandRepublishedIn",
    "CRF": "CorrectedandRepublishedFrom",
}
_PMID_IN_REF = re.compile(r"PMID:\s*(\d+)")
_SECTION_LABEL = re.compile(r"(?:^|(?<=\s))([A-Z][A-Z &/,-]{2,40}):\s")


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def _medline_sections(text: str) -> list[AbstractSection]:
    """MEDLINE flattens structured abstracts to "BACKGROUND: … METHODS: …"; split them back."""
    text = clean_text(text)
    if not text:
        return []
    matches = list(_SECTION_LABEL.finditer(text))
    if len(matches) < 2 or matches[0].start() != 0:
        return [AbstractSection(None, None, text)]
    out = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        out.append(AbstractSection(m.group(1).strip(), None, text[m.end() : end].strip()))
    return out


def _medline_date(value: str | None) -> str | None:
    """EDAT/LR/DCOM values like "2019/06/05 06:00" or "20190605" → ISO date."""
    if not value:
        return None
    digits = re.sub(r"\D", "", value)[:8]
    if len(digits) < 8:
        return None
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}"


def _mesh_from_medline(term: str) -> MeshHeading:
    # "Ketamine/*therapeutic use/adverse effects" — '*' marks a major topic.
    parts = term.split("/")
    head = parts[0].strip()
    qualifiers = tuple(
        Qualifier(None, q.strip().lstrip("*"), q.strip().startswith("*")) for q in parts[1:] if q.strip()
    )
    return MeshHeading(None, head.lstrip("*"), head.startswith("*"), qualifiers)


def article_from_medline(record: dict[str, Any]) -> Article:
    """One ``Bio.Medline`` record → :class:`Article` (same shape as the XML path)."""
    pmid = _checked_pmid(clean_text(record.get("PMID")), "MEDLINE record")
    article = Article(pmid=pmid)
    article.title = clean_text(record.get("TI") or record.get("BTI"))
    article.sections = _medline_sections(record.get("AB", ""))
    article.abstract_source = "abstract" if article.sections else None
    article.journal = clean_text(record.get("JT")) or None
    article.journal_abbrev = clean_text(record.get("TA")) or None
    issn = _as_list(record.get("IS"))
    article.issn = issn[0].split()[0] if issn else None
    article.volume = clean_text(record.get("VI")) or None
    article.issue = clean_text(record.get("IP")) or None
    article.pages = clean_text(record.get("PG")) or None
    if record.get("DP"):
        article.pub_date = parse_medline_date(record["DP"])
    article.languages = _as_list(record.get("LA"))
    names = _as_list(record.get("FAU")) or _as_list(record.get("AU"))
    for name in names:
        last, _, fore = name.partition(",")
        article.authors.append(Author(last.strip() or None, fore.strip() or None, None, None, None))
    for name in _as_list(record.get("CN")):
        article.authors.append(Author(None, None, None, clean_text(name), None))
    article.publication_types = [(None, clean_text(pt)) for pt in _as_list(record.get("PT"))]
    article.mesh = [_mesh_from_medline(t) for t in _as_list(record.get("MH"))]
    for rn in _as_list(record.get("RN")):
        # "0 (Antidepressive Agents)" or "690G0D6V8H (Ketamine)"
        m = re.match(r"\s*(\S+)\s+\((.*)\)\s*$", rn)
        if m:
            article.chemicals.append(
                Chemical(None, clean_text(m.group(2)), None if m.group(1) == "0" else m.group(1), "chemical")
            )
    for nm in _as_list(record.get("NM")):
        article.chemicals.append(Chemical(None, clean_text(nm.split("[")[0]), None, "supplementary"))
    article.keywords = [clean_text(k) for k in _as_list(record.get("OT"))]
    for aid in _as_list(record.get("AID")) + _as_list(record.get("LID")):
        value, _, kind = aid.rpartition(" ")
        if kind == "[doi]" and not article.doi:
            article.doi = value.strip()
        elif kind == "[pii]" and not article.pii:
            article.pii = value.strip()
    pmc = clean_text(record.get("PMC"))
    article.pmcid = pmc or None
    for si in _as_list(record.get("SI")):
        bank, _, accession = si.partition("/")
        article.databanks.append((bank, accession))
        if bank.lower().startswith("clinicaltrials") and NCT_IN_TEXT.fullmatch(accession.strip()):
            _add_nct(article, nct_ids_in_text(accession)[0], "pubmed_databank")
    for key, ref_type in _MEDLINE_CORRECTIONS.items():
        for ref in _as_list(record.get(key)):
            m = _PMID_IN_REF.search(ref)
            source = clean_text(_PMID_IN_REF.sub("", ref)) or None
            article.corrections.append(Correction(ref_type, m.group(1) if m else None, source))
    status = clean_text(record.get("STAT"))
    article.citation_status = status or None
    article.date_completed = _medline_date(record.get("DCOM"))
    article.date_revised = _medline_date(record.get("LR"))
    article.entrez_date = _medline_date(record.get("EDAT"))
    _fill_text_links(article)
    return article


def parse_medline_text(text: str) -> list[Article]:
    """MEDLINE/.nbib text → records, via ``Bio.Medline`` (raises :class:`ParseError`)."""
    from Bio import Medline

    records: list[dict[str, Any]] = list(Medline.parse(io.StringIO(text)))  # type: ignore[no-untyped-call]
    if not records or not any(r.get("PMID") for r in records):
        raise ParseError("no MEDLINE records found (expected lines like 'PMID- 12345')")
    _refuse_cut_record(records, text)
    return [article_from_medline(r) for r in records]


def _refuse_cut_record(records: list[dict[str, Any]], text: str) -> None:
    """ParseError when the text stops inside its last record (a download cut short).

    MEDLINE text has no closing tag, so a cut file still parses, and its last record, cut
    short, would replace the whole copy in the cache. PubMed's export starts every record
    with PMID and OWN and ends it with SO (source): a last record without SO is cut when it
    has OWN or when the records before it have SO. Text written by hand or by
    tools/csv_to_medline.py (no OWN, no SO) is read as before, with or without a final line end
    (many editors write none)."""
    last = records[-1]
    if "SO" in last:
        return
    if "OWN" in last or any("SO" in r for r in records[:-1]):
        raise ParseError(
            f"MEDLINE text ends inside its last record (PMID {clean_text(last.get('PMID')) or '?'}: no SO line, "
            "which PubMed ends every record with): the file looks truncated; nothing imported — save it again"
        )


def iter_set(articles: Iterable[Article]) -> dict[str, Article]:
    """De-duplicate by PMID, the last occurrence winning (a later page holds the newer version)."""
    out: dict[str, Article] = {}
    for article in articles:
        out[article.pmid] = article
    return out
