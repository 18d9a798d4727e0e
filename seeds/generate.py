"""Demo data: a synthetic key-account (大客户) sales organisation and the weekly exports its
sales office sends to management. Seeded and deterministic; the committed files in
``seeds/`` are exactly what ``python seeds/generate.py`` writes (tests/test_seeds.py checks).

The story
---------
A systems/engineering company sells projects to key accounts all over China. Its 大客户部
has six regions (华北, 华东, 华南, 华中, 西南, 西北) and fourteen account managers
(大客户经理), two or three per region; each works mostly (~88 %) in their home region and
now and then follows a customer into a neighbouring one. About 240 customers (metro
operators, power and water utilities, hospitals, banks, city investment groups …), graded
A–D (fewer A than D; A customers buy bigger projects and more of them). Five project
categories — 系统集成, 软件开发, 运维服务, 工程建设, 咨询服务 — with their own typical size
and margin (工程建设 big and thin, 咨询服务 small and fat). Amounts are in 万元, 50–5,000.

Projects are opened from March 2025 on (default: 1,800 project numbers ``KA-YYYY-NNNNN``)
and walk the six stages 客户开发 → 立项 → 提案 → 招投标 → 商务谈判 → 工程实施 with
log-normal stage durations (median 40/25/35/30/21 days, delivery ~120 days). Along the way:

* ~20 % are first recorded mid-funnel (at 立项, 提案 or 招投标: nobody entered the early stages);
* some skip a stage: 客户开发 → 提案 (no approval report), 立项 → 招投标, and 提案 → 商务谈判
  (单一来源 / 议标: no tender);
* some fall back from 商务谈判 to 提案 (customer asked for a re-scoped proposal), then
  return to 商务谈判 without a new tender;
* some leave early: dropped (放弃 at 客户开发/提案, 未入围 at 立项, 不投标 at 招投标 when the
  margin is under the floor) or lost (丢单/输单 at 提案/招投标/商务谈判), with a reason
  (丢单原因) — except a few that have none;
* won projects are 已签约 on entering 工程实施 and 已验收 when delivery ends;
* ~6 % stay far longer than usual in one stage (stalled).

Every Monday the sales office exports the project list (ten snapshots, 2026-09-21 …
2026-11-23). Expected sign dates are pushed out whenever they come close; amounts and
margin estimates are revised at each stage change; sales expense accrues over time.

Planted problems (on purpose; the dashboard must surface each of them)
----------------------------------------------------------------------
1. Margin below the 15 % floor: ~8 % of projects are estimated at 6–14.5 %.
2. Bids below the floor: about half of the below-floor projects that reach 招投标 still
   bid (投标金额 filled) instead of declining; the other half are 不投标 with the reason
   "成本过高，毛利低于公司底线，不投标".
3. Negative margins: 6 signed projects whose cost estimate overran during delivery (实际成本
   heading above 合同金额), and 2 open 商务谈判 projects priced at a loss (战略项目).
4. Margin eroding week by week: 20 open projects lose 0.8–1.8 points in every weekly export.
5. Margin eroded since approval: every stage change shaves a little off; ~5 % of projects
   lose 3–5 points per stage.
6. Missing estimates after approval: 30 projects at 立项 or later have no 预计毛利率.
7. Sales-expense outliers: 赵志强 (华中) spends ~3.4× and 孙浩 (西南) ~2.7× what their peers
   spend per 万元 of pipeline (sales expense / expected amount ~2.8 % and ~2.3 % vs < 1 %).
8. Expected sign dates pushed out: routinely when the date comes close, and 10 chronic
   cases pushed again in every weekly export.
9. Projects vanishing from a later export: 8 duplicate entries (same name and customer,
   a second 项目编号, never advanced) are deleted from 2026-11-02 on, and the stale open
   projects (no stage change for over 120 days; at most 12, 9 in the committed set) are
   purged in the 2026-10-19 clean-up. Deleted projects are also absent from the stage
   history.
10. Lost/dropped projects without a reason (~3 %).

The files (see seeds/README.md)
-------------------------------
* ``YYYY-MM-DD_ledger.xlsx`` — most weeks: the office's Excel ledger. A '填写说明' notes sheet
  first, then '项目台账': title row '大客户项目台账（截至2026年11月23日）', a blank row, the
  header row, one row per project, a '合计' row with SUM formulas. Amounts are numbers in
  万元, 预计毛利率 a ratio formatted as %, dates real Excel dates.
* ``YYYY-MM-DD_crm-export.csv`` — some weeks the CRM's own export (GB18030, CRLF): other
  header aliases (销售阶段, 商机状态, 大客户经理 …), stage names with 阶段 suffix, grades as 'A级',
  status words 跟进中/赢单/输单/已完成, amounts as text '1,234.50', margins '23.5%', dates
  '2026/3/5'.
* ``YYYY-MM-DD_ledger.csv`` — one week the ledger saved as CSV (GB18030, LF) with its 合计 row;
  amounts as text '1,234.50', margins as ratios 0.235, dates '2026年3月5日'.
* ``2026-11-23_stage-history.csv`` — the CRM's stage-change log (项目编号, 阶段, 进入日期,
  原阶段; GB18030, ISO dates) for the whole history. It is kept because the wide exports'
  stage-date columns hold one date per stage (the latest entry, as the CRM overwrites it)
  and so cannot express a fall-back and re-entry (商务谈判 → 提案 → 商务谈判), nor the
  order of changes before the first weekly snapshot; the log can.

Usage: ``python seeds/generate.py [--out DIR] [--projects N] [--seed S] [--weeks W]``.
From code (benchmarks): ``build(n_projects=…, seed=…)`` returns a :class:`Dataset`;
``write_snapshot(path, dataset, as_of, fmt)`` writes one export of it; ``generate(out_dir)``
writes the whole set. Needs only the standard library and xlsxwriter.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import xlsxwriter

# ---------------------------------------------------------------------------------------
# Constants of the story

DEFAULT_SEED = 20261123
DEFAULT_PROJECTS = 1800
DEFAULT_WEEKS = 10
END = date(2026, 11, 23)  # a Monday: the last weekly export
START = date(2025, 3, 3)  # the first project numbers
FLOOR = 0.15  # the company's margin floor (domain.toml thresholds.margin_floor)

DEV, APP, PRO, TEN, NEG, DEL = range(6)
STAGE_CODES = ("development", "approval", "proposal", "tender", "negotiation", "delivery")
STAGE_ZH = ("客户开发", "立项", "提案", "招投标", "商务谈判", "工程实施")
STAGE_DATE_HEADERS = ("客户开发日期", "立项日期", "提案日期", "投标日期", "谈判日期", "签约日期")
# median days in each stage (log-normal, sigma below); delivery ends in acceptance
STAGE_MEDIAN_DAYS = (40, 25, 35, 30, 21, 120)
EXPENSE_DAYS = 120  # sales expense saturates: ~63 % spent after 120 days
STAGE_SIGMA = 0.55

REGIONS = ("华北", "华东", "华南", "华中", "西南", "西北")
NEIGHBOURS = {
    "华北": ("西北", "华东", "华中"),
    "华东": ("华北", "华中", "华南"),
    "华南": ("华东", "华中", "西南"),
    "华中": ("华东", "华南", "华北"),
    "西南": ("华中", "西北", "华南"),
    "西北": ("华北", "西南"),
}
CITIES = {
    "华北": ("北京", "天津", "石家庄", "太原", "呼和浩特", "唐山"),
    "华东": ("上海", "南京", "杭州", "苏州", "合肥", "济南", "青岛", "宁波"),
    "华南": ("广州", "深圳", "南宁", "海口", "厦门", "福州"),
    "华中": ("武汉", "长沙", "郑州", "南昌", "宜昌"),
    "西南": ("成都", "重庆", "贵阳", "昆明", "绵阳"),
    "西北": ("西安", "兰州", "银川", "西宁", "乌鲁木齐"),
}
# (full name suffix, short name suffix used in project names)
ORG_TYPES = (
    ("地铁集团有限公司", "地铁"),
    ("供电公司", "供电公司"),
    ("水务集团有限公司", "水务"),
    ("市第一人民医院", "市一医院"),
    ("燃气集团有限公司", "燃气"),
    ("交通投资集团有限公司", "交投"),
    ("城市建设投资集团有限公司", "城投"),
    ("港务集团有限公司", "港务"),
    ("钢铁集团有限公司", "钢铁"),
    ("农村商业银行股份有限公司", "农商行"),
    ("市大数据中心", "大数据中心"),
    ("烟草专卖局", "烟草"),
    ("高速公路管理局", "高速"),
    ("职业技术学院", "职院"),
    ("市公安局", "公安局"),
    ("热力有限公司", "热力"),
)
GRADES = ("A", "B", "C", "D")
CUSTOMER_GRADE_WEIGHTS = (0.08, 0.20, 0.32, 0.40)
PROJECTS_PER_CUSTOMER_WEIGHT = {"A": 2.0, "B": 1.4, "C": 1.0, "D": 0.8}
GRADE_MEDIAN_AMOUNT = {"A": 900.0, "B": 450.0, "C": 220.0, "D": 130.0}  # 万元

# owner, home region, share of all projects
OWNERS = (
    ("王建国", "华北", 1.3), ("李娜", "华北", 1.0),
    ("张伟", "华东", 1.4), ("刘洋", "华东", 1.1), ("陈静", "华东", 0.9),
    ("杨帆", "华南", 1.2), ("黄丽", "华南", 0.9),
    ("赵志强", "华中", 1.0), ("周敏", "华中", 0.9),
    ("吴磊", "西南", 1.0), ("徐婷", "西南", 0.8), ("孙浩", "西南", 0.8),
    ("马俊", "西北", 0.9), ("朱红", "西北", 0.7),
)
HIGH_SPENDERS = {"赵志强": 3.4, "孙浩": 2.7}  # planted problem 7

# category: (amount factor, mean margin, topics)
CATEGORIES = {
    "系统集成": (1.2, 0.21, ("数据中心机房改造", "视频监控系统集成", "网络安全等级保护建设", "智能调度系统集成", "综合安防平台")),
    "软件开发": (0.8, 0.30, ("客户服务平台开发", "数据中台建设", "ERP系统升级", "移动办公系统开发", "智慧运营管理平台")),
    "运维服务": (0.5, 0.26, ("IT运维外包服务", "数据中心运维服务", "网络运维服务", "信息系统驻场运维")),
    "工程建设": (1.6, 0.18, ("弱电智能化工程", "光纤通信管网工程", "综合布线工程", "机电安装工程")),
    "咨询服务": (0.3, 0.33, ("数字化转型咨询", "信息化规划咨询", "等保测评咨询", "数据治理咨询")),
}
CATEGORY_WEIGHTS = (0.30, 0.22, 0.20, 0.15, 0.13)

DROP_REASONS = {
    DEV: ("客户需求不明确，停止跟进", "项目无预算", "客户暂缓建设"),
    APP: ("未入围供应商短名单",),
    PRO: ("客户关系推进无效，主动放弃", "项目范围与公司方向不符"),
    TEN: ("成本过高，毛利低于公司底线，不投标",),
}
LOST_REASONS = {
    PRO: ("客户选择了竞争对手的方案",),
    TEN: ("价格高于竞争对手", "技术评分落后", "竞争对手与客户关系更深", "资质不满足招标要求"),
    NEG: ("商务条款未能达成一致", "客户预算削减，项目取消", "付款条件无法接受"),
}
# how a dropped project is worded, by the stage it left
DROP_WORD = {DEV: "放弃", APP: "未入围", PRO: "放弃", TEN: "不投标"}


# ---------------------------------------------------------------------------------------
# The model


class Steps:
    """A value that changes at dates: ``at(d)`` is the last value set on or before ``d``."""

    __slots__ = ("dates", "values", "default")

    def __init__(self, default=None):
        self.dates: list[date] = []
        self.values: list = []
        self.default = default

    def set(self, on: date, value) -> None:
        i = bisect_right(self.dates, on)
        self.dates.insert(i, on)
        self.values.insert(i, value)

    def at(self, on: date):
        i = bisect_right(self.dates, on)
        return self.values[i - 1] if i else self.default

    def clear(self) -> None:
        self.dates.clear()
        self.values.clear()


@dataclass
class Project:
    index: int
    name: str
    customer: str
    grade: str
    region: str
    owner: str
    category: str
    created_on: date
    project_id: str = ""
    entries: list[tuple[date, int, int | None]] = field(default_factory=list)  # (entered, stage, from)
    won_on: date | None = None
    closed_on: date | None = None  # lost, dropped or completed
    close_status: str | None = None  # lost | dropped | completed
    close_word: str | None = None  # the status word the ledger writes
    close_reason: str | None = None
    delivery_end: date | None = None  # acceptance (planned or done)
    amount: Steps = field(default_factory=Steps)  # 万元
    margin: Steps = field(default_factory=Steps)  # ratio, None before the approval report
    margin_shown: bool = True  # planted 6: False = the estimate is missing in every export
    margin_drop: Steps = field(default_factory=lambda: Steps(0.0))  # planted 4: cumulative points
    bid: tuple[date, float] | None = None
    contract: tuple[date, float] | None = None
    budget: tuple[date, float] | None = None
    expense_total: float = 0.0  # 万元 a whole sales cycle costs; spent fast at first, then slower
    plan: Steps = field(default_factory=Steps)  # expected sign date
    plan_push: Steps = field(default_factory=lambda: Steps(0))  # planted 8: cumulative days
    cost_pace: float = 1.0  # planted 3: >1 = cost is spent faster than delivery progresses
    vanish_on: date | None = None  # first export the project is missing from
    tags: set[str] = field(default_factory=set)  # which story lines this project carries

    # -- state as of a date --------------------------------------------------------------
    def stage_at(self, d: date) -> int:
        stage = self.entries[0][1]
        for on, s, _ in self.entries:
            if on > d:
                break
            stage = s
        return stage

    def status_at(self, d: date) -> str:
        if self.closed_on is not None and self.closed_on <= d:
            return self.close_status  # type: ignore[return-value]
        if self.won_on is not None and self.won_on <= d:
            return "won"
        return "open"

    def true_margin_at(self, d: date) -> float | None:
        m = self.margin.at(d)
        if m is None:
            return None
        return round(m - self.margin_drop.at(d), 3)

    def sales_end(self) -> date | None:
        ends = [x for x in (self.won_on, self.closed_on) if x is not None]
        return min(ends) if ends else None

    def visible_at(self, d: date) -> bool:
        return self.created_on <= d and (self.vanish_on is None or d < self.vanish_on)

    def row(self, d: date) -> dict:
        """The project as an export dated ``d`` shows it, in canonical fields: amounts in
        万元, margin a ratio, stage an index 0–5, status open/won/lost/dropped/completed."""
        status = self.status_at(d)
        stage = self.stage_at(d)
        margin = self.true_margin_at(d) if self.margin_shown else None
        bid = self.bid[1] if self.bid and self.bid[0] <= d else None
        contract = self.contract[1] if self.contract and self.contract[0] <= d else None
        budget = self.budget[1] if self.budget and self.budget[0] <= d else None
        end = self.sales_end()
        spent_until = min(d, end) if end else d
        days = (spent_until - self.created_on).days
        expense = round(self.expense_total * (1 - math.exp(-days / EXPENSE_DAYS)), 2) or None
        actual_cost = None
        if contract is not None and self.won_on is not None:
            span = max((self.delivery_end - self.won_on).days, 1)  # type: ignore[operator]
            progress = min(1.0, self.cost_pace * (d - self.won_on).days / span)
            tm = self.true_margin_at(d)
            if progress > 0 and tm is not None:
                actual_cost = round(contract * (1 - tm) * progress, 1)
        if self.won_on is not None and self.won_on <= d:
            sign = self.won_on
        else:
            sign = self.plan.at(d) + timedelta(days=self.plan_push.at(d))
        stage_dates: list[date | None] = [None] * 6
        for on, s, _ in self.entries:
            if on <= d:
                stage_dates[s] = on  # the CRM overwrites the date when a stage is re-entered
        closed = status in ("lost", "dropped")
        return {
            "project_id": self.project_id,
            "project_name": self.name,
            "customer": self.customer,
            "customer_grade": self.grade,
            "region": self.region,
            "owner": self.owner,
            "category": self.category,
            "stage": stage,
            "status": status,
            "close_word": self.close_word if status in ("lost", "dropped") else None,
            "expected_amount": self.amount.at(d),
            "contract_amount": contract,
            "estimated_margin": margin,
            "bid_amount": bid,
            "actual_cost": actual_cost,
            "expense_budget": budget,
            "expense_actual": expense,
            "expected_sign_on": sign,
            "created_on": self.created_on,
            "stage_dates": stage_dates,
            "lost_reason": self.close_reason if closed else None,
        }


@dataclass
class Dataset:
    seed: int
    snapshots: list[date]  # the Mondays, oldest first
    projects: list[Project]

    def rows(self, as_of: date) -> list[dict]:
        return [p.row(as_of) for p in self.projects if p.visible_at(as_of)]

    def history(self, as_of: date | None = None) -> list[tuple[str, int, date, int | None]]:
        """(project_id, stage, entered_on, previous stage) for every stage entry up to
        ``as_of`` of every project still in the CRM then (deleted ones are gone)."""
        as_of = as_of or self.snapshots[-1]
        out = []
        for p in self.projects:
            if not p.visible_at(as_of):
                continue
            out.extend((p.project_id, s, on, prev) for on, s, prev in p.entries if on <= as_of)
        return out

    def by_tag(self, tag: str) -> list[Project]:
        return [p for p in self.projects if tag in p.tags]


# ---------------------------------------------------------------------------------------
# Building the organisation and simulating the projects


def _lognormal_days(rng: random.Random, median: float, stretch: float = 1.0) -> int:
    return max(3, round(median * stretch * math.exp(rng.gauss(0.0, STAGE_SIGMA))))


def _wan(x: float) -> float:
    """Round an amount in 万元 to 0.1 (1,000 元), as offices quote them."""
    return round(x, 1)


def _customers(rng: random.Random) -> list[tuple[str, str, str, str]]:
    """(full name, short name, region, grade), about 40 per region, at least one A each."""
    out = []
    for region in REGIONS:
        names = [(c + full, c + short) for c in CITIES[region] for full, short in ORG_TYPES]
        rng.shuffle(names)
        chosen = sorted(names[:40])
        grades = rng.choices(GRADES, weights=CUSTOMER_GRADE_WEIGHTS, k=len(chosen))
        if "A" not in grades:
            grades[0] = "A"
        out.extend((full, short, region, g) for (full, short), g in zip(chosen, grades, strict=True))
    return out


def _simulate(p: Project, rng: random.Random, entry: int, base_margin: float,
              stretch: tuple[int, float], steep_erosion: bool, until: date) -> None:
    """Walk one project through the stages from ``p.created_on`` up to ``until`` (the last
    export); fills entries, outcome, amounts, margins, bid, contract and budget."""
    t = p.created_on
    stage = entry
    p.entries.append((t, stage, None))
    amount = p.amount.at(t)
    margin = base_margin
    fell_back = False

    def enter(on: date, stage: int) -> None:
        """What entering a stage records: the approval report's margin and expense budget
        (and every later re-estimate), the tender price, the signed contract."""
        if stage >= APP:
            p.margin.set(on, round(margin, 3))
            if p.budget is None:
                p.budget = (on, max(0.5, _wan(p.amount.at(on) * rng.uniform(0.012, 0.03))))
        if stage == TEN and p.bid is None:
            if margin >= FLOOR or rng.random() < 0.5:
                p.bid = (on, _wan(p.amount.at(on) * rng.uniform(0.95, 1.02)))
                if margin < FLOOR:
                    p.tags.add("bid_below_floor")
            # else: no price is prepared; the project declines when the tender stage ends
        if stage == DEL:
            base = p.bid[1] if p.bid else p.amount.at(on)
            p.contract = (on, _wan(base * rng.uniform(0.95, 1.0)))
            p.won_on = on
            p.tags.add("won")

    enter(t, stage)
    while True:
        days = _lognormal_days(rng, STAGE_MEDIAN_DAYS[stage], stretch[1] if stretch[0] == stage else 1.0)
        t_next = t + timedelta(days=days)
        if stage == DEL:
            p.delivery_end = t_next  # planned acceptance, if still in the future
        if t_next > until:
            return  # what happens after the last export is nobody's business yet
        if stage == DEL:
            p.closed_on, p.close_status, p.close_word = t_next, "completed", None
            p.tags.add("completed")
            return
        r = rng.random()
        nxt: int | None = None
        lost = dropped = False
        if stage == DEV:
            if r < 0.22:
                dropped = True
            else:
                nxt = PRO if rng.random() < 0.05 else APP
        elif stage == APP:
            if r < 0.14:
                dropped = True
            else:
                nxt = TEN if rng.random() < 0.03 else PRO
        elif stage == PRO:
            if r < 0.10:
                dropped = True
            elif r < 0.15:
                lost = True
            else:
                nxt = NEG if fell_back or rng.random() < 0.08 else TEN
        elif stage == TEN:
            if margin < FLOOR and p.bid is None:
                dropped = True  # declined to bid: the process says so
            elif r < 0.32:
                lost = True
            else:
                nxt = NEG
        elif stage == NEG:
            if r < 0.12:
                lost = True
            elif r < 0.20 and not fell_back:
                fell_back = True
                nxt = PRO
            else:
                nxt = DEL
        if dropped or lost:
            p.closed_on = t_next
            p.close_status = "dropped" if dropped else "lost"
            p.close_word = DROP_WORD[stage] if dropped else rng.choice(("丢单", "丢单", "输单"))
            reasons = (DROP_REASONS if dropped else LOST_REASONS)[stage]
            p.close_reason = None if rng.random() < 0.03 else rng.choice(reasons)
            if p.close_reason is None:
                p.tags.add("no_reason")
            if dropped and stage == TEN:
                p.tags.add("no_bid")
            p.tags.add(p.close_status)
            return
        assert nxt is not None
        if nxt < stage:
            p.tags.add("fallback")
        elif nxt > stage + 1:
            p.tags.add("skip")
        # a stage change revises the amount and (a little, usually downwards) the margin
        if nxt == DEL:
            factor = rng.uniform(0.92, 1.0)
        else:
            factor = rng.uniform(0.9, 1.08)
        amount = _wan(min(5000.0, max(50.0, amount * factor)))
        p.amount.set(t_next, amount)
        margin += rng.gauss(-0.004, 0.008) - (rng.uniform(0.03, 0.05) if steep_erosion else 0.0)
        margin = max(margin, 0.03)  # losses are planted separately (problem 3)
        p.entries.append((t_next, nxt, stage))
        enter(t_next, nxt)
        t, stage = t_next, nxt


def _plan(p: Project, rng: random.Random, end: date) -> None:
    """The expected sign date over time: a first guess at creation (the median remaining
    durations), then pushed out by 2–8 weeks whenever it comes within a week while the
    project is still open — the way sales managers keep a date alive."""
    first = p.entries[0][1]
    remaining = sum(STAGE_MEDIAN_DAYS[first:DEL])
    plan = p.created_on + timedelta(days=remaining + rng.randint(-15, 30))
    p.plan.set(p.created_on, plan)
    stop = min(x for x in (p.sales_end(), end + timedelta(days=1)) if x is not None)
    t = p.created_on + timedelta(days=rng.randint(3, 7))
    while t < stop:
        if t >= plan - timedelta(days=7):
            plan = plan + timedelta(days=rng.randint(14, 56))
            p.plan.set(t, plan)
            p.tags.add("pushed")
        t += timedelta(days=7)


def build(n_projects: int = DEFAULT_PROJECTS, seed: int = DEFAULT_SEED, weeks: int = DEFAULT_WEEKS,
          end: date = END) -> Dataset:
    """Simulate the organisation: ``n_projects`` project numbers, ``weeks`` Monday exports
    ending on ``end``. Same arguments, same dataset."""
    if weeks < 2 or n_projects < 50:
        raise ValueError("need at least 2 weeks and 50 projects")
    rng = random.Random(seed)
    snapshots = [end - timedelta(weeks=k) for k in range(weeks - 1, -1, -1)]
    first_export = snapshots[0]
    customers = _customers(rng)
    by_region: dict[str, list[tuple[str, str, str, str]]] = {r: [] for r in REGIONS}
    for c in customers:
        by_region[c[2]].append(c)
    owner_names = [o[0] for o in OWNERS]
    owner_weights = [o[2] for o in OWNERS]
    home = {o[0]: o[1] for o in OWNERS}
    owner_spend = {name: HIGH_SPENDERS.get(name, rng.uniform(0.85, 1.15)) for name in owner_names}
    categories = list(CATEGORIES)
    span = (end - START).days

    n_duplicates = 8 if n_projects >= 400 else 0
    projects: list[Project] = []
    names_seen: set[str] = set()
    for i in range(n_projects - n_duplicates):
        prng = random.Random(f"{seed}/{i}")  # one stream per project: planting never reshuffles others
        owner = prng.choices(owner_names, weights=owner_weights)[0]
        region = home[owner] if prng.random() < 0.88 else prng.choice(NEIGHBOURS[home[owner]])
        pool = by_region[region]
        full, short, _, grade = prng.choices(pool, weights=[PROJECTS_PER_CUSTOMER_WEIGHT[c[3]] for c in pool])[0]
        category = prng.choices(categories, weights=CATEGORY_WEIGHTS)[0]
        amount_factor, margin_mean, topics = CATEGORIES[category]
        name = short + prng.choice(topics) + "项目"
        phase = 1
        while name in names_seen:
            phase += 1
            # 二期 … 九期, then 10期, 11期 …: a large organisation runs out of numerals, not names
            numeral = "一二三四五六七八九"[phase - 1] if phase <= 9 else str(phase)
            name = f"{short}{prng.choice(topics)}项目（{numeral}期）"
        names_seen.add(name)
        created = START + timedelta(days=int(span * prng.random() ** 0.7))  # busier lately
        p = Project(i, name, full, grade, region, owner, category, created)
        amount = GRADE_MEDIAN_AMOUNT[grade] * amount_factor * math.exp(prng.gauss(0, 0.6))
        p.amount.set(created, _wan(min(5000.0, max(50.0, amount))))
        low = prng.random() < 0.08
        if low:
            base_margin = prng.uniform(0.06, 0.145)
            p.tags.add("below_floor")
        else:
            base_margin = prng.gauss(margin_mean, 0.035)
            while not FLOOR + 0.005 <= base_margin <= 0.45:
                base_margin = prng.gauss(margin_mean, 0.035)
        r = prng.random()
        entry = DEV if r < 0.80 else APP if r < 0.89 else PRO if r < 0.96 else TEN
        if entry != DEV:
            p.tags.add("mid_funnel")
        stretch = (prng.randrange(5), prng.uniform(3.0, 5.0)) if prng.random() < 0.06 else (-1, 1.0)
        if stretch[0] >= 0:
            p.tags.add("stretched")
        steep = prng.random() < 0.05
        if steep:
            p.tags.add("eroded_by_stage")
        _simulate(p, prng, entry, base_margin, stretch, steep, end)
        p.expense_total = p.amount.at(created) * prng.uniform(0.012, 0.02) * owner_spend[owner]
        _plan(p, prng, end)
        projects.append(p)

    # planted 9a: duplicate entries of projects open at the first export, deleted later
    cleanup_dup = snapshots[min(6, weeks - 1)]
    open_early = [p for p in projects if p.status_at(first_export) == "open"
                  and p.created_on < first_export - timedelta(days=21)]
    for orig in (rng.sample(open_early, n_duplicates) if n_duplicates else []):
        created = orig.created_on + timedelta(days=rng.randint(3, 14))
        d = Project(len(projects), orig.name, orig.customer, orig.grade, orig.region, orig.owner,
                    orig.category, created)
        d.entries.append((created, DEV, None))
        d.amount.set(created, orig.amount.at(orig.created_on))
        d.plan.set(created, orig.plan.at(orig.created_on))
        d.expense_total = 0.0
        d.vanish_on = cleanup_dup
        d.tags.update({"duplicate", "vanished"})
        projects.append(d)

    # project numbers follow the order projects were opened: KA-<year>-<n within year>
    projects.sort(key=lambda p: (p.created_on, p.index))
    per_year: dict[int, int] = {}
    for p in projects:
        per_year[p.created_on.year] = per_year.get(p.created_on.year, 0) + 1
        p.project_id = f"KA-{p.created_on.year}-{per_year[p.created_on.year]:05d}"

    def untouched(p: Project) -> bool:
        return not (p.tags & {"duplicate", "vanished", "negative", "eroding", "missing_margin", "chronic_push"})

    def open_through(p: Project, a: date, b: date) -> bool:
        return p.status_at(a) == "open" and p.status_at(b) == "open" and p.created_on <= a

    # planted 9b: the 2026-10-19 clean-up deletes stale open projects
    cleanup_stale = snapshots[min(4, weeks - 1)]
    stale = sorted(
        (p for p in projects if untouched(p) and p.created_on <= cleanup_stale
         and p.status_at(cleanup_stale) == "open"
         and max(on for on, _, _ in p.entries if on <= cleanup_stale) < cleanup_stale - timedelta(days=120)),
        key=lambda p: (p.entries[0][0], p.project_id),
    )
    for p in stale[:12]:
        p.vanish_on = cleanup_stale
        p.tags.add("vanished")

    # planted 3: cost overruns on signed projects, and loss-leaders in negotiation
    def delivered_share(p: Project) -> float:
        return (end - p.won_on).days / max(1, (p.delivery_end - p.won_on).days)  # type: ignore[operator]

    delivering = [p for p in projects if untouched(p) and p.won_on and p.won_on <= end - timedelta(days=45)
                  and p.status_at(end) == "won" and p.margin.at(end) is not None and delivered_share(p) >= 0.5]
    for p in rng.sample(delivering, min(6, len(delivering))):
        on = max(p.won_on + timedelta(days=14), first_export - timedelta(days=rng.randint(0, 40)))  # type: ignore[operator]
        on = min(on, end - timedelta(days=3))
        p.margin.set(on, round(rng.uniform(-0.10, -0.02), 3))
        p.cost_pace = 1.6  # the money is gone before the work is done
        p.tags.update({"negative", "overrun"})
    negotiating = [p for p in projects if untouched(p) and p.status_at(end) == "open"
                   and p.stage_at(end) == NEG and p.margin.at(end) is not None]
    for p in rng.sample(negotiating, min(2, len(negotiating))):
        neg_on = max(on for on, s, _ in p.entries if s == NEG and on <= end)
        p.margin.set(neg_on, round(rng.uniform(-0.06, -0.01), 3))
        p.tags.add("negative")

    # planted 4: margins eroding in every weekly export
    mid = [p for p in projects if untouched(p) and open_through(p, first_export, end)
           and p.stage_at(first_export) >= PRO and (p.margin.at(first_export) or 0) >= 0.2]
    for p in rng.sample(mid, min(20, len(mid))):
        drop = 0.0
        for s in snapshots[1:]:
            drop = round(drop + rng.uniform(0.008, 0.018), 3)
            p.margin_drop.set(s - timedelta(days=3), drop)
        p.tags.add("eroding")

    # planted 6: no margin estimate although past approval
    approved = [p for p in projects if untouched(p) and p.status_at(end) in ("open", "won")
                and p.stage_at(end) >= APP]
    for p in rng.sample(approved, min(30, len(approved))):
        p.margin_shown = False
        p.tags.add("missing_margin")

    # planted 8: chronic pushers, pushed again before every export
    pushable = [p for p in projects if untouched(p) and open_through(p, first_export, end)]
    for p in rng.sample(pushable, min(10, len(pushable))):
        push = 0
        for s in snapshots[1:]:
            push += rng.randint(14, 35)
            p.plan_push.set(s - timedelta(days=2), push)
        p.tags.update({"chronic_push", "pushed"})

    for p in projects:
        if p.margin_shown and any(p.true_margin_at(s) is not None and p.true_margin_at(s) < 0 for s in snapshots):
            p.tags.add("negative")
    return Dataset(seed=seed, snapshots=snapshots, projects=projects)


# ---------------------------------------------------------------------------------------
# Writing exports

LEDGER_HEADERS = (
    "项目编号", "项目名称", "客户名称", "客户等级", "区域", "负责人", "项目分类", "当前阶段", "状态",
    "预计签约金额（万元）", "合同金额（万元）", "预计毛利率", "投标金额（万元）", "实际成本（万元）",
    "销售费用预算（万元）", "销售费用（万元）", "预计签约时间", "创建日期", *STAGE_DATE_HEADERS, "丢单原因",
)
CRM_HEADERS = (
    "项目编号", "项目名称", "客户名称", "客户级别", "大区", "大客户经理", "项目类型", "销售阶段", "商机状态",
    "预计签约金额(万元)", "签约金额(万元)", "毛利率", "投标报价(万元)", "实际成本(万元)",
    "销售费用预算(万元)", "实际销售费用(万元)", "预计签约日期", "创建时间", *STAGE_DATE_HEADERS, "失败原因",
)
LEDGER_CSV_HEADERS = tuple(h.replace("（", "(").replace("）", ")") for h in LEDGER_HEADERS)
AMOUNT_FIELDS = ("expected_amount", "contract_amount", "bid_amount", "actual_cost", "expense_budget", "expense_actual")
# status words as each kind of export writes them (lost/dropped use the project's own word)
LEDGER_STATUS = {"open": "进行中", "won": "已签约", "completed": "已验收"}
CRM_STATUS = {"open": "跟进中", "won": "赢单", "completed": "已完成"}
CRM_LOST = {"丢单": "输单", "输单": "输单"}

FORMATS = ("ledger_xlsx", "crm_csv", "ledger_csv")
FILE_NAMES = {"ledger_xlsx": "{}_ledger.xlsx", "crm_csv": "{}_crm-export.csv", "ledger_csv": "{}_ledger.csv"}
HISTORY_NAME = "{}_stage-history.csv"
HISTORY_HEADERS = ("项目编号", "阶段", "进入日期", "原阶段")

NOTES = (
    "填写说明",
    "",
    "1. 本台账由大客户部每周一更新，标题行注明数据截止日期；请勿修改表头。",
    "2. 金额单位均为万元，保留两位小数；预计毛利率 =（预计签约金额 − 成本估算）/ 预计签约金额。",
    "3. 当前阶段取值：客户开发、立项、提案、招投标、商务谈判、工程实施。",
    "4. 状态取值：进行中、已签约、已验收、丢单、放弃、未入围、不投标；丢单、放弃、未入围、不投标须填写丢单原因。",
    "5. 各阶段日期填写项目进入该阶段的日期；项目重新进入某阶段时覆盖原日期。",
    "6. 立项后须填写预计毛利率和销售费用预算；毛利率低于15%的项目原则上不投标，特殊情况须书面说明。",
    "7. 最后一行为合计行，由公式自动计算。",
)


def format_for_week(i: int, weeks: int) -> str:
    """Which export a week gets: mostly the Excel ledger, some weeks the CRM's CSV, one the
    ledger saved as CSV; the last week is always the ledger."""
    if i == weeks - 1:
        return "ledger_xlsx"
    return {2: "crm_csv", 5: "ledger_csv"}.get(i % 6, "ledger_xlsx")


def _cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _slash_date(d: date) -> str:
    return f"{d.year}/{d.month}/{d.day}"


def _ratio(m: float) -> str:
    text = f"{m:.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _status_word(row: dict, fmt: str) -> str:
    if row["status"] in ("lost", "dropped"):
        word = row["close_word"]
        return CRM_LOST.get(word, word) if fmt == "crm_csv" else word
    return (CRM_STATUS if fmt == "crm_csv" else LEDGER_STATUS)[row["status"]]


def _csv_bytes(header: tuple[str, ...], records: list[list[str]], newline: str) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(records)
    return buf.getvalue().encode("gb18030")


def csv_snapshot_bytes(dataset: Dataset, as_of: date, fmt: str) -> bytes:
    """A weekly export as CSV bytes (GB18030). ``fmt`` is 'crm_csv' or 'ledger_csv'."""
    rows = dataset.rows(as_of)
    crm = fmt == "crm_csv"
    to_date = _slash_date if crm else _cn_date
    records = []
    for r in rows:
        m = r["estimated_margin"]
        rec = [
            r["project_id"], r["project_name"], r["customer"],
            r["customer_grade"] + "级" if crm else r["customer_grade"],
            r["region"], r["owner"], r["category"],
            STAGE_ZH[r["stage"]] + ("阶段" if crm else ""),
            _status_word(r, fmt),
        ]
        for f in AMOUNT_FIELDS:
            if f == "bid_amount":  # the margin column sits between contract and bid amounts
                rec.append("" if m is None else (f"{m * 100:.1f}%" if crm else _ratio(m)))
            v = r[f]
            rec.append("" if v is None else f"{v:,.2f}")
        rec += [to_date(r["expected_sign_on"]), to_date(r["created_on"])]
        rec += ["" if d is None else to_date(d) for d in r["stage_dates"]]
        rec.append(r["lost_reason"] or "")
        records.append(rec)
    if crm:
        return _csv_bytes(CRM_HEADERS, records, "\r\n")
    total = ["合计"] + [""] * (len(LEDGER_CSV_HEADERS) - 1)
    for f in AMOUNT_FIELDS:
        col = LEDGER_CSV_HEADERS.index(_LEDGER_COLUMN[f])
        total[col] = f"{sum(r[f] or 0 for r in rows):,.2f}"
    records.append(total)
    return _csv_bytes(LEDGER_CSV_HEADERS, records, "\n")


_LEDGER_COLUMN = {
    "expected_amount": "预计签约金额(万元)", "contract_amount": "合同金额(万元)", "bid_amount": "投标金额(万元)",
    "actual_cost": "实际成本(万元)", "expense_budget": "销售费用预算(万元)", "expense_actual": "销售费用(万元)",
}


def history_bytes(dataset: Dataset, as_of: date | None = None) -> bytes:
    records = [
        [pid, STAGE_ZH[s], on.isoformat(), "" if prev is None else STAGE_ZH[prev]]
        for pid, s, on, prev in sorted(dataset.history(as_of), key=lambda e: (e[0], e[2], e[1]))
    ]
    return _csv_bytes(HISTORY_HEADERS, records, "\r\n")


def _col(n: int) -> str:
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def write_ledger_xlsx(path: Path, dataset: Dataset, as_of: date) -> None:
    """The office's Excel ledger: '填写说明' then '项目台账' (title, blank, header, rows, 合计)."""
    rows = dataset.rows(as_of)
    wb = xlsxwriter.Workbook(str(path))
    # fixed metadata so the same data gives the same bytes
    wb.set_properties({"title": "大客户项目台账", "author": "大客户部", "company": "大客户部",
                       "created": datetime(as_of.year, as_of.month, as_of.day, 9, 0, 0)})
    notes = wb.add_worksheet("填写说明")
    notes.set_column(0, 0, 100)
    bold = wb.add_format({"bold": True, "font_size": 14})
    for i, line in enumerate(NOTES):
        notes.write_string(i, 0, line, bold if i == 0 else None)

    ws = wb.add_worksheet("项目台账")
    title_fmt = wb.add_format({"bold": True, "font_size": 16, "align": "center"})
    head_fmt = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "align": "center"})
    money = wb.add_format({"num_format": "#,##0.00"})
    pct = wb.add_format({"num_format": "0.0%"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    total_fmt = wb.add_format({"bold": True, "num_format": "#,##0.00", "top": 1})
    total_label = wb.add_format({"bold": True, "top": 1})

    ncol = len(LEDGER_HEADERS)
    title = f"大客户项目台账（截至{as_of.year}年{as_of.month}月{as_of.day}日）"
    ws.merge_range(0, 0, 0, ncol - 1, title, title_fmt)
    ws.set_row(2, 32)
    for c, h in enumerate(LEDGER_HEADERS):
        ws.write_string(2, c, h, head_fmt)
    widths = (15, 36, 30, 8, 7, 8, 10, 10, 8) + (12,) * 7 + (12, 12) + (12,) * 6 + (28,)
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    ws.freeze_panes(3, 2)

    first = 3
    for i, r in enumerate(rows):
        y = first + i
        ws.write_string(y, 0, r["project_id"])
        ws.write_string(y, 1, r["project_name"])
        ws.write_string(y, 2, r["customer"])
        ws.write_string(y, 3, r["customer_grade"])
        ws.write_string(y, 4, r["region"])
        ws.write_string(y, 5, r["owner"])
        ws.write_string(y, 6, r["category"])
        ws.write_string(y, 7, STAGE_ZH[r["stage"]])
        ws.write_string(y, 8, _status_word(r, "ledger_xlsx"))
        for c, f in ((9, "expected_amount"), (10, "contract_amount"), (12, "bid_amount"), (13, "actual_cost"),
                     (14, "expense_budget"), (15, "expense_actual")):
            if r[f] is not None:
                ws.write_number(y, c, r[f], money)
        if r["estimated_margin"] is not None:
            ws.write_number(y, 11, r["estimated_margin"], pct)
        ws.write_datetime(y, 16, datetime.combine(r["expected_sign_on"], datetime.min.time()), day)
        ws.write_datetime(y, 17, datetime.combine(r["created_on"], datetime.min.time()), day)
        for k, d in enumerate(r["stage_dates"]):
            if d is not None:
                ws.write_datetime(y, 18 + k, datetime.combine(d, datetime.min.time()), day)
        if r["lost_reason"]:
            ws.write_string(y, 24, r["lost_reason"])
    last = first + len(rows) - 1
    y = last + 1
    ws.write_string(y, 0, "合计", total_label)
    for c, f in ((9, "expected_amount"), (10, "contract_amount"), (12, "bid_amount"), (13, "actual_cost"),
                 (14, "expense_budget"), (15, "expense_actual")):
        value = round(sum(r[f] or 0 for r in rows), 2)
        ws.write_formula(y, c, f"=SUM({_col(c)}{first + 1}:{_col(c)}{last + 1})", total_fmt, value)
    ws.activate()
    wb.close()


# ---------------------------------------------------------------------------------------
# Visit reports (销售日报) and receivables (回款), issue 13

VISITS_NAME = "{}_visit-reports.xlsx"
RECEIVABLES_NAME = "{}_receivables.xlsx"
TARGETS_NAME = "{}_targets.xlsx"
# The year's quarterly sales targets per region (万元), as the sales office sets them in its
# 目标责任书: round numbers near what each region signs, some above and some below it, so the
# weekly review shows attainment on both sides of 100 %.
QUARTER_TARGETS_WAN = {
    "华东": (12000, 12000), "华南": (8000, 9000), "华北": (4500, 4500),
    "华中": (3500, 3000), "西南": (6500, 7000), "西北": (4000, 5000),
}
VISIT_WEEKS = 8  # the visit workbook covers the 8 weeks up to the last export
VISIT_HEADERS = ("日期", "序号", "拜访客户", "项目编号", "联系人", "拜访时间", "拜访目的", "商谈结果", "客户类别", "预定再访时间", "其他记录")
# visits per open project per working day by grade (A more often than C): ~ the domain.toml targets / 21
VISIT_RATE = {"A": 0.16, "B": 0.085, "C": 0.045, "D": 0.02}
SELDOM_VISITS = {"孙浩": 0.25, "朱红": 0.5}  # planted 10: two people far below the visit quota
CONTACTS = ("王工", "李总", "张主任", "刘经理", "陈处长", "赵科长", "孙总工", "周主任")
RESULTS = {"开发": ("了解需求", "约定技术交流", "递交资料"), "服务": ("回访满意", "处理问题", "培训完成"),
           "订货": ("确认订单意向", "谈价格", "商定合同条款"), "收款": ("答应月底付款", "已催办", "财务流程中")}
RECEIVABLE_HEADERS = ("项目编号", "项目名称", "合同金额", "开票金额", "开票日期", "约定回款日期", "回款金额", "回款日期", "应收余额")


def _working_days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=k) for k in range((last - first).days + 1) if (first + timedelta(days=k)).weekday() < 5]


