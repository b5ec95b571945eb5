"""jaxdecay: learning-rate schedules for JAX and Optax, as exact, composable,
jit-compatible values."""

from . import design as design
from . import keras as keras
from . import timm as timm
from . import torch as torch
from . import transformers as transformers
from ._catalog.cycles import cosine_restarts as cosine_restarts
from ._catalog.cycles import cyclic as cyclic
from ._catalog.cycles import one_cycle as one_cycle
from ._catalog.cycles import one_cycle_momentum as one_cycle_momentum
from ._catalog.decay import constant as constant
from ._catalog.decay import cosine_decay as cosine_decay
from ._catalog.decay import exponential_decay as exponential_decay
from ._catalog.decay import inverse_sqrt_decay as inverse_sqrt_decay
from ._catalog.decay import inverse_time_decay as inverse_time_decay
from ._catalog.decay import linear as linear
from ._catalog.decay import linear_decay as linear_decay
from ._catalog.decay import multistep_decay as multistep_decay
from ._catalog.decay import natural_exp_decay as natural_exp_decay
from ._catalog.decay import polynomial_decay as polynomial_decay
from ._catalog.decay import power_decay as power_decay
from ._catalog.decay import step_decay as step_decay
from ._catalog.decay import tanh_decay as tanh_decay
from ._catalog.piecewise import piecewise_constant as piecewise_constant
from ._catalog.piecewise import piecewise_linear as piecewise_linear
from ._catalog.plateau import PlateauState as PlateauState
from ._catalog.plateau import ScaleByPlateauState as ScaleByPlateauState
from ._catalog.plateau import reduce_on_plateau as reduce_on_plateau
from ._catalog.recurrence import recurrence as recurrence
from ._compose.compose import arithmetic as arithmetic
from ._compose.compose import clip as clip
from ._compose.compose import combine as combine
from ._compose.compose import maximum as maximum
from ._compose.compose import minimum as minimum
from ._compose.compose import repeat as repeat
from ._compose.compose import scale_steps as scale_steps
from ._compose.compose import shift as shift
from ._compose.compose import staircase as staircase
from ._compose.compose import untuned_warmup as untuned_warmup
from ._compose.compose import warmup as warmup
from ._compose.join import join as join
from ._compose.noise import noise as noise
from ._compose.presets import warmup_cosine_decay as warmup_cosine_decay
from ._compose.presets import warmup_stable_decay as warmup_stable_decay
from ._compose.runs import cooldown as cooldown
from ._compose.runs import rebase as rebase
from ._compose.runs import stretch as stretch
from ._compose.runs import wsd_cycles as wsd_cycles
from ._compose.warp import warp as warp
from ._compose.wrap import from_fn as from_fn
from ._core.base import Schedule as Schedule
from ._core.base import register_alias as _register_alias
from ._core.numerics import as_step as as_step
from ._design.analysis import annealing_area as annealing_area
from ._design.analysis import area as area
from ._design.analysis import scale_lr as scale_lr
from ._tools.config import from_config as from_config
from ._tools.config import parse as parse
from ._tools.plot import plot as plot
from ._train.hyperparams import hyperparams as hyperparams
from ._train.inject import Count as Count
from ._train.inject import InjectState as InjectState
from ._train.inject import inject as inject
from ._train.lr_find import LRFindResult as LRFindResult
from ._train.lr_find import lr_find as lr_find
from ._train.progress import ProgressBar as ProgressBar

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
