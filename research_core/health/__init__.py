"""Strategy health: change detection, track-record tests, implementation drift, cards,
and a meta-model that learns when to trust a strategy's next trade.

Sits between ``pms`` and ``narrative`` in the import order: it reads backtest returns
(``backtest``), live P&L (``pms``) and the trial ledger; the Morning Pack reads its cards.
Public names load on first use, so ``workbench --help`` does not import river or sklearn.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
