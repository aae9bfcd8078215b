"""Decoding the bytes of real mail: declared charsets that lie, and RFC 2047 encoded-words.

Mail clients declare the narrow standard charset and send the vendor superset (Outlook's
"gb2312" is GBK, "shift_jis" is CP932, "euc-kr" is CP949, "iso-8859-1" is windows-1252), so
each declared name maps to a chain of codecs tried strictly in order, the last one with
replacement characters. Nothing here raises: an unknown charset falls back to UTF-8 with
replacement characters.
"""

import base64
import binascii
import codecs
import re

# Tried strictly in order; the last one is used with errors="replace".
_CHAINS: dict[str, tuple[str, ...]] = {
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "x-gbk": ("gb18030",),
    "cp936": ("gb18030",),
    "euc-cn": ("gb18030",),
    "gb_2312-80": ("gb18030",),
    "chinese": ("gb18030",),
    "gb18030": ("gb18030",),
    "big5": ("big5hkscs", "cp950"),
    "big5-hkscs": ("big5hkscs",),
    "x-big5": ("big5hkscs", "cp950"),
    "cp950": ("cp950", "big5hkscs"),
    "shift_jis": ("cp932", "shift_jis_2004"),
    "shift-jis": ("cp932", "shift_jis_2004"),
    "sjis": ("cp932",),
    "x-sjis": ("cp932",),
    "ms_kanji": ("cp932",),
    "windows-31j": ("cp932",),
    "iso-2022-jp": ("iso2022_jp_2", "iso2022_jp_ext", "iso2022_jp_2"),
    "csiso2022jp": ("iso2022_jp_2", "iso2022_jp_ext", "iso2022_jp_2"),
    "euc-jp": ("euc_jis_2004", "euc_jp"),
    "euc-kr": ("cp949",),
    "ks_c_5601-1987": ("cp949",),
    "ks_c_5601": ("cp949",),
    "iso-8859-1": ("cp1252", "latin-1"),
    "latin1": ("cp1252", "latin-1"),
    "us-ascii": ("ascii", "utf-8", "cp1252"),
    "ascii": ("ascii", "utf-8", "cp1252"),
    "utf-8": ("utf-8",),
    "utf8": ("utf-8",),
}
# Python codecs that are not charsets a mail can honestly declare (they would turn bytes
# into escapes or run other transforms).
_REFUSED = frozenset(
    {"unicode_escape", "raw_unicode_escape", "idna", "punycode", "undefined", "mbcs", "oem"}
)
_FALLBACK = ("utf-8",)
_EW = re.compile(r"=\?([^?\s]{1,60})\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN = re.compile(r"^[ \t\r\n]*$")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
MAX_HEADER = 16_000


def _chain(charset: str | None) -> tuple[str, ...]:
    name = (charset or "").strip().strip("\"'").lower()
    if not name:
        return _FALLBACK
    if name in _CHAINS:
        return _CHAINS[name]
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return _FALLBACK
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED:
        return _FALLBACK
    return (info.name,)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text of ``data`` in its declared ``charset`` (see the module docstring)."""
    chain = _chain(charset)
    if chain == _FALLBACK and charset is None:
        chain = ("utf-8", "cp1252")  # undeclared 8-bit text: UTF-8 if it is, else Windows
    text: str | None = None
    for codec in chain[:-1]:
        try:
            text = data.decode(codec)
            break
        except (UnicodeError, LookupError):
            continue
    if text is None:
        try:
            text = data.decode(chain[-1], errors="replace")
        except (UnicodeError, LookupError):
            text = data.decode("utf-8", errors="replace")
    return text.removeprefix("\ufeff")


def raw_header_text(value: str, hint: str | None = None) -> str:
    """A header value as the parser left it: raw 8-bit bytes (surrogate-escaped) are decoded
    as UTF-8, else the message's body charset, else windows-1252."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    data = value.encode("ascii", "surrogateescape")
    for codec in ("utf-8", *((_chain(hint)[0],) if hint else ())):
        try:
            return data.decode(codec)
        except (UnicodeError, LookupError):
            continue
    return data.decode("cp1252", errors="replace")


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    try:
        if encoding in "bB":
            padded = payload + "=" * (-len(payload) % 4)
            return base64.b64decode(padded.encode("ascii"), validate=False)
        data = payload.replace("_", " ").encode("ascii", "surrogateescape")
        return binascii.a2b_qp(data, header=True)
    except (ValueError, binascii.Error, UnicodeError):
        return None


def decode_header(value: str, hint: str | None = None) -> str:
    """RFC 2047 decoding that survives real mail: B and Q words, words split in the middle
    of a character (adjacent words of one charset are joined before decoding), mixed
    charsets, whitespace between words dropped, unencoded 8-bit text, folded lines. The value
    is cut at ``MAX_HEADER`` characters first, so a huge header costs nothing."""
    text = _FOLD.sub("", raw_header_text(value[:MAX_HEADER], hint))
    out: list[str] = []
    pending: list[tuple[str, bytearray]] = []  # adjacent words not yet decoded

    def flush() -> None:
        for charset, data in pending:
            out.append(decode_bytes(bytes(data), charset))
        pending.clear()

    position = 0
    for match in _EW.finditer(text):
        between = text[position : match.start()]
        if not (pending and _BETWEEN.match(between)):
            flush()
            out.append(between)
        charset = match.group(1).split("*", 1)[0]
        data = _word_bytes(match.group(2), match.group(3))
        if data is None:
            flush()
            out.append(match.group(0))
        elif pending and pending[-1][0].lower() == charset.lower():
            pending[-1][1].extend(data)
        else:
            pending.append((charset, bytearray(data)))
        position = match.end()
    flush()
    out.append(text[position:])
    return "".join(out)
