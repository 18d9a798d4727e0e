"""Every string the UI shows, in English and 中文, and how numbers look in each language.

Owns: the UI text table (``t``), display names of stages, statuses, checks, changes and
aging buckets, and number/amount/date formatting per language and amount unit (元 / 万元).
Codes (stage ``development``, check ``below_floor`` …) stay codes everywhere else; they
become words only here, at the UI edge (the margin checks' words: their registry,
queries/checks.py). Pure: must not import streamlit.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import polars as pl

from dashboard.config import get_config
from queries import checks
from queries.checks import MARGIN_CHECKS

LANGS = ("zh", "en")
# How a missing value reads everywhere (figures, table cells, report facts), in both languages.
MISSING = "–"
UNITS = ("wan", "yuan")  # 万元 (10,000 元) or 元

# key -> (English, 中文). Placeholders use str.format names.
STRINGS: dict[str, tuple[str, str]] = {
    # app and navigation
    "app_title": ("Key-account pipeline", "大客户项目管道"),
    "page_weekly": ("Weekly review", "周例会"),
    "page_funnel": ("Funnel", "漏斗转化"),
    "page_aging": ("Stage aging", "阶段停留"),
    "page_margin": ("Margin", "毛利检查"),
    "page_project": ("Project", "项目详情"),
    "page_data": ("Data", "数据导入"),
    # sidebar
    "unit": ("Amounts in", "金额单位"),
    "unit_help": ("万元 shows amounts in ¥ millions (¥M; 1 ¥M = 100 万元 = ¥1,000,000); 元 shows whole yuan (¥). "
                  "The choice stays in the link.",
                  "1 万元 = 10,000 元。英文界面中“万元”显示为百万元（¥M）。"),
    "filters": ("Filters", "筛选"),
    "as_of": ("Snapshot (as of)", "快照日期"),
    "as_of_help": ("Which weekly export to look at; the comparison uses the one before it.",
                   "查看哪一周的导出数据；对比使用其前一期快照。"),
    "region": ("Region", "区域"),
    "grade": ("Customer grade", "客户等级"),
    "owner": ("Account manager", "大客户经理"),
    "category": ("Category", "项目分类"),
    "product_line": ("Product line", "项目产品线"),
    "all": ("All", "全部"),
    "compared_with": ("Compared with {since}", "对比 {since}"),
    "no_previous": ("No earlier snapshot to compare with.", "没有更早的快照可对比。"),
    "link_hint": ("The filters are in the address bar: copy the link to share this view.",
                  "筛选条件保存在网址中：复制链接即可分享当前视图。"),
    # generic messages
    "empty_db": ("No data yet. Upload a CRM export on the **Data** page to start.",
                 "还没有数据。请在 **数据导入** 页面上传 CRM 导出文件。"),
    "go_data": ("Go to the Data page", "前往数据导入"),
    "empty_db_reader": ("No data for you yet: the sales office has not imported any export covering your regions.",
                        "暂无可显示的数据：销售管理部尚未导入包含您所辖区域的导出文件。"),
    "empty_filter": ("No projects match these filters. Widen the filters in the sidebar.",
                     "没有符合筛选条件的项目。请在侧边栏放宽筛选条件。"),
    "query_failed": ("Could not compute “{what}”. The error is below; the full details are in the server log.",
                     "无法计算「{what}」。错误见下方；完整信息已记录在服务器日志中。"),
    "section_failed": ("Not shown: “{what}” could not be computed (the error is shown above).",
                       "未显示：「{what}」计算失败（错误见上方）。"),
    # demo data (issue 9, B1)
    "demo_banner": ("**Demo data** — these figures come from a made-up organisation ({n} demo imports, {first} to "
                    "{last}), not from your CRM. Your first import of your own exports removes them; or remove them "
                    "now on the Data page.",
                    "**演示数据** — 这些数字来自一个虚构的组织（{n} 次演示导入，{first} 至 {last}），不是您的 CRM 数据。"
                    "首次导入您自己的导出文件时会自动删除演示数据；也可以现在在“数据导入”页面删除。"),
    "demo_go_data": ("Upload your own exports, or remove the demo data", "上传自己的导出文件，或删除演示数据"),
    "demo_will_be_removed": ("Importing also removes the demo data ({n} imports, {first} to {last}) in the same step, "
                             "so the review compares your own snapshots only.",
                             "导入时会同时删除演示数据（{n} 次导入，{first} 至 {last}），周例会只对比您自己的快照。"),
    "demo_removed_note": ("The demo data ({n} imports) was removed: the dashboard now shows only your data.",
                          "已删除演示数据（{n} 次导入）：看板现在只显示您自己的数据。"),
    "demo_title": ("Demo data", "演示数据"),
    "demo_remove_help": ("Takes every demo import out in one step; your own imports are not touched.",
                         "一步删除全部演示导入；不影响您自己的导入。"),
    "remove_demo": ("Remove the demo data", "删除演示数据"),
    "is_demo": ("Demo data", "演示数据"),
    "table_capped": ("Showing the first {shown} of {total} rows, in the order above. The CSV and Excel "
                     "downloads have all {total}; narrow the filters in the sidebar to list fewer.",
                     "按上述顺序显示前 {shown} 行（共 {total} 行）。CSV 和 Excel 下载包含全部 {total} 行；"
                     "在侧边栏缩小筛选范围可减少列出的行数。"),
    "select_mark_hint": ("Click a bar or cell to list its projects.", "点击柱形或单元格可列出对应项目。"),
    "download_csv": ("CSV", "CSV"),
    "download_xlsx": ("Excel", "Excel"),
    "projects_behind": ("Projects behind: {what}", "明细项目：{what}"),
    "clear_selection": ("Clear", "清除"),
    # weekly review
    "weekly_caption": ("Snapshot {as_of} · change since {since}", "快照 {as_of} · 对比 {since}"),
    "weekly_caption_first": ("Snapshot {as_of} · first snapshot", "快照 {as_of} · 首期快照"),
    "kpi_open_amount": ("Open pipeline", "在手管道金额"),
    "kpi_open_count": ("Open projects", "在跟项目数"),
    "kpi_in_progress": ("Projects in progress", "进行中项目"),
    "kpi_won": ("Won this week", "本周赢单"),
    "kpi_lost": ("Lost/dropped this week", "本周丢单/放弃"),
    "kpi_win_rate": ("Win rate", "赢单率"),
    "kpi_stalled": ("Stalled projects", "停滞项目"),
    "kpi_margin_alerts": ("Margin alerts", "毛利预警"),
    "kpi_drill": ("Show the projects behind", "查看明细项目"),
    "waterfall": ("Pipeline: last week → this week", "管道变化：上周 → 本周"),
    "stalled_title": ("Stalled projects — need a decision", "停滞项目 — 需要决策"),
    "margin_alerts_title": ("Margin alerts — need a decision", "毛利预警 — 需要决策"),
    "changes_title": ("What changed this week", "本周变化"),
    "no_stalled": ("No stalled projects. 👍", "没有停滞项目。👍"),
    "no_alerts": ("No margin alerts.", "没有毛利预警。"),
    "no_changes": ("No changes between the two snapshots.", "两期快照之间没有变化。"),
    "change_counts_title": ("Projects and amounts by kind of change", "各类变化的项目数与金额"),
    "no_changes_of_kind": ("No project had the selected kind of change.", "没有项目发生所选类型的变化。"),
    "change_counts_hint": ("Select one or more rows to list only those changes below. Expected amount: the projects' "
                           "amount this week (last week's for one that vanished); amount change: what the change moved.",
                           "选中一行或多行，下方只列出这些变化。预计签约金额：这些项目本周的金额（消失的项目取上周）；"
                           "金额变化：该变化带来的金额变动。"),
    "pack_button": ("Download the weekly review pack (Excel)", "下载周例会资料包（Excel）"),
    "pack_summary": ("Summary", "摘要"),
    "pack_changes": ("Changes", "变化"),
    "pack_stalled": ("Stalled", "停滞"),
    "pack_margin": ("Margin alerts", "毛利预警"),
    "pack_funnel": ("Funnel region x grade", "漏斗-区域x等级"),
    "pack_forecast": ("Forecast", "预测"),
    "metric": ("Metric", "指标"),
    "value": ("Value", "数值"),
    "change": ("Change", "变化"),
    # funnel
    "funnel_title": ("Six-stage funnel", "六阶段漏斗"),
    "reached": ("Reached", "到达数"),
    "step_conversion": ("Step conversion", "阶段转化率"),
    "cumulative_conversion": ("Cumulative conversion", "累计转化率"),
    "decided_conversion": ("Decided conversion", "已决转化率"),
    "decided_help": ("Among projects that have left the stage (advanced or closed): open projects do not drag it down.",
                     "只计已离开该阶段（推进或关闭）的项目：仍在进行中的项目不会拉低它。"),
    "n_open_here": ("Open here", "在此阶段"),
    "n_lost_here": ("Lost here", "在此丢单"),
    "n_dropped_here": ("Dropped here", "在此放弃"),
    "n_skipped": ("Reached by skipping", "跳过到达"),
    "heat_by": ("Rows", "行维度"),
    "heat_metric": ("Colour", "颜色指标"),
    "rg_title": ("Funnel by region × customer grade", "区域 × 客户等级"),
    "rg_metric": ("Colour and number", "颜色与数值"),
    "rg_hint": ("Click a cell to list its projects.", "点击单元格可列出对应项目。"),
    "rg_cell": ("{region_label}: {region} · {grade_label}: {grade}", "{region_label}：{region} · {grade_label}：{grade}"),
    "reached_rate": ("Reached {stage}", "到达{stage}比例"),
    "n_reached": ("Reached {stage}", "到达{stage}"),
    "n_open": ("Open projects", "在跟项目数"),
    "n_won": ("Won", "赢单数"),
    "n_closed": ("Closed", "已关闭"),
    "n_lost": ("Lost or dropped", "丢单/放弃数"),
    "open_amount": ("Open pipeline", "在手管道金额"),
    "win_rate": ("Win rate", "赢单率"),
    "segment_stage_title": ("Conversion by segment × stage", "分维度 × 阶段转化"),
    "stage_projects": ("Projects that reached {stage}", "到达{stage}的项目"),
    "win_rate_drill": ("Show the closed projects behind the win rate", "查看赢单率所计的已关闭项目"),
    "win_rate_projects": ("Closed projects counted in the win rate ({won} won of {closed} closed)",
                          "赢单率所计的已关闭项目（{closed} 个关闭项目中赢 {won} 个）"),
    "win_rate_line": ("Win rate over closed projects: {rate} ({won} won of {closed} closed)",
                      "已关闭项目赢单率：{rate}（{closed} 个关闭项目中赢 {won} 个）"),
    # aging
    "aging_title": ("Projects in progress by stage and days in stage", "进行中项目：阶段与停留天数"),
    "in_progress_split": ("In progress = {open} open (the weekly review's “Open projects”) + {won} won and still in "
                          "implementation (a signed project can stall in delivery too).",
                          "进行中 = {open} 个在跟项目（即周例会的“在跟项目数”）+ {won} 个已赢单、仍在工程实施的项目"
                          "（已签约项目也可能在实施中停滞）。"),
    "aging_stalled_only": ("Stalled only", "只看停滞"),
    "aging_table": ("Projects in progress (stalled first)", "进行中项目（停滞在前）"),
    "durations_title": ("How long stages take (projects that left the stage)", "各阶段耗时（已离开该阶段的项目）"),
    "durations_by": ("By", "按"),
    "overall": ("Overall", "总体"),
    "median_days": ("Median days", "中位天数"),
    "p75_days": ("P75 days", "P75 天数"),
    "p90_days": ("P90 days", "P90 天数"),
    "count": ("Count", "数量"),
    "n": ("Projects", "项目数"),
    "durations_legend": ("Bar: median days · blue tick: P75 · red tick: P90.", "柱：中位天数 · 蓝色刻度：P75 · 红色刻度：P90。"),
    "days_in_stage": ("Days in stage", "停留天数"),
    "limit_days": ("Limit (days)", "上限（天）"),
    "is_stalled": ("Stalled", "停滞"),
    "entered_on": ("Entered on", "进入日期"),
    "on_date": ("Date", "日期"),
    "left_on": ("Left on", "离开日期"),
    "source": ("Source", "来源"),
    "aging_bucket": ("Age bucket", "停留区间"),
    # margin
    "checks_title": ("Failed checks", "未通过的检查"),
    "check_filter": ("Checks", "检查项"),
    "margin_dist": ("Margin distribution (open and won projects)", "毛利率分布（在跟与赢单项目）"),
    "margin_by_title": ("Margin and sales-expense ratio by segment", "分维度毛利率与销售费用率"),
    "margin": ("Margin", "毛利率"),
    "expense_ratio": ("Expense ratio", "费用率"),
    "floor": ("Floor", "底线"),
    "check": ("Check", "检查项"),
    "severity": ("Severity", "严重程度"),
    "threshold": ("Threshold", "阈值"),
    "detail": ("Detail", "说明"),
    # project page
    "project_pick": ("Project ID", "项目编号"),
    "project_pick_help": ("Type or pick a project number; tables and charts elsewhere link here.",
                          "输入或选择项目编号；其他页面的表格和图表可直接跳转到这里。"),
    "project_none": ("Pick a project, or select a row in any table.", "请选择一个项目，或在任意表格中选中一行。"),
    "project_unknown": ("No project with this ID in the data you may see.", "在您可见的数据中没有该项目编号。"),
    "timeline": ("Stage timeline", "阶段时间线"),
    "history": ("Across snapshots", "各期快照"),
    "flags": ("Flags", "预警"),
    "no_flags": ("This project raises no flags.", "该项目没有预警。"),
    "snapshots_table": ("Every snapshot", "全部快照"),
    "events_table": ("Stage events", "阶段事件"),
    "fell_back_note": ("Moved backwards", "阶段回退"),
    "skipped_note": ("Skipped", "跳过"),
    "skipped_on": ("Jumped over on", "跳过日期"),
    "skipped_to": ("Went straight to", "直接进入"),
    # data page
    "upload_title": ("Upload CRM exports", "上传 CRM 导出文件"),
    # Streamlit 1.67 draws the box's own words ("Upload", "… per file • CSV, XLSX") in English
    # with no way to translate them, so the label says in Chinese what the box does.
    "upload_label": ("CSV or Excel exports (one or more): drop them on the box below or click “Upload”; "
                     "up to {mb} MB per file",
                     "CSV 或 Excel 导出文件（可多个）：拖到下方框内，或点击框中的 “Upload”（上传）选择文件；"
                     "每个文件不超过 {mb} MB"),
    "upload_help": ("Nothing is written until you press Import; each file is checked first.",
                    "点击导入前不会写入任何数据；每个文件都会先校验。"),
    "report_heading": ("Validation report", "校验报告"),
    "report_ok": ("Ready to import: {accepted} rows accepted, {skipped} skipped.",
                  "可以导入：接受 {accepted} 行，跳过 {skipped} 行。"),
    "report_refused": ("Refused: this file has {n} error(s) and will not be imported. Nothing was written.",
                       "已拒绝：该文件有 {n} 个错误，不会导入。未写入任何数据。"),
    "as_of_for": ("As-of date for this file", "该文件的快照日期"),
    "as_of_source": ("Found from: {source}", "来源：{source}"),
    "as_of_found": ("As-of date found in", "快照日期来源"),
    # the importer's "as_of_today" note names the CLI option; on the web the date field is the fix
    "as_of_today_web": ("No date in the file name or title: taken as of today ({today}). If that is wrong, set the "
                        "as-of date in the date field above.",
                        "文件名和标题中都没有日期，数据日期按今天（{today}）计；如不对，请在上方的日期框中修改。"),
    "header_row": ("Header row", "表头所在行"),
    "encoding": ("Encoding", "编码"),
    "rows_read": ("Rows read", "读取行数"),
    "rows_with_errors": ("Rows with errors", "有错误的行数"),
    "rows_to_write": ("Rows to write", "将写入行数"),
    "rows_to_write_none": ("0 (refused)", "0（已拒绝）"),
    "columns_recognised": ("Columns recognised", "识别的列"),
    "errors": ("Errors", "错误"),
    "notes": ("Notes", "提示"),
    "commit": ("Import", "导入"),
    "commit_done": ("Imported {n} file(s). The dashboard now shows the new data.",
                    "已导入 {n} 个文件。看板已显示新数据。"),
    "commit_failed": ("The import failed and nothing was written. Details:", "导入失败，未写入任何数据。详情："),
    "store_out_of_memory": (
        "This change needs more memory than the database writer may use ({mb} MB), so it was refused: nothing "
        "was written and the dashboard shows the same data as before. Ask whoever runs the dashboard to raise "
        "PIPELINE_COMMIT_MEMORY_MB (or to run `dashboard rebuild` if the data was changed by hand), or import "
        "fewer files at once.",
        "本次更改所需内存超过数据库写入允许的上限（{mb} MB），已被拒绝：未写入任何数据，看板数据与之前相同。"
        "请联系看板管理员调高 PIPELINE_COMMIT_MEMORY_MB（若数据曾被手工修改，可运行 `dashboard rebuild`），"
        "或分批导入较少的文件。"),
    "mapping_failed": ("The mapping could not be saved. Details:", "映射无法保存。详情："),
    "mapping_title": ("Map unknown columns and stage names", "映射未识别的列和阶段名"),
    "mapping_help": ("Tell us what these mean; the mapping is saved and reused for the next file like this.",
                     "请指定它们的含义；映射会被保存，下次同类文件自动使用。"),
    "mapping_ignore": ("(ignore)", "（忽略）"),
    "mapping_save": ("Save mapping and check again", "保存映射并重新校验"),
    "mapping_saved": ("Mapping saved; the file was checked again with it:", "映射已保存，并已用它重新校验文件："),
    "history_title": ("Import history", "导入历史"),
    "remove_import": ("Remove import", "删除导入"),
    "remove_pick": ("Import to remove", "要删除的导入"),
    "remove_confirm": ("Yes, remove its snapshot rows and stage events", "确认删除其快照行和阶段事件"),
    "removed": ("Import {id} removed.", "已删除导入 {id}。"),
    "template_title": ("Blank template", "空白模板"),
    "template_zh": ("Template (中文 headers)", "模板（中文表头）"),
    "template_en": ("Template (English headers)", "模板（英文表头）"),
    "ingest_missing": ("The importer is not installed yet.", "导入模块尚未就绪。"),
    # the file name is shown above as plain text: spinner text renders Markdown (issue 10, item 7)
    "progress_reading": ("Checking the file …", "正在校验文件 …"),
    "progress_writing": ("Writing to the database …", "正在写入数据库 …"),
    "no_imports": ("No imports yet.", "还没有导入记录。"),
    # sign-in, roles, region scope (issue 10; dashboard/auth.py, docs/DEPLOY.md)
    "sign_in_needed": ("Sign in to see the key-account pipeline.", "请先登录，再查看大客户项目管道。"),
    "sign_in": ("Sign in", "登录"),
    "sign_out": ("Sign out", "退出登录"),
    "no_access": ("You are signed in, but you have no access yet: ask the sales office to add you to the "
                  "dashboard's access list. No data is shown.",
                  "您已登录，但还没有访问权限：请联系销售管理部把您加入看板的访问名单。当前不显示任何数据。"),
    "auth_incomplete": ("Sign-in is configured in .streamlit/secrets.toml, but [auth] lacks: {keys}. "
                        "Nothing is shown until it is complete (docs/DEPLOY.md).",
                        ".streamlit/secrets.toml 中已配置登录，但 [auth] 缺少：{keys}。补全之前不显示任何内容（见 docs/DEPLOY.md）。"),
    "local_refused": ("Refused: this server listens on {address}, which other computers can reach, and sign-in is "
                      "not configured. Configure sign-in in .streamlit/secrets.toml (below; docs/DEPLOY.md), or "
                      "serve on 127.0.0.1 only (make run does).",
                      "已拒绝：服务器监听在 {address}，其他电脑可以访问，但尚未配置登录。请在 .streamlit/secrets.toml "
                      "中配置登录（见下方与 docs/DEPLOY.md），或只在 127.0.0.1 上运行（make run 即如此）。"),
    "local_refused_remote": ("Refused: without sign-in the dashboard serves only the computer it runs on, and this "
                             "request came from elsewhere (below). Configure sign-in in .streamlit/secrets.toml "
                             "(below; docs/DEPLOY.md).",
                             "已拒绝：未配置登录时，看板只服务于运行它的这台电脑，而此请求来自别处（见下方）。"
                             "请在 .streamlit/secrets.toml 中配置登录（见下方与 docs/DEPLOY.md）。"),
    "remote_proxy": ("The request came through a proxy ({header}).", "此请求经过了代理（{header}）。"),
    "remote_host": ("The address used is {host}.", "访问使用的地址是 {host}。"),
    "remote_ip": ("The request came from {ip}.", "此请求来自 {ip}。"),
    "local_refused_howto": ("# .streamlit/secrets.toml (copy .streamlit/secrets.example.toml)\n[auth]\n"
                            "redirect_uri = \"https://dashboard.example.com/oauth2callback\"\n"
                            "cookie_secret = \"<a long random string, the same on every replica>\"\n"
                            "client_id = \"…\"\nclient_secret = \"…\"\n"
                            "server_metadata_url = \"https://idp.example.com/.well-known/openid-configuration\"",
                            "# .streamlit/secrets.toml（可复制 .streamlit/secrets.example.toml）\n[auth]\n"
                            "redirect_uri = \"https://dashboard.example.com/oauth2callback\"\n"
                            "cookie_secret = \"<足够长的随机字符串，各副本相同>\"\n"
                            "client_id = \"…\"\nclient_secret = \"…\"\n"
                            "server_metadata_url = \"https://idp.example.com/.well-known/openid-configuration\""),
    "local_mode_title": ("Unsigned local mode", "未登录的本机模式"),
    # the Data page by role (issue 10)
    "regional_import_note": ("You import for {regions}: a file's rows replace only the rows of {regions} on its "
                             "date, the rest of the company's snapshot stays. A file with any row of another region "
                             "is refused, naming the rows.",
                             "您可为 {regions} 导入：文件只替换当日 {regions} 的行，全公司快照的其他部分保持不变。"
                             "文件中只要有其他区域的行即被拒绝，并列出这些行。"),
    "scope_refused": ("Refused, nothing was imported:", "已拒绝，未导入任何数据："),
    "history_mine": ("Your imports (other people's imports are not shown).", "您本人的导入记录（不显示其他人的导入）。"),
    "mapping_admin_only": ("Saving a mapping is for the sales office (admin): ask them to map these columns.",
                           "只有销售管理部（管理员）可以保存映射：请联系他们映射这些列。"),
    "access_title": ("Access list", "访问名单"),
    "access_help": ("Who may sign in and what they see: an e-mail address or group:NAME (a value of the sign-in's "
                    "groups claim), a role and, for regional roles, the regions. Read on every click: a change "
                    "applies at the user's next click. The same list: dashboard access list|grant|revoke.",
                    "谁可以登录、能看到什么：邮箱或 group:组名（登录信息中 groups 的值）、角色，区域角色还需填写区域。"
                    "每次操作都会重新读取：修改在该用户下一次点击时生效。命令行：dashboard access list|grant|revoke。"),
    "access_grant": ("Add or change", "添加或修改"),
    "access_revoke": ("Remove from the list", "从名单中删除"),
    "access_saved": ("Access list changed:", "访问名单已修改："),
    "access_failed": ("The access list was not changed.", "访问名单未修改。"),
    "audit_title": ("Audit: who changed what", "审计记录：谁修改了什么"),
    "audit_help": ("Every import, removal, mapping change and access-list change, newest first (the latest {n}; "
                   "all of them: dashboard audit).",
                   "所有导入、删除、映射修改和访问名单修改，最新的在前（显示最近 {n} 条；全部记录：dashboard audit）。"),
    "local_mode_note": ("No sign-in, only this computer can open the dashboard, and you act "
                        "as the sales office (admin).",
                        "没有登录，只有本机可以打开看板，您以销售管理部（管理员）身份操作。"),
    "local_mode_help": ("To give the dashboard to others, turn sign-in on: .streamlit/secrets.toml [auth] "
                        "(docs/DEPLOY.md).",
                        "要让其他人使用看板，请开启登录：.streamlit/secrets.toml 的 [auth]（见 docs/DEPLOY.md）。"),
    # forecast page (issue 12)
    "page_forecast": ("Forecast", "预测"),
    "fc_title": ("Will we make the month and the quarter?", "本月、本季度能签多少？"),
    "fc_period": ("Which period", "期间类型"),
    "fc_month_0": ("This month", "本月"),
    "fc_month_1": ("Next month", "下月"),
    "fc_quarter_0": ("This quarter", "本季度"),
    "fc_quarter_1": ("Next quarter", "下季度"),
    "fc_expected_total": ("Expected: won + weighted", "预计：已赢单 + 加权"),
    "fc_won": ("Won so far", "已赢单"),
    "fc_commit_amount": ("Commit", "承诺"),
    "fc_weighted": ("Weighted", "加权预测"),
    "fc_best_case": ("Best case", "最佳情况"),
    "fc_pipeline": ("Pipeline", "管道金额"),
    "fc_drill": ("Show the projects behind", "查看明细项目"),
    "is_commit": ("Commit", "承诺"),
    "is_best_case": ("Best case", "最佳情况"),
    "fc_range": ("Won + commit {commit} · won + best case {best}", "已赢单 + 承诺 {commit} · 已赢单 + 最佳情况 {best}"),
    "fc_caption": ("Pipeline: open projects whose expected sign date falls in the period. Weighted: each one's "
                   "amount × the win probability learned for its stage and customer grade (below). Commit: at "
                   "{commit_stages}, sign date not pushed out in the last {days} days. Best case: at "
                   "{best_stages}. Won so far: contracts signed in the period.",
                   "管道金额：预计签约日期落在该期间的在跟项目。加权预测：每个项目的金额 × 按其阶段和客户等级学习所得的"
                   "赢单概率（见下）。承诺：处于{commit_stages}阶段、且近 {days} 天内签约日期未推迟。最佳情况：处于"
                   "{best_stages}阶段。已赢单：在该期间签约的合同。"),
    "fc_unpriced": ("{n} open projects ({amount}) in these periods are at a stage where no project has closed yet: "
                    "they have no learned probability and add nothing to the weighted forecast.",
                    "这些期间中有 {n} 个在跟项目（{amount}）所处阶段还没有任何项目关闭：它们没有学习所得的概率，"
                    "不计入加权预测。"),
    "fc_table": ("The forecast by period", "各期间预测明细"),
    "fc_by": ("Split the forecast by", "按维度拆分预测"),
    "fc_none": ("(not split)", "（不拆分）"),
    "fc_prob_title": ("Learned win probability by stage and customer grade", "各阶段、各客户等级的学习赢单概率"),
    "fc_prob_caption": ("Among projects seen open at a stage in a snapshot up to {as_of} that have since closed, the "
                        "share won — shrunk toward the stage's rate over every grade by a prior worth {k} closed "
                        "projects: P = (won + {k} × stage rate) / (closed + {k}).",
                        "在截至 {as_of} 的快照中出现在某阶段、此后已关闭的项目中赢单的比例，并按相当于 {k} 个已关闭项目的"
                        "先验向该阶段（全部等级）的赢单率收缩：P = (赢单数 + {k} × 阶段赢单率) / (关闭数 + {k})。"),
    "fc_prob_evidence": ("Closed projects behind each probability", "每个概率所依据的已关闭项目数"),
    "bt_title": ("How good were past forecasts? (back-test)", "过去的预测准不准？（回测）"),
    "bt_caption": ("For every snapshot: the weighted forecast it would have made for the next {kind}, with "
                   "probabilities learned only from the snapshots up to it, against what was actually won in that "
                   "{kind}. Hollow points: the {kind} has not ended yet.",
                   "每期快照：用截至当时的快照学习的概率，对下一个{kind}做出的加权预测，与该{kind}实际赢单金额对比。"
                   "空心点：该{kind}尚未结束。"),
    "bt_kind": ("Forecast for the next", "预测对象"),
    "bt_unpriced": ("{n} of these {total} forecasts had open projects without a learned probability (nothing at "
                    "their stage had closed yet), counted as 0: the error includes that.",
                    "这 {total} 个预测中有 {n} 个含有尚无学习概率的在跟项目（其所处阶段当时还没有项目关闭），按 0 计入："
                    "误差包含这一部分。"),
    "bt_pick": ("Pick month or quarter to run the back-test (it reads every snapshot).",
                "选择“月”或“季度”即运行回测（需读取全部快照）。"),
    "period_month": ("month", "月"),
    "period_quarter": ("quarter", "季度"),
    "bt_forecast": ("Forecast then (weighted)", "当时的预测（加权）"),
    "bt_actual": ("Actually won", "实际赢单"),
    "bt_made_on": ("Forecast made on", "预测日期"),
    "bt_period": ("For", "预测期间"),
    "bt_mape": ("Mean absolute % error (MAPE)", "平均绝对百分比误差（MAPE）"),
    "bt_bias": ("Bias (Σ error / Σ won)", "偏差（误差合计 / 赢单合计）"),
    "bt_n": ("Forecasts compared", "参与比较的预测数"),
    "bt_none": ("No forecast can be checked yet: the back-test needs a next {kind} that has ended and in which "
                "something was won.", "暂时无法检验：回测需要一个已经结束且有赢单的下一个{kind}。"),
    "slips_title": ("Sign dates pushed out", "签约日期推迟"),
    "sl_week": ("Pushed out this week", "本周推迟"),
    "sl_out_month": ("Out of this month", "推出本月"),
    "sl_out_quarter": ("Out of this quarter", "推出本季度"),
    "sl_flagged": ("Pushed out {n}+ times", "推迟 {n} 次及以上"),
    "sl_show": ("List only the projects behind", "只列出明细项目"),
    "sl_caption": ("A slip: two consecutive snapshots, open in both, with a later expected sign date in the second. "
                   "Open projects that slipped at least once; a row opens the project.",
                   "一次推迟：相邻两期快照中项目都在跟，且后一期的预计签约日期更晚。列出至少推迟过一次的在跟项目；"
                   "选中一行可打开项目。"),
    "no_slips": ("No open project has had its sign date pushed out.", "没有在跟项目的签约日期被推迟过。"),
    "trends_title": ("Trends across snapshots", "各期趋势"),
    "trends_caption": ("Each snapshot as it was: its open pipeline, the weighted forecast with the probabilities "
                       "known then, the amount won that week, the win rate, stalled projects and margin alerts.",
                       "每期快照当时的情况：在手管道、用当时已知概率计算的加权预测、当周赢单金额、赢单率、停滞项目与毛利预警。"),
    "trends_sparklines_note": ("Computed over every snapshot: shown on demand.", "需遍历全部快照计算：按需显示。"),
    "trends_show": ("Show the trends", "显示趋势"),
    "tr_pipeline": ("Open pipeline", "在手管道金额"),
    "tr_weighted": ("Weighted forecast", "加权预测"),
    "tr_won_week": ("Won that week", "当周赢单"),
    "tr_n_stalled": ("Stalled projects", "停滞项目"),
    "tr_n_margin_alerts": ("Margin alerts", "毛利预警"),
    "tr_amounts_title": ("Open pipeline and weighted forecast", "在手管道与加权预测"),
    "tr_counts_title": ("Stalled projects and margin alerts", "停滞项目与毛利预警"),
    "owners_title": ("Account managers", "大客户经理"),
    "owners_caption": ("Won, win rate and sales cycle over every project closed up to the snapshot; pipeline, "
                       "weighted, stalled and expense ratio now. Sort by clicking a header; select a row to list "
                       "that manager's projects.",
                       "赢单、赢单率与销售周期按截至该快照的全部已关闭项目计算；管道、加权预测、停滞项目与费用率为当前值。"
                       "点击表头排序；选中一行可列出该经理的项目。"),
    "owner_projects": ("Projects of the selected account manager", "所选大客户经理的项目"),
    # columns of the forecast tables
    "period": ("Period", "期间"),
    "period_start": ("From", "开始"),
    "period_end": ("To", "结束"),
    "n_pipeline": ("Projects in pipeline", "管道项目数"),
    "pipeline": ("Pipeline", "管道金额"),
    "weighted": ("Weighted", "加权预测"),
    "n_unpriced": ("Without a probability", "无概率项目数"),
    "unpriced_amount": ("Amount without a probability", "无概率金额"),
    "n_commit": ("Commit projects", "承诺项目数"),
    "commit_amount": ("Commit", "承诺"),
    "n_best_case": ("Best-case projects", "最佳情况项目数"),
    "best_case": ("Best case", "最佳情况"),
    "won": ("Won", "已赢单"),
    "expected_total": ("Expected (won + weighted)", "预计（已赢单 + 加权）"),
    "probability": ("Win probability", "赢单概率"),
    "n_slips": ("Times pushed out", "推迟次数"),
    "days_pushed": ("Days pushed in all", "累计推迟天数"),
    "first_sign_on": ("First sign date", "最初签约日期"),
    "last_slip_on": ("Last pushed out", "最近推迟于"),
    "slipped_this_week": ("Pushed out this week", "本周推迟"),
    "sign_before": ("Sign date last week", "上周签约日期"),
    "out_of_month": ("Out of this month", "推出本月"),
    "out_of_quarter": ("Out of this quarter", "推出本季度"),
    "is_flagged": ("Flagged", "已标记"),
    "won_amount": ("Won amount", "赢单金额"),
    "n_stalled": ("Stalled", "停滞"),
    "n_cycle": ("Wins with a known start", "有起始日期的赢单"),
    "median_cycle_days": ("Median sales cycle (days)", "销售周期中位数（天）"),
    "made_on": ("Forecast made on", "预测日期"),
    "actual": ("Actually won", "实际赢单"),
    "error": ("Error (forecast − won)", "误差（预测 − 赢单）"),
    "abs_pct_error": ("Absolute % error", "绝对百分比误差"),
    # targets and attainment (issue 12; docs/ANALYSES.md "Targets")
    "kpi_target_quarter": ("Quarter attainment", "本季度目标达成"),
    "kpi_target_help": ("Won this quarter (contracts signed since the quarter began, up to the snapshot) ÷ the "
                        "quarter's target, over the regions that have one. This month: {month}. Select “Targets” "
                        "below for every region, the gap and the run rate needed.",
                        "本季度已签约金额（季度开始至快照日）÷ 本季度目标，只计有目标的区域。本月：{month}。"
                        "在下方选择“目标”可查看各区域、差额与所需日均签约额。"),
    "no_target": ("No target", "无目标"),
    "spark_show": ("Trends on the cards", "卡片显示趋势"),
    "spark_help": ("Draws each figure across every snapshot up to this one under its card (pipeline, open "
                   "projects, won that week, win rate, stalled, margin alerts). It reads every snapshot, so it is "
                   "drawn only when switched on.",
                   "在每张卡片下画出该数字在截至本期各期快照中的走势（在手管道、在跟项目、当周赢单、赢单率、停滞、"
                   "毛利预警）。需读取全部快照，因此只在打开时计算。"),
    "targets_title": ("Targets: this month and this quarter", "目标：本月与本季度"),
    "targets_caption": ("Attainment = contracts won in the period up to the snapshot ÷ the target. Gap = target − "
                        "won. Run rate = the gap ÷ the working days (Mon–Fri) left after the snapshot, per day and per "
                        "week. A region or manager without a target for the period reads “No target”. Targets are "
                        "set per region (or manager, or category), not per customer grade: the grade filter does not "
                        "apply here.",
                        "达成率 = 期间内截至快照日的签约金额 ÷ 目标。差额 = 目标 − 已签约。所需签约速度 = 差额 ÷ 快照日之后"
                        "剩余的工作日（周一至周五），按日、按周。没有该期间目标的区域或经理显示“无目标”。目标按区域"
                        "（或经理、分类）设定，不分客户等级：此处不受客户等级筛选影响。"),
    "targets_none": ("No targets imported for this year yet: upload a targets file on the Data page (blank "
                     "templates there).", "今年还没有导入目标：请在“数据导入”页面上传目标文件（该页有空白模板）。"),
    "target_year": ("Target year", "目标年度"),
    "target_quarter": ("Target quarter", "目标季度"),
    "target_month": ("Target month", "目标月份"),
    "target_period": ("Target period", "目标期间"),
    "level": ("Level", "层级"),
    "target_amount": ("Target", "目标"),
    "attainment": ("Attainment", "达成率"),
    "gap": ("Gap (target − won)", "差额（目标 − 已签约）"),
    "working_days_left": ("Working days left", "剩余工作日"),
    "run_rate_per_day": ("Needed per working day", "所需日均签约"),
    "run_rate_per_week": ("Needed per week", "所需周均签约"),
    "n_regions_without_target": ("Regions without a target", "无目标区域数"),
    "period_kind": ("Period type", "期间类型"),
    "month_target": ("Month target", "本月目标"),
    "month_attainment": ("Month attainment", "本月达成率"),
    "quarter_target": ("Quarter target", "本季度目标"),
    "quarter_attainment": ("Quarter attainment", "本季度达成率"),
    "total": ("Total", "合计"),
    "pack_targets": ("Targets", "目标"),
    "template_targets_zh": ("Targets template (中文 headers)", "目标模板（中文表头）"),
    "template_targets_en": ("Targets template (English headers)", "目标模板（英文表头）"),
    "template_targets_help": ("A targets file: one row per region (and, if you like, account manager or category) "
                              "and month or quarter, with the target amount. A new file for a year replaces that "
                              "year's targets.",
                              "目标文件：每个区域（可再细分到大客户经理或项目分类）每个月或季度一行，写目标金额。"
                              "导入某年的新目标文件会替换该年已有的目标。"),
    "is_complete": ("Period ended", "期间已结束"),
    "stage_n_closed": ("Closed at the stage", "该阶段已关闭"),
    "stage_n_won": ("Won from the stage", "该阶段赢单"),
    "stage_rate": ("Stage rate (every grade)", "阶段赢单率（全部等级）"),
    # column headers shared by tables
    "project_id": ("Project ID", "项目编号"),
    "project_name": ("Project", "项目名称"),
    "customer": ("Customer", "客户"),
    "stage": ("Stage", "阶段"),
    "status": ("Status", "状态"),
    "expected_amount": ("Expected amount", "预计签约金额"),
    "contract_amount": ("Contract amount", "合同金额"),
    "estimated_margin": ("Est. margin", "预计毛利率"),
    "expected_sign_on": ("Expected sign date", "预计签约日期"),
    "amount_delta": ("Amount change", "金额变化"),
    "before": ("Before", "之前"),
    "after": ("After", "之后"),
    "n_projects": ("Projects", "项目数"),
    "furthest_stage": ("Furthest stage", "最远阶段"),
    "amount": ("Amount", "金额"),
    "as_of_col": ("As of", "快照日期"),
    "exception": ("Process exception", "流程异常"),
    "lost_reason": ("Reason", "原因"),
    "estimated_cost": ("Estimated cost", "成本估算"),
    "bid_amount": ("Bid amount", "投标金额"),
    "actual_cost": ("Actual cost", "实际成本"),
    "expense_budget": ("Sales expense budget", "销售费用预算"),
    "expense_actual": ("Sales expense", "销售费用"),
    "created_on": ("Created on", "创建日期"),
    "previous_stage": ("Previous stage", "上一阶段"),
    "outcome": ("Outcome", "结果"),
    "closed_on": ("Closed on", "关闭日期"),
    "file_name": ("File", "文件"),
    "import_id": ("Import", "导入编号"),
    "kind": ("Kind", "类型"),
    "rows_accepted": ("Rows accepted", "接受行数"),
    "rows_skipped": ("Rows skipped", "跳过行数"),
    "imported_at": ("Imported at", "导入时间"),
    "imported_by": ("Imported by", "导入人"),
    "regions": ("Regions", "区域"),
    "principal": ("E-mail or group:NAME", "邮箱或 group:组名"),
    "role": ("Role", "角色"),
    "note": ("Note", "备注"),
    "granted_by": ("Granted by", "授权人"),
    "granted_at": ("Granted at", "授权时间"),
    "happened_at": ("When", "时间"),
    "actor": ("Who", "操作人"),
    "action": ("What", "操作"),
    "sha256": ("File SHA-256", "文件 SHA-256"),
    "rows_added": ("Rows added", "新增行数"),
    "rows_removed": ("Rows removed", "删除行数"),
    "rows_changed": ("Rows changed", "变更行数"),
    "sheet": ("Sheet", "工作表"),
}

STATUS_NAMES = {
    "open": ("Open", "进行中"),
    "won": ("Won", "赢单"),
    "lost": ("Lost", "丢单"),
    "dropped": ("Dropped", "放弃"),
    "completed": ("Completed", "已验收"),
    # an import's status (the Data page's history)
    "active": ("Active", "有效"),
    "replaced": ("Replaced by a later file", "已被后续文件替换"),
    "removed": ("Removed", "已删除"),
}

# How the importer recognised a column (the Data page's report).
ROLE_NAMES = {
    "admin": ("Sales office (admin)", "销售管理部（管理员）"),
    "head_office": ("Head office", "总部"),
    "regional": ("Regional manager", "区域经理"),
    "regional_importer": ("Regional manager (imports)", "区域经理（可导入）"),
}

ACTION_NAMES = {
    "import": ("Import", "导入"),
    "remove_import": ("Import removed", "删除导入"),
    "mapping_save": ("Mapping saved", "保存映射"),
    "access_grant": ("Access granted / changed", "授权 / 修改权限"),
    "access_revoke": ("Access removed", "取消权限"),
}

HOW_NAMES = {"alias": ("Known header", "已知表头"), "mapping": ("Mapping file", "映射文件"),
             "canonical": ("Field name", "字段名"),
             "wide": ("Month/quarter column of a targets file", "目标文件的月份/季度列")}

KIND_NAMES = {"projects": ("Project list", "项目台账"), "history": ("Stage history", "阶段历史"),
              "targets": ("Targets", "目标")}

# the margin checks' names: their registry (queries/checks.py) holds the words
CHECK_NAMES = {c.code: (c.label_en, c.label_zh) for c in MARGIN_CHECKS}

CHANGE_NAMES = {
    "new": ("New", "新增"),
    "advanced": ("Advanced", "推进"),
    "fell_back": ("Fell back", "回退"),
    "won": ("Won", "赢单"),
    "lost": ("Lost", "丢单"),
    "dropped": ("Dropped", "放弃"),
    "completed": ("Completed", "已验收"),
    "pushed_out": ("Sign date pushed out", "签约推迟"),
    "amount_up": ("Amount up", "金额上调"),
    "amount_down": ("Amount down", "金额下调"),
    "margin_down": ("Margin down", "毛利下降"),
    "vanished": ("Vanished from export", "从导出中消失"),
    "reappeared": ("Reappeared", "重新出现"),
    # waterfall steps
    "start": ("Last week", "上周"),
    "end": ("This week", "本周"),
    "increased": ("Amounts up", "金额增加"),
    "decreased": ("Amounts down", "金额减少"),
    "reopened": ("Reopened", "重新打开"),
    "lost_dropped": ("Lost / dropped", "丢单/放弃"),
}

# the process exceptions' names from their registry (queries/checks.py); the page's other flags
EXCEPTION_NAMES = {c.code: (c.label_en, c.label_zh) for c in checks.PROCESS_CHECKS} | {
    "stalled": ("Stalled", "停滞"),
    "repeated_slips": ("Sign date pushed out repeatedly", "签约日期多次推迟"),
}

SEVERITY_NAMES = {"high": ("High", "高"), "medium": ("Medium", "中"), "low": ("Low", "低"), "info": ("Info", "提示")}

AS_OF_SOURCES = {
    "given": ("set by you", "手动指定"),
    "column": ("a date column", "日期列"),
    "title row": ("the title row", "标题行"),
    "file name": ("the file name", "文件名"),
    "today": ("today (nothing in the file)", "今天（文件中没有日期）"),
}

BUCKETS = ("0-30", "31-60", "61-90", ">90")
BUCKET_NAMES = {
    "0-30": ("0–30 days", "0–30 天"),
    "31-60": ("31–60 days", "31–60 天"),
    "61-90": ("61–90 days", "61–90 天"),
    ">90": ("> 90 days", "90 天以上"),
}

# What each query computes, as a reader names it: a failing query's error says which
# analysis is missing (tests/test_app_i18n.py: every query has one).
ANALYSIS_NAMES = {
    "access_list": ("Access list", "访问名单"),
    "audit_log": ("Audit", "审计记录"),
    "projects": ("Project list", "项目清单"),
    "funnel": ("Six-stage funnel", "六阶段漏斗"),
    "win_rate": ("Win rate", "赢单率"),
    "aging": ("Stage aging and stalled projects", "阶段停留与停滞项目"),
    "aging_summary": ("Stage aging summary", "阶段停留汇总"),
    "stage_durations": ("How long stages take", "各阶段耗时"),
    "margin": ("Margin checks", "毛利检查"),
    "margin_summary": ("Margin and sales-expense ratio by segment", "分维度毛利率与销售费用率"),
    "changes": ("What changed this week", "本周变化"),
    "changes_summary": ("Pipeline: last week → this week", "管道变化：上周 → 本周"),
    "process_exceptions": ("Process exceptions", "流程异常"),
    "project": ("Project detail", "项目详情"),
    "project_snapshots": ("Project across snapshots", "项目各期快照"),
    "project_events": ("Project stage events", "项目阶段事件"),
    "snapshots": ("Snapshot list", "快照列表"),
    "filter_options": ("Filter choices", "筛选选项"),
    "import_history": ("Import history", "导入历史"),
    "projects_reached": ("Projects that reached a stage", "到达某阶段的项目"),
    "projects_closed": ("Closed projects behind the win rate", "赢单率所计的已关闭项目"),
    "funnel_region_grade": ("Funnel by region × customer grade", "区域 × 客户等级"),
    "win_probabilities": ("Learned win probabilities", "学习所得赢单概率"),
    "forecast": ("Forecast for the month and quarter", "本月及本季度预测"),
    "forecast_projects": ("Projects behind the forecast", "预测明细项目"),
    "backtest": ("Back-test of past forecasts", "历史预测回测"),
    "slips": ("Projects whose sign date slipped", "签约日期推迟的项目"),
    "slips_summary": ("Sign dates pushed out", "签约推迟汇总"),
    "trends": ("Trends across snapshots", "各期趋势"),
    "owners": ("Account manager ranking", "大客户经理排名"),
    "targets": ("Target attainment", "目标达成"),
}


def analysis_label(query: str, lang: str) -> str:
    """The analysis a query computes, in words (its name when unknown: still says which)."""
    return _named(ANALYSIS_NAMES, query, lang)


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "zh" else pair[0]


def t(key: str, lang: str, **kw: Any) -> str:
    """The UI text for ``key`` in ``lang``; an unknown key shows itself (visible, not a crash)."""
    pair = STRINGS.get(key)
    text = _pick(pair, lang) if pair else key
    return text.format(**kw) if kw else text


def _named(table: dict[str, tuple[str, str]], code: Any, lang: str) -> str:
    if code is None:
        return ""
    pair = table.get(str(code))
    return _pick(pair, lang) if pair else str(code)


def stage_label(code: Any, lang: str) -> str:
    if code is None:
        return ""
    try:
        return get_config().stage(str(code)).label(lang)
    except KeyError:
        return str(code)


def status_label(code: Any, lang: str) -> str:
    return _named(STATUS_NAMES, code, lang)


def role_label(code: Any, lang: str) -> str:
    return _named(ROLE_NAMES, code, lang)


NO_ACCESS_REASONS = {
    "no_email": ("the sign-in carries no e-mail address", "登录信息中没有邮箱地址"),
    "not_listed": ("not on the access list", "不在访问名单中"),
    "conflicting_roles": ("the access list gives your groups different roles ({roles}): the sales office must decide",
                          "访问名单为您所在的组给出了不同的角色（{roles}）：需由销售管理部确定"),
}


def no_access_reason(code: str, lang: str) -> str:
    """``access.resolve``'s reason code in words (``conflicting_roles:admin,regional``)."""
    key, _, roles = (code or "").partition(":")
    if key not in NO_ACCESS_REASONS:
        return code
    return _pick(NO_ACCESS_REASONS[key], lang).format(roles=", ".join(role_label(r, lang) for r in roles.split(",") if r))


