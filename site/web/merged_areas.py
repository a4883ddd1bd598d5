"""A merged area's old addresses lead to the area it was merged into (issue
18): a page that takes an area's id in its path (`area_id`) or its query
(`area`, `hood`: the board's filter, the ideas', headquarters' overview)
answers 301 with the survivor's id in its place; a form sent there answers
308, so that the browser sends it again to the survivor. The catalog knows
the merges (its copy is current: see catalog.py), so this costs no query."""

from flask import redirect, request, url_for

from hamsayeh import persian
from hamsayeh.web.catalog import catalog

QUERY_NAMES = ("area", "hood")
ID_MAX = 2**31 - 1
# Pages that show a merged area as it is (its history), not its survivor.
KEEP_MERGED = frozenset({"network_admin.area", "network_admin.history"})


def follow_merged_areas():
    if request.endpoint is None or request.endpoint in KEEP_MERGED:
        return None
    args = dict(request.view_args or {})
    query = request.args.to_dict(flat=False)
    named = [name for name in QUERY_NAMES if len(query.get(name, ())) == 1]
    if "area_id" not in args and not named:
        return None
    moved = False
    if isinstance(args.get("area_id"), int):
        survivor = catalog().survivor_id(args["area_id"])
        moved = survivor != args["area_id"]
        args["area_id"] = survivor
    for name in named:
        number = persian.whole_number(query[name][0], ID_MAX)
        if number is not None and catalog().survivor_id(number) != number:
            query[name] = [str(catalog().survivor_id(number))]
            moved = True
    if not moved:
        return None
    code = 301 if request.method in ("GET", "HEAD") else 308
    return redirect(url_for(request.endpoint, **args, **query), code=code)
