"""Who may do what: every permission as a plain function of (user, roles, object).

Views load an object and ask here (through one loader per kind of object,
which answers 404 or 403 itself); templates and the menu ask the same
functions, so a rule is written once. `user` may be None (a guest) and
`roles` is the set of the user's roles (empty for a guest). Nothing here
writes, and nothing knows of Flask.
"""

from hamsayeh.domain import (
    areas_admin,
    assemblies,
    callbacks,
    campaigns,
    casework,
    centers,
    distributions,
    facilitators,
    funds,
    network,
    organizations,
    registry,
    timebank,
    volunteers,
)
from models import STAFF_ROLES, OrganizationMember, TrustedHelper

# --- Site-wide roles ------------------------------------------------------------


def is_headquarters(user, roles):
    """Headquarters (ستاد): the site's administrators."""
    return user is not None and "admin" in roles


def is_volunteer(user, roles):
    return user is not None and "volunteer" in roles


def is_facilitator(user, roles):
    return user is not None and "facilitator" in roles


def is_center_staff(user, roles):
    return user is not None and "center_staff" in roles


def is_staff(user, roles):
    """Anyone whose role shows them other people's data: shorter sessions, no acting for them."""
    return user is not None and bool(set(roles) & STAFF_ROLES)


# --- Whole pages: the menu shows a page exactly when its guard lets the user in ------


def may_manage_facilitators(user, roles):
    """Headquarters everywhere, center staff in their center's area."""
    return is_headquarters(user, roles) or is_center_staff(user, roles)


def may_use_desk(user, roles):
    """The help desk: center staff and facilitators, for the neighbors they look after."""
    return is_center_staff(user, roles) or is_facilitator(user, roles)


def may_use_registry(user, roles):
    """Staff of an organization that is a member of an assembly."""
    return bool(registry_organizations(user, roles))


# --- Places: centers and neighborhoods --------------------------------------------


def works_at(user, roles, center):
    """Headquarters, or the center's own staff."""
    return is_headquarters(user, roles) or (
        is_center_staff(user, roles) and center is not None and user.work_center_id == center.id
    )


def facilitates(user, roles, neighborhood_id):
    """An assigned facilitator of the neighborhood."""
    return (
        is_facilitator(user, roles) and neighborhood_id is not None and facilitators.facilitates(user, neighborhood_id)
    )


# --- The area tree and the centers, kept by headquarters -----------------------------


def may_keep_the_tree(user, roles):
    """The pages that keep areas and centers: headquarters, and the managers
    of a subtree (a province, county or city put under new management), who
    hold a staff role (a member without one asks no query here)."""
    return is_headquarters(user, roles) or (is_staff(user, roles) and areas_admin.is_area_manager(user))


def manages_area(user, roles, area):
    """Headquarters everywhere; a subtree's manager within it. Adding under,
    renaming and keeping centers in `area` ask this of it; moving and merging
    ask it of the parent too, so a manager never moves their subtree's top."""
    return is_headquarters(user, roles) or (is_staff(user, roles) and areas_admin.manages(user, area))


def may_appoint_area_managers(user, roles):
    """Only headquarters puts an area under new management."""
    return is_headquarters(user, roles)


def runs_center_network(user, roles, center):
    """A center's kind, area, served neighborhoods, staff, closing and
    reopening: whoever manages its area."""
    return center is not None and manages_area(user, roles, center.area)


def may_edit_center(user, roles, center):
    """A center's details (names, address, hours, phone, map point): whoever
    manages its area, and the center's own staff."""
    if center is None:
        return False
    own = is_center_staff(user, roles) and user.work_center_id == center.id
    return own or runs_center_network(user, roles, center)


# --- Organizations --------------------------------------------------------------------


def _membership(user, organization):
    if user is None:
        return None
    return OrganizationMember.get_or_none(
        OrganizationMember.organization == organization, OrganizationMember.user == user, OrganizationMember.is_active
    )


def manages(user, roles, organization):
    """The organization's active managers, and headquarters."""
    membership = _membership(user, organization)
    return is_headquarters(user, roles) or (membership is not None and membership.role == "manager")


def staff_of(user, roles, organization):
    """The organization's active managers and staff, and headquarters."""
    membership = _membership(user, organization)
    return is_headquarters(user, roles) or (membership is not None and membership.role in OrganizationMember.STAFF)


