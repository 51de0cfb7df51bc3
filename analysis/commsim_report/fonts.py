"""Figure fonts: matplotlib's sans-serif (DejaVu Sans) first, then a CJK font when one is installed, so
that Chinese district names are drawn, not boxes (matplotlib >= 3.6 falls back glyph by glyph along the
family list; a generic family stands for its first installed font only, hence the CJK family named on
its own). Debian: fonts-noto-cjk (scripts/install-deps.sh)."""

import os

from matplotlib import font_manager, rcParams

# In order of preference: Noto Sans CJK (fonts-noto-cjk) and its relatives.
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK TC", "Noto Sans CJK KR", "Noto Sans SC",
                "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei")
BASE_FAMILY = "sans-serif"


def installed_families():
    """Font families matplotlib knows. Its font list is cached (~/.cache/matplotlib) and misses fonts
    installed after the cache was made: then the system's Noto Sans CJK files are added to it."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    if not any(f in names for f in CJK_FAMILIES):
        for path in font_manager.findSystemFonts():
            if os.path.basename(path).startswith("NotoSansCJK"):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        names = {f.name for f in font_manager.fontManager.ttflist}
    return names


def find_cjk_family(families=None):
    """The first CJK family of CJK_FAMILIES among the installed fonts, or None."""
    families = installed_families() if families is None else families
    return next((f for f in CJK_FAMILIES if f in families), None)


def configure_fonts(families=None):
    """Sets matplotlib's family list to sans-serif followed by the CJK family when one is installed;
    returns that CJK family or None (then sans-serif alone, matplotlib's default: CJK glyphs are boxes)."""
    cjk = find_cjk_family(families)
    rcParams["font.family"] = [BASE_FAMILY] + ([cjk] if cjk else [])
    return cjk
