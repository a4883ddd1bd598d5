"""The blueprints: one per area of the product, each thin."""


def blueprints():
    """Every blueprint the application registers, in order."""
    from hamsayeh.views import (
        accounts,
        activity_types,
        areas,
        board,
        centers,
        channel,
        desk,
        facilitators,
        hq,
        ideas,
        inbox,
        kiosk,
        main,
        orgs,
        people,
        registry,
        simple,
        sms,
        stories,
        timebank,
        volunteers,
    )

    return (
        main.bp,
        accounts.bp,
        areas.bp,
        board.bp,
        inbox.bp,
        volunteers.bp,
        people.bp,
        activity_types.bp,
        timebank.bp,
        simple.bp,
        sms.bp,
        desk.bp,
        facilitators.bp,
        stories.bp,
        ideas.bp,
        channel.bp,
        hq.bp,
        registry.bp,
        orgs.bp,
        centers.bp,
        kiosk.bp,
    )