def registry_organizations(user, roles):
    """The assembly members where `user` is active staff: through them, and only
    them, the user reads and writes the shared registry."""
    if user is None:
        return []
    return list(registry.registry_organizations(user))


# --- People: looking after a member, acting for them ------------------------------------


def sees_others_data(member):
    """A staff account: a site-wide staff role, or active staff of an
    organization (which opens its records, and the registry). Nobody resets
    its PIN or acts for it at a desk: that would borrow its access."""
    if set(member.roles()) & STAFF_ROLES:
        return True
    return (
        OrganizationMember.select()
        .where(
            OrganizationMember.user == member,
            OrganizationMember.is_active,
            OrganizationMember.role.in_(OrganizationMember.STAFF),
        )
        .exists()
    )


def looks_after(actor, actor_roles, member):
    """Whether staff `actor` looks after `member` (never a staff account): a
    center's staff the members it looks after (`centers.looked_after`), a
    facilitator the neighbors of the neighborhoods they are assigned to."""
    if actor is None or member.id == actor.id or sees_others_data(member):
        return False
    if "center_staff" in actor_roles and actor.work_center_id and centers.looks_after(actor.work_center, member):
        return True
    if "facilitator" in actor_roles and member.neighborhood_id:
        return facilitators.facilitates(actor, member.neighborhood_id)
    return False


def may_act_for(actor, actor_roles, person):
    """A trusted helper the person named and who accepted, or staff who look after them."""
    if actor is None or sees_others_data(person) or not person.is_active:
        return False
    named = (
        TrustedHelper.select()
        .where(TrustedHelper.person == person, TrustedHelper.helper == actor, TrustedHelper.status == "accepted")
        .exists()
    )
    return named or looks_after(actor, actor_roles, person)


# --- The board, volunteers, call-backs and the help desk ---------------------------------


def may_confirm_as_actor(actor, actor_roles, response):
    """Someone acting for the helped person confirms a help only when they did
    not give it: otherwise they would pay themselves from the person's hours."""
    return actor is not None and response.post.helper(response) != actor.id


# Who may file a post for a neighbor without a phone or an account.
ON_BEHALF_ROLES = frozenset({"volunteer", "facilitator", "center_staff"})


def may_file_on_behalf(user, roles):
    return user is not None and bool(set(roles) & ON_BEHALF_ROLES)


def may_see_post(user, roles, post):
    """Every post is public but a cancelled one, which only its author sees."""
    return post.status != "cancelled" or is_post_author(user, roles, post)


def is_post_author(user, roles, post):
    return user is not None and user.id == post.author_id


def may_answer_post(user, roles, post):
    """Any member may answer or report a post they can see."""
    return user is not None and may_see_post(user, roles, post)


def may_see_post_place(user, roles, post):
    """The exact place and contact details: the author and accepted helpers only."""
    return post.can_see_place(user)


def coordinates_post(user, roles, post):
    """Who sees a need's best-matched volunteers and may invite them: its
    author, and the facilitators assigned to its neighborhood."""
    if user is None or post.kind != "request" or post.status not in ("open", "matched"):
        return False
    return is_post_author(user, roles, post) or facilitates(user, roles, post.neighborhood_id)


def asked_for_response(user, roles, response):
    """The author of the post that `response` answers: they accept or decline it."""
    return user is not None and response.post.author_id == user.id


def gave_response(user, roles, response):
    return user is not None and response.responder_id == user.id


def takes_part_in(user, roles, response):
    """Either side of an answer: both may say the help is done."""
    return asked_for_response(user, roles, response) or gave_response(user, roles, response)


def was_helped(user, roles, response):
    """Who receives the help: they confirm it, and pay for it from their time."""
    return user is not None and response.post.helped_person(response) == user.id


def confirms_for_pool(user, roles, response):
    """Help given to a neighbor filed for without an account is paid by the
    district's pool, so a second person confirms it: a facilitator of the
    post's neighborhood, or staff of the center that serves it
    (`centers.center_neighborhoods`); never the one who filed it, nor the one who gave it."""
    post = response.post
    if user is None or not post.on_behalf_name or post.kind != "request":
        return False
    if user.id in (post.author_id, post.filed_by_id, post.helper(response)):
        return False
    if facilitates(user, roles, post.neighborhood_id):
        return True
    center = user.work_center if is_center_staff(user, roles) and user.work_center_id else None
    return center is not None and centers.serves_neighborhood(center, post.neighborhood)


