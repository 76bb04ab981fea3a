"""Database: the declarative base, engines and sessions, migrations."""
