"""Simplified Chinese for the e-mail and WhatsApp-bridge accounts and the messaging window."""

ZH = {
    # composer: customer-service window and templates
    "Customer service window open until": "客服窗口开放至",
    "The 24-hour customer service window has closed.": "24 小时客服窗口已关闭。",
    (
        "Free text will not be delivered; only an approved template can be sent until the "
        "customer writes again."
    ): "自由文本不会送达；在客户再次来信之前只能发送已批准的模板。",
    "Choose a template": "选择模板",
    "Free text will not be delivered until the customer writes again.": (
        "在客户再次来信之前自由文本不会送达。"
    ),
    "This account has no approved templates with a text body.": (
        "此账号没有带文本正文的已批准模板。"
    ),
    "Parameter": "参数",
    "Send template": "发送模板",
    # accounts page: e-mail and WhatsApp bridge
    "Receives mail over IMAP and replies over SMTP: no webhook to set up.": (
        "通过 IMAP 收信、SMTP 回复：无需设置 Webhook。"
    ),
    "Link by QR code": "扫码关联",
    "Log out the phone": "退出手机关联",
    "On the phone: WhatsApp → Linked devices → Link a device, then scan this code.": (
        "在手机上：WhatsApp → 已关联的设备 → 关联新设备，然后扫描此二维码。"
    ),
    "QR code to link the phone": "用于关联手机的二维码",
    # values rendered through _() at run time (form labels, steps, bridge states)
    "E-mail address": "邮箱地址",
    "Mailbox password (or app password)": "邮箱密码（或应用专用密码）",
    "SMTP password if different": "SMTP 密码（如不同）",
    "IMAP server": "IMAP 服务器",
    "IMAP port": "IMAP 端口",
    "IMAP security": "IMAP 加密方式",
    "SMTP server": "SMTP 服务器",
    "SMTP port": "SMTP 端口",
    "SMTP security": "SMTP 加密方式",
    "Login name (when not the address)": "登录名（与地址不同时）",
    "Sender name shown to customers": "向客户显示的发件人名称",
    "Mailbox": "邮箱文件夹",
    "Check every (seconds, without IDLE)": "检查间隔（秒，无 IDLE 时）",
    (
        "Mail is read over IMAP (IDLE when the server offers it) and replies are sent over SMTP; "
        "no webhook is needed. Use an app password where the provider asks."
    ): "通过 IMAP 读取邮件（服务器支持时使用 IDLE），通过 SMTP 发送回复；无需 Webhook。"
    "服务商要求时请使用应用专用密码。",
    "Bridge session name": "桥接会话名称",
    "Bridge API key (WAHA X-Api-Key / Evolution apikey)": (
        "桥接 API 密钥（WAHA X-Api-Key / Evolution apikey）"
    ),
    "Bridge software": "桥接软件",
    "Webhook HMAC key (generated when empty)": "Webhook HMAC 密钥（留空则自动生成）",
    "Bridge URL": "桥接服务地址",
    (
        "crossdesk creates the session on your WAHA or Evolution server with its webhooks; "
        "press Link by QR code and scan the code with the phone (Linked devices)."
    ): "crossdesk 会在您的 WAHA 或 Evolution 服务器上创建会话并配置 Webhook；点击“扫码关联”，"
    "再用手机扫描二维码（已关联的设备）。",
    "linked and working": "已关联，运行正常",
    "not linked: scan the QR code with the phone": "未关联：请用手机扫描二维码",
    "starting": "启动中",
    "stopped: press Link to start it": "已停止：点击“扫码关联”启动",
    "failed: press Link to restart it, then scan the QR code if asked": (
        "失败：点击“扫码关联”重新启动，如有提示请扫描二维码"
    ),
    "no session on the bridge yet: press Link": "桥接服务上尚无会话：请点击“扫码关联”",
}
