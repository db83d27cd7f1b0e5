"""Training: the fit loop, metrics, safe checkpoints, run directories and curves."""
from .checkpoint import *  # noqa: F401,F403
from .checkpoint import __all__ as _checkpoint_all
from .grad import clip_grad_norm_
from .metrics import *  # noqa: F401,F403
from .metrics import __all__ as _metrics_all
from .plotting import plot_curves
from .rundir import *  # noqa: F401,F403
from .rundir import __all__ as _rundir_all
from .trainer import Trainer

__all__ = (["Trainer", "clip_grad_norm_", "plot_curves"] + list(_checkpoint_all) + list(_metrics_all)
           + list(_rundir_all))
