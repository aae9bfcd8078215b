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
}
