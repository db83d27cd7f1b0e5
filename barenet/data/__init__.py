"""Data: datasets, the loader, and the datasets barenet knows by name.

Example:
    >>> from barenet.data import DataLoader, get_dataset
    >>> data = get_dataset("digits")
    >>> x, y = next(iter(DataLoader(data.train, batch_size=8)))
    >>> x.shape, y.shape
    ((8, 1, 32, 32), (8,))
"""
from .dataset import *  # noqa: F401,F403
from .dataset import __all__ as _dataset_all
from .digits import *  # noqa: F401,F403
from .digits import __all__ as _digits_all
from .registry import *  # noqa: F401,F403
from .registry import __all__ as _registry_all
from . import transforms  # noqa: F401,E402  (barenet.data.transforms)
from .cifar import *  # noqa: F401,F403
from .cifar import __all__ as _cifar_all
from .folder import *  # noqa: F401,F403
from .folder import __all__ as _folder_all
from .mnist import *  # noqa: F401,F403
from .mnist import __all__ as _mnist_all
from .shapes import *  # noqa: F401,F403
from .shapes import __all__ as _shapes_all

__all__ = (list(_dataset_all) + list(_digits_all) + list(_registry_all) + list(_mnist_all) + list(_cifar_all)
           + list(_folder_all) + list(_shapes_all) + ["transforms"])
