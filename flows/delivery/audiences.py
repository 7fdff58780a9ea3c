"""Who gets each report: the audiences of one report, from the configuration.

An *audience* is one delivery of a report: a mail to a group of people who get the same view in
the same language, or a post to one chat webhook. For the report of ``scope`` (a shop id or
``all``) of kind ``daily`` or ``weekly``:

- ``mail.to``: the full report in ``report.language`` (ledger audience ``''``). When
  ``[[recipients]]`` are configured and ``mail.to`` is empty, this audience does not exist;
  with neither, it still exists and the mail goes to the outbox.
- ``[[recipients]]`` whose ``shops`` hold the scope and whose ``reports`` hold the kind, grouped
  by view and language: ``owner`` and ``operator`` get the full report (``mail:full:<language>``),
  ``ads`` the ad-payback section alone (``mail:ads:<language>``).
- ``[[webhooks]]`` whose ``scopes`` (default: every scope) and ``reports`` hold it: a short
  summary (``webhook:<name>``).

Each audience is claimed in the send ledger on its own, so one that failed is retried alone and
one that went out is not sent again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.settings import Settings, WebhookSettings

FULL, ADS = "full", "ads"


@dataclass(frozen=True)
class Audience:
    key: str  # the send ledger's audience
    channel: str  # mail | webhook
    view: str  # full | ads
    language: str
    recipients: tuple[str, ...] = ()  # mail addresses
    webhook: "WebhookSettings | None" = None

    @property
    def label(self) -> str:
        if self.channel == "webhook":
            return f"webhook {self.webhook.name}" if self.webhook else "webhook"
        return f"mail {self.view} ({self.language}) to {', '.join(self.recipients) or 'the outbox'}"


def report_audiences(settings: "Settings", kind: str, scope_id: str) -> list[Audience]:
    """The audiences of one report, in a stable order: mail.to, recipient groups, webhooks."""
    audiences: list[Audience] = []
    if settings.mail.recipients or not settings.recipients:
        audiences.append(Audience("", "mail", FULL, settings.language, tuple(settings.mail.recipients)))
    groups: dict[tuple[str, str], list[str]] = {}
    for person in settings.recipients:
        if scope_id not in person.shops or kind not in person.reports:
            continue
        view = ADS if person.role == "ads" else FULL
        group = groups.setdefault((view, person.language or settings.language), [])
        if person.email not in group:
            group.append(person.email)
    for (view, language), emails in sorted(groups.items()):
        audiences.append(Audience(f"mail:{view}:{language}", "mail", view, language, tuple(emails)))
    for hook in settings.webhooks:
        if kind not in hook.reports or (hook.scopes is not None and scope_id not in hook.scopes):
            continue
        audiences.append(Audience(f"webhook:{hook.name}", "webhook", FULL, hook.language or settings.language,
                                  webhook=hook))
    return audiences


def languages_needed(audiences: Sequence[Audience]) -> list[str]:
    return sorted({a.language for a in audiences})
