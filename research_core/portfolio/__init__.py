"""Portfolio construction: risk parity, HRP, Black–Litterman, Kelly, mean-variance, constraints."""

from research_core.portfolio.book import Book, Decision, Gathered, build_book, decide, gather
from research_core.portfolio.constraints import Binding, Constraints, apply_constraints
from research_core.portfolio.construct import METHODS, PortfolioResult, construct
from research_core.portfolio.optimizers import (
    BlackLitterman,
    black_litterman,
    erc,
    hrp,
    kelly,
    mean_variance,
)

__all__ = [
    "METHODS",
    "Binding",
    "BlackLitterman",
    "Book",
    "Constraints",
    "Decision",
    "Gathered",
    "PortfolioResult",
    "apply_constraints",
    "black_litterman",
    "build_book",
    "construct",
    "decide",
    "erc",
    "gather",
    "hrp",
    "kelly",
    "mean_variance",
]
