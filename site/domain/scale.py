"""A national-scale data set for benchmarks: thousands of neighborhoods,
hundreds of thousands of volunteers and requests, written in bulk.

Every row is real and goes through the same tables and constraints as the
site's own; only the PIN hash is shared (hashing 300,000 PINs would take
hours and measures nothing the site does per request)."""

import datetime
import random

import peewee

import models
from hamsayeh import persian

CHUNK = 2000
FIRST_NAMES = ("علی", "زهرا", "محمد", "فاطمه", "حسین", "مریم", "رضا", "سارا", "مهدی", "نرگس", "امیر", "لیلا")
LAST_NAMES = ("احمدی", "رضایی", "کریمی", "حسینی", "موسوی", "جعفری", "قاسمی", "نوری", "صادقی", "رحیمی")
WORDS = ("خرید", "دارو", "همراهی", "بیمارستان", "تدریس", "ریاضی", "تعمیر", "شیر آب", "غذا", "سالمند", "کودک", "مدرسه")


def _chunks(rows):
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def _bulk(model, fields, rows):
    for chunk in _chunks(rows):
        with models.write_transaction():
            model.insert_many(chunk, fields=fields).execute()


def generate(neighborhoods=2500, volunteers=300_000, requests=200_000, residents=50_000, seed=1405, echo=print):
    """Add the data set under a province of its own; returns the counts."""
    rng = random.Random(seed)
    province = models.Area.add(
        None, "province", "استان آزمون مقیاس", "Scale test province", persian.fold("آزمون مقیاس")
    )
    hoods = []
    cities = max(1, neighborhoods // 50)
    for c in range(cities):
        city = models.Area.add(province, "city", f"شهر {c + 1}", f"City {c + 1}", f"city{c + 1}")
        for d in range(5):
            district = models.Area.add(city, "district", f"منطقه {d + 1}", f"District {d + 1}", f"c{c}d{d}")
            for n in range(neighborhoods // cities // 5):
                hood = models.Area.add(
                    district, "neighborhood", f"محله {n + 1}", f"Neighborhood {n + 1}", f"c{c}d{d}n{n}"
                )
                hoods.append((hood.id, district.id, city.id))
    echo(f"neighborhoods: {len(hoods)}")
    pin_hash = models.User.get_or_none(models.User.phone == "09120000001")
    pin_hash = pin_hash.pin_hash if pin_hash else models.hash_pin("2580")
    now = models.utcnow()
    people = residents + volunteers
    base_phone = 9300000000

    def person(i):
        hood = hoods[i % len(hoods)]
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        return (f"0{base_phone + i}", name, pin_hash, hood[0], now)

    user_fields = [
        models.User.phone,
        models.User.name,
        models.User.pin_hash,
        models.User.neighborhood,
        models.User.created_at,
    ]
    _bulk(models.User, user_fields, [person(i) for i in range(people)])
    first_id = models.User.get(models.User.phone == f"0{base_phone}").id
    echo(f"people: {people}")
    activity_ids = [a.id for a in models.ActivityType.listed()]
    reaches = ("neighborhood", "district", "district", "city")
    profiles = []
    for i in range(residents, people):
        hood = hoods[i % len(hoods)]
        profiles.append(
            (
                first_id + i,
                hood[0],
                hood[1],
                hood[2],
                rng.randrange(1, 8),
                rng.randrange(1, 128),
                rng.randrange(1, 8),
                rng.choice(reaches),
                rng.random() > 0.1,
                now,
            )
        )
    V = models.VolunteerProfile
    _bulk(
        V,
        [
            V.user,
            V.neighborhood,
            V.district,
            V.city,
            V.missions,
            V.weekdays,
            V.time_slots,
            V.reach,
            V.is_active,
            V.updated_at,
        ],
        profiles,
    )
    first_profile = V.get(V.user == first_id + residents).id
    echo(f"volunteers: {volunteers}")
    activities = []
    for p in range(volunteers):
        for activity in rng.sample(activity_ids, rng.randrange(1, 4)):
            activities.append((first_profile + p, activity, rng.random() < 0.3))
    VA = models.VolunteerActivity
    _bulk(VA, [VA.volunteer, VA.activity_type, VA.skilled], activities)
    echo(f"volunteer activities: {len(activities)}")
    posts = []
    for i in range(requests):
        hood = hoods[rng.randrange(len(hoods))]
        text = " ".join(rng.sample(WORDS, 4)) + f" {i}"
        created = now - datetime.timedelta(minutes=rng.randrange(60 * 24 * 90))
        status = "open" if rng.random() < 0.6 else rng.choice(("matched", "done", "cancelled"))
        posts.append(
            (
                rng.choice(("request", "request", "request", "offer")),
                first_id + rng.randrange(residents),
                rng.choice(activity_ids),
                text,
                persian.fold(text),
                rng.choice((0, 0, 0, 1, 2)),
                rng.randrange(4),
                hood[0],
                status,
                f"scale-{seed}-{i}",
                created,
                created,
            )
        )
    P = models.HelpPost
    fields = [P.kind, P.author, P.activity_type, P.text, P.search_key, P.urgency, P.time_window, P.neighborhood]
    _bulk(P, [*fields, P.status, P.form_key, P.created_at, P.updated_at], posts)
    echo(f"requests: {requests}")
    # What autovacuum and the query planner would do after a bulk load like
    # this, done at once: fresh statistics, and PostgreSQL's visibility map
    # (which lets counts read the index alone).
    if isinstance(models.db.obj, peewee.PostgresqlDatabase):
        models.db.execute_sql("VACUUM ANALYZE")
    else:
        models.db.execute_sql("ANALYZE")
    echo("statistics: updated")
    return {"neighborhoods": len(hoods), "people": people, "volunteers": volunteers, "requests": requests}
