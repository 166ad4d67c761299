"""Econometric models as plain functions on pandas objects, returning frozen results.

Each result has ``to_frame()`` and ``summary()``; none does I/O. Agents compose them.

Public names load on first use: a caller of one function does not import the others'
dependencies (statsmodels, scikit-learn, hmmlearn).
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
