"""Chat-bot webhooks: a short summary of the report (title, headline numbers with their
week-on-week change, the biggest movement, a link to the full report) posted to a WeCom group
bot, a DingTalk or Feishu/Lark custom bot, or a Slack incoming webhook.

Plain functions, no configuration read at import: the caller builds :class:`Webhook` values
(URL and signing secret from the environment) and a :class:`ChatSummary` with
:func:`daily_summary` / :func:`weekly_summary`, then calls :func:`send_webhook`, which raises
:class:`flows.delivery.mail.DeliveryError` with ``temporary`` set like a failed mail.

What each platform expects (checked against the platforms' own pages, July 2026):

- **WeCom group bot** (developer.work.weixin.qq.com, "群机器人配置说明", path 91770):
  ``POST …/cgi-bin/webhook/send?key=…`` with ``{"msgtype": "markdown", "markdown":
  {"content": …}}``; markdown content at most 4096 bytes of UTF-8; supports ``**bold**``,
  ``> quote``, ``[text](url)``, inline code and ``<font color="info|comment|warning">``;
  20 messages a minute per bot. The answer is HTTP 200 with ``{"errcode": 0, "errmsg": "ok"}``;
  45009 is the rate limit. The ``key`` in the URL is the bot's credential.
- **DingTalk custom bot** (open.dingtalk.com, "自定义机器人接入" / "消息类型"):
  ``POST …/robot/send?access_token=…`` with ``{"msgtype": "markdown", "markdown": {"title": …,
  "text": …}}`` (``title`` is what the conversation list shows). Signing ("加签"): the string
  ``timestamp + "\\n" + secret`` is signed with HmacSHA256 keyed by the secret (a ``SEC…``
  string), Base64-encoded, URL-encoded, and sent as the ``timestamp`` (milliseconds, within an
  hour of DingTalk's clock) and ``sign`` query parameters. 20 messages a minute; errcode 130101
  "send too fast" is the rate limit, 310000 a signature/keyword/IP-list mismatch, 300001 a bad
  token. DingTalk publishes no size limit for markdown that we could find; we keep the text to
  the WeCom bound of 4096 bytes (a summary never needs more).
- **Feishu/Lark custom bot** (open.feishu.cn / open.larkoffice.com, "自定义机器人使用指南"):
  ``POST …/open-apis/bot/v2/hook/<token>`` with ``{"msg_type": "interactive", "card": …}``; the
  card's ``div`` takes ``lark_md`` text. Signing ("签名校验"): ``timestamp + "\\n" + secret`` is
  the HmacSHA256 *key* over an empty message, Base64-encoded; ``timestamp`` (seconds) and
  ``sign`` go into the JSON body. The request body may be at most 20 KB; 100 requests a minute
  and 5 a second per bot (code 11232 when limited). Success is ``{"code": 0, …}`` (older
  answers carry ``StatusCode``); 9499 "Bad Request" is a malformed or oversized body (also seen
  as "too many request" under load), 19021 a bad signature, 19022 the IP list, 19024 keywords.
- **Slack incoming webhook** (api.slack.com / docs.slack.dev, "Sending messages using incoming
  webhooks", "Formatting text for app surfaces", changelog 2016-05-17): ``POST
  https://hooks.slack.com/services/…`` (the whole path is the credential) with ``{"text":
  fallback, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": …}}]}``; a section's
  text is at most 3000 characters; mrkdwn is ``*bold*``, ``>quote``, ``<url|text>``, and ``&``,
  ``<``, ``>`` must be written ``&amp;``, ``&lt;``, ``&gt;``. Success is HTTP 200 with the body
  ``ok``; 400 invalid_payload, 403 invalid_token / action_prohibited, 404 no_service /
  channel_not_found, 410 channel_is_archived; 429 when rate limited.

Escaping: text from the report (shop names, the bridge sentence) cannot start markup. In Slack,
``& < >`` become entities; in every dialect the emphasis characters ``* _ ~ ` `` (and, outside
Slack, ``< >``, since ``<font>``/``<at>`` tags are markup there, and the ``]`` of a would-be
``[text](url)``) become their full-width forms (``＊ ＿ ～ ｀ ＜ ＞ ］``), which read the same to a
person and mean nothing to any of the four parsers (none of them documents backslash escapes).
A file path is shown as inline code instead, so it can be copied as it is.

Limits: in a message that is too long, an overlong title or movement is cut to a sane length
first, then headline lines are left out from the end (a "… N more in the full report" line
says so), then the movement sentence and the title are shortened; the link is always whole. Cuts are made on the plain text before markup and escaping are added, on
character boundaries, so no UTF-8 character, entity or markdown link is ever split.

Secrets: the signing secret, the URL's query values and every path segment after the first
never appear in an error, a log line or :class:`WebhookDelivery`; a webhook is named by its
``name``, platform and ``host/first-segment/…``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import re
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from flows.delivery.mail import DeliveryError

if TYPE_CHECKING:
    from flows.reports.context import DailyReportContext, KpiTile
    from flows.reports.weekly import WeeklyReportContext

log = logging.getLogger(__name__)

PLATFORMS = ("wecom", "dingtalk", "feishu", "slack")
SIGNING_PLATFORMS = ("dingtalk", "feishu")

WECOM_MAX_BYTES = 4096  # markdown.content, UTF-8 bytes (WeCom's documented limit)
DINGTALK_MAX_BYTES = 4096  # markdown.text: our own bound, DingTalk documents none
DINGTALK_MAX_TITLE = 64  # characters of markdown.title (the conversation list shows a line)
FEISHU_MAX_BODY_BYTES = 20_000  # the whole JSON body (Feishu: at most 20 KB)
FEISHU_SIGNATURE_BYTES = 100  # room kept for "timestamp" and "sign" in the body
SLACK_MAX_SECTION = 3000  # characters of a section block's text
TITLE_MAX_CHARS = 200  # a title or movement longer than this is cut first, before any number is dropped
MOVEMENT_MAX_CHARS = 400
RESPONSE_KEEP = 300  # characters of a platform's answer kept in errors and the delivery record

# error codes of a well-formed answer that mean "slow down, try again later"
RATE_LIMIT_CODES: Mapping[str, frozenset[int]] = {
    "wecom": frozenset({45009, 45033, -1}),  # api freq out of limit; system busy
    "dingtalk": frozenset({130101, 410100, -1}),  # send too fast; flow-controlled; system busy
    "feishu": frozenset({11232, 11233}),  # message service rate limit
}
_RATE_WORDS = re.compile(r"too many|rate limit|frequency|freq|too fast|limited", re.IGNORECASE)

PHRASES: Mapping[str, Mapping[str, str]] = {
    "zh-CN": {
        "line": "{label} {value}（{comparison} {delta}）",
        "movement": "变化最大：{label}较{comparison} {delta}",
        "link": "查看完整报告",
        "file": "完整报告",
        "file_line": "{text}：{path}",
        "more": "…… 另有 {count} 项指标见完整报告",
    },
    "en": {
        "line": "{label} {value} ({comparison} {delta})",
        "movement": "Biggest move: {label} {delta} vs {comparison}",
        "link": "Open the full report",
        "file": "Full report",
        "file_line": "{text}: {path}",
        "more": "… {count} more in the full report",
    },
}


def phrase(language: str, key: str, **values: Any) -> str:
    """A phrase of this module in ``language`` (English when the language has none)."""
    table = PHRASES.get(language) or PHRASES["en"]
    return table.get(key, PHRASES["en"][key]).format(**values)


# ----------------------------------------------------------------------------------------------
# the values
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Webhook:
    """One chat group to post report summaries to.

    ``secret`` is the DingTalk (``SEC…``) or Feishu signing secret, read from the environment by
    the caller; it is never logged. ``language`` is the summary's language, None for the
    report's own (the caller builds the report context in that language).
    """

    name: str  # e.g. "ops-group"
    platform: str  # "wecom" | "dingtalk" | "feishu" | "slack"
    url: str
    secret: str | None = None
    timeout_seconds: float = 10.0
    language: str | None = None

    def __repr__(self) -> str:  # the dataclass repr would print the URL's key and the secret
        return (f"Webhook(name={self.name!r}, platform={self.platform!r}, url={describe_url(self.url)!r}, "
                f"secret={'***' if self.secret else None}, timeout_seconds={self.timeout_seconds!r}, "
                f"language={self.language!r})")

    @property
    def where(self) -> str:
        """``ops-group (wecom) at qyapi.weixin.qq.com/cgi-bin/…``: no key, no token."""
        return f"{self.name} ({self.platform}) at {describe_url(self.url)}"


@dataclass(frozen=True)
class ChatSummary:
    """What a chat message says, before any platform's markup.

    ``title`` is the mail subject; ``lines`` the headline numbers, one per line, with their
    week-on-week change; ``movement`` the sentence on the biggest movement (the sales bridge's,
    else the tile that moved most); ``link`` a URL or a ``file://`` path of the full report.
    """

    title: str
    lines: tuple[str, ...]
    movement: str | None
    link: str | None
    link_text: str
    language: str = "en"  # of the few words this module adds ("… 3 more in the full report")


@dataclass(frozen=True)
class WebhookDelivery:
    """What :func:`send_webhook` did: the platform's answer (secrets scrubbed, shortened)."""

    name: str
    platform: str
    status: int
    response: str

    def __str__(self) -> str:
        return f"posted to {self.name} ({self.platform}): HTTP {self.status} {self.response}"


