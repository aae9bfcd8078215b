"""Chat words that point at one language, for messages too short for a statistical model.

Short customer messages ("thx!!", "valeu", "tmm abi", "дякую") are mostly greetings, thanks,
chat abbreviations and shop words. Each word here is common in chat in its language and rare
in the others crossdesk serves. Keep it small: it only tips a close call.
"""

from __future__ import annotations

_WORDS: dict[str, str] = {
    "en": "thx thanks thank ty pls plz please nvm tbh btw asap hi hello hey yes yeah yep wait "
    "where when what my the got it will didnt doesnt dont cant wont im ive refund shipped "
    "received arrived tracking order still yet",
    "es": "hola gracias buenas buenos vale porfa porfavor dónde donde cuándo pedido envío "
    "llegó llego todavía aún sí muchas saludos quiero necesito devolución talla",
    "pt": "oi olá obrigado obrigada valeu blz beleza cadê vc você vocês não tá pq tudo bem "
    "encomenda pedido chegou ainda quero preciso gostaria troca tamanho",
    "it": "ciao grazie buongiorno buonasera perfetto pacco ordine arrivato ancora vorrei "
    "spedizione taglia reso",
    "fr": "merci bonjour bonsoir salut svp stp oui colis commande reçu livraison toujours "
    "remboursement taille",
    "de": "danke hallo bitte gerne passt tschüss paket bestellung angekommen noch immer "
    "lieferung rücksendung größe",
    "nl": "dank bedankt graag hoi doei pakket bestelling ontvangen nog steeds maat ruilen "
    "klopt niet",
    "pl": "dzięki dziękuję dzieki czekam proszę prosze cześć czesc paczka zamówienie doszło "
    "rozmiar",
    "tr": "tmm tamam abi abla teşekkürler tesekkurler teşekkür sağol sagol merhaba kargo "
    "sipariş siparis beden iade",
    "id": "gak nggak ga yg kak makasih terima kasih tolong bisa dong sih aja barangnya udah "
    "belum sudah kirim pesanan ukuran",
    "vi": "ạ ơi shop cảm ơn không đơn hàng",
    "ru": "спасибо хорошо привет здравствуйте пожалуйста заказ посылка когда где ещё",
    "uk": "дякую гаразд будь ласка привіт добре замовлення посилка коли де ще",
}

CHAT_WORDS: dict[str, str] = {
    word: lang for lang, words in _WORDS.items() for word in words.split()
}
"""Word (lower case) → the language it points at."""
