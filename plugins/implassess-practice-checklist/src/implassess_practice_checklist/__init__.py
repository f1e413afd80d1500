"""Implementation practice checklist: an implassess instrument scored by cumulative practice gating.

The hook implementations are in :mod:`implassess_practice_checklist.plugin`, the scoring
rule in :mod:`implassess_practice_checklist.scoring`.
"""
