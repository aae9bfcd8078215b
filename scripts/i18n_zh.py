"""Write the Simplified Chinese UI catalogue (src/.../locale/zh_Hans/LC_MESSAGES/messages.po).

Run after adding UI strings: `.venv/bin/python scripts/i18n_zh.py`. The test suite fails
when a template string has no Chinese translation here.
"""

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
    "Reveal": "查看原文",
    "Reason": "原因",
    "Why do you need it? (kept in the audit log)": "查看原因（将记入审计日志）",
    "revealed and recorded in the audit log": "已显示，并已记入审计日志",
    "Not sent.": "未发送。",
    "Company policy forbids moving customers to private contacts. Rephrase and send again.": "公司规定禁止将客户引导到私人联系方式。请修改后重新发送。",
    "Write as the customer…": "以客户身份输入…",
}


def template_messages() -> set[str]:
    found = extract_from_dir(str(TEMPLATES), [("**.html", "jinja2")])
    return {message for _file, _line, message, _comments, _context in found if isinstance(message, str)}


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
