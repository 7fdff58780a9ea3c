"""Personal data and secrets: the demo's exports are full of (fake) buyer names, phone numbers,
addresses and e-mails. After the crash run (four killed runs and one complete one, all real
subprocesses logging as in production) none of it is in the warehouse, the archive, the mails or
the logs; buyer ids are salted hashes; the SMTP password shows nowhere; export text is escaped."""

from __future__ import annotations

import csv
import io
import re
import stat
import subprocess

import pandas as pd
import pytest
from runs_support import HOSTILE_TITLE, SMTP_PASSWORD

from flows.ingest.load import buyer_hash
from flows.ingest.profiles import load_profiles
from flows.warehouse.db import open_warehouse

# the formats of the demo's fake personal data (flows/demo/tmall.py, flows/demo/shopify.py)
PERSONAL = {
    "e-mail": r"buyer\d{5}@example\.com",
    "name": r"Demo Customer \d{5}",
    "street": r"\b\d{1,3} Example St\b",
    "Taobao member name": r"\btb_[0-9a-z]{6}\b",
    "phone": r"1[3-9]\d\*{4}\d{4}",
    "receiver": r"[王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高]\*\*(?!\*)",
    "address": r"示例路\d+号|演示小区\d+幢",
}
PATTERN = re.compile("|".join(f"(?P<{re.sub(r'[^a-z]', '_', k.lower())}>{v})" for k, v in PERSONAL.items()))
PERSONAL_COLUMNS = ("买家会员名", "买家支付宝账号", "收货人姓名", "收货地址", "联系手机", "Email", "Billing Name",
                    "Billing Street", "Shipping Name", "Shipping Address1")


# fixed bytes that every piece of the fake personal data contains (a fast first pass over big files)
ANCHORS = [b"@example.com", b"Demo Customer", b" Example St", b"tb_", "**".encode(), "示例路".encode(),
           "演示小区".encode()]


def found(text: str) -> list[str]:
    return sorted({m.group(0) for m in PATTERN.finditer(text)})[:5]


def found_in_bytes(data: bytes) -> list[str]:
    """``found`` for a binary file: the pattern is tried around every anchor."""
    hits: set[str] = set()
    for anchor in ANCHORS:
        i = data.find(anchor)
        while i != -1 and len(hits) < 5:
            hits.update(found(data[max(0, i - 40):i + len(anchor) + 40].decode("utf-8", "replace")))
            i = data.find(anchor, i + 1)
    return sorted(hits)


def read_text(path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


def order_exports(folder):
    return [p for p in folder.rglob("*.csv") if "order" in p.name.lower()]


def pdf_text(data_or_path) -> str:
    args = ["pdftotext", "-", "-"] if isinstance(data_or_path, bytes) else ["pdftotext", str(data_or_path), "-"]
    return subprocess.run(args, input=data_or_path if isinstance(data_or_path, bytes) else None,
                          capture_output=True, check=True).stdout.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def personal_values(crash_run):
    """Every personal value in the exports, per column (the positive control)."""
    values: dict[str, set[str]] = {}
    for path in order_exports(crash_run.exports):
        lines = read_text(path).splitlines()
        start = next(i for i, line in enumerate(lines) if "订单编号" in line or line.startswith("Name,"))
        for row in csv.DictReader(io.StringIO("\n".join(lines[start:]))):
            for column in PERSONAL_COLUMNS:
                if row.get(column, "").strip():
                    values.setdefault(column, set()).add(row[column].strip())
    return values


@pytest.mark.slow
def test_the_exports_are_full_of_personal_data_that_the_scan_recognises(crash_run, personal_values):
    assert set(personal_values) == set(PERSONAL_COLUMNS)
    for column, values in personal_values.items():
        assert len(values) > 10, column
        assert all(PATTERN.search(v) for v in values), column  # every value is caught by the scan
    # landing keeps the original bytes, by design: the scan finds the personal data there
    landing = "".join(read_text(p) for p in order_exports(crash_run.settings.landing_dir))
    assert {k for k, v in PATTERN.search(landing).groupdict().items() if v} and len(found(landing)) == 5


@pytest.mark.slow
def test_no_personal_data_in_the_warehouse(crash_run, personal_values):
    hits = {}
    with open_warehouse(crash_run.settings.warehouse_path, read_only=True) as con:
        columns = con.execute("select table_name, column_name from information_schema.columns "
                              "where data_type = 'VARCHAR'").fetchall()
        assert len(columns) > 50
        for table, column in columns:
            values = [v for (v,) in con.execute(f'select distinct "{column}" from "{table}" '
                                                f'where "{column}" is not null').fetchall()]
            bad = found("\n".join(values))
            exact = set(values) & set().union(*personal_values.values())
            if bad or exact:
                hits[f"{table}.{column}"] = bad + sorted(exact)[:5]
    assert hits == {}
    files = list(crash_run.settings.warehouse_path.parent.glob("shopreport.duckdb*"))
    assert files and all(found_in_bytes(path.read_bytes()) == [] for path in files)
    # the same byte scan finds the personal data in the original exports kept in landing
    assert found_in_bytes(b"".join(p.read_bytes() for p in order_exports(crash_run.settings.landing_dir)))


def archived_text(path) -> str:
    """Everything an archived file holds, as text: PDF text, every workbook cell, every Parquet row."""
    if path.suffix == ".pdf":
        return pdf_text(path)
    if path.suffix == ".xlsx":
        import openpyxl

        book = openpyxl.load_workbook(path)
        return "\n".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row
                         if c.value is not None)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return "\n".join(str(row) for row in pq.read_table(path).to_pylist())
    return path.read_text(encoding="utf-8")


