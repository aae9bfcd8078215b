"""Context words: what the customer said right before (or after) a candidate.

Positive cues ("SSN", "护照", "IBAN") raise confidence or are required; trap cues ("order",
"tracking", "IMEI", "订单") mark look-alikes that must stay visible.
"""

from __future__ import annotations

import re

from crossdesk.masking.document import Document

# Labels of the numbers a conversation is about. Latin words need a word start; CJK ones match
# inside text. Kept lower case: matched against ``Document.lower``.
TRAP_CUES = re.compile(
    r"(?:\b(?:order|orders|ordine|pedido|encomenda|commande|bestellung|bestell-?nr|auftrag"
    r"|заказ\w*|sipariş\w*|siparis\w*|pesanan|đơn hàng|tracking|track|rastreio|rastreamento"
    r"|seguimiento|suivi|sendung\w*|sendungsnummer|трек\S*|resi|imei|s/n|serial|invoice"
    r"|factura|fatura|facture|rechnung|sku|model|modelo|artikel|артикул|coupon|cup[oó]n|cupom"
    r"|промокод|gift card|customer (?:no|number|id)|kundennummer|routing|sort code|aba"
    r"|ref|reference|referencia|référence|nf|no\. de pedido|ticket|case|awb"
    # ID labels: a number labelled as an ID is reported as that ID, never as a phone or card.
    r"|cpf|cnpj|ssn|инн|dni|nie|nif|curp|rut|iban|passport|pasaporte|passaporte)\b"
    r"|订单|单号|运单|快递|物流|追踪|跟踪|追跡|注文|伝票|お問い合わせ番号|주문|운송장|송장"
    r"|발송|คำสั่งซื้อ|พัสดุ|طلب|الطلب|التتبع|تتبع|الفاتورة|会员卡|发票|型号|货号|身份证|护照)"
)

# A trap word right after the number ("3095230537069660这个单").
TRAP_CUES_AFTER = re.compile(r"^\s{0,2}(?:这个单|这单|是订单|的订单|号订单|订单)")

_DIGIT = re.compile(r"[0-9]")


def cue_before(
    doc: Document, start: int, cues: re.Pattern[str], window: int = 30, *, skip_codes: bool = True
) -> bool:
    """Whether a cue word ends within ``window`` characters before ``start``.

    Args:
        doc: The document.
        start: Offset of the candidate.
        cues: Pattern over lower-cased text.
        window: How far back to look.
        skip_codes: Ignore a cue that is separated from the candidate by another number: in
            "order SO123 to +234 806 865 4046" the cue labels SO123, not the phone.
    """
    lo = max(0, start - window)
    segment = doc.lower[lo:start]
    last: re.Match[str] | None = None
    for match in cues.finditer(segment):
        last = match
    if last is None:
        return False
    return not (skip_codes and _DIGIT.search(segment[last.end() :]))


def cue_after(doc: Document, end: int, cues: re.Pattern[str], window: int = 8) -> bool:
    """Whether ``cues`` matches (anchored) right after ``end``."""
    return cues.search(doc.lower[end : end + window]) is not None


def is_trap(doc: Document, start: int, end: int, window: int = 30) -> bool:
    """Whether the candidate is labelled as an order, tracking, IMEI... number."""
    return cue_before(doc, start, TRAP_CUES, window) or cue_after(doc, end, TRAP_CUES_AFTER)


def ascii_bounded(text: str, start: int, end: int) -> bool:
    """No ASCII letter or digit glued to either side (CJK letters are fine neighbours)."""
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())
