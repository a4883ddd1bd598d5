"""Guards that guard themselves: every route that takes an object's id loads it
through a loader that asks `access`, as GOV.UK Notify's test_permissions
walks every route; test_site lists every URL, so adding or opening one is a
decision made in review."""

import ast
import inspect
import textwrap

from hamsayeh.domain import access

# Objects anyone may see: the loader still answers 404 for a missing one, but
# no rule of who may see it applies. Each entry says why it is public.
PUBLIC_OBJECTS = {
    "areas.show": "a neighborhood's page is public",
    "areas.choose": "anyone may choose any neighborhood as theirs",
    "board.show": "a post is public; its place and contact are asked of access in the page",
    "centers.show": "a center's page is public",
    "centers.program": "a program's page is public",
    "centers.flyer": "a program's flyer is printed for everyone",
    "centers.signup": "any member may sign up for a program; the domain keeps one place per person",
    "centers.leave": "a member leaves only their own place: the domain finds it by the member",
    "ideas.show": "an idea and its trail are public",
    "ideas.support": "any member may support an idea",
    "orgs.show": "an organization's page is public",
    "campaigns.show": "a campaign's page is public (a draft only to its organizer): goals, never households",
    "orgs.join": "any member may ask to join an organization",
    "timebank.summary": "an area's monthly hours by kind of help: counts, never names",
    "funds.show": "a fund's page is public: every rial in the open, contributors' names masked",
    "funds.report": "a fund's monthly report is printed for the center's notice board",
    "funds.ledger_csv": "a fund's ledger is public, contributors' names masked",
    "funds.receipt_file": "an expense's receipt is public (the form asks to cover personal details)",
    "funds.proposal": "a proposal is public; votes stay secret, totals show after the close",
    "funds.propose_form": "anyone signed in sees the form; the domain asks who may propose",
    "funds.propose": "the domain lets only residents, or a facilitator for an idea, propose",
    "funds.pay": "anyone may give to a fund online",
    "directory.print_list": "a place's services directory is public: its page lists it too",
    "accounts.confirm_sign_up": "a random sign-up token, found by its hash, not an id to walk",
    "accounts.finish_sign_up": "a random sign-up token, found by its hash, not an id to walk",
    "accounts.confirm_claim": "a random claim token, found by its hash, not an id to walk",
    "accounts.finish_claim": "a random claim token, found by its hash, not an id to walk",
}

ID_SUFFIX = "_id"


def _references(function):
    """What `function` calls (`foo(...)` as "foo", `x.foo(...)` as "x.foo") and
    the `access` rules it names (passed to a loader as `access.foo`)."""
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return set()
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            found.add(node.func.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            found.add(f"{node.value.id}.{node.attr}")
    return found


def asks_access(function, depth=3):
    """Whether `function`, or a function of its module that it calls, asks `access`."""
    calls = _references(function)
    if any(name.startswith("access.") for name in calls):
        return True
    if depth == 0:
        return False
    module = inspect.getmodule(function)
    for name in calls:
        target = getattr(module, name, None) if "." not in name else None
        if inspect.isfunction(target) and target is not function and asks_access(target, depth - 1):
            return True
    return False


def guarded_by_headquarters(view):
    """Headquarters may manage every object: a page for them alone needs no per-object rule."""
    return getattr(view, "access_rule", None) is access.is_headquarters


def object_routes(app):
    for rule in app.url_map.iter_rules():
        if any(argument.endswith(ID_SUFFIX) for argument in rule.arguments):
            yield rule


def test_every_route_taking_an_object_id_asks_access(app):
    unguarded = []
    for rule in object_routes(app):
        view = app.view_functions[rule.endpoint]
        if rule.endpoint in PUBLIC_OBJECTS or guarded_by_headquarters(view):
            continue
        if not asks_access(inspect.unwrap(view)):
            unguarded.append(f"{rule.endpoint} {rule.rule}")
    assert not unguarded, "routes that load an object without asking access:\n" + "\n".join(unguarded)


def test_public_objects_are_still_routes(app):
    """An entry left behind after its route is gone would hide a new one of the same name."""
    endpoints = {rule.endpoint for rule in object_routes(app)}
    assert set(PUBLIC_OBJECTS) <= endpoints, set(PUBLIC_OBJECTS) - endpoints


def test_the_guard_test_fails_when_a_guard_is_removed(app):
    """The check itself: a view whose loader asks access passes, the same view
    with the loader's access check taken out does not."""
    rule = next(r for r in object_routes(app) if r.endpoint not in PUBLIC_OBJECTS)
    view = inspect.unwrap(app.view_functions[rule.endpoint])
    assert asks_access(view) or guarded_by_headquarters(app.view_functions[rule.endpoint])

    def loader(item_id):
        return item_id

    def unguarded_view(item_id):
        return loader(item_id)

    assert not asks_access(unguarded_view)
