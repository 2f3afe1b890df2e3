"""A photo of a coupon code, decoded on the server when the till's camera cannot scan it live."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image, UnidentifiedImageError

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
# Checked from the header before decoding (see services/photos.py): JPEG is decoded in draft mode
# at a fraction of its size, lossless formats whole, so they get a smaller cap.
MAX_PIXELS = {"JPEG": 16_800_000, "PNG": 4_200_000, "WEBP": 4_200_000, "GIF": 4_200_000}
DECODE_EDGE = 1600  # codes are large in the frame; scanning a smaller copy is faster and as reliable


class NotAnImage(ValueError):
    pass


def decode(data: bytes) -> list[str]:
    """The texts of the QR codes in a photo, by its content (never its name); NotAnImage if it is none."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ACCEPTED_FORMATS:
                raise NotAnImage(f"{probe.format or 'unknown'} images are not accepted")
            if probe.width * probe.height > MAX_PIXELS[probe.format]:
                raise NotAnImage("the image has too many pixels")
            if probe.format == "JPEG":
                probe.draft("L", (DECODE_EDGE, DECODE_EDGE))
            image = probe.convert("L")
    except NotAnImage:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        # ValueError: Pillow's answer to a text-chunk bomb ("Decompressed Data Too Large")
        raise NotAnImage("the file is not a readable image") from exc
    image.thumbnail((DECODE_EDGE, DECODE_EDGE))
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode) if r.valid]