def action_label(code: Any, lang: str) -> str:
    return _named(ACTION_NAMES, code, lang)


def how_label(code: Any, lang: str) -> str:
    return _named(HOW_NAMES, code, lang)


def field_label(field: Any, lang: str) -> str:
    """A target field of the importer in words: ``stage_date.tender`` -> "招投标日期" /
    "Tender / bidding date"; ``customer_grade`` -> the grade's name; unknown ones as they are."""
    f = str(field)
    if f.startswith("stage_date."):
        stage = stage_label(f.split(".", 1)[1], lang)
        return f"{stage}日期" if lang == "zh" else f"{stage} date"
    if f == "customer_grade":
        f = "grade"
    return t(f, lang) if f in STRINGS else str(field)


def kind_label(code: Any, lang: str) -> str:
    return _named(KIND_NAMES, code, lang)


def check_label(code: Any, lang: str) -> str:
    return _named(CHECK_NAMES, code, lang)


def change_label(code: Any, lang: str) -> str:
    return _named(CHANGE_NAMES, code, lang)


def exception_label(code: Any, lang: str) -> str:
    return _named(EXCEPTION_NAMES, code, lang)


def severity_label(code: Any, lang: str) -> str:
    return _named(SEVERITY_NAMES, code, lang)


def as_of_source_label(code: Any, lang: str) -> str:
    return _named(AS_OF_SOURCES, code, lang)