# ----------------------------------------------------------------------------------------------
# summaries of the report contexts
# ----------------------------------------------------------------------------------------------

def daily_summary(ctx: "DailyReportContext", link: str | None) -> ChatSummary:
    """The daily report as a chat summary: its mail subject, every headline tile against the same
    weekday last week, and the bridge sentence (or the tile that moved most)."""
    from flows.delivery.mail import report_subject

    comparison_label = ctx.labels.get("subject_wow")  # 周同比 / WoW, as in the subject
    return _summary(ctx, report_subject(ctx), "last_week", comparison_label, ctx.labels["no_data"], link)


def weekly_summary(ctx: "WeeklyReportContext", link: str | None) -> ChatSummary:
    """The weekly report as a chat summary: its mail subject, every headline tile against the week
    before, and the weekly bridge sentence (or the tile that moved most)."""
    from flows.reports.weekly import weekly_subject

    return _summary(ctx, weekly_subject(ctx), "prev_week", None, ctx.labels["weekly.no_data"], link)


def _summary(ctx, title: str, key: str, comparison_label: str | None, no_data: str,
             link: str | None) -> ChatSummary:
    language = ctx.language
    lines: list[str] = []
    if ctx.partial_text:
        lines.append(ctx.partial_text)
    for tile in ctx.tiles:
        comparison = tile.comparison(key)
        if comparison is None or comparison.tone == "none":
            lines.append(f"{tile.label} {tile.value_compact}")
            continue
        lines.append(phrase(language, "line", label=tile.label, value=tile.value_compact,
                            comparison=comparison_label or comparison.label, delta=comparison.delta))
    if not ctx.tiles:
        lines.append(no_data)
    movement = ctx.bridge.headline or _largest_move(ctx.tiles, key, language)
    is_url = bool(link) and _is_web_url(link)
    return ChatSummary(title=title, lines=tuple(lines), movement=movement or None, link=link or None,
                       link_text=phrase(language, "link" if is_url else "file"), language=language)