def visit_rows(dataset: Dataset) -> dict[str, list[tuple]]:
    """Per person (sheet), the visits of the VISIT_WEEKS weeks up to the last export:
    (date, seq, customer as written, project id or '', contact, time, purpose, result,
    category, planned revisit or None, notes). Deterministic. Planted: two people far below
    the quota; every fifth open A-grade project never visited; project ids left out on ~15 %
    of rows (matched by name when the customer has one project, else flagged ambiguous);
    customers written with full-width spaces; prospects that are no project yet; projects
    won more often after four visits than lost."""
    rng = random.Random(f"{dataset.seed}/visits")
    end = dataset.snapshots[-1]
    first = end - timedelta(weeks=VISIT_WEEKS) + timedelta(days=1)
    days = _working_days(first, end)
    by_customer: dict[str, int] = {}
    for p in dataset.projects:
        by_customer[p.customer] = by_customer.get(p.customer, 0) + 1
    skipped_a = {p.project_id for p in dataset.projects if p.grade == "A"
                 and p.status_at(end) == "open" and p.index % 5 == 0}
    out: dict[str, list[tuple]] = {o[0]: [] for o in OWNERS}
    for d in days:
        for p in dataset.projects:
            if not p.visible_at(d) or p.project_id in skipped_a:
                continue
            status = p.status_at(d)
            if status != "open":
                continue
            rate = VISIT_RATE[p.grade] * SELDOM_VISITS.get(p.owner, 1.0)
            ending = p.sales_end()
            if ending is not None and (ending - d).days <= 60:  # the decision nears: more visits
                rate *= 2.5 if p.won_on is not None and p.won_on == ending else 0.8
            if rng.random() >= rate:
                continue
            stage = p.stage_at(d)
            purpose = ("开发" if stage <= 1 else rng.choice(("开发", "服务")) if stage <= 3
                       else rng.choice(("订货", "订货", "服务")))
            won_before = any(q.customer == p.customer and q.won_on is not None and q.won_on < d for q in dataset.projects
                             if q.customer == p.customer)
            category = "原有" if won_before else ("新增" if (d - p.created_on).days <= 90 else "开发")
            customer = p.customer if rng.random() > 0.05 else p.customer[:2] + "\u3000" + p.customer[2:]
            pid = p.project_id if rng.random() > 0.15 else ""
            revisit = d + timedelta(days=rng.choice((3, 5, 7, 7, 14))) if rng.random() < 0.45 else None
            hour = rng.choice((9, 10, 11, 14, 15, 16))
            out[p.owner].append((d, customer, pid, rng.choice(CONTACTS), f"{hour}:00-{hour + 1}:00", purpose,
                                 rng.choice(RESULTS[purpose]), category, revisit, ""))
        if d.weekday() == 2:  # prospects: customers with no project yet
            owner = OWNERS[(d.toordinal() // 7) % len(OWNERS)][0]
            out[owner].append((d, f"{OWNERS[(d.toordinal() // 7) % len(OWNERS)][1]}新兴科技有限公司", "", rng.choice(CONTACTS),
                               "10:00-11:00", "开发", "初次拜访", "开发", None, "潜在客户"))
    # every person reports on the last export's day (the file's date), at least one visit
    for name, rows in out.items():
        if not any(r[0] == end for r in rows):
            mine = [p for p in dataset.projects if p.owner == name and p.visible_at(end) and p.status_at(end) == "open"
                    and p.project_id not in skipped_a]
            if mine:
                p = mine[0]
                rows.append((end, p.customer, p.project_id, CONTACTS[0], "9:00-10:00", "服务", "回访满意", "原有", None, ""))
    for name in out:
        out[name].sort(key=lambda r: (r[0], r[1], r[2]))
    return {k: v for k, v in out.items() if v}


def write_visits_xlsx(path: Path, dataset: Dataset) -> None:
    """The sales office's collected daily reports: one sheet per person, a merged title
    「销售日报（…）」, a merged 「填报人：… 区域：…」 row (no person column), the header, one row
    per visit (序号 restarting each day), dates as Excel dates except some typed as text."""
    end = dataset.snapshots[-1]
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"title": "销售日报", "author": "大客户部", "company": "大客户部",
                       "created": datetime(end.year, end.month, end.day, 9, 0, 0)})
    title_fmt = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    head_fmt = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    home = {o[0]: o[1] for o in OWNERS}
    first = end - timedelta(weeks=VISIT_WEEKS) + timedelta(days=1)
    for name, rows in visit_rows(dataset).items():
        ws = wb.add_worksheet(name)
        n = len(VISIT_HEADERS)
        ws.merge_range(0, 0, 0, n - 1, f"销售日报（{first.isoformat()} 至 {end.isoformat()}）", title_fmt)
        ws.merge_range(1, 0, 1, n - 1, f"填报人：{name}　区域：{home[name]}")
        for c, h in enumerate(VISIT_HEADERS):
            ws.write_string(2, c, h, head_fmt)
        ws.set_column(0, 0, 12)
        ws.set_column(2, 2, 30)
        seq, last = 0, None
        for i, (d, customer, pid, contact, time, purpose, result, category, revisit, notes) in enumerate(rows):
            y = 3 + i
            seq = seq + 1 if d == last else 1
            last = d
            if i % 17 == 5:  # typed by hand as text
                ws.write_string(y, 0, f"{d.year}年{d.month}月{d.day}日")
            else:
                ws.write_datetime(y, 0, datetime.combine(d, datetime.min.time()), day)
            ws.write_number(y, 1, seq)
            ws.write_string(y, 2, customer)
            if pid:
                ws.write_string(y, 3, pid)
            ws.write_string(y, 4, contact)
            ws.write_string(y, 5, time)
            ws.write_string(y, 6, purpose)
            ws.write_string(y, 7, result)
            ws.write_string(y, 8, category)
            if revisit is not None:
                ws.write_datetime(y, 9, datetime.combine(revisit, datetime.min.time()), day)
            if notes:
                ws.write_string(y, 10, notes)
    wb.close()


