"""Chinese for the states of received files in the conversation (issue 6: refused or could
not be downloaded); merged by scripts/i18n_zh.py."""

ZH = {
    "refused": "已拒收",
    "could not be downloaded": "无法下载",
}