_SHOWN_NUMBER = re.compile(r"([+\-\u2212]?)(\d[\d,]*(?:\.\d+)?)")


def relative_change(tile: "KpiTile", key: str) -> float | None:
    """The tile's change against comparison ``key`` relative to the base value, as shown.

    The context carries formatted values only: the number is read from the delta as shown
    (``+8.0%`` is +0.08; for ratio metrics the difference, ``+0.4pp`` or ``-0.30``, is divided
    by the base value, the tile's value minus the difference). None when there is no change to
    compare.
    """
    comparison = tile.comparison(key)
    if comparison is None or comparison.tone == "none" or tile.number is None:
        return None
    match = _SHOWN_NUMBER.search(comparison.delta)
    if match is None:
        return None
    shown = float(match.group(2).replace(",", "")) * (-1 if match.group(1) in ("-", "\u2212") else 1)
    if not tile.is_ratio:
        return shown / 100
    diff = shown / 100 if tile.unit == "percent" else shown
    base = tile.number - diff
    return diff / base if base else None


def _largest_move(tiles, key: str, language: str) -> str | None:
    """"Biggest move: Refunds +50.0% vs same weekday last week" for the tile with the largest
    absolute relative change (the first such tile on a tie), None when nothing moved."""
    best, best_change = None, 0.0
    for tile in tiles:
        change = relative_change(tile, key)
        if change is not None and abs(change) > abs(best_change):
            best, best_change = tile, change
    if best is None:
        return None
    comparison = best.comparison(key)
    return phrase(language, "movement", label=best.label, comparison=comparison.long_label,
                  delta=comparison.delta)


