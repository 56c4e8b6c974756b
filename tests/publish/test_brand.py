"""The brand images Home Assistant 2026.3+ and HACS read from ``brand/``, drawn from our SVGs."""

from __future__ import annotations

import hashlib
from pathlib import Path
import re

from PIL import Image
import pytest

ROOT = Path(__file__).parents[2]
BRAND = ROOT / "custom_components" / "enode" / "brand"
# The file names Home Assistant's brands integration serves (homeassistant/components/brands).
ALLOWED = {
    "icon.png",
    "logo.png",
    "icon@2x.png",
    "logo@2x.png",
    "dark_icon.png",
    "dark_logo.png",
    "dark_icon@2x.png",
    "dark_logo@2x.png",
}
# What scripts/brand writes.
RENDERED = {
    "icon.png",
    "icon@2x.png",
    "logo.png",
    "logo@2x.png",
    "dark_logo.png",
    "dark_logo@2x.png",
}


def _open(name: str) -> Image.Image:
    image = Image.open(BRAND / name)
    image.load()
    return image


def test_only_images_home_assistant_reads() -> None:
    """brand/ holds the rendered images and nothing Home Assistant would not serve."""
    names = {path.name for path in BRAND.iterdir()}
    assert names <= ALLOWED
    assert names == RENDERED


@pytest.mark.parametrize(("name", "size"), [("icon.png", 256), ("icon@2x.png", 512)])
def test_icon_sizes(name: str, size: int) -> None:
    """Square icons of 256 and 512 pixels, with a transparent background."""
    image = _open(name)
    assert image.format == "PNG"
    assert image.size == (size, size)
    assert image.mode == "RGBA"
    alpha = image.getchannel("A")
    assert alpha.getpixel((0, 0)) == 0  # the corner outside the rounded tile
    assert alpha.getpixel((size // 2, size // 2)) == 255


@pytest.mark.parametrize("prefix", ["", "dark_"])
def test_logo_sizes(prefix: str) -> None:
    """Logos: shortest side 128 px (256 px at 2x), landscape, the 2x exactly twice the size."""
    logo = _open(f"{prefix}logo.png")
    double = _open(f"{prefix}logo@2x.png")
    assert logo.height == 128
    assert logo.width > logo.height
    assert double.size == (logo.width * 2, logo.height * 2)
    assert logo.mode == double.mode == "RGBA"


def test_dark_logo_draws_the_name_light() -> None:
    """The dark logo draws the name light (dark would vanish on a dark theme), the light dark."""

    def name_brightness(image: Image.Image) -> float:
        # The name is right of the mark: the mean brightness of its opaque pixels.
        name = image.crop((image.height + 10, 0, image.width, image.height)).convert("LA")
        pixels = [lum for lum, alpha in name.getdata() if alpha > 200]
        assert pixels
        return sum(pixels) / len(pixels)

    assert name_brightness(_open("logo.png")) < 100
    assert name_brightness(_open("dark_logo.png")) > 200


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_rendered_from_the_current_svgs(name: str) -> None:
    """Each PNG names the SVGs it was rendered from; their SHA-256 matches the checkout's.

    After changing an SVG in assets/brand/, run scripts/brand and commit the PNGs.
    """
    source = _open(name).info.get("Source", "")
    parts = re.findall(r"(assets/brand/[a-z_]+\.svg) sha256=([0-9a-f]{64})", source)
    expected = ["assets/brand/mark.svg"]
    if "logo" in name:
        expected.append("assets/brand/wordmark.svg")
    assert [path for path, _ in parts] == expected
    for path, digest in parts:
        assert hashlib.sha256((ROOT / path).read_bytes()).hexdigest() == digest, (
            f"{name} is older than {path}: run scripts/brand"
        )
