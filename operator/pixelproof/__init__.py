"""pixelproof: progressive rollout of image-generation models on Kubernetes."""

__version__ = "0.1.0"