# ----------------------------------------------------------------------------------------------
# escaping
# ----------------------------------------------------------------------------------------------

_MARKUP_WIDE = {"*": "＊", "_": "＿", "~": "～", "`": "｀"}
_MD_TABLE = str.maketrans({**_MARKUP_WIDE, "<": "＜", ">": "＞", "\r": " ", "\n": " "})
_SLACK_TABLE = str.maketrans({**_MARKUP_WIDE, "\r": " ", "\n": " "})
_ENTITY = re.compile(r"&(?=#?\w+;)")


def escape_markdown(text: str) -> str:
    """Report text for WeCom, DingTalk and Feishu markdown: emphasis and tag characters in their
    full-width forms, the ``]`` of a would-be link ``[text](url)`` as ``］``, ``&`` before an
    entity-like run as ``＆``, one line. (A lone ``[Daily]`` is left as it is.)"""
    return _ENTITY.sub("＆", text.translate(_MD_TABLE).replace("](", "］("))


def escape_slack(text: str) -> str:
    """Report text for Slack mrkdwn: ``& < >`` as entities (Slack's rule), emphasis characters
    in their full-width forms, one line."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.translate(_SLACK_TABLE)


def _code(text: str) -> str:
    """A path as inline code (its characters kept; a backtick would end the span)."""
    return "`" + text.replace("`", "'").replace("\n", " ") + "`"


_URL_UNSAFE = {"(": "%28", ")": "%29", "<": "%3C", ">": "%3E", " ": "%20", '"': "%22", "|": "%7C",
               "`": "%60", "[": "%5B", "]": "%5D", "\n": "", "\r": "", "\t": ""}


def _link_url(url: str) -> str:
    """A URL that cannot end a markdown link or a Slack ``<url|text>`` early."""
    return "".join(_URL_UNSAFE.get(ch, ch) for ch in url.strip())


def _is_web_url(link: str) -> bool:
    return urllib.parse.urlsplit(link).scheme.lower() in ("http", "https")


def _file_path(link: str) -> str:
    parts = urllib.parse.urlsplit(link)
    if parts.scheme.lower() == "file":
        return urllib.parse.unquote(parts.path)
    return link


# ----------------------------------------------------------------------------------------------
# fitting a summary into a platform's limit
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Parts:
    """The plain text of one message; ``more`` headline lines were left out."""

    title: str
    movement: str
    lines: tuple[str, ...]
    more: int
    link: str | None
    link_text: str
    language: str


def _clip(text: str, chars: int) -> str:
    """``text`` cut to ``chars`` characters (code points, never inside a UTF-8 sequence) + "…"."""
    if len(text) <= chars:
        return text
    return text[:max(0, chars)] + "…"


def _fit(parts: _Parts, render: Callable[[_Parts], Any], size: Callable[[Any], int], limit: int) -> Any:
    """``render(parts)`` made to fit ``size(...) <= limit``: an overlong title or movement is cut
    to :data:`TITLE_MAX_CHARS` / :data:`MOVEMENT_MAX_CHARS`, then headline lines are left out
    from the end, then the movement sentence and then the title are shortened further.
    ValueError when even the link alone does not fit."""
    rendered = render(parts)
    if size(rendered) <= limit:
        return rendered
    parts = replace(parts, title=_clip(parts.title, TITLE_MAX_CHARS),
                    movement=_clip(parts.movement, MOVEMENT_MAX_CHARS))
    rendered = render(parts)
    if size(rendered) <= limit:
        return rendered
    lines = parts.lines
    lo, hi, best = 0, len(lines) - 1, None  # the most headline lines that fit, by bisection
    while lo <= hi:
        keep = (lo + hi) // 2
        candidate = render(replace(parts, lines=lines[:keep], more=parts.more + len(lines) - keep))
        if size(candidate) <= limit:
            best, lo = candidate, keep + 1
        else:
            hi = keep - 1
    if best is not None:
        return best
    parts = replace(parts, lines=(), more=parts.more + len(lines))
    for field in ("movement", "title"):
        text = getattr(parts, field)
        lo, hi = 0, len(text) - 1  # the longest prefix that fits, by bisection
        best = None
        while lo <= hi:
            mid = (lo + hi) // 2
            candidate = render(replace(parts, **{field: _clip(text, mid)}))
            if size(candidate) <= limit:
                best, lo = candidate, mid + 1
            else:
                hi = mid - 1
        if best is not None:
            return best
        parts = replace(parts, **{field: ""})
    rendered = render(parts)
    if size(rendered) <= limit:
        return rendered
    raise ValueError(f"the report link alone is longer than the platform allows ({limit})")


def _utf8(text: str) -> int:
    return len(text.encode("utf-8"))


def _utf16(text: str) -> int:  # Slack counts characters; UTF-16 units never undercount them
    return len(text.encode("utf-16-le")) // 2


def _json_bytes(body: Any) -> int:
    return len(json.dumps(body, ensure_ascii=False).encode("utf-8")) + FEISHU_SIGNATURE_BYTES


# ----------------------------------------------------------------------------------------------
# the payloads
# ----------------------------------------------------------------------------------------------

def _markdown_link(parts: _Parts) -> str:
    if not parts.link:
        return ""
    if _is_web_url(parts.link):
        return f"[{escape_markdown(parts.link_text)}]({_link_url(parts.link)})"
    return phrase(parts.language, "file_line", text=escape_markdown(parts.link_text),
                  path=_code(_file_path(parts.link)))


def _more(parts: _Parts) -> list[str]:
    return [phrase(parts.language, "more", count=parts.more)] if parts.more else []


def _wecom_content(parts: _Parts) -> str:
    out = [f"**{escape_markdown(parts.title)}**"] if parts.title else []
    if parts.movement:
        out.append(f"> {escape_markdown(parts.movement)}")
    out += [escape_markdown(line) for line in [*parts.lines, *_more(parts)]]
    if parts.link:
        out.append(_markdown_link(parts))
    return "\n".join(out)


def _dingtalk_text(parts: _Parts) -> str:
    # DingTalk needs a blank line between paragraphs; a list keeps the numbers one per line
    out = [f"#### {escape_markdown(parts.title)}"] if parts.title else []
    if parts.movement:
        out.append(f"> {escape_markdown(parts.movement)}")
    lines = [*parts.lines, *_more(parts)]
    if lines:
        out.append("\n".join(f"- {escape_markdown(line)}" for line in lines))
    if parts.link:
        out.append(_markdown_link(parts))
    return "\n\n".join(out)


def _feishu_card(parts: _Parts) -> dict:
    body = []
    if parts.movement:
        body.append(f"**{escape_markdown(parts.movement)}**")
    body += [escape_markdown(line) for line in [*parts.lines, *_more(parts)]]
    if parts.link:
        body.append(_markdown_link(parts))
    return {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {"title": {"tag": "plain_text", "content": parts.title or "-"}, "template": "blue"},
            "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": "\n".join(body)}}],
        },
    }


def _slack_section(parts: _Parts) -> str:
    out = [f"*{escape_slack(parts.title)}*"] if parts.title else []
    if parts.movement:
        out.append(f">{escape_slack(parts.movement)}")
    out += [f"• {escape_slack(line)}" for line in [*parts.lines, *_more(parts)]]
    if parts.link:
        if _is_web_url(parts.link):
            url = _link_url(parts.link).replace("&", "&amp;")
            out.append(f"<{url}|{escape_slack(parts.link_text)}>")
        else:
            path = _code(_file_path(parts.link))  # inside code only & < > need entities
            out.append(phrase(parts.language, "file_line", text=escape_slack(parts.link_text),
                              path=path.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")))
    return "\n".join(out)


def _slack_fallback(title: str) -> str:
    """The notification text: the title, ``& < >`` as entities, no markup."""
    return _clip(title, SLACK_MAX_SECTION).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def dingtalk_signature(secret: str, timestamp_ms: int) -> str:
    """DingTalk's ``sign`` before URL encoding: Base64(HmacSHA256(secret, "ts\\nsecret"))."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"),
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_signature(secret: str, timestamp_s: int) -> str:
    """Feishu's ``sign``: Base64(HmacSHA256(key="ts\\nsecret", message=b""))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode("utf-8"), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _with_query(url: str, params: Mapping[str, str]) -> str:
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += list(params.items())
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def build_payload(hook: Webhook, summary: ChatSummary, *, now_ms: int | None = None) -> tuple[str, dict]:
    """The URL to post to (with DingTalk's signature parameters) and the JSON body, fitted to the
    platform's limits. ``now_ms`` is the signing time (default: now). ValueError for an unknown
    platform or a link too long for the platform."""
    if hook.platform not in PLATFORMS:
        raise ValueError(f"unknown webhook platform {hook.platform!r} (one of {', '.join(PLATFORMS)})")
    now_ms = int(time.time() * 1000) if now_ms is None else int(now_ms)
    parts = _Parts(title=summary.title, movement=summary.movement or "", lines=tuple(summary.lines), more=0,
                   link=summary.link, link_text=summary.link_text, language=summary.language)
    url = hook.url.strip()
    if hook.platform == "wecom":
        content = _fit(parts, _wecom_content, _utf8, WECOM_MAX_BYTES)
        return url, {"msgtype": "markdown", "markdown": {"content": content}}
    if hook.platform == "dingtalk":
        text = _fit(parts, _dingtalk_text, _utf8, DINGTALK_MAX_BYTES)
        body = {"msgtype": "markdown", "markdown": {"title": _clip(summary.title, DINGTALK_MAX_TITLE), "text": text}}
        if hook.secret:
            url = _with_query(url, {"timestamp": str(now_ms), "sign": dingtalk_signature(hook.secret, now_ms)})
        return url, body
    if hook.platform == "feishu":
        body = _fit(parts, _feishu_card, _json_bytes, FEISHU_MAX_BODY_BYTES)
        if hook.secret:
            timestamp = now_ms // 1000
            body = {"timestamp": str(timestamp), "sign": feishu_signature(hook.secret, timestamp), **body}
        return url, body
    section = _fit(parts, _slack_section, _utf16, SLACK_MAX_SECTION)
    return url, {"text": _slack_fallback(summary.title),
                 "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": section}}]}


# ----------------------------------------------------------------------------------------------
# checking and sending
# ----------------------------------------------------------------------------------------------

def _looks_secret(segment: str) -> bool:
    """A path segment that may be a token: 8+ characters with a digit, or 16+ characters
    (``T024BE7LD``, a Feishu hook id), unlike ``cgi-bin``, ``robot`` or ``open-apis``."""
    return (len(segment) >= 8 and any(c.isdigit() for c in segment)) or len(segment) >= 16


def describe_url(url: str) -> str:
    """``host[:port]/first-segment/…``: enough to recognise the endpoint, never its key or token
    (the query is left out, and so is every path segment after the first, and the first too
    when it looks like a token)."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unreadable URL)"
    segments = [s for s in parts.path.split("/") if s]
    if not segments:
        return f"{host}{port}" + ("/…" if parts.query else "")
    if _looks_secret(segments[0]):
        return f"{host}{port}/…"
    return f"{host}{port}/{segments[0]}" + ("/…" if len(segments) > 1 or parts.query else "")


def _secrets(hook: Webhook) -> list[str]:
    """Everything in the webhook that must not be shown: longest first, for replacing."""
    found = {hook.url}
    if hook.secret:
        found.add(hook.secret)
        found.add(urllib.parse.quote(hook.secret, safe=""))
    try:
        parts = urllib.parse.urlsplit(hook.url)
        found.update(v for _, v in urllib.parse.parse_qsl(parts.query) if len(v) >= 4)
        found.update(s for s in parts.path.split("/") if _looks_secret(s))
    except ValueError:
        pass
    return sorted((s for s in found if s), key=len, reverse=True)


def scrub(text: str, hook: Webhook) -> str:
    """``text`` with the webhook's secret, key, token and URL replaced by ``***``."""
    for secret in _secrets(hook):
        text = text.replace(secret, "***")
    return text


def _is_loopback(host: str | None) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def check_webhook(hook: Webhook) -> str | None:
    """A problem with the webhook's configuration, found without sending anything (for
    ``shopreport doctor``), or None. Checks the platform, the URL's scheme (https; http only to
    this machine) and shape (the key or token each platform puts in it), the signing secret
    (DingTalk and Feishu only; a DingTalk secret starts with ``SEC``), the timeout and the
    language. The text never holds the URL's key or the secret."""
    if hook.platform not in PLATFORMS:
        return f"unknown platform {hook.platform!r}; use one of {', '.join(PLATFORMS)}"
    if not hook.url or not hook.url.strip():
        return "the webhook URL is empty (is its environment variable set?)"
    try:
        parts = urllib.parse.urlsplit(hook.url.strip())
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return "the webhook URL cannot be read"
    if parts.scheme == "http" and _is_loopback(host):
        pass
    elif parts.scheme != "https":
        return f"the webhook URL must start with https:// (found {parts.scheme or 'no scheme'})"
    if not host:
        return "the webhook URL has no host"
    query = dict(urllib.parse.parse_qsl(parts.query))
    path = parts.path.rstrip("/")
    if hook.platform == "wecom" and not query.get("key"):
        return "a WeCom group bot URL ends in /cgi-bin/webhook/send?key=…; the key is missing"
    if hook.platform == "dingtalk" and not query.get("access_token"):
        return "a DingTalk bot URL ends in /robot/send?access_token=…; the access_token is missing"
    if hook.platform == "feishu" and not re.search(r"/bot/v2/hook/[^/]+$", path):
        return "a Feishu/Lark bot URL ends in /open-apis/bot/v2/hook/<token>; the token is missing"
    if hook.platform == "slack" and not re.search(r"/services/[^/]+/[^/]+/[^/]+$", path):
        return "a Slack incoming webhook URL ends in /services/T…/B…/…; this one does not"
    if hook.secret is not None and hook.platform not in SIGNING_PLATFORMS:
        return f"{hook.platform} webhooks are not signed; leave the signing secret out"
    if hook.secret is not None and not hook.secret.strip():
        return "the signing secret is empty (is its environment variable set?)"
    if hook.platform == "dingtalk" and hook.secret and not hook.secret.startswith("SEC"):
        return "a DingTalk signing secret starts with SEC (copy it from the bot's 加签 setting)"
    if not hook.timeout_seconds or hook.timeout_seconds <= 0:
        return "the timeout must be more than 0 seconds"
    return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook that redirects is misconfigured: report the 3xx instead of following it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _post(url: str, data: bytes, timeout: float) -> tuple[int, str]:
    """POST ``data`` as JSON; (status, body text) for any HTTP answer, OSError/HTTPException when
    there is none."""
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "User-Agent": "shopreport-webhooks"})
    opener = urllib.request.build_opener(_NoRedirect())
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.read(65536).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        try:
            text = exc.read(65536).decode("utf-8", "replace")
        except Exception:  # noqa: BLE001 - the status is what matters
            text = ""
        return exc.code, text


