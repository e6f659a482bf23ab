"""PIX "copia e cola" codes (EMV BR Code, as published by Banco Central) and their QR code as SVG."""

import io
import secrets
from decimal import Decimal

import segno
from django.conf import settings


def _field(tag: str, value: str) -> str:
    return f"{tag}{len(value):02d}{value}"


def crc16(payload: str) -> str:
    """CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF) as four upper-case hex digits."""
    crc = 0xFFFF
    for byte in payload.encode():
        crc ^= byte << 8
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


def new_txid() -> str:
    return "OMS" + secrets.token_hex(11).upper()  # 25 characters, the most field 62-05 allows


def brcode(*, amount: Decimal, txid: str) -> str:
    key = getattr(settings, "PAYMENTS_PIX_KEY", "pix@example.com")
    merchant = getattr(settings, "PAYMENTS_PIX_MERCHANT", "OMS LOJA")[:25]
    city = getattr(settings, "PAYMENTS_PIX_CITY", "SAO PAULO")[:15]
    payload = (
        _field("00", "01")
        + _field("01", "12")
        + _field("26", _field("00", "br.gov.bcb.pix") + _field("01", key))
        + _field("52", "0000")
        + _field("53", "986")
        + _field("54", f"{amount:.2f}")
        + _field("58", "BR")
        + _field("59", merchant)
        + _field("60", city)
        + _field("62", _field("05", txid[:25]))
        + "6304"
    )
    return payload + crc16(payload)


def qr_svg(code: str) -> str:
    buffer = io.BytesIO()
    segno.make(code, error="m").save(buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True,
                                      title="PIX")
    return buffer.getvalue().decode()