@pytest.mark.slow
def test_no_personal_data_in_the_archive_the_mails_the_ledger_or_the_logs(crash_run):
    places = {f"log of the run killed at {k}": v for k, v in crash_run.logs.items()}
    places["send ledger"] = crash_run.settings.send_ledger_path.read_bytes().decode("utf-8", "replace")
    for path in crash_run.settings.archive_dir.rglob("*"):
        if path.is_file():
            places[str(path)] = archived_text(path)
    assert len([p for p in places if p.endswith(".pdf")]) == 2
    assert len([p for p in places if p.endswith(".xlsx")]) == 2 and len([p for p in places if p.endswith(".parquet")]) > 10
    for i, message in enumerate(crash_run.smtp.messages):
        text = [f"{k}: {v}" for k, v in message.items()]
        for part in message.walk():
            if part.get_content_type() in ("text/plain", "text/html"):
                text.append(part.get_content())
            elif part.get_content_type() == "application/pdf":
                text.append(pdf_text(part.get_content()))
            elif part.get_filename() and part.get_filename().endswith(".xlsx"):
                import io

                import openpyxl

                book = openpyxl.load_workbook(io.BytesIO(part.get_content()))
                text += [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row
                         if c.value is not None]
        places[f"mail {i}"] = "\n".join(text)
    assert {where: found(text) for where, text in places.items() if found(text)} == {}


@pytest.mark.slow
def test_buyer_ids_are_salted_hashes_with_a_per_install_salt(crash_run, built_demo, personal_values):
    salt_file = crash_run.settings.warehouse_path.parent / ".buyer_salt"
    salt = salt_file.read_text().strip()
    assert stat.S_IMODE(salt_file.stat().st_mode) == 0o600 and len(salt) >= 32
    assert salt != (built_demo / "warehouse" / ".buyer_salt").read_text().strip(), "one salt per install"
    with open_warehouse(crash_run.settings.warehouse_path, read_only=True) as con:
        for shop, column in (("shopify_us", "Email"), ("tmall_flagship", "买家会员名")):
            buyer = sorted(personal_values[column])[0]
            key = buyer_hash(pd.Series([buyer]), salt)[0]
            assert key != buyer and re.fullmatch(r"[0-9a-f]{32,64}", key)
            assert con.execute("select count(*) from raw_orders where shop_id = ? and buyer_key = ?",
                               [shop, key]).fetchone()[0] > 0, "stored as the salted hash of the buyer id"
            assert buyer_hash(pd.Series([buyer]), "another install")[0] != key


def test_profiles_keep_personal_columns_out_except_the_hashed_buyer_id():
    personal = re.compile(r"姓名|收货人|电话|手机|地址|支付宝|留言|phone|address|street|e-?mail|"
                          r"billing name|shipping name", re.IGNORECASE)
    for profile in load_profiles():
        for spec in profile.columns:
            for source in spec.sources:
                if personal.search(source):
                    assert spec.type == "buyer", f"{profile.name}: {source} → {spec.name} is not hashed"


@pytest.mark.slow
def test_the_smtp_password_is_not_in_the_logs_the_ledger_or_the_archive(crash_run):
    assert crash_run.env["SHOPREPORT_SMTP_PASSWORD"] == SMTP_PASSWORD and crash_run.smtp.logins
    places = dict(crash_run.logs)
    places["ledger"] = crash_run.settings.send_ledger_path.read_bytes().decode("utf-8", "replace")
    places.update({str(p): p.read_bytes().decode("utf-8", "replace")
                   for p in crash_run.settings.archive_dir.rglob("*") if p.is_file()})
    places["configuration"] = crash_run.config.read_text(encoding="utf-8")
    assert [where for where, text in places.items() if SMTP_PASSWORD in text] == []


@pytest.mark.slow
def test_export_text_is_escaped_in_html_and_shown_as_text_in_the_pdf(crash_run):
    folder = crash_run.settings.archive_dir / "daily" / "shopify_us" / "2026-11-22"
    escaped = "=HYPERLINK(1)&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;House Blend"
    for html in folder.glob("*.html"):  # the PDF's HTML and the mail body
        text = html.read_text(encoding="utf-8")
        assert escaped in text and "<script>alert" not in text and "<img src=x" not in text, html
    (pdf,) = folder.glob("*.pdf")
    assert HOSTILE_TITLE in pdf_text(pdf).replace("\n", "")
    (mail,) = [m for m in crash_run.smtp.messages if "Shopify" in m["Subject"]]
    body = mail.get_body(("html",)).get_content()
    assert escaped in body and "<script>alert" not in body
    # the workbook keeps the title as text: a formula can't run (docs/guarantees.md)
    import openpyxl

    (workbook,) = folder.glob("*.xlsx")
    book = openpyxl.load_workbook(workbook)
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    [title] = [c for c in cells if c.value == HOSTILE_TITLE]
    assert title.data_type == "s" and title.quotePrefix
    assert not [c.coordinate for c in cells if c.data_type == "f"]
