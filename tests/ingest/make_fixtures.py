"""Write the export fixtures of tests/fixtures/exports/ that need an encoding or a container a
text editor cannot keep (GBK, UTF-16, BOM + CRLF, .xlsx, HTML saved as .xls).

The rows are hand-written in each platform's real layout (see ../shared/FORMATS.md and
docs/formats.md); the files are committed, this script only documents how the bytes were made:

    .venv/bin/python tests/ingest/make_fixtures.py
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from xlsx_writer import Formula, Percent, write_xlsx  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "exports"


def csv_text(rows: list[list[str]], newline: str = "\n") -> str:
    def quote(cell: str) -> str:
        if any(ch in cell for ch in ',"\n\t') or cell != cell.strip():
            return '"' + cell.replace('"', '""') + '"'
        return cell
    return newline.join(",".join(quote(c) for c in row) for row in rows) + newline


def write(name: str, text: str, encoding: str) -> None:
    (OUT / name).write_bytes(text.encode(encoding))


# Tmall 订单报表, short variant (Tianchi set): UTF-8 with BOM, CRLF, trailing spaces in two headers
TMALL_SHORT = [
    ["订单编号", "总金额", "买家实际支付金额", "收货地址 ", "订单创建时间", "订单付款时间 ", "退款金额"],
    ["1", "178.8", "0", "上海", "2026-11-21 00:00:00", "", "0"],
    ["2", "21", "21", "内蒙古自治区", "2026-11-21 00:00:05", "2026-11-21 00:00:10", "21"],
    ["3", "37", "37", "安徽省", "2026-11-21 00:02:29", "2026-11-21 00:02:40", "0"],
]

# Taobao 订单报表, the PHP exporter's variant (支付金额, 收货人, 店铺Id …): GBK, CRLF
TAOBAO_PHP_HEADER = ("订单编号,买家会员名,买家支付宝账号,买家应付货款,买家应付邮费,买家支付积分,总金额,返点积分,"
                     "支付金额,买家实际支付积分,订单状态,买家留言,收货人,收货地址,运送方式,联系电话,联系手机,"
                     "订单创建时间,订单付款时间,宝贝标题,宝贝种类,物流单号,物流公司,订单备注,宝贝总数量,店铺Id,"
                     "店铺名称,订单关闭原因,卖家服务费,买家服务费,发票抬头,是否手机订单,分阶段订单信息,定金排名,"
                     "修改后的sku,修改后的收货地址,异常信息").split(",")


def taobao_php_row(order: str, buyer: str, paid: str, status: str, created: str, paid_at: str,
                   title: str, qty: str, close_reason: str = "") -> list[str]:
    cells = dict.fromkeys(TAOBAO_PHP_HEADER, "")
    cells.update({"订单编号": order, "买家会员名": buyer, "买家支付宝账号": "138****0000", "买家应付货款": paid,
                  "买家应付邮费": "0.00", "总金额": paid, "支付金额": paid, "订单状态": status,
                  "收货人": "李*", "收货地址": "北京市 朝阳区 测试街2号", "联系手机": "139****5678",
                  "订单创建时间": created, "订单付款时间": paid_at, "宝贝标题": title, "宝贝种类": "1",
                  "宝贝总数量": qty, "订单关闭原因": close_reason, "是否手机订单": "手机订单"})
    return [cells[h] for h in TAOBAO_PHP_HEADER]


TAOBAO_PHP = [TAOBAO_PHP_HEADER,
              taobao_php_row("\t3856201234567890200", "tb_frank", "88.00", "卖家已发货，等待买家确认",
                             "2026-11-22 08:00:00", "2026-11-22 08:01:00", "羊毛围巾 秋冬款", "2"),
              taobao_php_row("'3856201234567890201", "tb_gina", "45.50", "买家已付款,等待卖家发货",
                             "2026-11-22 09:30:00", "2026-11-22 09:31:00", "保温杯 500ml", "1"),
              taobao_php_row("3856201234567890202", "tb_frank", "120.00", "付款以后用户退款成功，交易自动关闭",
                             "2026-11-21 20:00:00", "2026-11-21 20:00:30", "手套", "1", "退款")]

# Taobao 宝贝报表 (order items): GBK
TAOBAO_ITEMS = [
    ["订单编号", "标题", "价格", "购买数量", "外部系统编号", "商品属性", "套餐信息", "备注", "订单状态", "商家编码"],
    ['="3856201234567890200"', "羊毛围巾 秋冬款", "30.00", "1", "", "颜色分类：灰色", "", "", "卖家已发货，等待买家确认", "WJ-GRY"],
    ['="3856201234567890200"', "羊毛围巾 秋冬款", "58.00", "1", "", "颜色分类：红色;尺码：加大", "", "", "卖家已发货，等待买家确认", "WJ-RED-L"],
    ['="3856201234567890201"', "保温杯 500ml", "45.50", "1", "", "颜色分类：白", "套餐一", "", "买家已付款，等待卖家发货", "BWB-500"],
]

# JD POP order export (full header of FORMATS.md §2.5): GBK, one row per order line
JD_HEADER = ("订单号,商品ID,商品名称,订购数量,支付方式,下单时间,京东价,订单金额,结算金额,余额支付,应付金额,订单状态,"
             "订单类型,下单帐号,客户姓名,客户地址,联系电话,订单备注,发票类型,发票抬头,发票内容,商家备注,"
             "商家备注等级（等级1-5为由高到低）,运费金额,付款确认时间,增值税发票,货号,订单完成时间,订单来源,订单渠道").split(",")


def jd_row(order: str, sku_id: str, name: str, qty: str, price: str, total: str, status: str, buyer: str,
           created: str, paid: str, done: str = "", item_no: str = "") -> list[str]:
    cells = dict.fromkeys(JD_HEADER, "")
    cells.update({"订单号": order, "商品ID": sku_id, "商品名称": name, "订购数量": qty, "支付方式": "在线支付",
                  "下单时间": created, "京东价": price, "订单金额": total, "结算金额": total, "余额支付": "0.00",
                  "应付金额": total, "订单状态": status, "订单类型": "SOP", "下单帐号": buyer,
                  "客户姓名": "王*", "客户地址": "广东 深圳市 南山区***", "联系电话": "1******6198",
                  "运费金额": "0.00", "付款确认时间": paid, "货号": item_no, "订单完成时间": done,
                  "订单来源": "移动端", "订单渠道": "京东"})
    return [cells[h] for h in JD_HEADER]


JD_ORDERS = [JD_HEADER,
             jd_row("301234567890", "100012345678", "保温杯 500ml", "2", "45.00", "120.00", "等待出库", "jd_user_1",
                    "2026-11-22 10:00:00", "2026-11-22 10:00:20", item_no="BWB-500"),
             jd_row("301234567890", "100012345679", "杯刷", "1", "30.00", "120.00", "等待出库", "jd_user_1",
                    "2026-11-22 10:00:00", "2026-11-22 10:00:20", item_no="BS-01"),
             jd_row("301234567891", "100012345678", "保温杯 500ml", "1", "45.00", "45.00", "完成", "jd_user_2",
                    "2026-11-20 09:00:00", "2026-11-20 09:00:05", done="2026-11-22 12:00:00", item_no="BWB-500"),
             jd_row("301234567892", "100012345680", "围巾", "1", "99.00", "99.00", "(删除)锁定", "jd_user_3",
                    "2026-11-22 11:00:00", "", item_no="WJ-01")]

# Pinduoduo order export: UTF-8 with BOM, (元) headers; 售后状态 退款成功; 取消 in 订单状态
PDD_HEADER = ["商品", "订单号", "订单状态", "商品总价(元)", "邮费(元)", "店铺优惠折扣(元)", "平台优惠折扣(元)",
              "多多支付立减金额(元)", "用户实付金额(元)", "商家实收金额(元)", "商品数量(件)", "发货时间",
              "确认收货时间", "商品id", "商品规格", "样式ID", "商家编码-规格维度", "商家编码-商品维度", "商家备注",
              "售后状态", "快递单号", "快递公司", "订单成交时间"]
PDD_ORDERS = [
    PDD_HEADER,
    ["接考横幅", "261122-018696128123287", "已发货，待签收", "17.80", "0.00", "1.00", "0.50", "0.00", "16.30",
     "16.80", "1", "2026-11-22 15:00:00", "", "754299529443", "红色", "1111", "HF-RED", "HF", "", "无售后或售后取消",
     "SF123", "顺丰快递", "2026-11-22 12:00:00"],
    ["接考横幅", "261122-018696128123288", "已收货", "35.60", "0.00", "0.00", "0.00", "0.00", "35.60", "35.60", "2",
     "2026-11-20 15:00:00", "2026-11-22 09:00:00", "754299529443", "蓝色", "1112", "HF-BLU", "HF", "", "退款成功",
     "SF124", "顺丰快递", "2026-11-20 12:00:00"],
    ["气球", "261122-018696128123289", "已取消", "9.90", "0.00", "0.00", "0.00", "0.00", "9.90", "9.90", "1", "", "",
     "754299529444", "默认", "1113", "", "QQ", "", "无售后或售后取消", "", "", "2026-11-22 13:00:00"],
    ["气球", "261122-018696128123290", "待发货", "19.80", "0.00", "0.00", "0.00", "0.00", "19.80", "19.80", "2", "", "",
     "754299529444", "默认", "1113", "", "QQ", "", "无售后或售后取消", "", "", "2026-11-22 14:00:00"],
]

# Douyin 抖店 order export: UTF-8 with BOM, ids and texts as "\t…", "-" for empty, masked personal data
DOUYIN_HEADER = ("主订单编号,子订单编号,选购商品,商品规格,商品数量,商家编码,订单应付金额,运费,收件人,收件人手机号,"
                 "详细地址,订单提交时间,商家备注,订单完成时间,订单状态,售后状态,取消原因,发货时间,"
                 "平台实际承担优惠金额,商家实际承担优惠金额,达人实际承担优惠金额").split(",")
P, Q, Z = "6917926768823643751", "6917926768823643752", "6917926768823643753"
DOUYIN_ORDERS = [
    DOUYIN_HEADER,
    [f"\t{P}", f"\t{P}", "\t辣丝丝", "\t1袋", "1", "\t300400008", "28.90", "0.00", "##密文", "$$密文", "##密文",
     "2026-11-20 00:54:10", "吃了一包", "2026-11-22 13:18:29", "已完成", "退款成功", "", "2026-11-20 08:53:45",
     "21.00", "25.00", "0.00"],
    [f"\t{Q}", f"\t{Q}", "\t辣丝丝", "\t1袋", "1", "\t300400008", "20.00", "0.00", "##密文", "$$密文", "##密文",
     "2026-11-22 10:00:00", "-", "-", "已发货", "-", "", "2026-11-22 18:00:00", "5.00", "0.00", "8.00"],
    [f"\t{Q}", f"\t{Q}9", "\t赠品", "\t默认", "1", "\t300400009", "0.00", "0.00", "##密文", "$$密文", "##密文",
     "2026-11-22 10:00:00", "-", "-", "已关闭", "-", "主品订单售后完成", "-", "0.00", "0.00", "0.00"],
    [f"\t{Z}", f"\t{Z}", "\t辣丝丝", "\t2袋", "2", "\t300400010", "57.80", "0.00", "##密文", "$$密文", "##密文",
     "2026-11-22 21:00:00", "-", "-", "备货中", "-", "", "-", "0.00", "0.00", "0.00"],
]

# Google Ads campaign report by day, saved as "Excel CSV": UTF-16 LE with BOM, tab-separated
GOOGLE_UTF16 = [
    ["Campaign report"],
    ["November 21, 2026 - November 22, 2026"],
    ["Day", "Campaign ID", "Campaign", "Campaign type", "Currency code", "Impr.", "Clicks", "CTR", "Avg. CPC", "Cost",
     "Conversions", "Conv. value"],
    ["2026-11-21", "18000001", "Brand - Search", "Search", "USD", "1,000", "62", "6.20%", "$1.99", "$123.40", "3.00",
     "$456.00"],
    ["2026-11-22", "18000001", "Brand - Search", "Search", "USD", "1,250", "80", "6.40%", "$1.50", "$1,234.56", "5.50",
     "$2,000.00"],
    ["2026-11-22", "18000002", "Shopping - All", "Shopping", "USD", "0", "0", " --", " --", "$0.00", " --", " --"],
    ["Total: Account", "", "", "", "", "2,250", "142", "6.31%", "$9.56", "$1,357.96", "8.50", "$2,456.00"],
    ["Total: Search", "", "", "", "", "2,250", "142", "6.31%", "$9.56", "$1,357.96", "8.50", "$2,456.00"],
]

# Meta Ads Manager export by day: UTF-8 with BOM; the currency is in the headers
META_HEADER = ["Reporting starts", "Reporting ends", "Campaign name", "Campaign delivery", "Attribution setting",
               "Results", "Result indicator", "Reach", "Frequency", "Cost per results", "Amount spent (USD)",
               "Impressions", "CPM (cost per 1,000 impressions) (USD)", "Link clicks",
               "CPC (cost per link click) (USD)", "CTR (link click-through rate)", "Clicks (all)", "CTR (all)",
               "CPC (all) (USD)", "Purchases", "Purchases conversion value"]
META = [META_HEADER,
        ["2026-11-21", "2026-11-21", "Winter Sale - Prospecting", "active", "7-day click or 1-day view", "4",
         "actions:offsite_conversion.fb_pixel_purchase", "5120", "1.21", "12.35", "49.40", "6200", "7.97", "88",
         "0.56", "1.42%", "130", "2.10%", "0.38", "4", "312.00"],
        ["2026-11-22", "2026-11-22", "Winter Sale - Prospecting", "active", "7-day click or 1-day view", "6",
         "actions:offsite_conversion.fb_pixel_purchase", "6010", "1.19", "10.00", "60.00", "7150", "8.39", "97",
         "0.62", "1.36%", "140", "1.96%", "0.43", "6", "480.50"],
        ["2026-11-22", "2026-11-22", "Retargeting, \"cart\"", "active", "7-day click or 1-day view", "",
         "", "900", "1.5", "", "15.25", "1350", "11.30", "12", "1.27", "0.89%", "20", "1.48%", "0.76", "", ""],
        ["2026-11-16", "2026-11-22", "Winter Sale - Prospecting", "active", "7-day click or 1-day view", "30",
         "actions:offsite_conversion.fb_pixel_purchase", "30000", "1.4", "11.00", "330.00", "42000", "7.86", "500",
         "0.66", "1.19%", "800", "1.90%", "0.41", "30", "2400.00"]]


def main() -> None:
    write("ExportOrderList_tmall_short_2026-11-21.csv", csv_text(TMALL_SHORT, "\r\n"), "utf-8-sig")
    write("ExportOrderList_php_2026-11-22.csv", csv_text(TAOBAO_PHP, "\r\n"), "gbk")
    write("ExportOrderDetailList_2026-11-22.csv", csv_text(TAOBAO_ITEMS, "\r\n"), "gbk")
    write("jd_orders_2026-11-22.csv", csv_text(JD_ORDERS, "\r\n"), "gbk")
    write("pdd_orders_2026-11-22.csv", csv_text(PDD_ORDERS), "utf-8-sig")
    write("douyin_orders_2026-11-22.csv", csv_text(DOUYIN_ORDERS), "utf-8-sig")
    write("Campaign_report_utf16_2026-11-22.csv",
          "\r\n".join("\t".join(r) for r in GOOGLE_UTF16) + "\r\n", "utf-16")
    write("Meta-Ads-Campaigns-2026-11-22.csv", csv_text(META), "utf-8-sig")

    # 生意参谋 经营概况 as .xlsx: two title rows above the header, no date column (the day is in
    # the title), typed numbers, a percent cell and a text percent, a 万 amount
    write_xlsx(OUT / "【生意参谋平台】经营概况_2026-11-22_2026-11-22.xlsx", [("经营概况", [
        ["生意参谋 经营概况 店铺：测试店"],
        ["统计日期：2026-11-22 ~ 2026-11-22", None, None, "导出时间：2026-11-23 08:05:00"],
        ["访客数", "浏览量", "支付金额", "支付买家数", "支付转化率", "客单价", "跳失率", "加购人数", "下单买家数"],
        [12345, 30001, "12.35万", 310, Percent(0.0251), 398.39, "45.10%", 800, 340],
    ])])
    # JD's newer, shorter order export as .xlsx with a note line above the header and typed cells
    write_xlsx(OUT / "jd_orders_new_2026-11-23.xlsx", [("Sheet1", [
        ["说明：导出的订单明细"],
        ["订单号", "商品ID", "商品名称", "订购数量", "商家应收", "订单状态", "商家SKUID", "下单时间", "付款确认时间"],
        [301234567893, 100012345678, "保温杯 500ml", 1, 45, "等待确认收货", "BWB-500",
         dt.datetime(2026, 11, 23, 9, 0, 0), dt.datetime(2026, 11, 23, 9, 0, 30)],
        [301234567894, 100012345681, "礼盒", 2, Formula("45*2", 90.0), "已取消", "LH-01",
         dt.datetime(2026, 11, 23, 10, 0, 0), None],
    ])])
    # 拼多多 推广 (per product) as .xlsx: a title line, the header, two days and a 总计 row
    pdd_header = ["日期", "商品ID", "商品名称", "推广场景", "推广名称", "出价方式", "分组", "是否已删除", "成交花费(元)",
                  "交易额(元)", "实际投产比", "总花费(元)", "曝光量", "点击量"]
    write_xlsx(OUT / "推广-pdd_2026-11-21_2026-11-22.xlsx", [("推广", [
        ["名称：推广"],
        pdd_header,
        ["2026-11-22", "754299529443", "接考横幅", "稳定成本推广", "接考横幅", "目标投产比：5.80", "", "", "102.12",
         "701.07", "6.87", "102.12", "7677", "624"],
        ["2026-11-21", "754299529443", "接考横幅", "稳定成本推广", "接考横幅", "目标投产比：5.80", "", "", "80.00",
         "500.00", "6.25", "80.00", "6000", "500"],
        ["总计", "-", "-", "-", "-", "-", "-", "-", "182.12", "1201.07", "6.59", "182.12", "13677", "1124"],
    ])])

    # 生意参谋 商品排行 as an HTML table saved as .xls (what the console often serves), GBK
    rows = [["【生意参谋平台】商品_全部"], ["统计时间：2026-11-22 ~ 2026-11-22"],
            ["商品ID", "商品名称", "商品访客数", "商品浏览量", "支付金额", "支付件数", "商品加购人数", "支付买家数",
             "商品详情页跳出率"],
            ["612345678901", "羊毛围巾 秋冬款 &lt;限量&gt;", "1,024", "2,300", "￥3,456.70", "40", "88", "38", "52.30%"],
            ["612345678902", "保温杯 500ml", "512", "900", "1.2万", "150", "60", "120", "40.00%"]]
    body = "\n".join("<tr>" + "".join(
        (f'<td colspan="9">{c}</td>' if len(r) == 1 else f"<td>{c}</td>") for c in r) + "</tr>" for r in rows)
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"></head>'
            f'<body><table border="1">\n{body}\n</table></body></html>')
    (OUT / "【生意参谋平台】商品_全部_2026-11-22_2026-11-22.xls").write_bytes(html.encode("gbk"))


if __name__ == "__main__":
    main()
