"""Reading where an order line's stock is held (its ``OrderLineAllocation`` parts) in assertions."""


def held_at(line):
    """The one location holding the line's stock; None while it holds none (e.g. on a transfer); a sorted tuple
    of locations when the line is split."""
    locations = sorted(line.allocations.values_list("location_id", flat=True))
    if not locations:
        return None
    return locations[0] if len(locations) == 1 else tuple(locations)


def held_by_variant(order) -> dict:
    return {line.variant_id: held_at(line) for line in order.lines.all()}