def receivable_rows(dataset: Dataset) -> list[tuple]:
    """One row per invoice line of every won project (万元): (project id, name, contract,
    invoiced, invoice date, agreed date, collected, payment date, balance). Planted: most
    invoices paid within days of the agreed date, some paid late or in part across a month
    end, some unpaid >90 days, and won projects with nothing invoiced after months."""
    rng = random.Random(f"{dataset.seed}/receivables")
    end = dataset.snapshots[-1]
    out = []
    for p in sorted(dataset.projects, key=lambda q: q.project_id):
        if p.won_on is None or p.won_on > end or not p.visible_at(end) or p.contract is None:
            continue
        contract = p.contract[1]
        if p.index % 9 == 4:  # planted 11: won, nothing invoiced or collected yet
            out.append((p.project_id, p.name, contract, 0.0, None, None, 0.0, None, 0.0))
            continue
        shares = (0.3, 0.6) if (end - p.won_on).days > 120 else (0.3,)
        for k, share in enumerate(shares):
            on = p.won_on + timedelta(days=7 + 120 * k)
            if on > end:
                break
            invoiced = round(contract * share, 2)
            due = on + timedelta(days=30)
            fate = rng.random()
            if fate < 0.55:
                paid, paid_on = invoiced, due + timedelta(days=rng.randint(-10, 5))
            elif fate < 0.75:
                paid, paid_on = round(invoiced * 0.5, 2), due + timedelta(days=rng.randint(-5, 20))
            elif fate < 0.9:
                paid, paid_on = invoiced, due + timedelta(days=rng.randint(20, 75))
            else:
                paid, paid_on = 0.0, None
            if paid_on is not None and paid_on > end:
                paid, paid_on = 0.0, None
            out.append((p.project_id, p.name, contract, invoiced, on, due, paid, paid_on, round(invoiced - paid, 2)))
    return out


