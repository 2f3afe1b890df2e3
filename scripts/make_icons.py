"""Draw the app icons (two neighbouring houses) into static/icons. Run once when the design changes."""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
BRAND, PAPER, WARM = (180, 67, 47), (253, 248, 243), (240, 180, 90)


def draw(size: int, padding: float) -> Image.Image:
    img = Image.new("RGB", (size, size), BRAND)
    d = ImageDraw.Draw(img)
    s = size * (1 - 2 * padding)
    o = size * padding

    def house(x0: float, w: float, h: float, fill):
        base = o + s * 0.85
        top = base - h
        d.rectangle([x0, top + w * 0.35, x0 + w, base], fill=fill)
        roof = [(x0 - w * 0.1, top + w * 0.4), (x0 + w / 2, top - w * 0.1), (x0 + w * 1.1, top + w * 0.4)]
        d.polygon(roof, fill=fill)
        d.rectangle([x0 + w * 0.38, base - h * 0.35, x0 + w * 0.62, base], fill=BRAND)

    house(o + s * 0.10, s * 0.38, s * 0.55, PAPER)
    house(o + s * 0.55, s * 0.34, s * 0.45, WARM)
    return img


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192, 0.08).save(OUT / "icon-192.png", optimize=True)
    draw(512, 0.08).save(OUT / "icon-512.png", optimize=True)
    draw(512, 0.2).save(OUT / "icon-maskable-512.png", optimize=True)  # inside the maskable safe zone
