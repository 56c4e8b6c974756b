"""Render custom_components/enode/brand/*.png from assets/brand/*.svg (run by scripts/brand).

Home Assistant (2026.3 and newer) and HACS read a custom integration's ``brand/`` folder: a square
icon (256 px, 512 px for high density screens) and a logo (shortest side 128 px, 256 px) with
dark-theme variants where the light one would not show. Our icon is a coloured tile that reads on
both themes (Home Assistant falls back from ``dark_icon.png`` to ``icon.png``); the logo's name is
dark teal, so the dark logo draws it light. Every PNG records the SHA-256 of the SVGs it was drawn
from in a ``Source`` text chunk, which the test suite compares with the SVGs in the checkout.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
import sys
import xml.etree.ElementTree as ET

import cairosvg
from PIL import Image, PngImagePlugin

MARK = "assets/brand/mark.svg"
WORDMARK = "assets/brand/wordmark.svg"
OUTPUT = "custom_components/enode/brand"
ICON_SIZE = 256
LOGO_HEIGHT = 128
# Space between the mark and the name, in units of the logo's height.
LOGO_GAP = 24 / 128
WORDMARK_COLORS = {"": "#134e4a", "dark_": "#ccfbf1"}
SVG_NS = "http://www.w3.org/2000/svg"


def source_note(root: Path, *names: str) -> str:
    """Return the value of the Source chunk: each SVG with its SHA-256."""
    return "; ".join(
        f"{name} sha256={hashlib.sha256((root / name).read_bytes()).hexdigest()}" for name in names
    )


def render(svg: bytes, width: int, height: int) -> Image.Image:
    """Render an SVG to an RGBA image of the given size."""
    png = cairosvg.svg2png(bytestring=svg, output_width=width, output_height=height)
    return Image.open(io.BytesIO(png)).convert("RGBA")


def colored(svg: bytes, color: str) -> bytes:
    """Return the SVG with its root ``color`` (what currentColor strokes use) set."""
    ET.register_namespace("", SVG_NS)
    tree = ET.fromstring(svg)
    tree.set("color", color)
    return ET.tostring(tree)


def save(image: Image.Image, path: Path, note: str) -> None:
    """Write an optimised PNG with its Source chunk (and nothing that changes between runs)."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Source", note)
    image.save(path, "PNG", optimize=True, pnginfo=info)
    size = path.stat().st_size
    print(f"{path.relative_to(path.parents[3])}: {image.width}x{image.height}, {size} bytes")


def main(root: Path) -> int:
    """Write the icon and logo PNGs."""
    out = root / OUTPUT
    out.mkdir(parents=True, exist_ok=True)
    mark = (root / MARK).read_bytes()
    wordmark = (root / WORDMARK).read_bytes()
    icon_note = source_note(root, MARK)
    logo_note = source_note(root, MARK, WORDMARK)
    view = ET.fromstring(wordmark).get("viewBox", "0 0 400 128").split()
    word_ratio = float(view[2]) / float(view[3])
    for scale, suffix in ((1, ""), (2, "@2x")):
        size = ICON_SIZE * scale
        save(render(mark, size, size), out / f"icon{suffix}.png", icon_note)
        height = LOGO_HEIGHT * scale
        gap = round(LOGO_GAP * height)
        word_width = round(word_ratio * height)
        for prefix, color in WORDMARK_COLORS.items():
            logo = Image.new("RGBA", (height + gap + word_width, height), (0, 0, 0, 0))
            logo.alpha_composite(render(mark, height, height), (0, 0))
            logo.alpha_composite(
                render(colored(wordmark, color), word_width, height), (height + gap, 0)
            )
            save(logo, out / f"{prefix}logo{suffix}.png", logo_note)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1]))