def classify(platform: str, status: int, text: str) -> tuple[bool, bool, str]:
    """(delivered, temporary, detail) for a platform's HTTP answer.

    WeCom and DingTalk answer 200 with ``errcode``; Feishu with ``code`` (or ``StatusCode``);
    Slack 200 ``ok``. 429, 408 and 5xx are temporary everywhere, as are the rate-limit codes in
    :data:`RATE_LIMIT_CODES` (and Feishu's 9499 when its message speaks of the rate); any other
    error is permanent.
    """
    short = " ".join(text.split())[:RESPONSE_KEEP]
    if status == 429 or status == 408 or status >= 500:
        return False, True, f"HTTP {status} {short}".rstrip()
    if 300 <= status < 400:
        return False, False, f"HTTP {status}: the webhook URL redirects elsewhere; use the final URL"
    if platform == "slack":
        if status == 200 and text.strip() == "ok":
            return True, False, "ok"
        return False, False, f"HTTP {status} {short}".rstrip()
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        return False, False, f"HTTP {status}, not the platform's JSON answer: {short}"
    if platform == "feishu":
        code = answer.get("code", answer.get("StatusCode"))
        message = str(answer.get("msg", answer.get("StatusMessage", "")))
    else:
        code = answer.get("errcode")
        message = str(answer.get("errmsg", ""))
    if code is None:
        return False, False, f"HTTP {status}, no result code in the answer: {short}"
    try:
        code = int(code)
    except (TypeError, ValueError):
        return False, False, f"HTTP {status}, unreadable result code: {short}"
    if code == 0 and 200 <= status < 300:
        return True, False, short
    temporary = code in RATE_LIMIT_CODES.get(platform, ()) or (
        platform == "feishu" and code == 9499 and bool(_RATE_WORDS.search(message)))
    return False, temporary, f"HTTP {status}, code {code}: {' '.join(message.split())[:RESPONSE_KEEP]}"