def write_receivables_xlsx(path: Path, dataset: Dataset) -> None:
    """The finance office's receivables ledger: title 「应收账款台账（截至…）」, 「单位：万元」,
    the header, one row per invoice line (合同金额 repeated on each line of a project), a
    bottom 合计 row with SUM formulas."""
    end = dataset.snapshots[-1]
    rows = receivable_rows(dataset)
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"title": "应收账款台账", "author": "财务部", "company": "大客户部",
                       "created": datetime(end.year, end.month, end.day, 9, 0, 0)})
    ws = wb.add_worksheet("应收账款")
    title_fmt = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    head_fmt = wb.add_format({"bold": True, "bg_color": "#E2EFDA", "border": 1})
    money = wb.add_format({"num_format": "#,##0.00"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    total_fmt = wb.add_format({"bold": True, "num_format": "#,##0.00", "top": 1})
    n = len(RECEIVABLE_HEADERS)
    ws.merge_range(0, 0, 0, n - 1, f"应收账款台账（截至{end.year}年{end.month}月{end.day}日）", title_fmt)
    ws.write_string(1, 0, "单位：万元")
    for c, h in enumerate(RECEIVABLE_HEADERS):
        ws.write_string(2, c, h, head_fmt)
    ws.set_column(0, 0, 15)
    ws.set_column(1, 1, 36)
    for i, (pid, name, contract, invoiced, on, due, paid, paid_on, balance) in enumerate(rows):
        y = 3 + i
        ws.write_string(y, 0, pid)
        ws.write_string(y, 1, name)
        ws.write_number(y, 2, contract, money)
        ws.write_number(y, 3, invoiced, money)
        if on is not None:
            ws.write_datetime(y, 4, datetime.combine(on, datetime.min.time()), day)
            ws.write_datetime(y, 5, datetime.combine(due, datetime.min.time()), day)
        ws.write_number(y, 6, paid, money)
        if paid_on is not None:
            ws.write_datetime(y, 7, datetime.combine(paid_on, datetime.min.time()), day)
        ws.write_number(y, 8, balance, money)
    y = 3 + len(rows)
    ws.write_string(y, 0, "合计", total_fmt)
    for c, k in ((3, 3), (6, 6), (8, 8)):
        ws.write_formula(y, c, f"=SUM({_col(c)}4:{_col(c)}{y})", total_fmt, round(sum(r[k] for r in rows), 2))
    wb.close()


def write_targets_xlsx(path: Path, dataset: Dataset) -> None:
    """The sales office's targets: 区域 / 年度 / 季度 / 目标金额（万元）, Q3 and Q4 of the last
    snapshot's year per region; the quarter written two ways (第三季度, Q4) and a 合计 row
    at the bottom (dropped by the importer, never counted)."""
    end = dataset.snapshots[-1]
    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"title": "销售目标", "author": "销售管理部", "company": "大客户部",
                       "created": datetime(end.year, 1, 5, 9, 0, 0)})
    ws = wb.add_worksheet(f"{end.year}年目标")
    head_fmt = wb.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1})
    for c, h in enumerate(("区域", "年度", "季度", "目标金额（万元）")):
        ws.write_string(0, c, h, head_fmt)
    y = 1
    for quarter, label in ((0, "第三季度"), (1, "Q4")):
        for region, amounts in QUARTER_TARGETS_WAN.items():
            ws.write_string(y, 0, region)
            ws.write_number(y, 1, end.year)
            ws.write_string(y, 2, label)
            ws.write_number(y, 3, amounts[quarter])
            y += 1
    ws.write_string(y, 0, "合计")
    ws.write_number(y, 3, sum(a for pair in QUARTER_TARGETS_WAN.values() for a in pair))
    wb.close()


