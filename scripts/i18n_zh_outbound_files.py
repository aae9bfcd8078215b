"""Chinese for sending files from the composer (issue 6, outbound attachments); merged by
scripts/i18n_zh.py."""

ZH = {
    "Attach a file": "添加文件",
    "Remove": "移除",
    "Remove the attached file": "移除已添加的文件",
    "The file is too large to send.": "文件太大，无法发送。",
    "The file could not be sent. Try again.": "文件未能发送，请重试。",
}
