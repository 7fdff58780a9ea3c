"""Report languages: labels and number/date formats, one dict per language.

Each language is one entry of :data:`LANGUAGES`: ``labels`` (every text a report shows) and
``format`` (how numbers and dates are written). Adding a language means adding one dict with the
same keys (:func:`get_locale` checks that none is missing). Nothing here reads configuration.

Formats (zh-CN / en):

- money: ``¥12.3万`` (≥ 10,000; ``¥1.23亿`` from 100 million) and ``¥1,234.56`` below /
  ``¥123,456`` from 1,000 up and ``$45.67`` below; compact (mail subjects): ``¥12.3万`` /
  ``¥1.2M``. Currency symbols by code (CNY ¥, USD $, otherwise the code).
- percentages ``3.21%``; changes ``+8.3%``; percentage points ``+0.4个百分点`` / ``+0.4pp``.
- dates ``2026年11月22日 周日`` / ``Sun 22 Nov 2026``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

DEFAULT_LANGUAGE = "zh-CN"

CURRENCY_SYMBOLS: Mapping[str, str] = {"CNY": "¥", "USD": "$"}

ZH_CN: dict[str, Any] = {
    "format": {
        # (threshold, unit, decimals), largest first; applied to every money value ≥ threshold
        "money_units": [(100_000_000, "亿", 2), (10_000, "万", 1)],
        "money_compact_units": [(100_000_000, "亿", 2), (10_000, "万", 1)],
        "money_decimals": 2,
        "money_whole_from": None,  # from this amount on, money is written without decimals
        "pp_suffix": "个百分点",
        "missing": "–",
        "date_long": "{year}年{month}月{day}日 {weekday}",
        "date_short": "{month}月{day}日",
        "date_axis": "{month}/{day}",
        "weekdays": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
        "months": ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
    },
    "labels": {
        "report_title": "日报",
        "report_heading": "{scope} 日报",
        "all_shops": "全部店铺",
        "subject": "【日报】{scope} {date} {metric} {value}",
        "subject_change": " {label} {change}",
        "subject_wow": "周同比",
        "file_stem": "日报_{scope_name}_{date}",
        "page_footer_css": '"第 " counter(page) " / " counter(pages) " 页"',
        "subtitle": "业务日期：{date} · 金额单位：{currency}",
        "legend_item": "{label}：{date}（{long_label}）",
        "list_sep": "；",
        "term_sep": "：",
        "see_pdf": "完整报告见附件 PDF。",
        "no_data": "当日无数据",
        # headline metrics
        "metric.gmv": "支付金额",
        "metric.visitors": "访客数",
        "metric.conversion": "支付转化率",
        "metric.aov": "客单价",
        "metric.paying_buyers": "支付买家数",
        "metric.refund_amount": "成功退款金额",
        "metric.net_sales": "净销售额",
        "metric.ad_cost": "推广花费",
        "metric.roas": "投入产出比",
        # comparisons
        "compare.prev_day": "环比",
        "compare.last_week": "上周同期",
        "compare.last_year": "同比",
        "compare_long.prev_day": "前一日",
        "compare_long.last_week": "上周同一天",
        "compare_long.last_year": "去年同星期，364天前",
        "compare_legend": "对比：",
        # the weekly report (flows/reports/weekly.py)
        "compare.prev_week": "环比",
        "compare_long.prev_week": "上一周",
        "compare.last_year_week": "同比",
        "compare_long.last_year_week": "去年同一 ISO 周（52周前）",
        "weekly.report_heading": "{scope} 周报",
        "weekly.subject": "【周报】{scope} {week} {metric} {value}",
        "weekly.subject_change": " 环比 {change}",
        "weekly.file_stem": "周报_{scope_name}_{week}",
        "weekly.week_label": "{week}（{start}–{end}）",
        "weekly.subtitle": "报告周：{week} · 金额单位：{currency}",
        "weekly.no_data": "本周无数据",
        "weekly.section.trend": "近12周趋势",
        "weekly.chart.alt": "近12周支付金额、净销售额与推广花费趋势图",
        "weekly.section.ad_campaigns": "本周推广投产（按计划）",
        "weekly.section.top_products": "本周热销商品",
        "weekly.section.refund_products": "本周退款最多的商品",
        "weekly.section.buyers": "本周新老买家",
        "weekly.section.cohorts": "首购月份复购（累计）",
        "weekly.col.cohort": "首购月份",
        "weekly.col.cohort_buyers": "首购买家",
        "weekly.col.cohort_m1": "1个月内",
        "weekly.col.cohort_m2": "2个月内",
        "weekly.col.cohort_m3": "3个月内",
        "weekly.section.product_stages": "商品角色与生命周期",
        "weekly.section.targets": "周目标与月目标进度",
        "weekly.col.week_gmv": "本周支付金额",
        "weekly.col.week_target": "本周目标",
        "weekly.col.week_attainment": "周达成率",
        "weekly.col.month_to_date": "本月至今（周日）",
        "weekly.col.month_target": "月目标",
        "weekly.col.month_attainment": "月完成率",
        "weekly.col.month_pacing": "月进度比",
        "weekly.col.new_buyers": "新买家",
        "weekly.col.returning_buyers": "老买家",
        "weekly.col.returning_share": "老买家占比",
        "weekly.col.repeat_rate_30d": "30天复购率",
        "weekly.col.repeat_rate_90d": "90天复购率",
        "weekly.col.role": "角色",
        "weekly.col.stage": "阶段",
        "weekly.col.stage_change": "阶段变化",
        "weekly.col.gmv_trend": "近4周销售趋势",
        "weekly.col.window_gmv": "近4周支付金额",
        "weekly.col.refund_rate": "退款率",
        "weekly.targets.explain": "周目标 = 本周每天的（月目标 ÷ 当月天数）之和；月进度取本周日的本月至今数字。",
        "weekly.stages.explain": "角色与阶段按近4周与之前4周的销售判断，规则见指标说明（商品角色、生命周期阶段）。",
        "role.hit": "爆款",
        "role.traffic_driver": "引流款",
        "role.profit_item": "利润款",
        "role.regular": "常规款",
        "stage.new": "新品",
        "stage.growth": "成长",
        "stage.hot": "热销",
        "stage.stable": "稳定",
        "stage.decline": "衰退",
        # sections
        "section.bridge": "支付金额为什么变化",
        "bridge.col.comparison": "对比",
        "bridge.col.gmv_change": "支付金额变化",
        "bridge.col.traffic": "访客数贡献",
        "bridge.col.conversion": "转化率贡献",
        "bridge.col.aov": "客单价贡献",
        "bridge.col.note": "说明",
        "bridge.explain": "支付金额 = 访客数 × 支付转化率 × 客单价；括号内为对支付金额变化的贡献（百分点），三项之和等于总变化。",
        "bridge.factor.traffic": "访客数",
        "bridge.factor.conversion": "转化率",
        "bridge.factor.aov": "客单价",
        "bridge.part_sep": "，",
        "bridge.sources_title": "按流量来源（{comparison}）",
        "bridge.col.source": "流量来源",
        "bridge.part_up": "{factor} {change} 拉动 {points} 个百分点",
        "bridge.part_down": "{factor} {change} 拖累 {points} 个百分点",
        "bridge.sentence": "支付金额较{comparison} {change}：{parts}；影响最大的是{biggest}。",
        "bridge.no_base_period": "无法拆解：对比期没有数据（如新店铺）",
        "bridge.no_traffic": "无法拆解：缺少访客数据",
        "bridge.no_sales_base": "无法拆解：对比日没有成交",
        "bridge.no_sales": "无法拆解：当日没有成交",
        "section.headline": "核心指标",
        "section.trend": "近30天趋势",
        "section.funnel": "转化漏斗",
        "section.traffic_sources": "流量来源",
        "section.ad_campaigns": "推广投产（按计划）",
        "section.refunds": "退款",
        "section.refund_products": "退款金额最高的商品",
        "section.top_products": "热销商品",
        "section.data_quality": "数据质量",
        "section.glossary": "指标说明",
        # chart
        "chart.gmv": "支付金额",
        "chart.net_sales": "净销售额",
        "chart.ad_cost": "推广花费",
        "chart.alt": "近30天支付金额、净销售额与推广花费趋势图",
        # funnel
        "funnel.visitors": "访客",
        "funnel.add_to_cart_users": "加购人数",
        "funnel.order_buyers": "下单买家数",
        "funnel.paying_buyers": "支付买家数",
        # table headers
        "col.step": "环节",
        "col.users": "人数",
        "col.rate_from_previous": "上一步转化率",
        "col.rate_from_top": "访客转化率",
        "col.source": "来源",
        "col.visitors": "访客数",
        "col.paying_buyers": "支付买家数",
        "col.paid_amount": "支付金额",
        "col.conversion": "转化率",
        "col.visitor_share": "访客占比",
        "col.channel": "渠道",
        "col.campaign": "计划",
        "col.impressions": "展现量",
        "col.clicks": "点击量",
        "col.ctr": "点击率",
        "col.cpc": "平均点击花费",
        "col.cost": "花费",
        "col.attributed_revenue": "成交金额",
        "col.roas": "投产比",
        "col.breakeven_roas": "保本投产比",
        "col.flag": "状态",
        "col.rank": "排名",
        "col.product": "商品",
        "col.gmv": "支付金额",
        "col.quantity": "件数",
        "col.refund_amount": "退款金额",
        "col.refund_lines": "退款笔数",
        "col.shop": "店铺",
        "col.file": "文件",
        "col.entity": "数据类型",
        "col.coverage": "覆盖日期",
        "col.rows_read": "读取行数",
        "col.rows_loaded": "入库行数",
        "col.rows_rejected": "拒绝行数",
        "col.term": "指标",
        "col.definition": "定义",
        # flags and notes
        "flag.below_breakeven": "低于保本",
        "flag.ok": "",
        "flag.below_breakeven_after_refunds": "近30天退款后低于保本",
        # new and returning buyers
        "section.buyers": "新老买家",
        "buyers.line": "新买家 {new} · 老买家 {returning}（占支付买家 {share}）· 复购率：近30天 {r30}，近90天 {r90}",
        "buyers.explain": "新买家：当天付款的订单是其在本店的第一笔付款订单。复购率：近30（90）天内付款2笔及以上的买家 ÷ 这些天内付过款的买家。",
        # month-to-date targets
        "section.targets": "本月目标进度",
        "targets.month": "{year}年{month}月 · 第{day}/{days}天",
        "targets.metric.gmv": "支付金额",
        "targets.metric.ad_cost": "推广花费",
        "targets.col.metric": "指标",
        "targets.col.month_to_date": "本月至今",
        "targets.col.target": "月目标",
        "targets.col.attainment": "完成率",
        "targets.col.time_share": "时间进度",
        "targets.col.projected": "预计全月",
        "targets.col.projected_attainment": "预计达成",
        "targets.col.status": "状态",
        "targets.behind": "落后进度",
        "targets.over_budget": "超出预算",
        "targets.partial_month": "本月数据不是从1日开始，本月至今的数字偏低。",
        "targets.explain": "时间进度 = 已过天数（含当天）÷ 本月天数；预计全月 = 本月至今 ÷ 时间进度。",
        # ad payback
        "payback.blended_line": "全店投产比 {blended}（支付金额 ÷ 全部推广花费；保本 {breakeven}）· 近30天退款后 {adjusted}（近30天付款订单至今退款率 {refund_rate}）",
        "payback.blended_below": " · 低于保本",
        "payback.explain": "近30天退款后投产比 = 近30天成交金额 × (1 − 近30天付款订单至今的退款率) ÷ 近30天花费；最近几天的退款尚未到齐。",
        "col.roas_30d": "近30天投产比",
        "col.roas_30d_after_refunds": "近30天→退款后",
        "col.refund_adjusted_roas": "近30天退款后投产比",
        # abnormal products
        "section.abnormal_products": "异常商品",
        "products.summary": "检查 {checked} 个商品，{abnormal} 个异常（与前几周的同一天相比）",
        "products.summary_none": "检查 {checked} 个商品，均无异常（与前几周的同一天相比）",
        "products.no_product_traffic": "没有按商品的流量数据（生意参谋 商品排行），未检查流量和转化下跌。",
        "products.alert.sales_stopped": "销售中断",
        "products.alert.traffic_drop": "流量下跌",
        "products.alert.conversion_drop": "转化下跌",
        "products.alert.refund_spike": "退款激增",
        "products.detail.sales_stopped": "当天支付 {lines} 笔，同星期均值 {baseline} 笔",
        "products.detail.traffic_drop": "访客 {visitors}，同星期均值 {baseline}（{change}）",
        "products.detail.conversion_drop": "转化率 {conversion}，同星期 {baseline}（{change}）",
        "products.detail.refund_spike": "退款 {amount}（{lines} 笔），同星期均值 {baseline}",
        "products.col.alerts": "异常",
        "products.col.details": "说明",
        "dq.missing_table": "报表表 {table} 不存在，相关内容未显示；请重新构建数据仓库（shopreport build）。",
        "refunds.rate": "退款率",
        "refunds.amount": "成功退款金额",
        "refunds.lines": "退款笔数",
        "refunds.gmv": "当日支付金额",
        "dq.run": "最近一次导入：{run_id}（{at}）",
        "dq.no_run": "没有导入记录。",
        "dq.no_files": "最近一次导入没有本店铺的文件。",
        "dq.totals": "共 {files} 个文件，读取 {read} 行，入库 {loaded} 行，拒绝 {rejected} 行",
        "dq.missing": "当日缺少的数据：",
        "dq.missing_item": "{shop}：{entity}",
        "dq.all_present": "当日各类数据均已到齐。",
        "dq.files_omitted": "另有 {count} 个文件没有问题，未逐一列出。",
        "dq.rejects_warning": "有行被拒绝，详见导入记录（rejects 表）。",
        "dq.glossary_error": "指标说明未能生成：{error}",
        # partial reports and notices (freshness gate, failed runs)
        "subject_partial": "【数据不全】",
        "partial.banner": "数据不全：截至 {cutoff}，仍缺少 {missing}。以下数字只包含已到的数据。",
        "late.subject": "【数据未到】{scope} {date} 日报暂缓",
        "late.body": ("{scope} {date} 的日报没有发送：截至 {cutoff}，当日数据仍未到齐（缺少：{missing}）。\n"
                      "数据放入收件箱后，运行 shopreport run daily --date {date} 即可补发日报。"),
        "failure.subject": "【运行失败】shopreport {report} {date}",
        "failure.body": ("{date} 的{report}运行失败（{at}）：\n\n{error}\n\n"
                         "已发送的报告不受影响；修复后重新运行 {rerun}，"
                         "未发出的报告会补发，已发出的不会重复发送。"),
        "report_kind.daily": "日报",
        "report_kind.weekly": "周报",
        "empty_table": "无数据",
        "entity.orders": "订单",
        "entity.traffic": "流量",
        "entity.ad_spend": "推广",
        "entity.refunds": "退款",
        # ad channels and traffic sources (unknown codes are shown as they are)
        "channel.alimama": "阿里妈妈",
        "channel.ztc": "直通车",
        "channel.wanxiangtai": "万相台",
        "channel.jingzhuntong": "京准通",
        "channel.duoduo": "多多推广",
        "channel.qianchuan": "巨量千川",
        "channel.google_ads": "Google Ads",
        "channel.meta_ads": "Meta Ads",
        "source.all": "全店",
        "source.search": "搜索",
        "source.recommend": "推荐",
        "source.direct": "直接访问",
        "source.paid": "付费流量",
        "source.ads": "广告",
        "source.social": "社交",
        "source.content": "内容",
        "source.other": "其他",
    },
}

EN: dict[str, Any] = {
    "format": {
        "money_units": [],
        "money_compact_units": [(1_000_000_000, "B", 1), (1_000_000, "M", 1), (1_000, "K", 1)],
        "money_decimals": 2,
        "money_whole_from": 1_000,
        "pp_suffix": "pp",
        "missing": "n/a",
        "date_long": "{weekday} {day} {month_name} {year}",
        "date_short": "{day} {month_name}",
        "date_axis": "{day} {month_name}",
        "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "months": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    },
    "labels": {
        "report_title": "Daily report",
        "report_heading": "Daily report: {scope}",
        "all_shops": "All shops",
        "subject": "[Daily] {scope} {date} {metric} {value}",
        "subject_change": " {label} {change}",
        "subject_wow": "WoW",
        "file_stem": "daily_report_{scope_id}_{date}",
        "page_footer_css": '"Page " counter(page) " of " counter(pages)',
        "subtitle": "Business day: {date} · amounts in {currency}",
        "legend_item": "{label}: {date} ({long_label})",
        "list_sep": "; ",
        "term_sep": ": ",
        "see_pdf": "The full report is in the attached PDF.",
        "no_data": "No data for this day",
        "metric.gmv": "GMV",
        "metric.visitors": "Visitors",
        "metric.conversion": "Conversion",
        "metric.aov": "AOV",
        "metric.paying_buyers": "Paying buyers",
        "metric.refund_amount": "Refunds",
        "metric.net_sales": "Net sales",
        "metric.ad_cost": "Ad cost",
        "metric.roas": "ROAS",
        "compare.prev_day": "DoD",
        "compare.last_week": "WoW",
        "compare.last_year": "YoY",
        "compare_long.prev_day": "the day before",
        "compare_long.last_week": "same weekday last week",
        "compare_long.last_year": "same weekday last year, 364 days back",
        "compare_legend": "Compared with: ",
        # the weekly report (flows/reports/weekly.py)
        "compare.prev_week": "WoW",
        "compare_long.prev_week": "the week before",
        "compare.last_year_week": "YoY",
        "compare_long.last_year_week": "the same ISO week last year (52 weeks back)",
        "weekly.report_heading": "Weekly report: {scope}",
        "weekly.subject": "[Weekly] {scope} {week} {metric} {value}",
        "weekly.subject_change": " WoW {change}",
        "weekly.file_stem": "weekly_report_{scope_id}_{week}",
        "weekly.week_label": "{week} ({start} – {end})",
        "weekly.subtitle": "Week: {week} · amounts in {currency}",
        "weekly.no_data": "No data for the week",
        "weekly.section.trend": "Last 12 weeks",
        "weekly.chart.alt": "GMV, net sales and ad cost over the last 12 weeks",
        "weekly.section.ad_campaigns": "Ad ROI by campaign, this week",
        "weekly.section.top_products": "Top products this week",
        "weekly.section.refund_products": "Most refunded products this week",
        "weekly.section.buyers": "New and returning buyers this week",
        "weekly.section.cohorts": "Repurchase by first-order month (cumulative)",
        "weekly.col.cohort": "First order in",
        "weekly.col.cohort_buyers": "Buyers",
        "weekly.col.cohort_m1": "Within 1 month",
        "weekly.col.cohort_m2": "Within 2 months",
        "weekly.col.cohort_m3": "Within 3 months",
        "weekly.section.product_stages": "Product roles and lifecycle stages",
        "weekly.section.targets": "Week and month targets",
        "weekly.col.week_gmv": "Week GMV",
        "weekly.col.week_target": "Week target",
        "weekly.col.week_attainment": "Week attainment",
        "weekly.col.month_to_date": "Month to date (Sunday)",
        "weekly.col.month_target": "Month target",
        "weekly.col.month_attainment": "Month attainment",
        "weekly.col.month_pacing": "Month pace",
        "weekly.col.new_buyers": "New buyers",
        "weekly.col.returning_buyers": "Returning buyers",
        "weekly.col.returning_share": "Returning share",
        "weekly.col.repeat_rate_30d": "30-day repeat rate",
        "weekly.col.repeat_rate_90d": "90-day repeat rate",
        "weekly.col.role": "Role",
        "weekly.col.stage": "Stage",
        "weekly.col.stage_change": "Stage change",
        "weekly.col.gmv_trend": "4-week GMV trend",
        "weekly.col.window_gmv": "4-week GMV",
        "weekly.col.refund_rate": "Refund rate",
        "weekly.targets.explain": ("Week target = the sum over the week's days of the month target ÷ days "
                                   "in the month; the month figures are those of the week's Sunday."),
        "weekly.stages.explain": ("Roles and stages compare the last 4 weeks with the 4 before; the rules "
                                  "are in the glossary (product role, lifecycle stage)."),
        "role.hit": "Hit",
        "role.traffic_driver": "Traffic driver",
        "role.profit_item": "Profit item",
        "role.regular": "Regular",
        "stage.new": "New",
        "stage.growth": "Growth",
        "stage.hot": "Hot",
        "stage.stable": "Stable",
        "stage.decline": "Decline",
        "section.bridge": "Why GMV moved",
        "bridge.col.comparison": "Compared with",
        "bridge.col.gmv_change": "GMV change",
        "bridge.col.traffic": "Visitors effect",
        "bridge.col.conversion": "Conversion effect",
        "bridge.col.aov": "AOV effect",
        "bridge.col.note": "Note",
        "bridge.explain": "GMV = visitors × conversion × AOV; in brackets each factor's effect in points of the base day's GMV; the three add up to the change.",
        "bridge.factor.traffic": "visitors",
        "bridge.factor.conversion": "conversion",
        "bridge.factor.aov": "AOV",
        "bridge.part_sep": ", ",
        "bridge.sources_title": "By traffic source ({comparison})",
        "bridge.col.source": "Source",
        "bridge.part_up": "{factor} {change} added {points} points",
        "bridge.part_down": "{factor} {change} took {points} points",
        "bridge.sentence": "GMV {change} vs {comparison}: {parts}; the biggest effect was {biggest}.",
        "bridge.no_base_period": "n/a: no data in the base period (e.g. a new shop)",
        "bridge.no_traffic": "n/a: visitors are missing",
        "bridge.no_sales_base": "n/a: no sales on the base day",
        "bridge.no_sales": "n/a: no sales on the day",
        "section.headline": "Headline",
        "section.trend": "Last 30 days",
        "section.funnel": "Funnel",
        "section.traffic_sources": "Traffic sources",
        "section.ad_campaigns": "Ad ROI by campaign",
        "section.refunds": "Refunds",
        "section.refund_products": "Most refunded products",
        "section.top_products": "Top products",
        "section.data_quality": "Data quality",
        "section.glossary": "Glossary",
        "chart.gmv": "GMV",
        "chart.net_sales": "Net sales",
        "chart.ad_cost": "Ad cost",
        "chart.alt": "GMV, net sales and ad cost over the last 30 days",
        "funnel.visitors": "Visitors",
        "funnel.add_to_cart_users": "Added to cart",
        "funnel.order_buyers": "Ordering buyers",
        "funnel.paying_buyers": "Paying buyers",
        "col.step": "Step",
        "col.users": "Users",
        "col.rate_from_previous": "From previous",
        "col.rate_from_top": "From visitors",
        "col.source": "Source",
        "col.visitors": "Visitors",
        "col.paying_buyers": "Paying buyers",
        "col.paid_amount": "GMV",
        "col.conversion": "Conversion",
        "col.visitor_share": "Share",
        "col.channel": "Channel",
        "col.campaign": "Campaign",
        "col.impressions": "Impressions",
        "col.clicks": "Clicks",
        "col.ctr": "CTR",
        "col.cpc": "CPC",
        "col.cost": "Cost",
        "col.attributed_revenue": "Revenue",
        "col.roas": "ROAS",
        "col.breakeven_roas": "Breakeven",
        "col.flag": "Status",
        "col.rank": "#",
        "col.product": "Product",
        "col.gmv": "GMV",
        "col.quantity": "Units",
        "col.refund_amount": "Refunded",
        "col.refund_lines": "Lines",
        "col.shop": "Shop",
        "col.file": "File",
        "col.entity": "Data",
        "col.coverage": "Covers",
        "col.rows_read": "Read",
        "col.rows_loaded": "Loaded",
        "col.rows_rejected": "Rejected",
        "col.term": "Term",
        "col.definition": "Definition",
        "flag.below_breakeven": "Below breakeven",
        "flag.ok": "",
        "flag.below_breakeven_after_refunds": "Below breakeven after refunds (30 days)",
        "section.buyers": "New and returning buyers",
        "buyers.line": "New buyers {new} · returning {returning} ({share} of paying buyers) · repeat rate: {r30} over 30 days, {r90} over 90 days",
        "buyers.explain": "New buyer: the day's paid order is their first in the shop. Repeat rate: buyers with two or more paid orders in the last 30 (90) days ÷ buyers with a paid order in those days.",
        "section.targets": "Month-to-date targets",
        "targets.month": "{month_name} {year} · day {day} of {days}",
        "targets.metric.gmv": "GMV",
        "targets.metric.ad_cost": "Ad cost",
        "targets.col.metric": "Metric",
        "targets.col.month_to_date": "Month to date",
        "targets.col.target": "Target",
        "targets.col.attainment": "Reached",
        "targets.col.time_share": "Month gone",
        "targets.col.projected": "Projected",
        "targets.col.projected_attainment": "Projected vs target",
        "targets.col.status": "Status",
        "targets.behind": "Behind pace",
        "targets.over_budget": "Over budget",
        "targets.partial_month": "This month's data does not start on the 1st: the month-to-date figures are low.",
        "targets.explain": "Month gone = days elapsed (the day included) ÷ days in the month; projected = month to date ÷ month gone.",
        "payback.blended_line": "Blended ROAS {blended} (GMV ÷ all ad cost; breakeven {breakeven}) · last 30 days after refunds {adjusted} ({refund_rate} of their orders refunded so far)",
        "payback.blended_below": " · below breakeven",
        "payback.explain": "After refunds (30 d) = revenue of the last 30 days × (1 − refund rate of the orders paid in them, so far) ÷ their cost; the last days' refunds are still coming.",
        "col.roas_30d": "ROAS (30 d)",
        "col.roas_30d_after_refunds": "30 d → refunds",
        "col.refund_adjusted_roas": "After refunds (30 d)",
        "section.abnormal_products": "Abnormal products",
        "products.summary": "{checked} products checked, {abnormal} abnormal (against the same weekday of the weeks before)",
        "products.summary_none": "{checked} products checked, none abnormal (against the same weekday of the weeks before)",
        "products.no_product_traffic": "No by-product traffic (生意参谋 商品排行): traffic and conversion drops were not checked.",
        "products.alert.sales_stopped": "Sales stopped",
        "products.alert.traffic_drop": "Traffic drop",
        "products.alert.conversion_drop": "Conversion drop",
        "products.alert.refund_spike": "Refund spike",
        "products.detail.sales_stopped": "{lines} paid lines on the day, {baseline} on the same weekday on average",
        "products.detail.traffic_drop": "{visitors} visitors, {baseline} on the same weekday on average ({change})",
        "products.detail.conversion_drop": "conversion {conversion}, {baseline} on the same weekday ({change})",
        "products.detail.refund_spike": "{amount} refunded ({lines} lines), {baseline} on the same weekday on average",
        "products.col.alerts": "Alert",
        "products.col.details": "Details",
        "dq.missing_table": "The report table {table} is missing, so its section is left out; rebuild the warehouse (shopreport build).",
        "refunds.rate": "Refund rate",
        "refunds.amount": "Refunds",
        "refunds.lines": "Refunded lines",
        "refunds.gmv": "GMV of the day",
        "dq.run": "Latest load: {run_id} ({at})",
        "dq.no_run": "No loads recorded.",
        "dq.no_files": "The latest load had no files for this shop.",
        "dq.totals": "{files} files, {read} rows read, {loaded} loaded, {rejected} rejected",
        "dq.missing": "Missing for the day:",
        "dq.missing_item": "{shop}: {entity}",
        "dq.all_present": "All data for the day has arrived.",
        "dq.files_omitted": "{count} more files loaded without problems are not listed.",
        "dq.rejects_warning": "Some rows were rejected; see the load record (rejects table).",
        "dq.glossary_error": "The glossary could not be built: {error}",
        "subject_partial": "[PARTIAL] ",
        "partial.banner": ("Partial report: by {cutoff}, {missing} had still not arrived. The numbers "
                           "below cover only the data that had arrived."),
        "late.subject": "[Data late] {scope} {date}: daily report held back",
        "late.body": ("The daily report for {scope} on {date} was not sent: by {cutoff} the day's data "
                      "had not arrived (missing: {missing}).\nOnce the exports are in the inbox, run "
                      "shopreport run daily --date {date} to send it."),
        "failure.subject": "[shopreport] {report} run failed: {date}",
        "failure.body": ("The {report} run for {date} failed ({at}):\n\n{error}\n\nReports already sent are "
                         "not affected. After fixing the cause, run {rerun}: "
                         "reports not yet sent go out, reports already sent are not sent twice."),
        "report_kind.daily": "daily",
        "report_kind.weekly": "weekly",
        "empty_table": "No data",
        "entity.orders": "orders",
        "entity.traffic": "traffic",
        "entity.ad_spend": "ad spend",
        "entity.refunds": "refunds",
        "channel.alimama": "Alimama",
        "channel.ztc": "Zhitongche",
        "channel.wanxiangtai": "Wanxiangtai",
        "channel.jingzhuntong": "Jingzhuntong",
        "channel.duoduo": "Duoduo Ads",
        "channel.qianchuan": "Qianchuan",
        "channel.google_ads": "Google Ads",
        "channel.meta_ads": "Meta Ads",
        "source.all": "Whole shop",
        "source.search": "Search",
        "source.recommend": "Recommendations",
        "source.direct": "Direct",
        "source.paid": "Paid",
        "source.ads": "Ads",
        "source.social": "Social",
        "source.content": "Content",
        "source.other": "Other",
    },
}

LANGUAGES: Mapping[str, Mapping[str, Any]] = {"zh-CN": ZH_CN, "en": EN}


class UnknownLanguageError(ValueError):
    """A language with no dict in :data:`LANGUAGES`."""


@dataclass(frozen=True)
class Locale:
    """Labels and formatters of one language. Every formatter returns the missing mark for None."""

    language: str
    labels: Mapping[str, str]
    fmt: Mapping[str, Any]

    # ----- labels -------------------------------------------------------------------------
    def t(self, key: str, **values: Any) -> str:
        """The label ``key``, with ``{placeholders}`` filled from ``values``."""
        text = self.labels[key]
        return text.format(**values) if values else text

    def lookup(self, prefix: str, code: str) -> str:
        """The label ``prefix.code`` when there is one, else ``code`` itself (channel/source codes)."""
        return self.labels.get(f"{prefix}.{code}", code)

    @property
    def missing(self) -> str:
        return self.fmt["missing"]

    # ----- numbers ------------------------------------------------------------------------
    def integer(self, value: float | None) -> str:
        """``12,345``."""
        if _absent(value):
            return self.missing
        return f"{round(value):,}"

    def number(self, value: float | None, decimals: int = 2) -> str:
        """``3.21`` (ROAS and other multiples)."""
        if _absent(value):
            return self.missing
        return f"{value:,.{decimals}f}"

    def money(self, value: float | None, currency: str, *, compact: bool = False,
              decimals: int | None = None) -> str:
        """``¥12.3万`` / ``¥1,234.56`` (zh-CN), ``¥123,456`` / ``$45.67`` / ``¥1.2M`` (en).

        ``compact`` uses the language's short units (mail subjects, chart axes); ``decimals``
        overrides the decimals of amounts below the units.
        """
        if _absent(value):
            return self.missing
        symbol = currency_symbol(currency)
        sign = "-" if value < 0 and round(abs(value), 2) > 0 else ""
        amount = abs(value)
        units = self.fmt["money_compact_units" if compact else "money_units"]
        for threshold, unit, unit_decimals in units:
            if amount >= threshold:
                return f"{sign}{symbol}{amount / threshold:,.{unit_decimals}f}{unit}"
        if decimals is None:
            whole_from = self.fmt["money_whole_from"]
            whole = whole_from is not None and round(amount, 2) >= whole_from
            decimals = 0 if whole else self.fmt["money_decimals"]
        return f"{sign}{symbol}{amount:,.{decimals}f}"

    def percent(self, fraction: float | None, decimals: int = 2) -> str:
        """A rate given as a fraction: 0.0321 → ``3.21%``."""
        if _absent(fraction):
            return self.missing
        return f"{fraction * 100:,.{decimals}f}%"

    def signed_percent(self, change: float | None, decimals: int = 1) -> str:
        """A relative change given as a fraction: 0.083 → ``+8.3%``, -0.031 → ``-3.1%``."""
        if _absent(change):
            return self.missing
        return _signed(change * 100, decimals) + "%"

    def signed_pp(self, diff: float | None, decimals: int = 1) -> str:
        """A difference of two rates in percentage points: 0.004 → ``+0.4pp`` / ``+0.4个百分点``."""
        if _absent(diff):
            return self.missing
        return _signed(diff * 100, decimals) + self.fmt["pp_suffix"]

    def signed_number(self, diff: float | None, decimals: int = 2) -> str:
        """A plain difference: 0.3 → ``+0.30``."""
        if _absent(diff):
            return self.missing
        return _signed(diff, decimals)

    # ----- dates --------------------------------------------------------------------------
    def _date_values(self, d: date) -> dict[str, Any]:
        return {"year": d.year, "month": d.month, "day": d.day,
                "weekday": self.fmt["weekdays"][d.weekday()],
                "month_name": self.fmt["months"][d.month - 1]}

    def date_long(self, d: date | None) -> str:
        """``2026年11月22日 周日`` / ``Sun 22 Nov 2026``."""
        return self.missing if d is None else self.fmt["date_long"].format(**self._date_values(d))

    def date_short(self, d: date | None) -> str:
        """``11月22日`` / ``22 Nov``."""
        return self.missing if d is None else self.fmt["date_short"].format(**self._date_values(d))

    def date_axis(self, d: date) -> str:
        """Chart axis label: ``11/22`` / ``22 Nov``."""
        return self.fmt["date_axis"].format(**self._date_values(d))


def _absent(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _signed(value: float, decimals: int) -> str:
    rounded = round(value, decimals)
    if rounded == 0:
        return f"{0:.{decimals}f}"
    return f"{rounded:+,.{decimals}f}"


def currency_symbol(currency: str) -> str:
    """``¥`` for CNY, ``$`` for USD, otherwise the code followed by a space (``EUR 12``)."""
    symbol = CURRENCY_SYMBOLS.get(currency)
    return symbol if symbol is not None else f"{currency} "


def get_locale(language: str | None = None) -> Locale:
    """The :class:`Locale` for ``language`` (default zh-CN); unknown languages raise."""
    language = language or DEFAULT_LANGUAGE
    try:
        spec = LANGUAGES[language]
    except KeyError:
        known = ", ".join(LANGUAGES)
        raise UnknownLanguageError(f"unknown report language {language!r} (known: {known})") from None
    reference = LANGUAGES[DEFAULT_LANGUAGE]
    missing = sorted(set(reference["labels"]) - set(spec["labels"]))
    missing += sorted(f"format.{k}" for k in set(reference["format"]) - set(spec["format"]))
    if missing:
        raise UnknownLanguageError(f"report language {language!r} lacks labels: {', '.join(missing)}")
    return Locale(language=language, labels=spec["labels"], fmt=spec["format"])
