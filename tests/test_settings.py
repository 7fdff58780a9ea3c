"""The configuration file: every mistake is named by file and key."""

from __future__ import annotations

import pytest

from flows.settings import ConfigError, load_settings

GOOD = """
[paths]
warehouse = "wh/shop.duckdb"

[[shops]]
id = "tmall_flagship"
platform = "tmall"
currency = "CNY"
gross_margin = 0.45

[mail]
to = ["ops@example.com"]
"""


def write(tmp_path, text):
    path = tmp_path / "shopreport.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_and_relative_paths(tmp_path):
    s = load_settings(write(tmp_path, GOOD))
    assert s.warehouse_path == tmp_path / "wh" / "shop.duckdb"
    assert s.inbox_dir == tmp_path / "inbox"
    assert s.language == "zh-CN" and s.reporting_currency == "CNY"
    assert s.shop("tmall_flagship").timezone == "Asia/Shanghai"
    assert s.mail.uses_outbox


@pytest.mark.parametrize("change, key", [
    (("gross_margin = 0.45", "gross_margin = 45"), "shops[0].gross_margin"),
    (('currency = "CNY"', 'currency = "yuan"'), "shops[0].currency"),
    (('platform = "tmall"', 'platform = "tmall"\ntimezone = "Asia/Beijing"'), "shops[0].timezone"),
    (('platform = "tmall"', 'platform = "tmal"'), "shops[0].platform"),
    (('warehouse = "wh/shop.duckdb"', 'warehous = "x"'), "paths.warehous"),
    (('to = ["ops@example.com"]', 'to = "ops@example.com"'), "mail.to"),
    (('to = ["ops@example.com"]', 'to = ["ops@example.com"]\npassword = "hunter2"'), "mail.password"),
])
def test_a_bad_key_or_value_names_the_file_and_the_key(tmp_path, change, key):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(path) in str(err.value) and key in str(err.value)


def test_the_password_is_never_read_from_the_file_and_is_not_in_the_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPREPORT_SMTP_PASSWORD", "pa55-from-env")
    s = load_settings(write(tmp_path, GOOD))
    assert s.mail.password == "pa55-from-env"
    assert "pa55-from-env" not in repr(s)


def test_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match="shopreport demo"):
        load_settings(tmp_path / "nope.toml")


def test_the_demo_configuration_is_complete_and_commented(tmp_path):
    import datetime as dt

    from flows.demo import generate_demo

    manifest = generate_demo(tmp_path, dt.date(2026, 11, 22), days=3, daily_days=1)
    text = manifest.config_path.read_text(encoding="utf-8")
    assert text.count("#") > 10, "the example explains itself"
    s = load_settings(manifest.config_path)
    assert {shop.currency for shop in s.shops} == {"CNY", "USD"} and s.fx_rates_path.exists()


def test_yesterday_is_in_each_shops_time_zone(project):
    import datetime as dt

    from flows.pipeline import default_report_date

    # 2026-11-23 03:00 UTC is 11:00 in Shanghai but still 22:00 on the 22nd in New York
    now = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)
    assert default_report_date(project, "tmall_flagship", now) == dt.date(2026, 11, 22)
    assert default_report_date(project, "shopify_us", now) == dt.date(2026, 11, 21)
    assert default_report_date(project, "all", now) == dt.date(2026, 11, 22)


RECIPIENTS = """
[[recipients]]
email = "boss@example.com"
role = "owner"

[[recipients]]
email = "ops@example.com"
role = "operator"
shops = ["tmall_flagship"]
language = "en"

[[webhooks]]
name = "ops"
platform = "dingtalk"
url_env = "DING_URL"
secret_env = "DING_SECRET"
scopes = ["tmall_flagship"]
reports = ["daily"]
"""


def test_recipients_and_webhooks(tmp_path, monkeypatch):
    monkeypatch.setenv("DING_URL", "https://oapi.dingtalk.com/robot/send?access_token=abc")
    monkeypatch.setenv("DING_SECRET", "SECxyz")
    s = load_settings(write(tmp_path, GOOD + RECIPIENTS))
    owner, operator = s.recipients
    assert owner.shops == ("tmall_flagship",)  # one shop: the owner's report is that shop's
    assert operator.language == "en" and operator.reports == ("daily", "weekly")
    [hook] = s.webhooks
    assert hook.webhook().secret == "SECxyz" and "abc" in hook.webhook().url
    assert "SECxyz" not in repr(s) and "abc" not in repr(s)  # read from the environment when sending


