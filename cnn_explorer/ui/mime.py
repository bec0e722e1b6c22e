"""MIME types of what the app drags and copies: palette kinds, presets and copied blocks."""

KIND_MIME = "application/x-cnn-explorer-kind"
PRESET_MIME = "application/x-cnn-explorer-preset"
CLIPBOARD_MIME = "application/x-cnn-explorer-blocks"
