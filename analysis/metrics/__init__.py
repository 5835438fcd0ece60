"""The numbers: outcome classes, funnel, causes, stalls, cohorts, overview and their statistics. Pure functions
of pilots (frames or arrays); imports neither the store nor the figures."""
