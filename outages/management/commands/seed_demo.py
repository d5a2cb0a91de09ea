"""Load demo data for local development: groups, services, one user per role, and a few tickets.

Idempotent: when the demo users already exist it changes nothing and says so (``make run`` calls
it on every start). Tickets are made through ``tickets.services`` like any other channel, so
their SLA fields and audit trail are real. The passwords are public, so the command refuses to
run unless DEBUG is on (``--force`` overrides that, e.g. for a throwaway staging database).

It lives in ``outages``, the top of the map's tree, because the demo raises an outage: from
``tickets`` it would import ``outages.services`` against the import contracts.
"""

from datetime import time

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from sla.models import Calendar, WorkingHours
from tickets import services
from tickets.lifecycle import Status
from tickets.models import Channel, Classification, Group, Service, Source, Ticket, User

# (role, username, password, first name, last name); the passwords are for local demos only.
DEMO_USERS = [
    ("customer", "customer", "demo-customer-2026", "Alice", "Nguyen"),
    ("second customer", "customer2", "demo-customer2-2026", "Bob", "Okafor"),
    ("technician", "technician", "demo-technician-2026", "Tariq", "Haddad"),
    ("dispatcher", "dispatcher", "demo-dispatcher-2026", "Dana", "Reyes"),
    ("incident manager", "incident-manager", "demo-incident-manager-2026", "Irene", "Larsen"),
    ("service owner", "service-owner", "demo-service-owner-2026", "Sam", "Whitfield"),
    ("administrator", "admin", "demo-admin-2026", "Ada", "Park"),
]

GROUPS = [
    ("Service Desk", "service-desk"),
    ("Networking", "networking"),
    ("Identity & Access", "identity-access"),
    ("Data Center", "data-center"),
]

# (name, slug, default group slug, description)
SERVICES = [
    ("Email", "email", "service-desk", "Campus e-mail and calendars."),
    ("Wi-Fi", "wi-fi", "networking", "Wireless network in every building."),
    ("VPN", "vpn", "identity-access", "Remote access to the campus network."),
    ("Canvas LMS", "canvas-lms", "service-desk", "The learning management system; nightly maintenance 23:00–06:00."),
]


