"""Sites (one studio or facility, the tenant) and their projects."""
