"""Write the Simplified Chinese UI catalogue (src/.../locale/zh_Hans/LC_MESSAGES/messages.po).

Run after adding UI strings: `.venv/bin/python scripts/i18n_zh.py`. The test suite fails
when a template string has no Chinese translation here or in one of the per-area dictionaries
`scripts/i18n_zh_<area>.py` (each defines `ZH = {...}`; one file per feature area keeps
parallel work from editing the same dictionary).
"""

import importlib.util
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "src/crossdesk/web/ui/templates"
OUTPUT = ROOT / "src/crossdesk/web/ui/locale/zh_Hans/LC_MESSAGES/messages.po"

ZH = {
    # views, roles and states rendered from values
    "Mine": "我的",
    "Unassigned": "未分配",
    "Team": "团队",
    "All": "全部",
    "owner": "所有者",
    "admin": "管理员",
    "supervisor": "主管",
    "agent": "客服",
    "auditor": "审计员",
    "open": "进行中",
    "resolved": "已解决",
    "received": "已接收",
    "queued": "排队中",
    "sending": "发送中",
    "sent": "已发送",
    "delivered": "已送达",
    "read": "已读",
    "failed": "发送失败",
    "unknown": "状态未知",
    "blocked": "已拦截",
    "live": "实时",
    "reconnecting": "重新连接中",
    # -- audit and risk UI (add entries right below this line) --
    "Audit log": "审计日志",
    "Sections": "栏目",
    "Action": "操作",
    "Actor": "操作人",
    "Target": "对象",
    "From": "来源",
    "Start date": "开始日期",
    "End date": "结束日期",
    "Filter": "筛选",
    "Clear": "清除",
    "Download signed export": "下载已签名的导出文件",
    "Events over time": "事件趋势",
    "total": "合计",
    "peak": "峰值",
    "Time (UTC)": "时间（UTC）",
    "Details": "详情",
    "system": "系统",
    "No events match these filters.": "没有符合筛选条件的事件。",
    "Older events": "更早的事件",
    "email, user id or system": "邮箱、用户 ID 或 system",
    "conversation, message or user id": "会话、消息或用户 ID",
    "deleted by the customer": "客户已删除",
    "deleted from the phone app": "已在手机应用中删除",
    # -- accounts and vault UI (add entries right below this line) --
    "Account": "账号",
    "All platforms": "全部平台",
    "All accounts": "全部账号",
    "Register webhook with Telegram": "向 Telegram 注册 Webhook",
    "webhook registered": "Webhook 已注册",
    "webhook not registered": "Webhook 未注册",
    "image": "图片",
    "video": "视频",
    "audio": "语音",
    "document": "文件",
    "sticker": "贴纸",
    "location": "位置",
    "not downloaded yet": "尚未下载",
    "Accounts": "账号",
    "Account added. Paste its webhook URL into the platform's console, then test the connection.": "账号已添加。请将其 Webhook 地址粘贴到平台后台，然后测试连接。",
    "Platform accounts": "平台账号",
    "Your teams' accounts, read-only.": "你所在团队的账号（只读）。",
    "Platform": "平台",
    "Health": "状态",
    "Proxy": "代理",
    "Browser session": "浏览器会话",
    "no team": "无团队",
    "Test connection": "测试连接",
    "direct": "直连",
    "checked out by": "使用中：",
    "Force check-in": "强制归还",
    "available": "可用",
    "none captured": "尚未保存",
    "Webhook URL": "Webhook 地址",
    "No accounts yet.": "还没有账号。",
    "Add an account": "添加账号",
    "Secrets go straight into the vault and are never shown again.": "密钥直接存入保险库，之后不会再显示。",
    "Outbound proxy": "出站代理",
    "Add account": "添加账号",
    "connected": "已连接",
    "auth_failed": "凭据无效",
    "unreachable": "无法连接",
    "error": "错误",
    "unchecked": "未测试",
    "Phone-number id": "电话号码 ID",
    "Page id": "主页 ID",
    "Instagram account id": "Instagram 账号 ID",
    "Bot id (taken from the token when empty)": "机器人 ID（留空则从令牌中读取）",
    "Bot user id (webhook destination)": "机器人用户 ID（Webhook destination）",
    "Access token": "访问令牌",
    "App secret": "应用密钥",
    "Verify token": "验证令牌",
    "Bot token from @BotFather": "@BotFather 提供的机器人令牌",
    "Webhook secret (generated when empty)": "Webhook 密钥（留空则自动生成）",
    "Channel access token": "频道访问令牌",
    "Channel secret": "频道密钥",
    "API base URL": "API 基础地址",
    "API version": "API 版本",
    "Page id (Facebook Login only)": "主页 ID（仅限 Facebook 登录）",
    "Set the callback URL and verify token under WhatsApp → Configuration and subscribe to the messages field.": "在 WhatsApp → 配置 中填写回调地址和验证令牌，并订阅 messages 字段。",
    "Set the callback URL and verify token in the Messenger settings and subscribe the Page to messages, echoes, deliveries, reads and reactions.": "在 Messenger 设置中填写回调地址和验证令牌，并为主页订阅消息、回显、送达、已读和表情回应。",
    "Set the callback URL and verify token and subscribe to messages, messaging_seen and message_reactions.": "填写回调地址和验证令牌，并订阅 messages、messaging_seen 和 message_reactions。",
    "Register the webhook URL with setWebhook and the webhook secret as secret_token.": "使用 setWebhook 注册 Webhook 地址，并以 Webhook 密钥作为 secret_token。",
    "Paste the webhook URL in the LINE Developers console, enable Use webhook and press Verify.": "将 Webhook 地址粘贴到 LINE Developers 控制台，开启“Use webhook”并点击“Verify”。",
    # templates
    "Language": "语言",
    "Assignee": "负责人",
    "Assign to me": "分配给我",
    "Assigned to": "负责人：",
    "Resolve": "标记为已解决",
    "Reopen": "重新打开",
    "Reply": "回复",
    "Type a reply. Ctrl+Enter sends.": "输入回复，按 Ctrl+Enter 发送。",
    "Sent to the customer through": "通过以下账号发送给客户：",
    "Send": "发送",
    "No open conversations here.": "这里没有进行中的会话。",
    "When customers write, their conversations appear in this list.": "客户发来消息后，会话会出现在此列表中。",
    "unread": "未读",
    "No messages yet.": "还没有消息。",
    "Customer": "客户",
    "translated by": "翻译引擎：",
    "Configure a translation engine in Settings": "请在设置中配置翻译引擎",
    "words not checked": "未做敏感词检查",
    "flagged words": "含敏感词",
    "personal data masked": "个人信息已脱敏",
    "personal data not checked": "未做个人信息检查",
    "sent from the phone app": "从手机应用发送",
    "Inbox": "收件箱",
    "Inbox views": "收件箱视图",
    "connecting": "连接中",
    "Log out": "退出登录",
    "Conversations": "会话列表",
    "Conversation": "会话",
    "Pick a conversation": "请选择一个会话",
    "New customer messages appear on the left as they arrive. Press ? for keyboard shortcuts.": "新的客户消息会实时出现在左侧。按 ? 查看快捷键。",
    "Keyboard shortcuts": "快捷键",
    "Next / previous conversation": "下一个 / 上一个会话",
    "Focus the reply box": "跳到回复框",
    "Show this help": "显示本帮助",
    "Close": "关闭",
    "Log in": "登录",
    "One inbox for every account, in your language.": "所有账号，一个收件箱，用你的语言工作。",
    "Wrong email or password, or the account is disabled.": "邮箱或密码错误，或账号已被停用。",
    "Email": "邮箱",
    "Password": "密码",
    "No messages yet. Say hello!": "还没有消息，打个招呼吧！",
    "You are the customer": "你现在扮演客户",
    "writing to account": "，正在给账号发消息：",
    "This page plays the platform: what you send here reaches crossdesk's inbox.": "本页面模拟聊天平台：你在这里发送的内容会进入 crossdesk 收件箱。",
    "Message": "消息",
    "words checked": "已做敏感词检查",
    "Sensitive words": "敏感词",
    "Saved": "已保存",
    "It applies to new messages within seconds.": "几秒内对新消息生效。",
    "Hits in the last days": "近几天的命中",
    "Most frequent": "最常见",
    "No hits yet.": "暂无命中。",
    "Why was this flagged?": "为什么被标记？",
    "Paste a message to test it against every list": "粘贴一条消息，用所有词库检测",
    "Direction": "方向",
    "agent → customer": "客服 → 客户",
    "customer → agent": "客户 → 客服",
    "Test": "检测",
    "Word lists": "词库",
    "The starter packs (diversion to private channels, abuse) always apply; lists below add to them.": "内置词库（引流到私人渠道、辱骂）始终生效；下面的词库在此基础上补充。",
    "Name": "名称",
    "Category": "类别",
    "Action": "处理方式",
    "Version": "版本",
    "Updated": "更新于",
    "No lists of your own yet.": "还没有自定义词库。",
    "Add or replace a list": "新增或替换词库",
    "Severity": "严重程度",
    "Format": "格式",
    "Quick replies": "快捷回复",
    "No quick reply matches. Add some in Settings → Quick replies.": "没有匹配的快捷回复。可在“快捷回复”页面添加。",
    "Write them once in your language; type / in the composer to insert one. It is translated for each customer. Variables: {customer_name}, {agent_name}, and any custom attribute of the contact, such as {order_number}.": "用你的语言写一次；在回复框输入 / 即可插入，并会为每位客户自动翻译。变量：{customer_name}、{agent_name}，以及客户资料中的任意自定义属性，例如 {order_number}。",
    "Shortcut": "快捷码",
    "Team": "团队",
    "Everyone": "所有人",
    "No quick replies yet.": "还没有快捷回复。",
    "Save": "保存",
    "Only colleagues see notes; @name mentions someone": "备注只有同事可见；用 @名字 提及同事",
    "Add private note": "添加内部备注",
    "Private note · not sent to the customer": "内部备注 · 不会发送给客户",
    "Insert a quick reply (at the start of the reply box)": "插入快捷回复（在回复框开头输入）",
    "Terms: one per line, # for comments, term<TAB>category to override": "词条：每行一个，# 开头为注释，词条<TAB>类别 可覆盖类别",
    "Allow-phrases that shadow the terms inside them": "白名单短语（其中包含的词条不报）",
    "Save list": "保存词库",
    "No hit: this text would pass.": "无命中：这段文字可以通过。",
    "Found": "命中内容",
    "Term": "词条",
    "List": "词库",
    "How": "匹配方式",
    "Send anyway (your choice is recorded)": "仍然发送（此选择会被记录）",
    "Already in the customer's language: sent as written.": "已是客户的语言：按原文发送。",
    "The customer's version of your reply appears here as you type.": "输入时，这里会显示客户将收到的译文。",
    "Will not be sent:": "不会发送：",
    "The customer receives": "客户将收到",
    "Back-translation": "回译",
    "Edit the translation by hand": "手动修改译文",
    "Translation": "译文",
    "Leave empty to use the machine translation": "留空则使用机器翻译",
    "customer language": "客户语言",
    "send as written": "按原文发送",
    "Check meaning": "检查意思",
    "translation pending: retried automatically when the engine is back": "翻译待完成：翻译引擎恢复后自动重试",
    "Reveal": "查看原文",
    "Reason": "原因",
    "Why do you need it? (kept in the audit log)": "查看原因（将记入审计日志）",
    "revealed and recorded in the audit log": "已显示，并已记入审计日志",
    "Not sent.": "未发送。",
    "Company policy forbids moving customers to private contacts. Rephrase and send again.": "公司规定禁止将客户引导到私人联系方式。请修改后重新发送。",
    "Write as the customer…": "以客户身份输入…",
}


def _area_dictionaries() -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted(Path(__file__).resolve().parent.glob("i18n_zh_*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        merged.update(module.ZH)
    return merged


ZH.update(_area_dictionaries())


def template_messages() -> set[str]:
    found = extract_from_dir(str(TEMPLATES), [("**.html", "jinja2")])
    return {
        message for _file, _line, message, _comments, _context in found if isinstance(message, str)
    }


def main() -> None:
    catalog = Catalog(locale="zh_Hans_CN", project="crossdesk")
    for msgid in sorted(template_messages() | set(ZH)):
        catalog.add(msgid, ZH.get(msgid, ""))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.open("wb") as handle:
        write_po(handle, catalog, width=0, omit_header=False, sort_output=True)
    missing = sorted(m for m in template_messages() if m not in ZH)
    if missing:
        raise SystemExit(f"untranslated UI strings: {missing}")


if __name__ == "__main__":
    main()
