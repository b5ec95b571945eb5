"""The schedule value and the numbers under it: argument checks, exact step
arithmetic, fusible elementary functions, field kinds, durations, docstring
text (floor 0), and the ``Schedule`` base class (floor 1)."""