def bucket_label(code: Any, lang: str) -> str:
    return _named(BUCKET_NAMES, code, lang)


# --------------------------------------------------------------------------- numbers


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# The amount unit switch has two positions (URL values 万元 / 元, the same in both
# languages, so links keep working): "wan" is the compact unit a reader uses — 万元
# (10,000 元) in Chinese, ¥ millions (百万元, ¥M) in English, where "×10k" is nobody's
# unit — and "yuan" is whole yuan in both.
UNIT_CAPTIONS_EN = {"wan": "¥ millions", "yuan": "¥"}


def unit_divisor(unit: str, lang: str) -> int:
    """元 per displayed unit: 万元 = 10,000 (zh), ¥M = 1,000,000 (en), 元 / ¥ = 1."""
    if unit != "wan":
        return 1
    return 1_000_000 if lang == "en" else 10_000


def unit_suffix(unit: str, lang: str) -> str:
    """The unit in a column header or axis title."""
    if unit == "wan":
        return "万元" if lang == "zh" else "¥M"
    return "元" if lang == "zh" else "¥"


def table_number_format(unit: str, lang: str) -> str:
    """printf format of an amount column (already divided by ``unit_divisor``)."""
    if unit != "wan":
        return "%,.0f"
    return "%,.2f" if lang == "en" else "%,.1f"