def may_confirm_help(user, roles, response):
    """The helped person, or for a neighbor without an account, the second person who confirms for the pool."""
    return was_helped(user, roles, response) or confirms_for_pool(user, roles, response)


def serves_at_desk(user, roles, member):
    """The desk finds, resets and acts for only the neighbors its staff look after."""
    return may_use_desk(user, roles) and looks_after(user, roles, member)


def answers_callback(user, roles, callback):
    """A desk answers the call-backs of its center or area, of a facilitator's
    neighborhoods, and those that came with no place at all."""
    return may_use_desk(user, roles) and callbacks.answered_by(callback, user, roles)


# --- Centers, programs, kiosks, facilitators and members -----------------------------------


def may_run_a_center(user, roles):
    """The pages that run a center (programs, notices, cards, kiosks, members'
    time accounts): headquarters and center staff; which center, and which
    account, is asked of `works_at` and `may_manage_time_account`."""
    return is_headquarters(user, roles) or is_center_staff(user, roles)


def manages_program(user, roles, program):
    """Who keeps a program: its center's staff, or its organization's managers
    and staff; headquarters everywhere."""
    if program.center_id:
        return works_at(user, roles, program.center)
    return staff_of(user, roles, program.organization)


def may_manage_kiosks(user, roles, center):
    """Turning a terminal into the center's kiosk, or switching one off: whoever works at the center."""
    return works_at(user, roles, center)


def facilitator_area(user, roles, facilitator):
    """The area within which `user` may assign `facilitator` to neighborhoods:
    headquarters the facilitator's city, a center's staff their center's area;
    None when there is none."""
    if is_headquarters(user, roles):
        home = facilitator.neighborhood
        return volunteers.city_of(home) if home else None
    if is_center_staff(user, roles) and user.work_center_id:
        return user.work_center.area
    return None


def may_assign_facilitator(user, roles, facilitator, neighborhood):
    """Assigning (or unassigning) a facilitator to a neighborhood within the manager's area."""
    area = facilitator_area(user, roles, facilitator)
    return (
        area is not None
        and neighborhood is not None
        and neighborhood.kind == "neighborhood"
        and neighborhood.path.startswith(area.path)
    )


# --- The network (stories, ideas, channel), organizations and the registry ----------------


def may_read_all_stories(user, roles, neighborhood):
    """Who reads every story of a neighborhood, public or not: headquarters,
    its facilitators, and the staff of a center whose area holds it."""
    if is_headquarters(user, roles) or facilitates(user, roles, neighborhood.id):
        return True
    center = user.work_center if is_center_staff(user, roles) and user.work_center_id else None
    return center is not None and neighborhood.path.startswith(center.area.path)


def keeps_record_of(user, roles, neighborhood):
    """Only a neighborhood's own facilitators keep its record of stories."""
    return facilitates(user, roles, neighborhood.id)


def may_read_story(user, roles, story):
    return story.is_public or may_read_all_stories(user, roles, story.neighborhood)


def may_edit_story(user, roles, story):
    return keeps_record_of(user, roles, story.neighborhood)


def may_search_stories(user, roles):
    """Headquarters everywhere; a center's staff in their center's area."""
    return is_headquarters(user, roles) or (is_center_staff(user, roles) and user.work_center_id is not None)


def idea_roles(user, roles, idea):
    """The parts `user` plays in an idea's steps: "author", "facilitator" (of
    its neighborhood) and "hq"."""
    if user is None:
        return set()
    parts = {"author"} if user.id == idea.author_id else set()
    if facilitates(user, roles, idea.neighborhood_id):
        parts.add("facilitator")
    if is_headquarters(user, roles):
        parts.add("hq")
    return parts


def idea_moves(user, roles, idea):
    """The steps `user` may take on the idea now."""
    parts = idea_roles(user, roles, idea)
    return [
        action
        for action, (who, from_statuses, _to) in network.IDEA_MOVES.items()
        if who in parts and idea.status in from_statuses
    ]


def may_review_ideas(user, roles):
    return is_facilitator(user, roles) or is_headquarters(user, roles)


def may_post_to_channels(user, roles):
    """Headquarters and facilitators speak on the channel and see its problems."""
    return is_headquarters(user, roles) or is_facilitator(user, roles)


