"""Designing a schedule: loss-curve laws fitted on short runs, predictions of
the loss curve for any schedule, and a schedule optimized for the final loss.

- :class:`MultiPowerLaw` (Luo et al., 2025) and :class:`AnnealingLaw` (Tissue
  et al., 2024): a training run's loss as a function of its learning-rate
  schedule; ``law.predict(schedule, steps, warmup_steps)`` predicts a curve.
- :func:`fit`: a law's constants from logged runs (a constant rate and a
  cosine are enough), with the goodness of fit.
- :func:`optimize`: the schedule whose final loss a law predicts lowest, as
  a compact jaxdecay schedule.

  >>> from jaxdecay import design
  >>> law = design.MultiPowerLaw(L0=2.375, A=0.654, alpha=0.429,
  ...     B=523.425, C=2.025, beta=0.594, gamma=0.635)
  >>> lr = design.optimize(law, 3000, 300, 3e-4)
  >>> cosine = warmup_cosine_decay(3e-4, warmup_steps=300, decay_steps=3000)
  >>> bool(law.predict(lr, 3000, 300) < law.predict(cosine, 3000, 300))
  True
"""

from ._design.fit import Fit, fit
from ._design.laws import AnnealingLaw, MultiPowerLaw
from ._design.optimize import Optimized, optimize

__all__ = ["AnnealingLaw", "Fit", "MultiPowerLaw", "Optimized", "fit", "optimize"]