def write_snapshot(path: Path, dataset: Dataset, as_of: date, fmt: str) -> Path:
    """Write one weekly export of ``dataset`` as it stood on ``as_of`` in format ``fmt``."""
    path = Path(path)
    if fmt == "ledger_xlsx":
        write_ledger_xlsx(path, dataset, as_of)
    elif fmt in ("crm_csv", "ledger_csv"):
        path.write_bytes(csv_snapshot_bytes(dataset, as_of, fmt))
    else:
        raise ValueError(f"unknown format {fmt!r}; one of {FORMATS}")
    return path


def planned_files(dataset: Dataset) -> list[tuple[str, str, date]]:
    """(file name, format, as-of) of the whole set, in file-name (= load) order."""
    weeks = len(dataset.snapshots)
    out = []
    for i, d in enumerate(dataset.snapshots):
        fmt = format_for_week(i, weeks)
        out.append((FILE_NAMES[fmt].format(d.isoformat()), fmt, d))
    out.append((HISTORY_NAME.format(dataset.snapshots[-1].isoformat()), "history_csv", dataset.snapshots[-1]))
    out.append((VISITS_NAME.format(dataset.snapshots[-1].isoformat()), "visits_xlsx", dataset.snapshots[-1]))
    out.append((RECEIVABLES_NAME.format(dataset.snapshots[-1].isoformat()), "receivables_xlsx", dataset.snapshots[-1]))
    out.append((TARGETS_NAME.format(dataset.snapshots[-1].isoformat()), "targets_xlsx", dataset.snapshots[-1]))
    return sorted(out)


