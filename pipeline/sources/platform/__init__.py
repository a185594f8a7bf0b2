"""Platform events: claims, follows and verification, as JSON Lines."""
