"""What the API serves to a browser: static assets (``assets``) and pages (``docs``: the API's docs)."""
