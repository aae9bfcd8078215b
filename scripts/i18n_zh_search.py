"""Simplified Chinese for the search box and the search results page (issue 9)."""

ZH = {
    "Search": "搜索",
    "Search messages and customers": "搜索消息和客户",
    (
        "Search the messages and customers you can see. Personal data is masked, so a masked"
        " phone number or e-mail cannot be found."
    ): "搜索你有权查看的消息和客户。个人信息已脱敏，因此无法搜索被遮蔽的电话号码或邮箱。",
    "Customers": "客户",
    "Messages": "消息",
    "No messages match. Every word must appear; try fewer words.": (
        "没有匹配的消息。所有词都必须出现，请减少关键词再试。"
    ),
    "Private note": "内部备注",
    "Pages": "分页",
    "Page": "页码",
    "Previous": "上一页",
    "Next": "下一页",
}