@pytest.mark.parametrize("change, key, words", [
    (('role = "operator"', 'role = "intern"'), "recipients[1].role", "owner, operator, ads"),
    (('shops = ["tmall_flagship"]\nlanguage = "en"', 'language = "en"'), "recipients[1].shops", "operator needs"),
    (('language = "en"', 'language = "ja"'), "recipients[1].language", "paths.locales"),
    (('url_env = "DING_URL"', 'url = "https://oapi.dingtalk.com/robot/send?access_token=abc"'),
     "webhooks[0].url", "environment"),
    (('scopes = ["tmall_flagship"]', 'scopes = ["jd_main"]'), "webhooks[0].scopes", "unknown 'jd_main'"),
])
def test_bad_recipients_and_webhooks_name_the_key(tmp_path, change, key, words):
    path = write(tmp_path, GOOD + RECIPIENTS.replace(*change))
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert key in str(err.value) and words in str(err.value)


def test_a_language_becomes_available_with_a_translation_file(tmp_path):
    from flows.reports.i18n import LOCALES_DIR, available_locales

    locales = tmp_path / "locales"
    locales.mkdir()
    config = GOOD.replace('warehouse = "wh/shop.duckdb"', 'warehouse = "wh/shop.duckdb"\nlocales = "locales"')
    config = config.replace("[[shops]]", '[report]\nlanguage = "zh-TW"\n\n[[shops]]')
    with pytest.raises(ConfigError, match="report.language"):
        load_settings(write(tmp_path, config))
    assert "zh-TW" not in available_locales()
    (locales / "zh-TW.toml").write_bytes((LOCALES_DIR / "zh-CN.toml").read_bytes())
    s = load_settings(write(tmp_path, config))
    assert s.language == "zh-TW" and s.locale_dirs == (locales,)


@pytest.mark.parametrize("section, incremental, ingest_workers", [
    ("", "256MB", None),
    ('[warehouse]\nincremental_memory_limit = "128MB"\n', "128MB", None),
    ('[warehouse]\nincremental_memory_limit = "none"\n', None, None),
    ('[warehouse]\nmemory_limit = "1GB"\nincremental_memory_limit = "2GB"\n', None, None),  # not above the cap
    ('[warehouse]\nmemory_limit = "200MB"\n', None, None),  # the cap is below the default: the cap only
    ('[warehouse]\nmemory_limit = "2GiB"\n[ingest]\nworkers = 3\n', "256MB", 3),
])
def test_warehouse_memory_and_ingest_workers(tmp_path, section, incremental, ingest_workers):
    s = load_settings(write(tmp_path, GOOD + section))
    assert s.incremental_build_limit == incremental
    assert s.ingest_workers == ingest_workers


@pytest.mark.parametrize("section, key", [
    ('[warehouse]\nincremental_memory_limit = "a lot"\n', "warehouse.incremental_memory_limit"),
    ('[warehouse]\nmemory_limit = "none"\n', "warehouse.memory_limit"),
    ("[ingest]\nworkers = 0\n", "ingest.workers"),
    ("[ingest]\nthreads = 2\n", "ingest.threads"),
])
def test_warehouse_and_ingest_mistakes_name_the_key(tmp_path, section, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_settings(write(tmp_path, GOOD + section))


@pytest.mark.parametrize("value, workers", [(None, None), ('"auto"', None), ("0", 0), ("2", 2)])
def test_report_render_workers(tmp_path, value, workers):
    section = f"render_workers = {value}\n" if value else ""
    s = load_settings(write(tmp_path, GOOD.replace("[[shops]]", f"[report]\n{section}\n[[shops]]", 1)))
    assert s.render_workers == workers


@pytest.mark.parametrize("value", ["-1", "65", '"many"', "true", "1.5"])
def test_report_render_workers_mistakes_name_the_key(tmp_path, value):
    config = GOOD.replace("[[shops]]", f"[report]\nrender_workers = {value}\n\n[[shops]]", 1)
    with pytest.raises(ConfigError, match=r"report\.render_workers"):
        load_settings(write(tmp_path, config))
