"""aiogram-dialog flows (the migrant-facing conversation)."""