def amount_digits(v: float | Decimal, unit: str, lang: str) -> str:
    """The digits of an amount already in the displayed unit (no sign, no unit), rounded
    half up as people do (171.45 -> 171.5): 万元 with one decimal under 1,000 and none above;
    ¥M with two decimals under 100 and one above; whole yuan."""
    d = abs(Decimal(str(v)))
    if unit != "wan":
        places = 0
    elif lang == "en":
        places = 2 if d < 100 else 1
    else:
        places = 1 if d < 1000 else 0
    q = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{q:,.{places}f}"


def fmt_int(value: Any, lang: str = "en") -> str:
    if _missing(value):
        return MISSING
    return f"{int(value):,}"


def fmt_amount(value: Any, lang: str, unit: str, *, signed: bool = False) -> str:
    """An amount in 元 shown in the chosen unit: ``1,234.5 万元`` / ``¥12.35M`` /
    ``12,345,000 元`` / ``¥12,345,000``. An amount that rounds to zero reads ``±0.0 万元``
    when ``signed`` (a change), never ``+0.0`` or ``-0.0``."""
    if _missing(value):
        return MISSING
    v = Decimal(str(value)) / unit_divisor(unit, lang)
    body = amount_digits(v, unit, lang)
    zero = not any(ch in "123456789" for ch in body)
    # The sign leads ("-¥12", not "¥-12"): st.metric reads a delta's direction from it.
    if zero:
        sign = "±" if signed else ""
    else:
        sign = "-" if v < 0 else ("+" if signed else "")
    if unit == "wan":
        return f"{sign}{body} 万元" if lang == "zh" else f"{sign}¥{body}M"
    return f"{sign}{body} 元" if lang == "zh" else f"{sign}¥{body}"


