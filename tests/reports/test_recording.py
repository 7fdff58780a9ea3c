"""The recording connection's rows are DuckDB's own (``fetchall``), read from Arrow without pandas."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from flows.reports.recording import RecordingConnection

QUERY = """select ts, ts::date as day, n from (values
    (timestamptz '2026-03-08 10:30:00.123456+00', 1),
    (null, 2),
    (timestamptz '2026-11-01 08:59:59+00', 3)) v(ts, n)"""  # a DST start and the hour before a DST end


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC", "America/Los_Angeles"])
def test_timestamptz_rows_are_what_fetchall_gives(zone):
    con = duckdb.connect()
    con.execute(f"set TimeZone = '{zone}'")
    expected = con.execute(QUERY).fetchall()
    got = RecordingConnection(con).execute(QUERY).fetchall()
    assert [(ts.isoformat() if ts else None, day, n) for ts, day, n in got] == \
        [(ts.isoformat() if ts else None, day, n) for ts, day, n in expected]
    assert [ts.utcoffset() if ts else None for ts, _, _ in got] == [ts.utcoffset() if ts else None for ts, _, _ in expected]


def test_reading_timestamptz_rows_does_not_import_pandas():
    code = ("import sys, duckdb\nfrom flows.reports.recording import RecordingConnection\n"
            "con = duckdb.connect()\ncon.execute(\"set TimeZone = 'Asia/Shanghai'\")\n"
            f"rows = RecordingConnection(con).execute({QUERY!r}).fetchall()\n"
            "assert rows[0][0].hour == 18, rows\nprint('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
