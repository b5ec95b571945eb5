"""Schedules built from schedules: wrapped callables, joins, the algebra
(arithmetic, clip, shift, repeat, stairs, warmup), the warmup-then-decay
presets, time warps, noise, and runs that change course (floor 3)."""