def fmt_pct(value: Any, lang: str = "en", *, digits: int = 1, signed: bool = False) -> str:
    """A ratio (0.234) as a percentage (23.4%)."""
    if _missing(value):
        return MISSING
    sign = "+" if signed and value > 0 else ""
    return f"{sign}{value * 100:.{digits}f}%"


def fmt_points(value: Any, lang: str = "en") -> str:
    """A difference of two ratios, in percentage points."""
    if _missing(value):
        return MISSING
    pts = value * 100
    text = f"{pts:+.1f}" if round(pts, 1) != 0 else "±0.0"  # no change reads neutral, not "+0.0"
    return f"{text} 个百分点" if lang == "zh" else f"{text} pp"


def fmt_date(value: Any, lang: str = "en") -> str:
    if _missing(value):
        return MISSING
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()  # ISO in both languages: unambiguous, short, sorts
    return str(value)


def fmt_delta_int(value: Any) -> str | None:
    if _missing(value):
        return None
    return f"{int(value):+,}" if int(value) else "±0"


def check_details(df: pl.DataFrame, lang: str) -> pl.Series:
    """A margin frame's check details in the chosen language: the columns the runner built
    from the registry's templates (queries/checks.py ``with_detail``: ``detail`` in English,
    ``detail_zh``)."""
    return df.get_column("detail_zh" if lang == "zh" else "detail").cast(pl.String)