def may_announce(user, roles, area):
    """Headquarters speaks anywhere (`area` None: to everyone); a facilitator
    to the neighborhoods they serve and to those neighborhoods' districts."""
    if is_headquarters(user, roles):
        return True
    if not is_facilitator(user, roles) or area is None:
        return False
    return any(area.id in (hood.id, hood.parent_id) for hood in network.assigned_neighborhoods(user))


def may_read_channel_item(user, roles, item):
    """Announcements are public; a problem is between the facilitators of its
    neighborhood and headquarters."""
    return item.kind == "announcement" or is_headquarters(user, roles) or facilitates(user, roles, item.area_id)


def answers_problem(user, roles, item):
    """Headquarters' reply to a problem is its answer, and closes it."""
    return item.kind == "problem" and is_headquarters(user, roles)


def may_open_organizations(user, roles):
    """Only headquarters opens an organization's page and names its first manager."""
    return is_headquarters(user, roles)


def assembly_organizations(user, roles, assembly):
    """The assembly's member organizations where `user` is active staff: what
    they post and state to the assembly, they do for one of these."""
    if user is None:
        return []
    return [registry.at_desk(org, assembly) for org in organizations.staff_organizations(user, assembly)]


def may_read_assembly_posts(user, roles, assembly):
    """The members' posts may speak of families: they stay within the assembly."""
    return is_headquarters(user, roles) or bool(assembly_organizations(user, roles, assembly))


def may_read_registry_record(user, roles, record):
    """A record one of the user's own organizations made in an assembly it
    still works in; never another's, nor one made in another assembly."""
    desks = {(org.id, org.assembly.id) for org in registry_organizations(user, roles)}
    return (record.organization_id, record.beneficiary.assembly_id) in desks


# --- Assemblies and organizations' applications ----------------------------------------------


def may_manage_assemblies(user, roles):
    """Only headquarters makes assemblies, changes their members and names their coordinators."""
    return is_headquarters(user, roles)


def may_apply_for_organization(user, roles):
    """Any member may ask to open their group's page: the answer comes to their inbox."""
    return user is not None


def coordinates_area_of(user, roles, area):
    """The coordinator of an assembly whose area holds `area` (a district's, a city's or a county's)."""
    if user is None or area is None:
        return False
    return any(area.path.startswith(assembly.area.path) for assembly in assemblies.coordinated_by(user))


def may_review_applications(user, roles):
    """The list of applications: headquarters, and the coordinators of assemblies (those of their areas)."""
    return is_headquarters(user, roles) or (user is not None and assemblies.coordinated_by(user).exists())


def may_answer_application(user, roles, application):
    """Headquarters, or the coordinator of the assembly of the applicant's district, city or county."""
    return is_headquarters(user, roles) or coordinates_area_of(user, roles, application.area)


# --- Accounts, sessions and the time bank ----------------------------------------------------


def may_manage_time_account(user, roles, account):
    """Headquarters any account, a center's staff the accounts of the center's
    members who are not staff themselves; no one their own (no self-dealing:
    their floor, the pool paying for them, their transfers' corrections)."""
    if user is None or timebank.is_own_account(user, account):
        return False
    if is_headquarters(user, roles):
        return True
    return (
        is_center_staff(user, roles)
        and user.work_center_id is not None
        and account.kind == "member"
        and not set(account.user.roles()) & STAFF_ROLES
        and centers.looks_after(user.work_center, account.user)
    )


def may_reverse_transfer(user, roles, transfer):
    """Staff who manage the account on one side, when neither side is their own."""
    sides = (transfer.source, transfer.target)
    if any(timebank.is_own_account(user, side) for side in sides):
        return False
    return any(may_manage_time_account(user, roles, side) for side in sides)


def names_helper(user, roles, link):
    """The person who named (or asked) this trusted helper."""
    return user is not None and link.person_id == user.id


def is_named_helper(user, roles, link):
    """The helper this person named or asked."""
    return user is not None and link.helper_id == user.id


# --- Certificates of volunteer hours ------------------------------------------------------


def may_certify(user, roles, holder):
    """Who prints a certificate of `holder`'s hours: the holder, and the staff
    of a center whose member they are (the staff who see their time account),
    never for another staff account. Headquarters does not: a certificate is
    the center's word on what it saw."""
    if user is None or holder is None:
        return False
    if user.id == holder.id:
        return True
    return (
        is_center_staff(user, roles)
        and user.work_center_id is not None
        and not sees_others_data(holder)
        and centers.looks_after(user.work_center, holder)
    )


