"""Checks every page a test fetches must pass: status, one title, one h1,
lang and dir, unique ids, a label for every field, and the byte budget."""

import gzip
from collections import Counter
from html.parser import HTMLParser

PAGE_BUDGET = 14 * 1024
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class PageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = Counter()
        self.tags = Counter()
        self.html_attrs = {}
        self.labels_for = set()
        self.fields = []
        self.title = ""
        self._in_title = False
        self.open = []
        self.nesting_errors = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags[tag] += 1
        if "id" in attrs:
            self.ids[attrs["id"]] += 1
        if tag == "html":
            self.html_attrs = attrs
        if tag == "label" and "for" in attrs:
            self.labels_for.add(attrs["for"])
        if tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            self.fields.append({**attrs, "inside_label": "label" in self.open})
        if tag == "title":
            self._in_title = True
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if tag in VOID:
            return
        if not self.open or self.open[-1] != tag:
            self.nesting_errors.append(f"</{tag}> closes <{self.open[-1] if self.open else 'nothing'}>")
            if tag in self.open:
                while self.open and self.open.pop() != tag:
                    pass
            return
        self.open.pop()

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def check_page(response, status=200, budget=PAGE_BUDGET):
    """Assert what every page must be; returns the page's text."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "text/html"
    body = response.get_data()
    html = body.decode("utf-8")
    parser = PageParser()
    parser.feed(html)
    assert html.startswith("<!doctype html>")
    assert parser.html_attrs.get("lang") in ("fa", "en")
    assert parser.html_attrs.get("dir") == ("rtl" if parser.html_attrs["lang"] == "fa" else "ltr")
    assert parser.title.strip(), "every page has a title"
    assert parser.tags["h1"] == 1, "exactly one h1"
    assert parser.tags["main"] == 1
    duplicates = [i for i, n in parser.ids.items() if n > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"
    assert not parser.nesting_errors, parser.nesting_errors
    assert not parser.open, f"unclosed: {parser.open}"
    for attrs in parser.fields:
        labelled = attrs["inside_label"] or attrs.get("id") in parser.labels_for or attrs.get("aria-label")
        assert labelled, f"field without a label: {attrs}"
    compressed = len(gzip.compress(body, compresslevel=6))
    assert compressed < budget, f"{compressed} bytes compressed, budget {budget}"
    return html
