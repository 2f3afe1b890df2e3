"""Photos of a problem and of its fix: checked by their content, re-encoded without metadata.

Re-encoding is the only reliable way to drop EXIF (a phone's GPS position, its serial number)
and anything hidden after the image data; it also turns a 12-megapixel photo into one a phone on
a slow connection can load.
"""

from __future__ import annotations

import io
import secrets
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from core.identity.rules import N_

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_BYTES = 8 * 1024 * 1024
# Checked from the header, before anything is decoded. A phone photo is a JPEG of at most 12-16
# megapixels, which draft mode decodes at a quarter of the size; a lossless PNG or WebP is decoded
# whole, so it gets a smaller cap (a phone screenshot of 1170 x 2532 fits). Either way a photo costs a bounded
# fraction of a second, not seconds.
MAX_PIXELS = {"JPEG": 16_800_000, "PNG": 4_200_000, "WEBP": 4_200_000}
MAX_EDGE = 1600
QUALITY = 82


class BadPhoto(ValueError):
    pass


def reencode(data: bytes) -> tuple[bytes, int, int]:
    """(JPEG bytes without metadata, width, height); BadPhoto for anything that is not a photo."""
    if len(data) > MAX_BYTES:
        raise BadPhoto(N_("A photo may be at most 8 MB."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise BadPhoto(N_("Please send photos as JPEG, PNG or WebP."))
                if probe.width * probe.height > MAX_PIXELS[probe.format]:
                    raise BadPhoto(N_("This photo is too large; please send a smaller one."))
                if probe.format == "JPEG":
                    probe.draft("RGB", (MAX_EDGE, MAX_EDGE))
                probe.load()
                image = ImageOps.exif_transpose(probe).convert("RGB")
    except BadPhoto:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:
        raise BadPhoto(N_("This file is not a photo.")) from exc
    image.thumbnail((MAX_EDGE, MAX_EDGE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY, optimize=True)  # no exif= argument: nothing carried over
    return out.getvalue(), image.width, image.height


def new_token() -> str:
    return secrets.token_urlsafe(16)
