"""Pictures of what tillroll read: page images with word boxes coloured by label."""

from .overlay import draw_overlay, save_overlays

__all__ = ["draw_overlay", "save_overlays"]