# --- The municipal welfare desk (casework) ------------------------------------------------------


def welfare_posts(user, roles):
    """The user's places at welfare offices that open something now: a social
    worker's and a supervisor's need the site's social_worker role (a staff
    session), desk staff any staff role."""
    if not is_staff(user, roles):
        return []
    return [
        post
        for post in casework.staff_posts(user)
        if ("social_worker" in roles if post.role in ("social_worker", "supervisor") else is_staff(user, roles))
    ]


def may_use_casework(user, roles):
    """The desk's pages: staff of a district's welfare office."""
    return bool(welfare_posts(user, roles))


def works_in_office(user, roles, office):
    office_id = getattr(office, "id", office)
    return any(post.office_id == office_id for post in welfare_posts(user, roles))


def district_supervisor_of(user, roles, office):
    office_id = getattr(office, "id", office)
    return any(post.office_id == office_id and post.role == "supervisor" for post in welfare_posts(user, roles))


def case_worker_of(user, roles, case):
    """The case's social workers (its own and a second one), while they work at its office."""
    return (
        user is not None
        and user.id in (case.social_worker_id, case.co_worker_id)
        and any(
            post.office_id == case.office_id and post.role in ("social_worker", "supervisor")
            for post in welfare_posts(user, roles)
        )
    )


def may_read_case(user, roles, case):
    """The office's staff read a case (audited when it is not theirs); nobody else."""
    return works_in_office(user, roles, case.office_id)


def may_see_assessment(user, roles, case):
    """The assessment, with the priority group, the product's most sensitive
    field: the case's social workers and the district's supervisor only."""
    return case_worker_of(user, roles, case) or district_supervisor_of(user, roles, case.office_id)


def may_work_on_case(user, roles, case):
    """Assessing, planning services and visits, closing and reopening."""
    return may_see_assessment(user, roles, case)


def may_take_case(user, roles, case):
    """A social worker of the office takes a request nobody carries yet."""
    return case.social_worker_id is None and any(
        post.office_id == case.office_id and post.role in ("social_worker", "supervisor")
        for post in welfare_posts(user, roles)
    )


def intake_offices(user, roles):
    """Where `user` registers requests: the offices they work at, and for a
    center's staff the office of the district their center is in."""
    found = {post.office_id: post.office for post in welfare_posts(user, roles)}
    if is_center_staff(user, roles) and user.work_center_id:
        office = casework.office_for(user.work_center.area)
        if office is not None:
            found.setdefault(office.id, office)
    return list(found.values())


def may_register_cases(user, roles):
    return bool(intake_offices(user, roles))


def offices_for_post(user, roles, post):
    """Where a need on the board is registered as a welfare request: the
    office of its district, when `user` registers there ([] otherwise).
    Never its author's business: the case is private."""
    if post.kind != "request" or not may_see_post(user, roles, post):
        return []
    offices = intake_offices(user, roles)
    office = casework.office_for(post.neighborhood) if offices else None
    return [item for item in offices if office is not None and item.id == office.id]


def offices_for_callback(user, roles, callback, offices=None):
    """Where a call-back is registered as a welfare request: for the desk that
    answers it, the office of its place's district, or any of theirs when it
    came with no place. `offices`: the user's `intake_offices`, when a page
    of call-backs asked them once."""
    offices = intake_offices(user, roles) if offices is None else offices
    if not offices or not answers_callback(user, roles, callback):
        return []
    place = casework.callback_place(callback)
    if place is None:
        return offices
    office = casework.office_for(place)
    return [item for item in offices if office is not None and item.id == office.id]


def may_register_from_post(user, roles, post):
    return bool(offices_for_post(user, roles, post))


def may_register_from_callback(user, roles, callback, offices=None):
    return bool(offices_for_callback(user, roles, callback, offices))


def is_case_applicant(user, roles, case):
    """The person whose own account made the request."""
    return user is not None and case.applicant_id == user.id


def may_print_case_copy(user, roles, case):
    """The person's own copy of their request and plan: the person, and the office's staff to hand it over."""
    return is_case_applicant(user, roles, case) or may_read_case(user, roles, case)


def may_use_partner_portal(user, roles):
    """Staff of an organization (not a government office) answer its referrals and pledge to offices."""
    return bool(casework.partner_organizations(user))


def partner_of_referral(user, roles, service):
    """The partner's active staff, never headquarters: a referral shows only what the service needs."""
    return service.partner_id is not None and any(
        org.id == service.partner_id for org in casework.partner_organizations(user)
    )


