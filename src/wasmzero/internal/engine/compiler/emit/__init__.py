"""Emitters: turn a function and its plan into Python source, one module per
concern (values, locals, memory, numeric, control, calls); ``Translator``
(translate.py) is composed of them."""
