"""A photo of a coupon code, decoded on the server when the till's camera cannot scan it live."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; anything larger is not from a phone camera
DECODE_EDGE = 1600  # codes are large in the frame; scanning a smaller copy is faster and as reliable


class NotAnImage(ValueError):
    pass


def decode(data: bytes) -> list[str]:
    """The texts of the QR codes in a photo, by its content (never its name); NotAnImage if it is none."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise NotAnImage(f"{probe.format or 'unknown'} images are not accepted")
            if probe.width * probe.height > MAX_PIXELS:
                raise NotAnImage("the image has too many pixels")
            image = probe.convert("L")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise NotAnImage("the file is not a readable image") from exc
    image.thumbnail((DECODE_EDGE, DECODE_EDGE))
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode) if r.valid]
