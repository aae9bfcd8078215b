"""Chinese for the WhatsApp template picker's headers (issue 6: an image, video or document
header, or a text header's parameter); merged by scripts/i18n_zh.py."""

ZH = {
    "Header": "页眉",
    "Header image (JPEG or PNG)": "页眉图片（JPEG 或 PNG）",
    "Header video (MP4 or 3GP)": "页眉视频（MP4 或 3GP）",
    "Header document (PDF)": "页眉文档（PDF）",
}
