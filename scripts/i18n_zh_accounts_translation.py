"""Chinese for the anti-ban (send limits, egress IP, health score) and translation
comparison strings (issues 5 and 7); merged by scripts/i18n_zh.py."""

ZH = {
    "Check egress IP now": "立即检查出口 IP",
    "Checked": "检查于",
    "Day": "天",
    "Egress IP": "出口 IP",
    "Health score": "健康评分",
    "In force now": "当前生效",
    "Messages over a limit are not dropped: they wait, and the agent sees why.": (
        "超出限额的消息不会丢弃：它们会排队等待，客服能看到原因。"
    ),
    "Messages waiting for a free slot": "等待发送名额的消息",
    "New chats per day": "每天新会话数",
    "No problems seen.": "未发现问题。",
    "Per day": "每天",
    "Per hour": "每小时",
    "Restart the warm-up today": "从今天重新开始预热",
    "Save limits": "保存限额",
    "Send limits": "发送限额",
    "Send limits and egress": "发送限额与出口 IP",
    "Send limits saved. They apply to the next message.": "发送限额已保存，从下一条消息开始生效。",
    "Started": "开始于",
    "The address the platform sees, asked through this account's own proxy with the health "
    "probes. Accounts set up apart must not share one.": (
        "平台看到的地址：随健康检查通过该账号自己的代理查询。彼此隔离的账号不应共用同一地址。"
    ),
    "This account has its own limits.": "此账号使用自己的限额。",
    "This account uses its platform's defaults.": "此账号使用所属平台的默认限额。",
    "Used": "已用",
    "Warm-up": "预热",
    "Warm-up days": "预热天数",
    "Warm-up start (percent of the limits)": "预热起点（限额的百分比）",
    "egress IP not checked yet": "尚未检查出口 IP",
    "shared with": "与以下账号共用",
    "unlimited": "不限",
    "waiting for the send limits": "条消息等待发送限额",
    "was": "原为",
    # translation engine comparison (issue 5)
    "A customer message or a reply to translate": "要翻译的客户消息或回复",
    "Compare": "对比",
    "Compare engines": "对比引擎",
    "Compare translation engines": "对比翻译引擎",
    "Each engine translates on its own, with no fallback. Personal data is masked before any "
    "engine sees it, and the characters count as your usage.": (
        "每个引擎单独翻译，不会回退到其他引擎。个人信息在发给任何引擎之前都会被遮盖，字符数计入你的用量。"
    ),
    "Engines": "引擎",
    "No translation engine is configured: see docs/translation.md.": (
        "尚未配置翻译引擎：请参阅 docs/translation.md。"
    ),
    "One text, several engines": "一段文字，多个引擎",
    "To": "译为",
    "detect": "自动识别",
    "from the cache": "来自缓存",
    "gist quality: review before sending": "大意级质量：发送前请审核",
    "placeholders lost": "占位符丢失",
    "self-hosted": "自托管",
    # stored browser session check (issue 7)
    "Browser session check": "浏览器会话检查",
    "Browser session check saved.": "浏览器会话检查已保存。",
    "Check the session now": "立即检查会话",
    "Logged-in URL": "登录后页面 URL",
    "Save check": "保存检查",
    "Text only a logged-in page shows (optional)": "只有登录后页面才显示的文字（可选）",
    "With a logged-in URL, the health probes open it with the stored session's cookies "
    "through the account's proxy; a redirect to a login page, or the expected text missing, "
    "means the session expired.": (
        "设置登录后页面 URL 后，健康检查会通过该账号的代理、使用已保存会话的 Cookie 打开它；"
        "若被重定向到登录页，或缺少预期文字，说明会话已失效。"
    ),
    "logged in": "已登录",
    "logged out: capture again": "已登出：请重新采集",
    "not checked yet": "尚未检查",
}
