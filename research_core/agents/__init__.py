"""The five analytical agents and the runner that calls them in dependency order.

``run_agents(view)`` runs every agent (or the named ones plus what they depend on) on one
point-in-time view and returns their reports by name.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
