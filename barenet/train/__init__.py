"""Training: the fit loop, metrics, safe checkpoints, run directories, loading runs, curves and diagnostics."""
from .checkpoint import *  # noqa: F401,F403
from .checkpoint import __all__ as _checkpoint_all
from .diagnostics import Diagnostics, plot_diagnostics
from .grad import clip_grad_norm_
from .metrics import *  # noqa: F401,F403
from .metrics import __all__ as _metrics_all
from .plotting import plot_confusion_matrix, plot_curves
from .runs import LoadedRun, draw_confusion_matrix, evaluate_run, load_run, run_checkpoint
from .rundir import *  # noqa: F401,F403
from .rundir import __all__ as _rundir_all
from .trainer import Trainer

__all__ = (["Diagnostics", "LoadedRun", "Trainer", "clip_grad_norm_", "draw_confusion_matrix", "evaluate_run",
            "load_run", "plot_confusion_matrix",
            "plot_curves", "plot_diagnostics", "run_checkpoint"]
           + list(_checkpoint_all) + list(_metrics_all) + list(_rundir_all))