def _is_temporary_error(exc: BaseException) -> bool:
    """No answer at all: refused, reset, dropped, timed out, name lookup → temporary; TLS → not."""
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, ssl.SSLError):
        return False  # a bad certificate or TLS on a plain port: retrying repeats it
    return isinstance(reason, (OSError, socket.timeout, http.client.HTTPException, TimeoutError))


def _kind(temporary: bool) -> str:
    return "temporary failure, worth retrying" if temporary else "permanent failure, not retried"


def send_webhook(hook: Webhook, summary: ChatSummary) -> WebhookDelivery:
    """Post ``summary`` to ``hook``; raises :class:`DeliveryError` (``temporary`` for a rate limit,
    a 5xx, a timeout or no connection) with a message that names the webhook, never its key."""
    problem = check_webhook(hook)
    if problem:
        raise DeliveryError(f"cannot post to webhook {hook.where}: {scrub(problem, hook)} ({_kind(False)})")
    try:
        url, body = build_payload(hook, summary)
    except ValueError as exc:
        raise DeliveryError(f"cannot post to webhook {hook.where}: {scrub(str(exc), hook)} "
                            f"({_kind(False)})") from None
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    try:
        status, text = _post(url, data, hook.timeout_seconds)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        temporary = _is_temporary_error(exc)
        detail = scrub(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}", hook)
        log.warning("webhook %s: no answer: %s", hook.where, detail)
        raise DeliveryError(f"cannot post to webhook {hook.where}: {detail} ({_kind(temporary)})",
                            temporary=temporary) from None
    delivered, temporary, detail = classify(hook.platform, status, text)
    detail = scrub(detail, hook)
    if not delivered:
        log.warning("webhook %s refused the message: %s", hook.where, detail)
        raise DeliveryError(f"cannot post to webhook {hook.where}: {detail} ({_kind(temporary)})",
                            temporary=temporary)
    log.info("webhook %s: posted (%d bytes, HTTP %d)", hook.where, len(data), status)
    return WebhookDelivery(name=hook.name, platform=hook.platform, status=status, response=detail)
