"""The profile format: loading, validation errors that name the file and key, and recognition."""

from __future__ import annotations

import pandas as pd
import pytest

from flows.ingest.profiles import (Match, NoMatch, ProfileError, header_key, load_profile, load_profiles,
                                   match_profile)
from flows.ingest.values import parse_decimal, parse_timestamp

BUILTIN = {p.name: p for p in load_profiles()}


def test_every_builtin_profile_loads_and_names_are_unique():
    assert {"taobao_orders", "taobao_order_items", "jd_orders", "pdd_orders", "douyin_orders", "shopify_orders",
            "sycm_shop_overview", "sycm_traffic_source", "sycm_product", "alimama_plan_report",
            "alimama_product_report", "jd_ads", "pdd_ads", "qianchuan_ads", "google_ads_campaign_day",
            "meta_ads_daily", "shopify_sessions"} <= set(BUILTIN)


@pytest.mark.parametrize("text, message", [
    ('name = "x"\nentity = "orders"\nsignature = ["a"]\nbogus = 1\n[columns.order_id]\nsource = "a"\n',
     "unknown key 'bogus'"),
    ('name = "x"\nentity = "orders"\nsignature = ["a"]\n[columns.order_no]\nsource = "a"\n',
     "columns.order_no: not a canonical orders column"),
    ('name = "x"\nentity = "orders"\nsignature = ["a"]\n[columns.order_id]\nsource = "a"\ntype = "money"\n',
     "columns.order_id: type must be one of"),
    ('name = "x"\nentity = "orders"\nsignature = ["a"]\n[columns.order_id]\nsource = "a"\nwhen = { a = "(" }\n',
     "not a valid regular expression"),
    ('name = "x"\nentity = "orders"\nsignature = ["a"]\n[columns.order_id]\nconcat = ["a", "b"]\ntype = "decimal"\n',
     "concat makes text"),
    ('name = "x"\nentity = "orders"\nsignature = ["a"]\nshop_platforms = ["amazon"]\n[columns.order_id]\nsource = "a"\n',
     "shop_platforms: 'amazon' is not one of"),
    ('name = "x"\nentity = "ad_spend"\nsignature = ["a"]\n[columns.cost]\nsource = "a"\n',
     "an ad_spend profile must map business_date, channel"),
    ('name = "x"\nentity = "orders"\nsignature = ["a"]\n[[reject_rows]]\nwhere = { a = "x" }\n'
     '[columns.order_id]\nsource = "a"\n', "needs where = { header = regex } and a reason"),
])
def test_a_malformed_profile_names_the_file_and_the_key(tmp_path, text, message):
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as exc:
        load_profile(path)
    assert str(path) in str(exc.value) and message in str(exc.value)


def test_headers_compare_without_spaces_width_or_case():
    assert header_key("\ufeff订单付款时间 ") == header_key("订单付款时间")
    assert header_key("商品总价（元）") == header_key("商品总价(元)")
    assert header_key("Lineitem SKU") == header_key("lineitem sku")
    assert header_key("收货\u3000地址") == header_key("收货 地址")


def test_signature_alternatives_patterns_and_excludes_pick_the_right_profile():
    profiles = list(BUILTIN.values())
    overview = match_profile([["统计日期", "访客数", "浏览量", "成交金额"]], profiles)
    assert isinstance(overview, Match) and overview.profile.name == "sycm_shop_overview"
    by_source = match_profile([["统计日期", "流量来源", "访客数", "浏览量", "支付金额"]], profiles)
    assert by_source.profile.name == "sycm_traffic_source", "流量来源 excludes the overview profile"
    meta = match_profile([["Reporting starts", "Reporting ends", "Campaign name", "Amount spent (JPY)"]], profiles)
    assert meta.profile.name == "meta_ads_daily"
    no_currency = match_profile([["Reporting starts", "Reporting ends", "Campaign name", "Amount spent"]], profiles)
    assert isinstance(no_currency, NoMatch) and no_currency.closest.name == "meta_ads_daily"
    assert "Amount spent" in no_currency.explain()


def test_the_header_is_found_below_title_rows():
    rows = [["名称：推广"], [""], ["日期", "商品ID", "总花费(元)", "交易额(元)"], ["2026-11-22", "1", "2", "3"]]
    match = match_profile(rows, list(BUILTIN.values()))
    assert (match.profile.name, match.header_index) == ("pdd_ads", 2)


def test_decimal_commas_and_the_year_window():
    values, bad = parse_decimal(pd.Series(["42,50", "1.234,56", "1,234", "€ 3,5"], dtype="string"))
    assert list(values) == [42.5, 1234.56, 1234.0, 3.5] and not bad.any()
    ts, bad = parse_timestamp(pd.Series(["2099-12-31 23:00:00", "2100-01-01 00:00:00", "1989-12-31 00:00:00",
                                         "1990-01-01 08:00:00"], dtype="string"), "Asia/Shanghai")
    assert list(bad) == [False, True, True, False]