def generate(out_dir: Path | str = Path(__file__).parent, *, n_projects: int = DEFAULT_PROJECTS,
             seed: int = DEFAULT_SEED, weeks: int = DEFAULT_WEEKS, end: date = END) -> list[Path]:
    """Write the whole demo set (one export per week plus the stage history) into
    ``out_dir``; removes earlier generated exports there first. Returns the paths in load order."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in list(out.glob("????-??-??_*.xlsx")) + list(out.glob("????-??-??_*.csv")):
        old.unlink()
    dataset = build(n_projects, seed, weeks, end)
    paths = []
    for name, fmt, as_of in planned_files(dataset):
        path = out / name
        if fmt == "history_csv":
            path.write_bytes(history_bytes(dataset))
        elif fmt == "visits_xlsx":
            write_visits_xlsx(path, dataset)
        elif fmt == "receivables_xlsx":
            write_receivables_xlsx(path, dataset)
        elif fmt == "targets_xlsx":
            write_targets_xlsx(path, dataset)
        else:
            write_snapshot(path, dataset, as_of, fmt)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write the demo exports of the synthetic 大客户 sales organisation.")
    ap.add_argument("--out", default=str(Path(__file__).parent), help="output folder (default: seeds/)")
    ap.add_argument("--projects", type=int, default=DEFAULT_PROJECTS, help=f"project numbers (default {DEFAULT_PROJECTS})")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    ap.add_argument("--weeks", type=int, default=DEFAULT_WEEKS, help=f"weekly exports (default {DEFAULT_WEEKS})")
    args = ap.parse_args(argv)
    if args.weeks < 2 or args.projects < 50:
        ap.error("need --weeks >= 2 and --projects >= 50")
    paths = generate(args.out, n_projects=args.projects, seed=args.seed, weeks=args.weeks)
    for p in paths:
        print(f"{p.stat().st_size:>9,}  {p}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