def may_read_casework_reports(user, roles):
    """Counts only: headquarters for every district, a supervisor for theirs."""
    return is_headquarters(user, roles) or any(post.role == "supervisor" for post in welfare_posts(user, roles))


def report_offices(user, roles):
    """The offices whose reports `user` reads."""
    if is_headquarters(user, roles):
        return list(casework.offices())
    return [post.office for post in welfare_posts(user, roles) if post.role == "supervisor"]


def may_exchange(user, roles):
    """Agencies' lists and the served list: a district's supervisor."""
    return any(post.role == "supervisor" for post in welfare_posts(user, roles))


def exports_codes(user, roles, office):
    """The served list by national code, where the law requires it: the staff
    headquarters gave that right, at their own office."""
    office_id = getattr(office, "id", office)
    return any(post.office_id == office_id and post.exports_codes for post in welfare_posts(user, roles))


def may_work_on_service(user, roles, service):
    """A service of a case's plan: whoever works on the case."""
    return may_work_on_case(user, roles, service.case)


def may_print_referral(user, roles, service):
    """A referral letter: the case's social workers and supervisor, and the partner it is addressed to."""
    return service.partner_id is not None and (
        may_work_on_service(user, roles, service) or partner_of_referral(user, roles, service)
    )


def keeps_pledge(user, roles, pledge):
    """A pledge is withdrawn by the staff of the organization that made it."""
    return any(org.id == pledge.organization_id for org in casework.partner_organizations(user))


# --- Headquarters' imports, and registering in person at a desk --------------------------------


def may_import_lists(user, roles):
    """Bulk imports of areas, centers, facilitators and volunteers: headquarters alone."""
    return is_headquarters(user, roles)


def may_register_in_person(user, roles):
    """The desk's page that registers a neighbor: a center's staff, at their own center."""
    return is_center_staff(user, roles) and user.work_center_id is not None


def registers_at(user, roles, center):
    """Registering a neighbor into `center`'s desk: its own staff only (headquarters imports lists instead)."""
    return may_register_in_person(user, roles) and center is not None and user.work_center_id == center.id


# Roles an account made for someone may have and still be claimed with a desk's code.
CLAIMABLE_IN_PERSON = frozenset({"resident", "volunteer", "facilitator"})


def may_be_claimed_in_person(member):
    """An account made for someone (at a desk or by an import) that its holder
    has not claimed yet, with a number to sign in with. A facilitator's too:
    the SMS claim refuses staff accounts, the desk sees the person."""
    return (
        member.is_active
        and bool(member.phone)
        and member.origin in ("desk", "import")
        and member.claimed_at is None
        and member.roles() <= CLAIMABLE_IN_PERSON
    )


def may_hand_claim_code(user, roles, member):
    """A claim code for the kiosk: the staff of the center whose member the
    person is, or whose desk is their contact; never for oneself."""
    if not may_register_in_person(user, roles) or member is None or member.id == user.id:
        return False
    if not may_be_claimed_in_person(member):
        return False
    center = user.work_center
    return centers.looks_after(center, member)


# --- The neighborhood's services directory (issue 22, part 6) ----------------------------------


def may_keep_directories(user, roles):
    """The directory's pages: headquarters, facilitators and center staff (which lists: `keeps_directory_of`)."""
    return is_headquarters(user, roles) or is_facilitator(user, roles) or is_center_staff(user, roles)


def keeps_directory_of(user, roles, area):
    """Who keeps a place's list of services: the national list (`area` None)
    headquarters alone; a district's or a city's whoever manages the area; a
    neighborhood's also its facilitators and the staff of its center (the
    center whose members live there: `centers.serves_neighborhood`)."""
    if area is None:
        return is_headquarters(user, roles)
    if manages_area(user, roles, area):
        return True
    if not area.is_neighborhood:
        return False
    if facilitates(user, roles, area.id):
        return True
    return (
        is_center_staff(user, roles)
        and user.work_center_id is not None
        and centers.serves_neighborhood(user.work_center, area)
    )


def keeps_directory_entry(user, roles, entry):
    return keeps_directory_of(user, roles, entry.area)


# --- Crisis mode (issue 22) ---------------------------------------------------------------


def may_declare_crisis(user, roles, area):
    """Headquarters anywhere; an assembly's coordinator in its own area."""
    return is_headquarters(user, roles) or coordinates_area_of(user, roles, area)


