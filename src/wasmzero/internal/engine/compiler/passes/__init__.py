"""Analyses of a function body whose findings go into its ``FunctionPlan``
(plan.py) before any source is emitted."""
