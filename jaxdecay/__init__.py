"""jaxdecay: learning-rate schedules for JAX and Optax, as exact, composable,
jit-compatible values."""

from . import design as design
from . import keras as keras
from . import timm as timm
from . import torch as torch
from . import transformers as transformers
from ._analysis import annealing_area as annealing_area
from ._analysis import area as area
from ._analysis import scale_lr as scale_lr
from ._base import Schedule as Schedule
from ._base import register_alias as _register_alias
from ._compose import arithmetic as arithmetic
from ._compose import clip as clip
from ._compose import combine as combine
from ._compose import maximum as maximum
from ._compose import minimum as minimum
from ._compose import repeat as repeat
from ._compose import scale_steps as scale_steps
from ._compose import shift as shift
from ._compose import staircase as staircase
from ._compose import untuned_warmup as untuned_warmup
from ._compose import warmup as warmup
from ._config import from_config as from_config
from ._config import parse as parse
from ._cycles import cosine_restarts as cosine_restarts
from ._cycles import cyclic as cyclic
from ._cycles import one_cycle as one_cycle
from ._cycles import one_cycle_momentum as one_cycle_momentum
from ._decay import constant as constant
from ._decay import cosine_decay as cosine_decay
from ._decay import exponential_decay as exponential_decay
from ._decay import inverse_sqrt_decay as inverse_sqrt_decay
from ._decay import inverse_time_decay as inverse_time_decay
from ._decay import linear as linear
from ._decay import linear_decay as linear_decay
from ._decay import multistep_decay as multistep_decay
from ._decay import natural_exp_decay as natural_exp_decay
from ._decay import polynomial_decay as polynomial_decay
from ._decay import power_decay as power_decay
from ._decay import step_decay as step_decay
from ._decay import tanh_decay as tanh_decay
from ._inject import Count as Count
from ._inject import InjectState as InjectState
from ._inject import inject as inject
from ._join import join as join
from ._lr_find import LRFindResult as LRFindResult
from ._lr_find import lr_find as lr_find
from ._noise import noise as noise
from ._numerics import as_step as as_step
from ._optax import hyperparams as hyperparams
from ._piecewise import piecewise_constant as piecewise_constant
from ._piecewise import piecewise_linear as piecewise_linear
from ._plateau import PlateauState as PlateauState
from ._plateau import ScaleByPlateauState as ScaleByPlateauState
from ._plateau import reduce_on_plateau as reduce_on_plateau
from ._plot import plot as plot
from ._presets import warmup_cosine_decay as warmup_cosine_decay
from ._presets import warmup_stable_decay as warmup_stable_decay
from ._progress import ProgressBar as ProgressBar
from ._recurrence import recurrence as recurrence
from ._runs import cooldown as cooldown
from ._runs import rebase as rebase
from ._runs import stretch as stretch
from ._runs import wsd_cycles as wsd_cycles
from ._warp import warp as warp
from ._wrap import from_fn as from_fn

sgdr = cosine_restarts
"""Alias of :class:`cosine_restarts` (SGDR, Loshchilov & Hutter)."""
wsd = warmup_stable_decay
"""Alias of :class:`warmup_stable_decay`."""
_register_alias("sgdr", cosine_restarts)
_register_alias("wsd", warmup_stable_decay)

__version__ = "0.1.0"

__all__ = [
    "Count",
    "InjectState",
    "LRFindResult",
    "PlateauState",
    "ProgressBar",
    "ScaleByPlateauState",
    "Schedule",
    "annealing_area",
    "area",
    "arithmetic",
    "as_step",
    "clip",
    "combine",
    "constant",
    "cooldown",
    "cosine_decay",
    "cosine_restarts",
    "cyclic",
    "exponential_decay",
    "from_config",
    "from_fn",
    "hyperparams",
    "inject",
    "inverse_sqrt_decay",
    "inverse_time_decay",
    "join",
    "linear",
    "linear_decay",
    "lr_find",
    "maximum",
    "minimum",
    "multistep_decay",
    "natural_exp_decay",
    "noise",
    "one_cycle",
    "one_cycle_momentum",
    "parse",
    "piecewise_constant",
    "piecewise_linear",
    "plot",
    "polynomial_decay",
    "power_decay",
    "rebase",
    "recurrence",
    "reduce_on_plateau",
    "repeat",
    "scale_lr",
    "scale_steps",
    "sgdr",
    "shift",
    "staircase",
    "step_decay",
    "stretch",
    "tanh_decay",
    "untuned_warmup",
    "warmup",
    "warmup_cosine_decay",
    "warmup_stable_decay",
    "warp",
    "wsd",
    "wsd_cycles",
]
