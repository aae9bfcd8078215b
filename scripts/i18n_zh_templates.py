"""Chinese for the WhatsApp template picker's media headers (issue 6: templates with an image,
video or document header); merged by scripts/i18n_zh.py."""

ZH = {
    "Header image (JPEG or PNG)": "页眉图片（JPEG 或 PNG）",
    "Header video (MP4 or 3GP)": "页眉视频（MP4 或 3GP）",
    "Header document (PDF)": "页眉文档（PDF）",
}