def may_use_crisis_desk(user, roles):
    """The crisis pages for those who run one: headquarters and assemblies' coordinators."""
    return is_headquarters(user, roles) or (user is not None and assemblies.coordinated_by(user).exists())


def runs_crisis(user, roles, crisis):
    """Who sees the situation (names, skills, places) and changes it: those who may declare it."""
    return may_declare_crisis(user, roles, crisis.area)


def keeps_crisis_place(user, roles, place):
    """A place's capacity and stock: its keeper (its staff), or who runs the crisis."""
    return (user is not None and place.keeper_id == user.id) or runs_crisis(user, roles, place.crisis)


def answers_crisis_call(user, roles, call):
    """Only the volunteer asked answers their call."""
    return user is not None and call.user_id == user.id


def checks_in_team_member(user, roles, member):
    """The volunteer themself, or who runs the crisis."""
    return (user is not None and member.call.user_id == user.id) or runs_crisis(user, roles, member.team.crisis)


def may_offer_crisis_help(user, roles, crisis):
    """Any signed-in member may offer help for a crisis that is on (a group from outside too)."""
    return user is not None and crisis.ended_at is None


# --- Local development funds (صندوق توسعه محلی) ------------------------------------------------


def may_open_funds(user, roles):
    """Headquarters, or a neighborhood's facilitator, opens a fund."""
    return is_headquarters(user, roles) or is_facilitator(user, roles)


def may_open_fund_in(user, roles, area):
    return is_headquarters(user, roles) or facilitates(user, roles, area.id)


def keeps_fund(user, roles, fund):
    """Only the fund's trustees record its money, enter paper ballots and approve expenses."""
    return user is not None and funds.is_trustee(user, fund)


def may_vote_in_fund(user, roles, fund):
    """A resident of the fund's neighborhoods, with an account, votes for themself alone."""
    return user is not None and funds.is_resident(user, fund)


def may_print_fund_receipt(user, roles, entry):
    """A contribution's receipt: the fund's trustees, and the contributor."""
    return user is not None and (keeps_fund(user, roles, entry.fund) or entry.contributor_id == user.id)


def fund_roll_role(user, roles, fund):
    """Who confirms a fund's voters in person, and as what: a trustee of the
    fund ("trustee"), a facilitator of one of its neighborhoods
    ("facilitator"), or staff of the center that serves one ("desk"); None
    for anyone else (a resident, another fund's trustee, another center's staff)."""
    if user is None or fund is None:
        return None
    if keeps_fund(user, roles, fund):
        return "trustee"
    neighborhoods = funds.neighborhoods(fund)
    if any(facilitates(user, roles, area.id) for area in neighborhoods):
        return "facilitator"
    staff = is_center_staff(user, roles) and user.work_center_id is not None
    if staff and any(centers.serves_neighborhood(user.work_center, area) for area in neighborhoods):
        return "desk"
    return None


def keeps_fund_roll(user, roles, fund):
    return fund_roll_role(user, roles, fund) is not None


# --- Campaigns (issue 16): organizers, nominations, distribution points ----------------------


def runs_campaign(user, roles, campaign):
    """Staff of the campaign's organizer (the office's staff, the assembly's
    coordinator or its members' managers, the organization's staff), or headquarters."""
    return is_headquarters(user, roles) or (user is not None and campaigns.runs(user, campaign))


def may_start_campaign(user, roles):
    """Headquarters, and staff of an office, an assembly or an organization."""
    return is_headquarters(user, roles) or bool(campaigns.organizers_of(user))


def may_nominate(user, roles, round_):
    """Staff of an organization nominate households while the round takes nominations."""
    return round_.status == "nominating" and bool(distributions.nominating_organizations(user))


def may_nominate_for(user, roles, organization):
    return user is not None and campaigns.organization_staff(user, organization)


def verifies_nominations(user, roles, round_):
    """The organizer's staff, or the coordinator of the assembly of the campaign's area, verify households."""
    campaign = round_.campaign
    return runs_campaign(user, roles, campaign) or (
        user is not None and campaigns.coordinates_assembly_of(user, campaign)
    )


def works_at_point(user, roles, point):
    """Who marks pickups at a point: the campaign's staff, and that point's own volunteers."""
    return runs_campaign(user, roles, point.campaign) or distributions.volunteers_at(user, point)
