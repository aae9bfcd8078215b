"""Customers for the demo: they write, at a gentle pace, in several languages.

Some share phone numbers, one tries to move the chat to WhatsApp: every capability
of the product shows up within the first couple of minutes.
"""

import asyncio
import logging
import random
from dataclasses import dataclass

from crossdesk.channels.sandbox.platform import SandboxPlatform

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Customer:
    contact_id: str
    name: str
    account: str
    language: str
    lines: tuple[str, ...]


CUSTOMERS = (
    Customer(
        "maria-garcia",
        "María García",
        "shop-es",
        "es",
        (
            "Hola, compré unas zapatillas la semana pasada y todavía no han llegado. Pedido #45821",
            "¿Me podéis decir cuándo llegan? Mi teléfono es +34 612 345 678",
            "Vale, gracias. ¿Puedo cambiar la talla a un 39?",
        ),
    ),
    Customer(
        "joao-silva",
        "João Silva",
        "shop-latam",
        "pt",
        (
            "Olá! Vocês enviam para o Brasil? Quanto custa o frete para São Paulo?",
            "Quero comprar 3 unidades do modelo azul, SKU AZ-220",
            "Podemos falar pelo WhatsApp? Meu número é +55 11 98765 4321",
        ),
    ),
    Customer(
        "john-miller",
        "John Miller",
        "shop-global",
        "en",
        (
            "Hi, the charger I received is not working. Order 88123, can I get a replacement?",
            "I already tried another cable. My email is john.miller@example.com if you need it.",
            "Great, thanks for the quick answer!",
        ),
    ),
    Customer(
        "ahmed-alsayed",
        "أحمد السيد",
        "shop-global",
        "ar",
        (
            "مرحبا، هل المنتج متوفر باللون الأسود؟",
            "كم يستغرق الشحن إلى دبي؟",
            "شكرا جزيلا",
        ),
    ),
    Customer(
        "olga-ivanova",
        "Ольга Иванова",
        "shop-global",
        "ru",
        (
            "Здравствуйте! Где мой заказ 77310? Прошло уже две недели.",
            "Можно вернуть товар, если размер не подошёл?",
            "Напишите мне в Telegram, так быстрее",
        ),
    ),
    Customer(
        "lucia-fernandez",
        "Lucía Fernández",
        "shop-es",
        "es",
        (
            "Buenas tardes, ¿tenéis descuento para pedidos grandes?",
            "Agrégame en WhatsApp al 655 123 987 y hablamos allí",
            "Necesito factura a nombre de mi empresa",
        ),
    ),
)


async def run_simulator(
    platform: SandboxPlatform,
    *,
    min_delay: float = 6.0,
    max_delay: float = 16.0,
    seed: int | None = None,
) -> None:
    """Forever: pick a customer whose script is not finished and send their next line."""
    rng = random.Random(seed)
    progress = {c.contact_id: 0 for c in CUSTOMERS}
    await asyncio.sleep(2.0)
    while True:
        waiting = [c for c in CUSTOMERS if progress[c.contact_id] < len(c.lines)]
        if not waiting:
            progress = dict.fromkeys(progress, 0)  # start over: the demo keeps living
            await asyncio.sleep(max_delay * 4)
            continue
        customer = rng.choice(waiting)
        line = customer.lines[progress[customer.contact_id]]
        progress[customer.contact_id] += 1
        try:
            await platform.customer_says(
                customer.account,
                customer.contact_id,
                line,
                name=customer.name,
                lang=customer.language,
            )
        except Exception:  # the demo must go on even if one delivery fails
            logger.exception("simulated customer message failed")
        await asyncio.sleep(rng.uniform(min_delay, max_delay))
