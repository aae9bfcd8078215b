"""Chinese UI strings of the Telegram user login on the accounts page."""

# ruff: noqa: E501  # one message per line reads better than split strings

ZH = {
    # accounts page
    "Telegram account logged in. The session is sealed in the vault; agents can work the account now.": "Telegram 账号已登录。会话已加密保存在密钥库中，客服现在可以使用该账号。",
    "session ended": "会话已失效",
    "logged in": "已登录",
    "not logged in": "未登录",
    "Receives over its own Telegram connection (MTProto): no webhook to set up.": "通过自己的 Telegram 连接（MTProto）接收消息：无需设置 Webhook。",
    "Log in again": "重新登录",
    "Log in": "登录",
    # add-account form (rendered through _() from the form definition)
    "Phone number of the account": "账号的手机号",
    "api_hash from my.telegram.org": "my.telegram.org 上的 api_hash",
    "api_id from my.telegram.org": "my.telegram.org 上的 api_id",
    "Data centre host (leave empty)": "数据中心主机（留空）",
    "Data centre port (leave empty)": "数据中心端口（留空）",
    "Data centre number (leave empty)": "数据中心编号（留空）",
    "Create an application on my.telegram.org (API development tools) for its api_id and api_hash, add the account, then press Log in on its row: Telegram sends a code to the account's app. Use a socks5:// or http:// proxy, stable per account.": "在 my.telegram.org（API development tools）创建应用以获得 api_id 和 api_hash，添加账号后在该行点击“登录”：Telegram 会向该账号的应用发送验证码。请为每个账号使用固定的 socks5:// 或 http:// 代理。",
    # login page
    "Telegram login": "Telegram 登录",
    "The login was not finished within 10 minutes and has expired: send a new code.": "登录未在 10 分钟内完成，已过期：请重新发送验证码。",
    "Another admin has a login of this account in progress. Sending a new code replaces it.": "另一位管理员正在登录此账号。重新发送验证码会取代该登录。",
    "Log in the Telegram account": "登录 Telegram 账号",
    "Telegram ended the saved session: log in again.": "Telegram 已终止保存的会话：请重新登录。",
    "A new login replaces the saved session.": "新的登录会替换已保存的会话。",
    "The session is sealed in the vault and never shown; agents then work the account with no code and no password.": "会话加密保存在密钥库中，永不显示；之后客服无需验证码和密码即可使用该账号。",
    "Send code": "发送验证码",
    "Telegram sends a code to the account's Telegram app (or by SMS).": "Telegram 会把验证码发送到该账号的 Telegram 应用（或短信）。",
    "Code sent to": "验证码已发送至",
    "Look in the Telegram app on the account's phone (or the SMS).": "请在该账号手机上的 Telegram 应用（或短信）中查看。",
    "Code from Telegram": "Telegram 验证码",
    "This account has two-step verification: type its password.": "此账号开启了两步验证：请输入其密码。",
    "Two-step verification password": "两步验证密码",
    "Cancel and start again": "取消并重新开始",
    "The login must be finished within 10 minutes of sending the code.": "发送验证码后须在 10 分钟内完成登录。",
}