def stalled_detail(days: Any, stage: Any, limit: Any, lang: str) -> str:
    """A stalled project's flag in words: days in the stage (by name) against its limit."""
    s = stage_label(stage, lang)
    if lang == "zh":
        return f"在「{s}」已停留 {fmt_int(days)} 天（上限 {fmt_int(limit)} 天）"
    return f"{fmt_int(days)} days in {s} (limit {fmt_int(limit)})"


def slips_detail(n_slips: Any, flag_at: Any, lang: str) -> str:
    """The project page's repeated-slips flag in words."""
    if lang == "zh":
        return f"预计签约日期已推迟 {fmt_int(n_slips)} 次（达到 {fmt_int(flag_at)} 次即标记）"
    return f"Expected sign date pushed out {fmt_int(n_slips)} times (flagged at {fmt_int(flag_at)})"


def exception_detail(exception: Any, stage: Any, lang: str, fallback: Any = None) -> str:
    """A process exception in words, stages by their names (the query's own English text
    names them by code: "negotiation -> proposal"): its template in queries/checks.py."""
    check = checks.PROCESS_BY_CODE.get(str(exception))
    if check is None:
        return "" if fallback is None else str(fallback)
    return check.detail(lang, stage_label(stage, lang))


# --- visit reports (issue 13) ------------------------------------------------------------------
# Kept together so the visits page, the weekly review's visit section and the importer read
# from one table; merged into STRINGS (no key may exist there already).
VISIT_STRINGS: dict[str, tuple[str, str]] = {
    "page_visits": ("Visits & collections", "拜访与回款"),
    "visits_title": ("Visits", "拜访"),
    "visits_intro": ("Daily visit reports (销售日报): who visits whom, how often, for what, and whether planned "
                     "revisits happen. Visits up to the snapshot date; import visit reports on the Data page.",
                     "销售日报：谁拜访了谁、多频繁、为了什么，预定的再访是否兑现。统计到快照日期为止；拜访报告在“数据导入”页导入。"),
    "visits_none": ("No visit report imported yet (or none in these filters): import a 销售日报 workbook or a CRM "
                    "activity export on the Data page.",
                    "尚未导入拜访报告（或筛选范围内没有拜访）：请在“数据导入”页导入销售日报或 CRM 拜访记录。"),
    "visits_weekly_title": ("Visits per person per week against the quota", "每人每周拜访量与定额"),
    "visits_weekly_help": ("Quota = {quota} visits per working day (Monday–Friday); the current week counts up to the "
                           "snapshot date.", "定额 = 每个工作日（周一至周五）{quota} 次拜访；本周只计到快照日期。"),
    "visits_daily_title": ("Visits per working day (last 4 weeks)", "每个工作日拜访量（近 4 周）"),
    "visits_mix_title": ("What the visits were for, by customer category", "拜访目的与客户类别"),
    "visits_frequency_title": ("Visit frequency by customer grade against the target", "按客户等级的拜访频率与目标"),
    "visit_alerts_title": ("A/B-grade open projects without a recent visit", "近期无人拜访的 A/B 级在跟项目"),
    "visit_alerts_none": ("Every A/B-grade open project was visited within its limit.", "所有 A/B 级在跟项目都在期限内拜访过。"),
    "revisits_title": ("Planned revisits: kept, late, overdue, missed", "预定再访：按时、迟到、逾期、错过"),
    "four_visits_title": ("The four-visit rule: win rate by visits before the decision",
                          "四次拜访法则：按决定前拜访次数的赢单率"),
    "four_visits_open_title": ("Open projects past 立项 with fewer than {n} visits", "已过立项、拜访少于 {n} 次的在跟项目"),
    "visits_unmatched_title": ("Visits not matched to a project", "未匹配到项目的拜访"),
    "project_visits_title": ("Visits", "拜访记录"),
    "project_visits_none": ("No visit matched to this project.", "没有匹配到此项目的拜访。"),
    "kpi_visits_week": ("Visits this week", "本周拜访"),
    "kpi_visit_alerts": ("A/B projects not visited", "A/B 项目未拜访"),
    "kpi_revisits_overdue": ("Revisits overdue", "逾期未再访"),
    "weekly_visits_title": ("Visits", "拜访"),
    "template_visits_zh": ("Visit report template (中文 headers)", "销售日报模板（中文表头）"),
    "template_visits_en": ("Visit report template (English headers)", "销售日报模板（英文表头）"),
    # columns
    "reporter": ("Person", "填报人"),
    "visit_on": ("Visit date", "拜访日期"),
    "is_working_day": ("Working day", "工作日"),
    "n_visits": ("Visits", "拜访次数"),
    "quota": ("Quota", "定额"),
    "is_below_quota": ("Below quota", "未达定额"),
    "week_start": ("Week of", "周（周一）"),
    "n_working_days": ("Working days", "工作日数"),
    "visits_per_working_day": ("Visits per working day", "每工作日拜访"),
    "n_days_with_visits": ("Days with visits", "有拜访的天数"),
    "purpose": ("Purpose", "拜访目的"),
    "purpose_text": ("Purpose as written", "拜访目的（原文）"),
    "customer_category": ("Customer category", "客户类别"),
    "share": ("Share", "占比"),
    "visits_per_project_30d": ("Visits per project per 30 days", "每项目每 30 天拜访"),
    "target_per_30d": ("Target per 30 days", "每 30 天目标"),
    "n_below_target": ("Projects below target", "低于目标的项目"),
    "meets_target": ("Meets target", "达标"),
    "last_visit_on": ("Last visit", "最近拜访"),
    "days_since_visit": ("Days since visit", "距上次拜访天数"),
    "alert_days": ("Limit (days)", "期限（天）"),
    "revisit_on": ("Planned revisit", "预定再访"),
    "next_visit_on": ("Next visit", "下次实际拜访"),
    "revisit_status": ("Revisit", "再访情况"),
    "days_late": ("Days late", "迟到天数"),
    "n_planned": ("Planned revisits", "预定再访"),
    "n_kept": ("Kept", "按时"),
    "n_kept_late": ("Kept late", "迟到"),
    "n_overdue": ("Overdue", "逾期"),
    "n_missed": ("Missed", "错过"),
    "n_pending": ("Still to come", "未到期"),
    "kept_rate": ("Kept (incl. late)", "兑现率（含迟到）"),
    "on_time_rate": ("Kept on time", "按时率"),
    "bucket": ("Visits before the decision", "决定前拜访次数"),
    "match_status": ("Matched", "匹配"),
    "project_id_given": ("Project ID in the file", "文件中的项目编号"),
    "first_visit_on": ("First visit", "首次拜访"),
    "reporters": ("People", "填报人"),
    "contact": ("Contact", "联系人"),
    "visit_time": ("Time", "拜访时间"),
    "result": ("Result", "商谈结果"),
    "visit_notes": ("Other notes", "其他记录"),
    "seq": ("No.", "序号"),
}
VISIT_STRINGS |= {  # collections (回款)
    "collections_title": ("Collections: contract, invoiced, collected", "回款：合同、开票、回款"),
    "collections_intro": ("The money line of each project: what was invoiced against the contract, what was collected, "
                          "and what is past the agreed payment date. Payments pay the oldest invoices first.",
                          "每个项目的资金线：合同已开票多少、已回款多少、有多少已过约定回款日期。回款按约定日期先后冲抵发票。"),
    "collections_none": ("No receivables file imported yet: import a receivables ledger (应收账款台账) on the Data page.",
                         "尚未导入回款数据：请在“数据导入”页导入应收账款台账。"),
    "receivables_aging_title": ("Receivables by days past the agreed date", "应收账款账龄（超过约定回款日期的天数）"),
    "receivables_title": ("Open invoices", "未收清的发票"),
    "won_uncollected_title": ("Won projects with nothing collected after {n} days", "赢单 {n} 天后仍未回款的项目"),
    "won_uncollected_none": ("Every project won long enough ago has collected something.", "赢单已久的项目都有回款。"),
    "project_money_title": ("Money line", "资金线"),
    "project_money_none": ("No contract, invoice or payment recorded for this project.", "此项目没有合同、开票或回款记录。"),
    "kpi_overdue_receivables": ("Receivables overdue", "逾期应收"),
    "collections_per_project": ("Per project: contract vs invoiced vs collected", "各项目：合同、开票与回款"),
    "n_overdue_projects": ("Projects overdue", "逾期项目数"),
    "kpi_won_uncollected": ("Won, nothing collected", "赢单未回款"),
    "invoiced_amount": ("Invoiced", "开票金额"),
    "collected_amount": ("Collected", "回款金额"),
    "receivable_amount": ("Receivable", "应收余额"),
    "overdue_amount": ("Overdue", "逾期金额"),
    "over_90_amount": ("Over 90 days", "逾期 90 天以上"),
    "uninvoiced_amount": ("Not yet invoiced", "未开票金额"),
    "outstanding_amount": ("Outstanding", "未收金额"),
    "collected_share": ("Collected of contract", "回款比例"),
    "last_payment_on": ("Last payment", "最近回款"),
    "invoice_on": ("Invoice date", "开票日期"),
    "due_on": ("Agreed payment date", "约定回款日期"),
    "days_past_due": ("Days past due", "逾期天数"),
    "receivable_bucket": ("Past due", "账龄"),
    "n_invoices": ("Invoices", "发票数"),
    "won_on": ("Won on", "赢单日期"),
    "days_since_won": ("Days since won", "赢单后天数"),
    "entry": ("Entry", "款项"),
    "invoiced_to_date": ("Invoiced to date", "累计开票"),
    "collected_to_date": ("Collected to date", "累计回款"),
    "receivable_to_date": ("Receivable", "应收余额"),
    "template_collections_zh": ("Receivables template (中文 headers)", "回款台账模板（中文表头）"),
    "template_collections_en": ("Receivables template (English headers)", "回款台账模板（英文表头）"),
}
_CLASH = VISIT_STRINGS.keys() & STRINGS.keys()
assert not _CLASH, f"visit strings already defined: {sorted(_CLASH)}"
STRINGS.update(VISIT_STRINGS)

