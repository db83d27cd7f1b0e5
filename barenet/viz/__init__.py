"""Seeing inside a network: filters, feature maps, Zeiler & Fergus' deconvnet and occlusion
experiment, saliency, Grad-CAM, activation maximisation, feature embeddings, and an HTML report.

Each function returns NumPy arrays and has a ``plot_...`` counterpart that draws them to PNG bytes
(and to a file when given a path). ``layer`` is a qualified module name (``"features.3"``) or a
module; ``target`` a class index, the predicted class by default; ``image`` an array or tensor
``(C, H, W)``. Hooks are removed when each call ends, even on an error, and the model's training
mode and ``requires_grad`` flags are restored.

Example:
    >>> import numpy as np
    >>> from barenet import models, viz
    >>> net = models.get_model("lenet5_relu")
    >>> viz.gradcam(net, np.zeros((1, 32, 32), np.float32)).shape
    (32, 32)
"""
from .deconvnet import *  # noqa: F401,F403
from .deconvnet import __all__ as _deconvnet_all
from .embedding import *  # noqa: F401,F403
from .embedding import __all__ as _embedding_all
from .features import *  # noqa: F401,F403
from .features import __all__ as _features_all
from .filters import *  # noqa: F401,F403
from .filters import __all__ as _filters_all
from .hooks import record
from .maximize import *  # noqa: F401,F403
from .maximize import __all__ as _maximize_all
from .occlusion import *  # noqa: F401,F403
from .occlusion import __all__ as _occlusion_all
from .saliency import *  # noqa: F401,F403
from .saliency import __all__ as _saliency_all

__all__ = (["record"] + list(_deconvnet_all) + list(_embedding_all) + list(_features_all) + list(_filters_all)
           + list(_maximize_all) + list(_occlusion_all) + list(_saliency_all))
