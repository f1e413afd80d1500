"""The built-in readers of survey exports and KPI sheets, registered like any plugin's."""

from __future__ import annotations

from collections.abc import Callable

from implassess.contracts import ResponseReader
from implassess.hookspecs import hookimpl


@hookimpl
def register_readers(register: Callable[[ResponseReader], None]) -> None:
    # Imported here so loading the plugin list stays cheap; specific formats first,
    # so on equal sniff scores the more specific reader wins.
    from implassess.readers.csv_generic import CsvReader
    from implassess.readers.googleforms import GoogleFormsReader
    from implassess.readers.jsondata import JsonLinesReader, JsonReader
    from implassess.readers.kpi import KpiSheetReader
    from implassess.readers.msforms import MsFormsReader
    from implassess.readers.qualtrics import QualtricsReader
    from implassess.readers.redcap import RedcapReader
    from implassess.readers.surveymonkey import SurveyMonkeyReader
    from implassess.readers.xlsform import XlsFormExportReader
    from implassess.readers.xlsx import XlsxReader

    for reader in (
        QualtricsReader(),
        SurveyMonkeyReader(),
        MsFormsReader(),
        GoogleFormsReader(),
        XlsFormExportReader(),
        RedcapReader(),
        KpiSheetReader(),
        JsonReader(),
        JsonLinesReader(),
        XlsxReader(),
        CsvReader(),
    ):
        register(reader)