ANALYSIS_NAMES.update({
    "visits_daily": ("Visits per person per working day", "每人每工作日拜访量"),
    "visits_weekly": ("Visits per person per week against the quota", "每人每周拜访量与定额"),
    "visits_mix": ("Visit purpose and customer-category mix", "拜访目的与客户类别构成"),
    "visits_frequency": ("Visit frequency by customer grade", "按客户等级的拜访频率"),
    "visit_alerts": ("A/B projects without a recent visit", "近期无人拜访的 A/B 项目"),
    "revisits": ("Planned revisits", "预定再访"),
    "revisits_summary": ("Planned revisits by person", "各人预定再访兑现情况"),
    "four_visits": ("Win rate by visits before the decision", "按决定前拜访次数的赢单率"),
    "four_visits_open": ("Open projects with fewer than four visits", "拜访不足四次的在跟项目"),
    "visits_unmatched": ("Visits not matched to a project", "未匹配到项目的拜访"),
    "project_visits": ("The project's visits", "项目的拜访记录"),
    "visits_summary": ("Visit figures of the week", "本周拜访数字"),
    "collections": ("Collections per project", "各项目回款"),
    "receivables": ("Open invoices", "未收清的发票"),
    "receivables_aging": ("Receivables aging", "应收账款账龄"),
    "won_uncollected": ("Won projects with nothing collected", "赢单未回款项目"),
    "project_money": ("The project's money line", "项目资金线"),
    "collections_summary": ("Collection figures", "回款数字"),
})
KIND_NAMES["visits"] = ("Visit report", "拜访报告（销售日报）")
KIND_NAMES["collections"] = ("Receivables", "回款台账")

