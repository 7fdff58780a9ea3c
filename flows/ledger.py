"""The send ledger: every delivery shopreport makes, in a small SQLite file beside the warehouse.

One row per delivery (``delivery_id``): what (``kind``: ``daily`` report, ``daily_late`` notice,
``run_failed`` notice), for which ``period`` (the business date) and ``scope`` (a shop id,
``all``, or ``admin``), to whom, with what content (``content_sha256``, ``subject``,
``archive_path``), under which ``message_id``, and how it went: ``status`` (``pending`` →
``sending`` → ``sent`` | ``failed``), ``attempts``, the last ``error``, and timestamps (UTC).

Why SQLite and not a table in the DuckDB warehouse: the warehouse is single-writer and held by
the ingest and build steps, while a delivery must be recorded around every SMTP attempt, also
when the warehouse is busy or broken (the failure notice of a run whose build failed). The
ledger must also outlive the warehouse: deleting the warehouse and rebuilding it from
``landing/`` must not forget which reports already went out. SQLite is in the standard library,
commits durably (a SIGKILL never loses a committed row), and lets other processes read the
ledger while a run is going.

Rules (:meth:`SendLedger.claim`):

- a report goes out once per ``(kind, period, scope)``; a later run skips it;
- ``resend=True`` (``shopreport run daily --resend``) always makes a new delivery;
- a delivery that ``failed`` (or was never attempted) is retried by the next run, as the same
  row with the same Message-ID;
- a report that was sent as *partial* is sent again once the data is complete (a new row);
- a row left in ``sending`` by a killed process is *in doubt*: for the outbox, the ``.eml`` with
  its Message-ID decides; over SMTP it is sent again with the same Message-ID (the window is
  the few milliseconds between the server's "250 OK" and the ledger's commit, and mail systems
  drop a second copy with a Message-ID they have seen).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from email.utils import make_msgid
from pathlib import Path
from typing import Literal

SCHEMA = """
create table if not exists send_ledger (
    delivery_id integer primary key autoincrement,
    kind text not null,              -- daily | daily_late | run_failed | weekly
    period text not null,            -- the business date, ISO
    scope text not null,             -- shop id | all | admin
    audience text not null default '', -- '' (mail.to) | mail:<view>:<language> | webhook:<name>
    partial integer not null default 0,
    recipients text not null default '',
    subject text,
    content_sha256 text,
    archive_path text,
    message_id text not null unique,
    method text,                     -- smtp | outbox
    delivered_to text,               -- the server, or the .eml path
    status text not null check (status in ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts integer not null default 0,
    error text,
    forced integer not null default 0,
    run_id text,
    created_at text not null,
    updated_at text not null,
    sent_at text
);
create index if not exists send_ledger_key on send_ledger (kind, period, scope);
"""

# ledgers written before audiences and skips existed: the table is rebuilt once, rows kept
MIGRATION = """
alter table send_ledger rename to send_ledger_v1;
{schema}
insert into send_ledger (delivery_id, kind, period, scope, partial, recipients, subject, content_sha256,
    archive_path, message_id, method, delivered_to, status, attempts, error, forced, run_id, created_at,
    updated_at, sent_at)
select delivery_id, kind, period, scope, partial, recipients, subject, content_sha256, archive_path,
    message_id, method, delivered_to, status, attempts, error, forced, run_id, created_at, updated_at, sent_at
from send_ledger_v1;
drop table send_ledger_v1;
"""

Status = Literal["pending", "sending", "sent", "failed", "skipped"]


@dataclass(frozen=True)
class LedgerEntry:
    delivery_id: int
    kind: str
    period: str
    scope: str
    audience: str
    partial: bool
    recipients: tuple[str, ...]
    subject: str | None
    content_sha256: str | None
    archive_path: str | None
    message_id: str
    method: str | None
    delivered_to: str | None
    status: Status
    attempts: int
    error: str | None
    forced: bool
    run_id: str | None
    created_at: str
    updated_at: str
    sent_at: str | None

    def line(self) -> str:
        state = self.status + (f" after {self.attempts} attempt(s)" if self.attempts else "")
        flags = (" partial" if self.partial else "") + (" resend" if self.forced else "")
        tail = f" — {self.error}" if self.error else ""
        who = f" → {self.audience}" if self.audience else ""
        return (f"#{self.delivery_id} {self.kind} {self.period} {self.scope}{who}{flags}: {state} "
                f"{self.message_id}{tail}")


@dataclass(frozen=True)
class Claim:
    """What to do about one delivery: ``send`` it (as ``delivery_id``) or ``skip`` it."""

    action: Literal["send", "skip"]
    delivery_id: int | None
    message_id: str
    reason: str

    @property
    def should_send(self) -> bool:
        return self.action == "send"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


class SendLedger:
    """The ledger file; every method opens it, does one transaction and closes it again."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            con.row_factory = sqlite3.Row
            con.execute("pragma synchronous = full")
            con.executescript(SCHEMA)
            columns = {row[1] for row in con.execute("pragma table_info(send_ledger)")}
            if "audience" not in columns:
                con.executescript("begin immediate;" + MIGRATION.format(schema=SCHEMA) + "commit;")
            con.execute("begin immediate")
            try:
                yield con
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        finally:
            con.close()

    # -- reading ---------------------------------------------------------------------------
    def entries(self, kind: str | None = None, period: str | None = None,
                scope: str | None = None) -> list[LedgerEntry]:
        """Rows in the order they were created, filtered by what is given."""
        where, params = [], []
        for column, value in (("kind", kind), ("period", period), ("scope", scope)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        sql = "select * from send_ledger" + (" where " + " and ".join(where) if where else "")
        if not self.path.exists():
            return []
        with self._transaction() as con:
            return [_entry(row) for row in con.execute(sql + " order by delivery_id", params)]

    def get(self, delivery_id: int) -> LedgerEntry:
        with self._transaction() as con:
            row = con.execute("select * from send_ledger where delivery_id = ?", [delivery_id]).fetchone()
        if row is None:
            raise KeyError(f"no delivery #{delivery_id} in the send ledger {self.path}")
        return _entry(row)

    # -- deciding --------------------------------------------------------------------------
    def claim(self, kind: str, period: str, scope: str, *, audience: str = "", partial: bool = False,
              resend: bool = False, run_id: str = "", domain: str = "shopreport.local",
              outbox_dir: Path | None = None) -> Claim:
        """Decide whether this delivery goes out now; a ``send`` claim names the ledger row to use.

        ``audience`` tells apart the deliveries of one report: ``''`` (``mail.to``), a recipient
        group (``mail:full:en``, ``mail:ads:zh-CN``) or a chat webhook (``webhook:ops-group``)."""
        with self._transaction() as con:
            row = con.execute("select * from send_ledger where kind = ? and period = ? and scope = ? "
                              "and audience = ? order by delivery_id desc limit 1",
                              [kind, period, scope, audience]).fetchone()
            latest = _entry(row) if row else None
            if latest is not None and not resend:
                if latest.status == "sending" and latest.method == "outbox" and outbox_dir is not None:
                    from flows.delivery.mail import find_in_outbox

                    found = find_in_outbox(Path(outbox_dir), latest.message_id)
                    if found is not None:  # written before the process died: it went out
                        _set(con, latest.delivery_id, status="sent", delivered_to=str(found),
                             sent_at=_now(), error=None)
                        latest = _entry(con.execute("select * from send_ledger where delivery_id = ?",
                                                    [latest.delivery_id]).fetchone())
                if latest.status == "sent" and not (latest.partial and not partial):
                    return Claim("skip", latest.delivery_id, latest.message_id,
                                 f"already sent as delivery #{latest.delivery_id} at {latest.sent_at}")
                if latest.status == "skipped" and not (latest.partial and not partial):
                    return Claim("skip", latest.delivery_id, latest.message_id,
                                 f"skipped as delivery #{latest.delivery_id}: {latest.error}")
                if latest.status in ("pending", "failed", "sending"):
                    why = {"pending": "not attempted yet", "failed": f"failed before: {latest.error}",
                           "sending": "in doubt: the process sending it stopped"}[latest.status]
                    _set(con, latest.delivery_id, run_id=run_id)
                    return Claim("send", latest.delivery_id, latest.message_id,
                                 f"retrying delivery #{latest.delivery_id} ({why})")
            message_id = make_msgid(idstring=kind, domain=domain)  # short: headers are not folded
            now = _now()
            cursor = con.execute(
                "insert into send_ledger (kind, period, scope, audience, partial, message_id, status, forced, "
                "run_id, created_at, updated_at) values (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)",
                [kind, period, scope, audience, int(partial), message_id, int(resend), run_id, now, now])
            reason = ("resend asked for" if resend else
                      "the data is complete now (sent as partial before)" if latest else "new")
            return Claim("send", cursor.lastrowid, message_id, reason)

    # -- recording an attempt ----------------------------------------------------------------
    def start_attempt(self, delivery_id: int, *, recipients: Sequence[str], subject: str,
                      content_sha256: str, method: str, partial: bool = False,
                      archive_path: str | None = None) -> None:
        """Committed before the message leaves: a crash from here on leaves the row in doubt."""
        with self._transaction() as con:
            con.execute("update send_ledger set attempts = attempts + 1 where delivery_id = ?",
                        [delivery_id])
            _set(con, delivery_id, status="sending", recipients=", ".join(recipients),
                 subject=subject, content_sha256=content_sha256, method=method,
                 partial=int(partial), archive_path=archive_path)

    def mark_sent(self, delivery_id: int, delivered_to: str, note: str | None = None) -> None:
        with self._transaction() as con:
            _set(con, delivery_id, status="sent", delivered_to=delivered_to, sent_at=_now(), error=note)

    def mark_failed(self, delivery_id: int, error: str) -> None:
        with self._transaction() as con:
            _set(con, delivery_id, status="failed", error=error)

    def mark_skipped(self, delivery_id: int, reason: str, recipients: Sequence[str] = ()) -> None:
        """Nothing to send this audience (its slice of the report is empty); not tried again."""
        with self._transaction() as con:
            _set(con, delivery_id, status="skipped", error=reason, recipients=", ".join(recipients))


def _set(con: sqlite3.Connection, delivery_id: int, **values) -> None:
    values["updated_at"] = _now()
    assignments = ", ".join(f"{column} = ?" for column in values)
    con.execute(f"update send_ledger set {assignments} where delivery_id = ?",
                [*values.values(), delivery_id])


def _entry(row: sqlite3.Row) -> LedgerEntry:
    data = dict(row)
    data["partial"] = bool(data["partial"])
    data["forced"] = bool(data["forced"])
    data["recipients"] = tuple(r for r in (data["recipients"] or "").split(", ") if r)
    return LedgerEntry(**data)