class Command(BaseCommand):
    help = "Load demo groups, services, users (one per role) and tickets, once. Development only."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates users with published passwords; it runs only with DEBUG=1 (or --force)."
            )
        usernames = [username for _, username, *_ in DEMO_USERS]
        existing = sorted(User.objects.filter(username__in=usernames).values_list("username", flat=True))
        if existing:
            self.stdout.write(f"Demo data already loaded (users {', '.join(existing)} exist); nothing changed.")
        else:
            with transaction.atomic():
                users = self._users()
                groups = self._groups(users)
                services_by_slug = self._services(users, groups)
                tickets = self._tickets(users, groups, services_by_slug)
            self.stdout.write(self.style.SUCCESS(
                f"Demo data loaded: {len(users)} users, {len(groups)} groups, {len(services_by_slug)} services, "
                f"{len(tickets)} tickets."
            ))
        self._print_logins()

    def _print_logins(self) -> None:
        self.stdout.write("\nDemo logins (local development only):")
        self.stdout.write(f"  {'role':<18} {'username':<18} password")
        for role, username, password, *_ in DEMO_USERS:
            self.stdout.write(f"  {role:<18} {username:<18} {password}")

    def _users(self) -> dict[str, User]:
        users = {}
        for role, username, password, first, last in DEMO_USERS:
            is_customer = role in ("customer", "second customer")
            users[role] = User.objects.create_user(
                username=username, password=password, email=f"{username}@example.edu", first_name=first,
                last_name=last, is_staff=not is_customer, is_superuser=role == "administrator",
            )
        users["incident manager"].user_permissions.add(
            Permission.objects.get(content_type__app_label="tickets", codename="act_as_incident_manager")
        )
        return users

    def _groups(self, users: dict[str, User]) -> dict[str, Group]:
        groups = {slug: Group.objects.create(name=name, slug=slug) for name, slug in GROUPS}
        for group in groups.values():
            group.members.add(users["technician"])
        groups["service-desk"].members.add(users["dispatcher"])
        groups["service-desk"].dispatchers.add(users["dispatcher"])
        return groups

    def _services(self, users: dict[str, User], groups: dict[str, Group]) -> dict[str, Service]:
        canvas_hours = Calendar.objects.create(
            name="Canvas LMS availability", slug="canvas-lms-availability", time_zone=settings.TIME_ZONE
        )
        WorkingHours.objects.bulk_create(
            WorkingHours(calendar=canvas_hours, weekday=day, opens=time(6), closes=time(23)) for day in range(7)
        )
        result = {}
        for name, slug, group_slug, description in SERVICES:
            result[slug] = Service.objects.create(
                name=name, slug=slug, description=description, owner=users["service owner"],
                default_group=groups[group_slug],
                operating_hours=canvas_hours if slug == "canvas-lms" else None,
            )
        return result

    def _tickets(self, users: dict[str, User], groups: dict[str, Group], by_slug: dict[str, Service]) -> list[Ticket]:
        customer, customer2 = users["customer"], users["second customer"]
        tech, dispatcher, manager = users["technician"], users["dispatcher"], users["incident manager"]
        channel = Channel.COMMAND
        reported = {"title", "description", "service", "impact", "urgency"}

        def report(actor, title, description, service, impact, urgency):
            return services.ticket_create(
                actor=actor, title=title, description=description, service=by_slug[service], impact=impact,
                urgency=urgency, channel=channel, supplied=reported,
            )

        def move(ticket, actor, *statuses):
            for status in statuses:
                ticket = services.ticket_transition(ticket_id=ticket.pk, actor=actor, to_status=status,
                                                    channel=channel)
            return ticket

        def say(ticket, actor, body, *, internal=False):
            services.entry_add(ticket_id=ticket.pk, actor=actor, body=body, internal=internal, channel=channel)

        # New, untouched: waiting in the Service Desk queue.
        new = report(customer, "Outlook will not send mail", "Messages stay in the outbox since this morning.",
               "email", "individual", "impaired")

        # An outage with a child incident: the service owner chose the incident manager; the technician fixes it.
        from outages import services as outages

        run = outages.outage_raise(
            actor=manager, title="Wi-Fi down in North Campus buildings",
            description="Several access points in North Campus are offline.", service=by_slug["wi-fi"],
            impact="multiple_buildings", urgency="stopped_no_workaround", classification=Classification.OUTAGE,
        )
        # Naming the incident manager puts the outage In Process.
        outage = outages.incident_manager_set(actor=users["service owner"], outage_id=run.pk, user=manager).ticket
        outages.responders_set(actor=manager, outage_id=run.pk, users=[tech])
        wifi = report(customer, "No Wi-Fi in the Science Library", "My laptop sees no campus network.",
                      "wi-fi", "building", "stopped_workaround")
        services.ticket_update(ticket_id=wifi.pk, actor=dispatcher, channel=channel, changes={"assignee": tech})
        outages.children_link(actor=manager, outage_id=run.pk, ticket_ids=[wifi.pk])
        outages.plan_set(actor=manager, outage_id=run.pk, audiences=["ticket", "its-alerts", "usdc-l"],
                         cadence_minutes=30)
        outages.update_post(actor=manager, outage_id=run.pk,
                            text="Networking is on site replacing a failed switch in the North Campus core.")

        # In process, then waiting on the customer with a question.
        vpn = report(customer2, "VPN asks for MFA twice", "Every connection prompts me for two codes.",
                     "vpn", "individual", "impaired")
        services.ticket_update(ticket_id=vpn.pk, actor=dispatcher, changes={"assignee": tech}, channel=channel)
        move(vpn, tech, Status.IN_PROCESS)
        say(vpn, tech, "Which VPN client version do you use? (Help → About)")
        move(vpn, tech, Status.WAIT_CUSTOMER)
        say(vpn, dispatcher, "Probably the known client bug fixed in 5.2.", internal=True)

        # Resolved; the customer has still to confirm.
        canvas = report(customer2, "Canvas gradebook export fails", "The CSV export shows an error page.",
                        "canvas-lms", "department", "impaired")
        move(canvas, tech, Status.IN_PROCESS)
        say(canvas, tech, "The export works again after the vendor's fix; please try once more.")
        move(canvas, tech, Status.RESOLVED)

        # Resolved and confirmed by the customer: closed.
        password = report(customer, "Password reset link expired", "The link in the e-mail says it has expired.",
                          "email", "individual", "stopped_workaround")
        move(password, tech, Status.IN_PROCESS, Status.RESOLVED)
        move(password, customer, Status.CLOSED)

        # Waiting on a vendor: raised by staff for ITS operations only.
        ups = services.ticket_create(
            actor=tech, title="UPS 2 reports a failing battery string", service=None,
            group=groups["data-center"], assignee=tech, impact="its_operations", urgency="not_impaired",
            source=Source.MONITORING, channel=channel,
        )
        move(ups, tech, Status.IN_PROCESS, Status.WAIT_VENDOR)

        # Withdrawn by its requester.
        duplicate = report(customer2, "Canvas gradebook export fails (again)", "Same as my other ticket.",
                           "canvas-lms", "individual", "impaired")
        move(duplicate, customer2, Status.CANCELLED)

        # A busy morning: more reports for the queues, two of them about the Wi-Fi outage's service.
        mailbox = report(customer2, "Admissions shared mailbox missing in Outlook",
                         "The shared mailbox disappeared from the folder list for our whole office.",
                         "email", "department", "impaired")
        davis = report(customer, "Eduroam keeps dropping in Davis Hall", "It reconnects every few minutes.",
                       "wi-fi", "building", "impaired")
        union = report(customer2, "Wi-Fi very slow in the Student Union", "Pages take a minute to load.",
                       "wi-fi", "individual", "impaired")
        home_vpn = report(customer, "Cannot connect to the VPN from home", "The client says the server refused.",
                          "vpn", "individual", "stopped_no_workaround")
        services.ticket_update(ticket_id=home_vpn.pk, actor=dispatcher, changes={"assignee": tech}, channel=channel)
        quiz = report(customer2, "Canvas quiz timer wrong for extended-time students",
                      "Students with 1.5x time see the standard countdown.", "canvas-lms", "department",
                      "stopped_workaround")
        move(quiz, tech, Status.IN_PROCESS)
        say(quiz, tech, "Which course and quiz is it? A link is enough.")
        say(quiz, customer2, "BIO 110, Quiz 4 — the link is in the course home page.")
        return [outage, wifi, vpn, canvas, password, ups, duplicate, new, mailbox, davis, union, home_vpn, quiz]
