"""Simplified Chinese for assignment, presence, notifications, mentions, shortcuts, profile."""

ZH = {
    # notifications
    "New customer message": "新的客户消息",
    "You were mentioned in a note": "有人在备注中提到了你",
    "A conversation was assigned to you": "有会话分配给了你",
    "Notifications": "通知",
    "unread": "未读",
    "Mark all as read": "全部标为已读",
    "No notifications yet.": "暂无通知。",
    # profile
    "Profile": "个人资料",
    "Saved.": "已保存。",
    "Interface language": "界面语言",
    "Availability": "在线状态",
    "Online: take new conversations while the inbox is open": "在线：收件箱打开时接收新会话",
    "Away: no new conversations are assigned to me": "离开：不再给我分配新会话",
    "Browser notifications when this tab is in the background": "此标签页在后台时显示浏览器通知",
    "Your browser blocks notifications for this site; allow them in the browser's site settings.": (
        "浏览器已阻止本站的通知；请在浏览器的网站设置中允许。"
    ),
    "online": "在线",
    "away": "离开",
    "offline": "离线",
    # team assignment
    "Team assignment": "团队分配",
    "Waiting in the queue": "队列中等待",
    "Assign new conversations automatically (round robin among online members)": (
        "自动分配新会话（在线成员轮流分配）"
    ),
    "Default capacity (open conversations per person)": "默认容量（每人进行中的会话数）",
    "Return to the queue after the agent is offline for (minutes; empty: never)": (
        "客服离线多久后退回队列（分钟；留空表示从不）"
    ),
    "Member": "成员",
    "Presence": "状态",
    "Open conversations": "进行中的会话",
    "Capacity": "容量",
    "team default": "团队默认",
    "Set": "设置",
    "You supervise no team yet.": "你还没有负责的团队。",
    # keyboard shortcuts
    "Insert a quick reply: opens the / menu; arrow keys choose, Enter inserts": (
        "插入快捷回复：打开 / 菜单；方向键选择，回车插入"
    ),
    "Open notifications": "打开通知",
    "Leave the reply box / close this help": "离开回复框 / 关闭此帮助",
}
