"""Amounts of money: the 人民币大写 form that financial documents print beside the figures."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from tenants.errors import BanwenError

DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("", "拾", "佰", "仟")
BIG_UNITS = ("", "万", "亿", "万亿")


def _group(n: int) -> str:
    """0 < n < 10000 in capitals, with 零 for inner gaps (1005 → 壹仟零伍)."""
    out, zero = "", False
    for pos in range(3, -1, -1):
        d = n // 10**pos % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += DIGITS[d] + SMALL_UNITS[pos]
    return out


def money_upper(amount: float | int | str | Decimal) -> str:
    """人民币大写 of ``amount``, rounded to the fen: 1234.5 → 壹仟贰佰叁拾肆元伍角.

    The rules of the People's Bank's 支付结算办法: 整 after a whole yuan amount (none after 角), 零 for a gap
    inside the number (and between yuan and fen when jiao is 0), 负 before a negative amount.
    """
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise BanwenError(f"“{amount}” 不是金额。", f"'{amount}' is not an amount of money.") from None
    if abs(value) >= Decimal(10) ** 16:
        raise BanwenError("金额过大（须小于一亿亿元）。", "The amount is too large (it must be below 10^16 yuan).")
    sign = "负" if value < 0 else ""
    fen_total = int(abs(value) * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    if fen_total == 0:
        return "零元整"
    text = ""
    if yuan:
        groups = []
        n = yuan
        while n:
            groups.append(n % 10000)
            n //= 10000
        need_zero = False
        for i in range(len(groups) - 1, -1, -1):
            g = groups[i]
            if g == 0:
                need_zero = bool(text)
                continue
            if text and (need_zero or g < 1000):
                text += "零"
            text += _group(g) + BIG_UNITS[i]
            need_zero = False
        text += "元"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan and fen:
        text += "零"
    if fen:
        text += DIGITS[fen] + "分"
    elif not jiao:
        text += "整"
    return sign + text
