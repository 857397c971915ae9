"""Reading whole numbers out of request input without ever raising on it."""

# The largest value of a 64-bit database integer (a BigAutoField primary key).
MAX_ID = 2**63 - 1


def parse_int(value: str | None, low: int = 1, high: int = MAX_ID) -> int | None:
    """The number ``value`` spells in ASCII digits, if it is within ``low``..``high``;
    else None.

    Never raises: not on "²" (which ``str.isdigit()`` accepts and ``int()`` refuses), not
    on thousands of digits (beyond ``int()``'s limit), not on signs, spaces or exponents.
    """
    if not value or len(value) > len(str(high)) or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if low <= number <= high else None
