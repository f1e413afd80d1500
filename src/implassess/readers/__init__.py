"""Readers for survey exports and KPI sheets, one module per format.

Each reader satisfies :class:`~implassess.contracts.ResponseReader`: ``sniff`` says how
sure it is that a file is in its format, ``read`` returns a
:class:`~implassess.contracts.RawTable` of text cells. Readers do not know about
instruments; :mod:`implassess.ingest` maps their tables onto items. The built-in readers
are registered by :mod:`implassess.default_plugins.readers`, through the same
``register_readers`` hook a third-party plugin uses.

Options a reader understands (all optional): ``delimiter``, ``encoding``, ``sheet``
(XLSX sheet name or 1-based number), ``dictionary`` (REDCap data dictionary path),
``repeats`` (REDCap repeating forms: ``latest``, ``first``, ``each``), ``review``
(KoboToolbox / ODK review states: ``exclude-rejected``, ``keep``), ``test_responses``
(Qualtrics Status 2: ``exclude``, ``keep``), ``breakdowns`` (the attributes the caller
breaks results down by, so a reader can fill in per-record values such as a REDCap
field entered once per record).
Unknown options are ignored.
"""

from __future__ import annotations
