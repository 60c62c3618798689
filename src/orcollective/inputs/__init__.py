"""What a user sends along with a request: messages and images."""

from .images import MAX_IMAGES, ImagePolicy, image_part, image_parts, load_images
from .messages import build_messages

__all__ = ["MAX_IMAGES", "ImagePolicy", "build_messages", "image_part", "image_parts", "load_images"]
