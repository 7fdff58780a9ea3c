"""The made-up business behind ``shopreport demo``: its two shops, products, traffic and ads.

Everything here is an immutable description (frozen dataclasses holding tuples); the random
simulation that turns it into orders lives in :mod:`flows.demo.simulate`. The numbers are chosen
so that the reports have something to say: weekday seasonality, ~20 % year-over-year growth,
双11 and Black Friday / Cyber Monday peaks, one product per shop with a sizing problem (a visibly
high refund rate), a Tmall product whose sales fade out over the last six weeks (a declining
product that stops selling on the end date) and ad campaigns on both sides of the break-even ROAS.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.settings import ShopConfig

TMALL = "tmall"
SHOPIFY = "shopify"


@dataclass(frozen=True)
class Product:
    sku: str
    title: str
    price_cents: int
    weight: float  # relative popularity
    refund_factor: float = 1.0  # multiplies the shop's refund rates for orders holding it
    peak_month: int | None = None  # seasonal item: popularity peaks in this month
    compare_at_cents: int | None = None  # Shopify "compare at" price (item on sale)
    refund_reason: str | None = None  # the usual reason when it comes back
    fade_weeks: int = 0  # sales fade out over the last weeks, to none on the end date (0: never)


@dataclass(frozen=True)
class Region:
    """Where buyers live (fake street addresses are made up per buyer on top of this)."""

    province: str
    city: str
    district: str  # Tmall: 区; Shopify: ZIP code
    weight: float
    code: str = ""  # Shopify: two-letter state code
    tax_rate: float = 0.0  # Shopify: sales tax collected for this state
    shipping_cents: int = 0  # Tmall: 邮费 charged to remote regions


@dataclass(frozen=True)
class TrafficSource:
    """A 生意参谋 traffic source: its share of paying buyers and its visitor conversion."""

    name: str
    buyer_share: float
    conversion: float
    follows_cart_boost: bool = False  # its share grows on promotion days (carts checked out)
    pages_per_visitor: float = 2.8
    add_to_cart_rate: float = 0.09
    favorite_rate: float = 0.04
    bounce_rate: float = 0.45


@dataclass(frozen=True)
class DiscountCode:
    """A Shopify discount code: ``percent`` off the items for a ``share`` of eligible orders."""

    code: str
    percent: float
    share: float
    applies_to: str  # "promotion" (promotion days only), "new_buyer" or "any"


@dataclass(frozen=True)
class Campaign:
    """An ad campaign (直通车 plan, 万相台 scene plan, Google Ads campaign)."""

    campaign_id: str
    name: str
    group_id: str  # 场景ID (Tmall) or campaign type (Google Ads)
    group_name: str  # 场景名字 (Tmall) or campaign type (Google Ads)
    traffic_share: float  # clicks as a share of the feeding traffic (see ShopModel.ad_traffic)
    ctr: float
    cpc: float  # in the shop's currency
    roas: float  # attributed revenue / cost
    direct_share: float = 0.7  # 直接成交金额 / 总成交金额
    feeds: str = ""  # Tmall: the traffic source its clicks arrive through
    paused_every: int = 0  # paused 2 days in every `paused_every` (0: never)


@dataclass(frozen=True)
class ShopModel:
    """One demo shop: its configuration and the parameters of its simulated business."""

    shop: ShopConfig
    promotions: str  # TMALL (双11, 618) or SHOPIFY (BFCM, holidays)
    paid_orders_per_day: float  # baseline at the end date, before seasonality
    weekday_factors: tuple[float, ...]  # Monday .. Sunday
    yearly_growth: float
    unpaid_rate: float
    full_refund_rate: float
    partial_refund_rate: float
    returning_share: tuple[float, float]  # share of orders from earlier buyers: first day, last day
    same_day_repeat: float  # share of orders from a buyer who already ordered that day
    lines_per_order: tuple[float, ...]  # probability of 1, 2, 3 … distinct products
    quantity: tuple[float, ...]  # probability of quantity 1, 2, 3 … per line
    hourly_weights: tuple[float, ...]  # 24 relative weights, local time
    peak_hourly_weights: tuple[float, ...]  # on the biggest promotion day
    pay_delay_seconds: float  # mean delay between order creation and payment
    products: tuple[Product, ...]
    regions: tuple[Region, ...]
    sources: tuple[TrafficSource, ...] = ()  # Tmall: 生意参谋 sources
    conversion: float = 0.03  # visitor conversion when there are no per-source figures
    campaigns: tuple[Campaign, ...] = ()
    refund_reasons: tuple[str, ...] = ()
    discount_codes: tuple[DiscountCode, ...] = ()


def tmall_flagship() -> ShopModel:
    """天猫旗舰店: a home-textiles and apparel brand, ~250 paid orders a day, one product per order."""
    products = (
        Product("TM-BED-01", "简约纯棉四件套 全棉床单被套 1.8m床", 39900, 0.8),
        Product("TM-MAT-02", "冰丝凉席三件套 可水洗 夏季空调席", 23900, 0.6, peak_month=7),
        Product("TM-QLT-03", "加厚羽绒被 冬季保暖被芯", 36900, 0.5, peak_month=12),
        Product("TM-PIL-04", "记忆棉护颈枕 慢回弹枕头 单只装", 15900, 1.0),
        Product("TM-BLK-05", "珊瑚绒毛毯 午睡盖毯", 12900, 0.9, peak_month=1),
        Product("TM-TWL-06", "全棉A类毛巾 3条装", 5900, 1.6),
        Product("TM-PNT-07", "弹力修身休闲裤 男士直筒长裤", 19900, 1.0, refund_factor=4.0,
                refund_reason="尺码不合适"),
        Product("TM-CDG-08", "羊毛混纺针织开衫 女士", 29900, 0.6, refund_factor=1.5),
        Product("TM-SLP-09", "情侣款居家棉拖鞋", 6900, 1.2),
        Product("TM-CUP-10", "不锈钢保温杯 500ml", 9900, 1.1),
        Product("TM-BOX-11", "桌面收纳盒 三件套", 7900, 1.0),
        Product("TM-EYE-12", "真丝眼罩 遮光睡眠", 8900, 0.7, fade_weeks=6),
    )
    sources = (
        TrafficSource("手淘搜索", 0.38, 0.055, pages_per_visitor=3.1, add_to_cart_rate=0.11,
                      favorite_rate=0.05, bounce_rate=0.38),
        TrafficSource("手淘推荐", 0.14, 0.012, pages_per_visitor=1.9, add_to_cart_rate=0.04,
                      favorite_rate=0.03, bounce_rate=0.62),
        TrafficSource("直通车", 0.13, 0.040, pages_per_visitor=2.6, add_to_cart_rate=0.09,
                      favorite_rate=0.04, bounce_rate=0.47),
        TrafficSource("万相台", 0.08, 0.030, pages_per_visitor=2.4, add_to_cart_rate=0.08,
                      favorite_rate=0.04, bounce_rate=0.50),
        TrafficSource("直接访问", 0.06, 0.060, pages_per_visitor=3.4, add_to_cart_rate=0.12,
                      favorite_rate=0.06, bounce_rate=0.33),
        TrafficSource("购物车", 0.16, 0.150, follows_cart_boost=True, pages_per_visitor=2.2,
                      add_to_cart_rate=0.20, favorite_rate=0.02, bounce_rate=0.25),
        TrafficSource("其他", 0.05, 0.020, pages_per_visitor=2.0, add_to_cart_rate=0.05,
                      favorite_rate=0.03, bounce_rate=0.55),
    )
    campaigns = (
        Campaign("72615001", "品牌词-精准", "120001", "关键词推广", 0.25, 0.080, 0.90, 6.0,
                 direct_share=0.8, feeds="直通车"),
        Campaign("72615002", "类目大词-拉新", "120001", "关键词推广", 0.45, 0.012, 2.80, 1.5,
                 direct_share=0.55, feeds="直通车"),
        Campaign("72615003", "竞品词-截流", "120001", "关键词推广", 0.30, 0.025, 2.00, 2.6,
                 direct_share=0.65, feeds="直通车"),
        Campaign("72615101", "货品加速-爆款拉升", "120005", "货品加速", 1.0, 0.018, 1.60, 3.5,
                 direct_share=0.7, feeds="万相台"),
    )
    return ShopModel(
        shop=ShopConfig(id="tmall_flagship", name="天猫旗舰店", platform="tmall", currency="CNY",
                        timezone="Asia/Shanghai", gross_margin=0.45),
        promotions=TMALL,
        paid_orders_per_day=250,
        weekday_factors=(0.95, 0.94, 0.96, 0.97, 1.0, 1.15, 1.15),
        yearly_growth=0.20,
        unpaid_rate=0.05,
        full_refund_rate=0.06,
        partial_refund_rate=0.02,
        returning_share=(0.28, 0.38),
        same_day_repeat=0.015,
        lines_per_order=(1.0,),
        quantity=(0.72, 0.20, 0.08),
        hourly_weights=(2.0, 1.2, 0.6, 0.3, 0.2, 0.2, 0.4, 0.9, 1.8, 3.0, 4.2, 4.4, 3.6, 3.8, 4.2,
                        4.3, 4.0, 3.6, 3.4, 4.1, 5.2, 5.9, 5.8, 4.0),
        peak_hourly_weights=(30.0, 12.0, 3.0, 1.0, 0.5, 0.5, 0.8, 1.5, 2.5, 3.5, 4.5, 4.5, 4.0, 4.0,
                             4.2, 4.2, 4.0, 3.8, 3.8, 4.5, 6.0, 7.5, 9.0, 8.0),
        pay_delay_seconds=240,
        products=products,
        regions=(
            Region("浙江省", "杭州市", "西湖区", 1.4),
            Region("上海", "上海市", "浦东新区", 1.3),
            Region("北京", "北京市", "朝阳区", 1.1),
            Region("广东省", "广州市", "天河区", 1.0),
            Region("广东省", "深圳市", "南山区", 1.0),
            Region("江苏省", "南京市", "鼓楼区", 0.9),
            Region("四川省", "成都市", "武侯区", 0.8),
            Region("湖北省", "武汉市", "洪山区", 0.7),
            Region("山东省", "青岛市", "市南区", 0.6),
            Region("新疆维吾尔自治区", "乌鲁木齐市", "天山区", 0.12, shipping_cents=1000),
            Region("西藏自治区", "拉萨市", "城关区", 0.05, shipping_cents=1000),
        ),
        sources=sources,
        campaigns=campaigns,
        refund_reasons=("七天无理由退换货", "不想要了", "商品质量问题", "拍错/多拍", "未按约定时间发货"),
    )


def shopify_us() -> ShopModel:
    """Shopify US Store: a small coffee-gear brand, ~40 orders a day, 1–3 line items per order."""
    products = (
        Product("MUG-BLU-01", "Ceramic Mug - Ocean Blue", 1800, 1.0),
        Product("MUG-WHT-01", "Ceramic Mug - Chalk White", 1800, 0.9),
        Product("TUM-BLK-12", "Insulated Tumbler 12 oz - Black", 2900, 0.8),
        Product("BEAN-HSE-01", "House Blend Coffee Beans 12 oz", 1600, 1.8),
        Product("BEAN-ETH-01", "Ethiopia Yirgacheffe Beans 12 oz", 2100, 1.2),
        Product("DRP-GLS-01", "Glass Pour-Over Dripper", 3400, 0.6),
        Product("FLT-PAP-01", "Paper Filters - 100 Pack", 1200, 1.2),
        Product("KTL-STL-01", "Gooseneck Kettle - Brushed Steel", 6900, 0.5, compare_at_cents=7900),
        Product("GRN-BUR-01", "Hand Burr Grinder", 8900, 0.4, refund_factor=1.5,
                compare_at_cents=9900),
        Product("TEE-LOG-01", "Logo Tee - Charcoal", 2800, 0.6, refund_factor=4.0,
                refund_reason="runs small"),
    )
    campaigns = (
        Campaign("brand", "Brand - Search", "Search", "Search", 0.030, 0.25, 0.60, 8.0),
        Campaign("generic", "Generic - Search", "Search", "Search", 0.055, 0.030, 1.40, 1.6),
        Campaign("shopping", "Shopping - All products", "Shopping", "Shopping", 0.040, 0.012,
                 0.90, 3.5),
        Campaign("pmax", "Performance Max", "Performance Max", "Performance Max", 0.025, 0.008,
                 1.10, 2.6, paused_every=19),
    )
    return ShopModel(
        shop=ShopConfig(id="shopify_us", name="Shopify US Store", platform="shopify",
                        currency="USD", timezone="America/New_York", gross_margin=0.5),
        promotions=SHOPIFY,
        paid_orders_per_day=40,
        weekday_factors=(1.15, 1.12, 1.02, 0.98, 0.92, 0.86, 0.95),
        yearly_growth=0.18,
        unpaid_rate=0.05,
        full_refund_rate=0.05,
        partial_refund_rate=0.02,
        returning_share=(0.30, 0.40),
        same_day_repeat=0.01,
        lines_per_order=(0.62, 0.28, 0.10),
        quantity=(0.80, 0.15, 0.05),
        hourly_weights=(0.8, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 1.6, 2.4, 3.0, 3.4, 3.8, 4.2, 4.0, 3.6,
                        3.4, 3.3, 3.5, 3.9, 4.4, 4.6, 4.2, 3.0, 1.6),
        peak_hourly_weights=(2.5, 1.5, 0.8, 0.4, 0.4, 1.0, 2.5, 4.0, 4.8, 5.0, 4.8, 4.6, 4.5, 4.2,
                             3.8, 3.6, 3.4, 3.5, 3.8, 4.2, 4.3, 3.9, 3.0, 2.0),
        pay_delay_seconds=4,
        products=products,
        regions=(
            Region("New York", "New York", "10001", 1.5, code="NY", tax_rate=0.08875),
            Region("New Jersey", "Jersey City", "07302", 0.5, code="NJ", tax_rate=0.06625),
            Region("California", "Los Angeles", "90012", 1.2, code="CA"),
            Region("Texas", "Austin", "78701", 0.8, code="TX"),
            Region("Florida", "Miami", "33101", 0.6, code="FL"),
            Region("Illinois", "Chicago", "60601", 0.5, code="IL"),
            Region("Washington", "Seattle", "98101", 0.5, code="WA"),
            Region("Massachusetts", "Boston", "02108", 0.4, code="MA"),
            Region("Colorado", "Denver", "80202", 0.3, code="CO"),
            Region("Oregon", "Portland", "97201", 0.3, code="OR"),
        ),
        conversion=0.022,
        campaigns=campaigns,
        discount_codes=(
            DiscountCode("BFCM25", 0.25, 0.65, "promotion"),
            DiscountCode("WELCOME10", 0.10, 0.15, "new_buyer"),
            DiscountCode("COFFEE15", 0.15, 0.04, "any"),
        ),
    )


def demo_shops() -> tuple[ShopModel, ...]:
    """The demo shops, in the order they appear in the configuration."""
    return (tmall_flagship(), shopify_us())
