"""Public names of ``research_core.pms``: the one list, read by type checkers and by
``lazy_loader`` (each name imports its module on first use)."""

from .attribution import PLATest as PLATest
from .audit import (
    Anchor as Anchor,
    Verification as Verification,
    canonical as canonical,
    chain_hash as chain_hash,
)
from .db import (
    current_revision as current_revision,
    head_revision as head_revision,
    init_db as init_db,
    make_engine as make_engine,
    upgrade as upgrade,
)
from .positions import Fill as Fill, MarkResult as MarkResult
from .system import PMS as PMS, Replay as Replay, code_version as code_version
