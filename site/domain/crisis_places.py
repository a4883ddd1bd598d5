"""A crisis's places: shelters, kitchens and collection points, their
capacity and what is in each now (set by their keeper or the coordinator);
needs and offers of goods matched to them; offers from groups outside."""

from peewee import JOIN, IntegrityError

from hamsayeh.domain.audit import record_audit
from hamsayeh.domain.crisis import CrisisError, log
from models import Crisis, CrisisOffer, CrisisPlace, CrisisStock, User, made_once, utcnow, write_transaction

# A kind of need of the crisis and the goods that meet it.
NEED_ITEMS = {"crisis-water": "water", "crisis-medicine": "medicine", "crisis-shelter": "blankets"}


def places(crisis):
    """Every place of the crisis with its stocks (`stock_list`), shelters first."""
    found = list(
        CrisisPlace.select(CrisisPlace, User)
        .join(User, JOIN.LEFT_OUTER)
        .where(CrisisPlace.crisis == crisis)
        .order_by(CrisisPlace.kind.desc(), CrisisPlace.name)
    )
    stocks = CrisisStock.select().where(CrisisStock.place.in_([place.id for place in found] or [0]))
    by_place = {}
    for stock in stocks.order_by(CrisisStock.item):
        by_place.setdefault(stock.place_id, []).append(stock)
    for place in found:
        place.stock_list = by_place.get(place.id, [])
    return found


def add_place(actor, crisis, kind, name, address, capacity, keeper=None):
    if crisis.ended_at is not None:
        raise CrisisError("ended")
    try:
        with write_transaction():
            place = CrisisPlace.create(
                crisis=crisis, kind=kind, name=name, address=address, capacity=capacity, keeper=keeper
            )
            log(crisis, actor, "place", name)
            record_audit("crisis_place", actor, f"crisis:{crisis.id}", f"place:{place.id}")
    except IntegrityError as error:
        raise CrisisError("same_name") from error
    return place


def update_place(actor, place, occupied, stocks):
    """What is in the place now: people sheltered, and per item what it has
    and still wants ({item: (have, wanted)})."""
    if place.crisis.ended_at is not None:
        raise CrisisError("ended")
    if occupied > place.capacity:
        raise CrisisError("over_capacity")
    now = utcnow()
    with write_transaction():
        CrisisPlace.update(occupied=occupied, updated_at=now).where(CrisisPlace.id == place.id).execute()
        for item, (have, wanted) in stocks.items():
            CrisisStock.insert(place=place, item=item, have=have, wanted=wanted, updated_at=now).on_conflict(
                conflict_target=[CrisisStock.place, CrisisStock.item],
                update={CrisisStock.have: have, CrisisStock.wanted: wanted, CrisisStock.updated_at: now},
            ).execute()
        log(place.crisis, actor, "stock", place.name)
        record_audit("crisis_stock", actor, f"crisis:{place.crisis_id}", f"place:{place.id}")


def places_for_need(crisis, post, found=None):
    """Places that can meet a crisis need: shelters with room for a shelter
    need, places holding the goods for water or medicine."""
    slug = post.activity_type.slug
    found = places(crisis) if found is None else found
    if slug == "crisis-shelter":
        return [place for place in found if place.kind == "shelter" and place.capacity > place.occupied]
    item = NEED_ITEMS.get(slug)
    if item is None:
        return []
    return [place for place in found if any(s.item == item and s.have > 0 for s in place.stock_list)]


def places_wanting(crisis, item, found=None):
    """Places that still want `item`: where an offer of it fits, most wanted first."""
    wanting = [
        (stock.wanted - stock.have, place)
        for place in (places(crisis) if found is None else found)
        for stock in place.stock_list
        if stock.item == item and stock.wanted > stock.have
    ]
    return [place for _gap, place in sorted(wanting, key=lambda pair: -pair[0])]


def offer_help(user, crisis, form_key, group_name, contact, item, quantity, what):
    """A group (often from outside the county) offers help; once per form."""
    if crisis.ended_at is not None:
        raise CrisisError("ended")

    def make():
        offer = CrisisOffer.create(
            crisis=crisis,
            group_name=group_name,
            contact=contact,
            item=item,
            quantity=quantity,
            what=what,
            offered_by=user,
            form_key=form_key,
        )
        log(crisis, user, "offer", group_name)
        return offer

    return made_once(CrisisOffer, form_key, make)


def decide_offer(actor, offer, accept, place=None):
    """Accept an offer (goods go to `place`'s stock) or decline it; once, while the crisis is on."""
    with write_transaction():
        changed = (
            CrisisOffer.update(status="accepted" if accept else "declined", decided_by=actor, place=place)
            .where(
                CrisisOffer.id == offer.id,
                CrisisOffer.status == "offered",
                CrisisOffer.crisis.in_(Crisis.select(Crisis.id).where(Crisis.ended_at.is_null())),
            )
            .execute()
        )
        if not changed:
            ended = Crisis.select().where(Crisis.id == offer.crisis_id, Crisis.ended_at.is_null(False)).exists()
            raise CrisisError("ended" if ended else "decided")
        if accept and place is not None and offer.item and offer.quantity:
            now = utcnow()
            CrisisStock.insert(place=place, item=offer.item, have=offer.quantity, updated_at=now).on_conflict(
                conflict_target=[CrisisStock.place, CrisisStock.item],
                update={CrisisStock.have: CrisisStock.have + offer.quantity, CrisisStock.updated_at: now},
            ).execute()
        record_audit("crisis_offer", actor, f"crisis:{offer.crisis_id}", f"offer:{offer.id} {accept}")
        log(offer.crisis, actor, "accepted" if accept else "declined", offer.group_name)
