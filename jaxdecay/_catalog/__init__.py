"""The catalog's schedules built from numbers alone: the decay rules, piecewise
schedules, cycles, recurrences and reduce-on-plateau (floor 2, on ``_core``)."""
