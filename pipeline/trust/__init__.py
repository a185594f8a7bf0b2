"""Trust model: explainable, versioned, weights in configuration."""
