"""The risk engine: VaR/ES with components, VaR backtests, stresses, limits and breakers.

Public names load on first use: a caller of one function does not import the others'
dependencies (statsmodels, scikit-learn, hmmlearn).
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
