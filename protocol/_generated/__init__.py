"""Generated from schemas/; do not edit."""
