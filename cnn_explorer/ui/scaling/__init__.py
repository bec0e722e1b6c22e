"""The Scale dialog: compound scaling of the open design."""
