"""The designer behind ``jaxdecay.design``: the analysis of a run's rates (area,
annealing area, batch-size scaling), loss-curve laws, fitting them to runs, and
the schedule that minimises a law's predicted loss (floor 4)."""
