"""The glossary comes from the labelled columns of the model .yml files."""

import pytest

from flows.reports.glossary import GlossaryError, glossary_items, load_glossary


def test_labelled_columns_only_deduplicated_marts_first(glossary_dir):
    entries = load_glossary(glossary_dir)
    assert [(e.model, e.column) for e in entries] == [
        ("fct_orders", "paid_amount"), ("fct_refunds", "refund_amount"), ("rpt_daily_headline", "roas"),
    ]


def test_items_in_language(glossary_dir):
    zh = glossary_items("zh-CN", glossary_dir)
    assert [i.term for i in zh] == ["支付金额", "成功退款金额", "投入产出比"]
    assert zh[0].other_term == "GMV"
    assert "重复" not in " ".join(i.definition for i in zh)  # the later duplicate is dropped
    en = glossary_items("en", glossary_dir)
    assert en[0].term == "GMV" and en[0].definition.startswith("sum of paid_amount")


def test_missing_folder_gives_empty_glossary(tmp_path):
    assert glossary_items("zh-CN", tmp_path) == []


def test_bad_yaml_names_the_file(tmp_path):
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "fct_bad.yml").write_text("columns: [unclosed\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match="fct_bad.yml"):
        load_glossary(tmp_path)


def test_bad_label_names_the_column(tmp_path):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "rpt_x.yml").write_text("columns:\n  gmv:\n    label: [1, 2]\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"columns\.gmv\.label"):
        load_glossary(tmp_path)


def test_repository_model_docs_give_the_headline_terms():
    """The real transforms/*/*.yml parse, and the headline metrics have glossary entries."""
    terms = {item.term for item in glossary_items("zh-CN")}
    assert {"支付金额", "访客数", "支付转化率", "客单价", "投入产出比"} <= terms
    assert "保本投产比" in terms  # labelled on stg_shops: earlier layers count too
