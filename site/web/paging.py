"""Long lists a page at a time: peewee's PaginatedQuery, with the page number
read the way every number in an address is read here (any digits, never a
500 for "²" or a thousand digits), and links to the pages before and after
that keep the rest of the query string (a search, a filter)."""

from flask import request, url_for
from playhouse.flask_utils import PaginatedQuery

from hamsayeh import persian

PAGES_MAX = 100_000


def page_number():
    return persian.whole_number(request.args.get("page", ""), PAGES_MAX) or 1


def page_url(number):
    """This page, with the same query, at page `number`."""
    args = request.args.to_dict()
    args["page"] = number
    return url_for(request.endpoint, **(request.view_args or {}), **args)


class Pages:
    """One page of a query or a list: `items`, `page`, `count` (of pages) and
    the addresses of the pages before and after (None at either end)."""

    def __init__(self, query_or_list, size):
        self.page = page_number()
        if isinstance(query_or_list, list):
            self.count = max(1, -(-len(query_or_list) // size))
            self.total = len(query_or_list)
            start = (self.page - 1) * size
            self.items = query_or_list[start : start + size]
        else:
            paged = PaginatedQuery(query_or_list, size, page=self.page)
            self.count = max(1, paged.get_page_count())
            self.total = None
            self.items = list(paged.get_object_list())
        self.previous = page_url(self.page - 1) if 1 < self.page <= self.count + 1 else None
        self.next = page_url(self.page + 1) if self.page < self.count else None
