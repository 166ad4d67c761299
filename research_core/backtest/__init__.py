"""Point-in-time backtesting: engine, simulation core, metrics, vintage grids, validation.

Public names load on first use: importing the simulation core or the metrics does not
import the engine and the market data it reads.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