PURPOSE_NAMES = {"order": ("Order", "订货"), "collection": ("Collection", "收款"), "development": ("Development", "开发"),
                 "service": ("Service", "服务"), "other": ("Other", "其他")}
CATEGORY_NAMES = {"development": ("Being developed", "开发"), "new": ("New", "新增"), "existing": ("Existing", "原有")}
MATCH_NAMES = {"id": ("By project ID", "按项目编号"), "name": ("By customer name", "按客户名称"),
               "unknown_id": ("Unknown project ID", "项目编号不存在"),
               "ambiguous": ("Customer of several projects", "客户对应多个项目"), "unmatched": ("No project", "无对应项目")}
REVISIT_NAMES = {"kept": ("Kept", "按时"), "kept_late": ("Kept late", "迟到"), "overdue": ("Overdue", "逾期"),
                 "missed": ("Missed", "错过"), "planned": ("Still to come", "未到期")}


def purpose_label(code: Any, lang: str) -> str:
    return _named(PURPOSE_NAMES, code, lang)


def category_label(code: Any, lang: str) -> str:
    return _named(CATEGORY_NAMES, code, lang)


def match_label(code: Any, lang: str) -> str:
    return _named(MATCH_NAMES, code, lang)


def revisit_label(code: Any, lang: str) -> str:
    return _named(REVISIT_NAMES, code, lang)


RECEIVABLE_BUCKET_NAMES = {"not_due": ("Not yet due", "未到期"), "0-30": ("0–30 days", "0–30 天"),
                           "31-60": ("31–60 days", "31–60 天"), "61-90": ("61–90 days", "61–90 天"),
                           ">90": ("> 90 days", "90 天以上")}
ENTRY_NAMES = {"contract": ("Contract", "合同"), "invoice": ("Invoice", "开票"), "payment": ("Payment", "回款")}


def receivable_bucket_label(code: Any, lang: str) -> str:
    return _named(RECEIVABLE_BUCKET_NAMES, code, lang)


def entry_label(code: Any, lang: str) -> str:
    return _named(ENTRY_NAMES, code, lang)
