"""Bearer API tokens scoped to a site and optionally to some of its projects."""
