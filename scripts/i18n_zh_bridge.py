"""Chinese UI strings of the WhatsApp bridge (WAHA / Evolution API) part of the accounts page."""

ZH = {
    "Bridge software:": "桥接软件：",
}
