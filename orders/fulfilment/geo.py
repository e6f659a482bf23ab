"""Distances and the demo's postal-code-to-coordinates table."""

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


def distance_km(a: Point, b: Point) -> float:
    """Great-circle (haversine) distance; road distance is longer, but ranks locations the same way."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


# Brazilian CEP ranges (first five digits) to the coordinates of a point in that area: enough to
# rank locations for the demo network. A production deployment loads a full geocoded CEP table.
CEP_AREAS: list[tuple[int, int, str, Point]] = [
    (1000, 1599, "São Paulo - Centro", Point(-23.5489, -46.6388)),
    (1400, 1499, "São Paulo - Jardins", Point(-23.5646, -46.6640)),
    (2000, 2999, "São Paulo - Zona Norte", Point(-23.4950, -46.6250)),
    (3000, 3999, "São Paulo - Zona Leste", Point(-23.5430, -46.5500)),
    (4000, 4999, "São Paulo - Zona Sul", Point(-23.6200, -46.6600)),
    (5000, 5999, "São Paulo - Zona Oeste / Pinheiros", Point(-23.5670, -46.7020)),
    (6000, 9999, "Grande São Paulo", Point(-23.5500, -46.8000)),
    (7700, 7799, "Cajamar", Point(-23.3560, -46.8770)),
    (11000, 11999, "Santos e litoral", Point(-23.9608, -46.3336)),
    (13000, 13199, "Campinas", Point(-22.9099, -47.0626)),
    (14000, 14199, "Ribeirão Preto", Point(-21.1775, -47.8103)),
    (20000, 23799, "Rio de Janeiro", Point(-22.9068, -43.1729)),
    (24000, 24999, "Niterói", Point(-22.8832, -43.1034)),
    (30000, 31999, "Belo Horizonte", Point(-19.9167, -43.9345)),
    (40000, 42599, "Salvador", Point(-12.9777, -38.5016)),
    (50000, 52999, "Recife", Point(-8.0476, -34.8770)),
    (60000, 61999, "Fortaleza", Point(-3.7319, -38.5267)),
    (69000, 69099, "Manaus", Point(-3.1190, -60.0217)),
    (70000, 72799, "Brasília", Point(-15.7939, -47.8828)),
    (74000, 74899, "Goiânia", Point(-16.6869, -49.2648)),
    (80000, 82999, "Curitiba", Point(-25.4284, -49.2733)),
    (88000, 88099, "Florianópolis", Point(-27.5954, -48.5480)),
    (90000, 91999, "Porto Alegre", Point(-30.0346, -51.2177)),
]


def cep_digits(postal_code: str) -> str:
    return "".join(ch for ch in postal_code if ch.isdigit())


def point_for_postal_code(postal_code: str, country: str = "BR") -> Point | None:
    """The coordinates of the most specific known area for a CEP, or None when unknown."""
    digits = cep_digits(postal_code)
    if country != "BR" or len(digits) != 8:
        return None
    prefix = int(digits[:5])
    matches = [(high - low, point) for low, high, _name, point in CEP_AREAS if low <= prefix <= high]
    if not matches:
        return None
    return min(matches, key=lambda match: match[0])[1]
