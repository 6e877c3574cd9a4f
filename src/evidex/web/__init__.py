"""The web app and JSON API (`evidex serve`)."""
