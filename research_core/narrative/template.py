"""The narrative template: the pack's sections in sentences, numbers as placeholders.

Sentences whose facts are missing from the sheet are left out, so the same template
works for a market-only pack and a full run.
"""

from __future__ import annotations

import re

from research_core.narrative.facts import FactSheet, placeholders

GATE = r"\{if:([A-Za-z0-9_.]+)\}"

SENTENCES: dict[str, tuple[str, ...]] = {
    "en": (
        "Morning Pack for {{pack.as_of}}.",
        "USD/BRL {{dir:usdbrl.chg}} {{abs:usdbrl.chg}} to {{usdbrl.last}}, and the Ibovespa "
        "{{dir:ibov.chg}} {{abs:ibov.chg}} to {{ibov.last}}.",
        "The S&P 500 closed at {{spx.last}} ({{spx.chg}}); the VIX is at {{vix.last}}.",
        "DI 1Y at {{di_1y.last}} ({{di_1y.chg}}); DI 5Y at {{di_5y.last}} ({{di_5y.chg}}).",
        "UST 10Y at {{ust_10y.last}} ({{ust_10y.chg}}); UST 2Y at {{ust_2y.last}} "
        "({{ust_2y.chg}}).",
        "Brazil CDS at {{cds_5y.last}} ({{cds_5y.chg}}); Brent at {{brent.last}} ({{brent.chg}}).",
        "The Selic stands at {{selic.last}}; IPCA 12m at {{ipca_12m.last}} and US CPI at "
        "{{us_cpi.last}}.",
        "The Copom communiqué tone is {{copom_tone.last}} ({{copom_tone.chg}} on the previous "
        "one).",
        "The FOMC statement tone is {{fomc_tone.last}} ({{fomc_tone.chg}} on the previous one).",
        "The strongest call is {label:agents.top_z} (z {{agents.top_z}}).",
        "{if:held.none}Held book: no positions held; target shown.",
        "Held book (PMS, as marked): {{held.positions}} positions, gross notional "
        "{{held.gross}} and net notional {{held.net}} of NAV.",
        "Held-book 99 % 1-day VaR is {{held.var99}} of NAV ({{held.var99_brl}}); held-book ES "
        "is {{held.es99}}.",
        "The held book's worst stress, {label:held.worst_stress}, would cost "
        "{{held.worst_stress}} of NAV.",
        "Held-book limits: {{held.breach}} in breach and {{held.warn}} near their line.",
        "Target book (optimizer): {{book.positions}} positions, gross notional {{book.gross}} "
        "and net notional {{book.net}} of NAV, ex-ante vol {{book.vol}}.",
        "Target-book risk: 99 % 1-day VaR is {{risk.var99}} of NAV ({{risk.var99_brl}}); ES is "
        "{{risk.es99}}.",
        "The target book's worst stress, {label:risk.worst_stress}, would cost "
        "{{risk.worst_stress}} of NAV.",
        "Target-book limits: {{limits.breach}} in breach and {{limits.warn}} near their line.",
        "P&L: {{pnl.day}} yesterday, {{pnl.mtd}} MTD and {{pnl.ytd}} YTD; fund NAV {{pnl.nav}}.",
        "{{pms.proposals}} proposals (held → target) await a decision.",
        "Data quality: {{dq.stale}} key series stale and {{dq.findings}} findings in total.",
    ),
    "pt-BR": (
        "Morning Pack de {{pack.as_of}}.",
        "O USD/BRL {{dir:usdbrl.chg}} {{abs:usdbrl.chg}} para {{usdbrl.last}}, e o Ibovespa "
        "{{dir:ibov.chg}} {{abs:ibov.chg}} para {{ibov.last}}.",
        "O S&P 500 fechou em {{spx.last}} ({{spx.chg}}); o VIX está em {{vix.last}}.",
        "DI 1Y em {{di_1y.last}} ({{di_1y.chg}}); DI 5Y em {{di_5y.last}} ({{di_5y.chg}}).",
        "UST 10Y em {{ust_10y.last}} ({{ust_10y.chg}}); UST 2Y em {{ust_2y.last}} "
        "({{ust_2y.chg}}).",
        "Brazil CDS em {{cds_5y.last}} ({{cds_5y.chg}}); Brent em {{brent.last}} ({{brent.chg}}).",
        "A Selic está em {{selic.last}}; IPCA 12m em {{ipca_12m.last}} e US CPI em "
        "{{us_cpi.last}}.",
        "O tom do Copom no último comunicado é {{copom_tone.last}} ({{copom_tone.chg}} sobre o "
        "anterior).",
        "O tom do FOMC no último comunicado é {{fomc_tone.last}} ({{fomc_tone.chg}} sobre o "
        "anterior).",
        "A convicção mais forte é {label:agents.top_z} (z {{agents.top_z}}).",
        "{if:held.none}Book detido: nenhuma posição; mostra-se o book-alvo.",
        "Book detido (PMS, marcado): {{held.positions}} posições, nocional bruto "
        "{{held.gross}} e líquido {{held.net}} do PL.",
        "O VaR 99 % de 1 dia do book detido é {{held.var99}} do PL ({{held.var99_brl}}); o ES "
        "do book detido é {{held.es99}}.",
        "O pior estresse do book detido, {label:held.worst_stress}, custaria "
        "{{held.worst_stress}} do PL.",
        "Limites do book detido: {{held.breach}} estourados e {{held.warn}} perto da linha.",
        "Book-alvo (otimizador): {{book.positions}} posições, nocional bruto {{book.gross}} e "
        "líquido {{book.net}} do PL, vol ex-ante {{book.vol}}.",
        "Risco do book-alvo: o VaR 99 % de 1 dia é {{risk.var99}} do PL ({{risk.var99_brl}}); "
        "o ES é {{risk.es99}}.",
        "O pior estresse do book-alvo, {label:risk.worst_stress}, custaria "
        "{{risk.worst_stress}} do PL.",
        "No book-alvo, limits: {{limits.breach}} estourados e {{limits.warn}} perto da linha.",
        "P&L: {{pnl.day}} ontem, {{pnl.mtd}} no mês e {{pnl.ytd}} no ano; PL do fundo {{pnl.nav}}.",
        "{{pms.proposals}} propostas (detido → alvo) aguardam decisão.",
        "Data quality: {{dq.stale}} séries-chave atrasadas e {{dq.findings}} achados no total.",
    ),
}


def narrative_template(sheet: FactSheet) -> str:
    """The template sentences whose facts are all in ``sheet``, labels filled in."""
    return " ".join(template_sentences(sheet))


def template_sentences(sheet: FactSheet) -> list[str]:
    """:func:`narrative_template` sentence by sentence. ``{if:id}`` keeps a sentence only
    when the sheet has that fact (and is not shown)."""
    out = []
    for sentence in SENTENCES[sheet.locale]:
        cited = placeholders(sentence)
        labels = [p.split(":", 1)[1].rstrip("}") for p in _labels(sentence)]
        gates = re.findall(GATE, sentence)
        if not all(c in sheet for c in cited + labels + gates):
            continue
        sentence = re.sub(GATE, "", sentence)
        for fid in labels:
            sentence = sentence.replace("{label:" + fid + "}", sheet[fid].label)
        out.append(sentence)
    return out


def _labels(sentence: str) -> list[str]:
    return re.findall(r"\{label:[A-Za-z0-9_.]+\}", sentence)
