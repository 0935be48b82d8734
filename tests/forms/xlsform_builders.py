"""XLSForm spreadsheets built in tests with openpyxl (shared with the ODK tests).

``write_xlsform(path, survey, choices, settings)`` writes a workbook from rows
(first row = header). The named builders below make forms that use the
features the kiosk supports; each returns the path written. ``to_xform(path)``
converts with the kiosk's own pyxform wrapper.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

Rows = list[list[Any]]

MN, EN = "label::Mongolian (mn)", "label::English (en)"


def write_xlsform(path: Path, survey: Rows, choices: Rows | None = None,
                  settings: dict[str, Any] | None = None, extra_sheets: dict[str, Rows] | None = None) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    for row in survey:
        ws.append(row)
    if choices is not None:
        cs = wb.create_sheet("choices")
        for row in choices:
            cs.append(row)
    if settings is not None:
        ss = wb.create_sheet("settings")
        ss.append(list(settings))
        ss.append(list(settings.values()))
    for name, rows in (extra_sheets or {}).items():
        sheet = wb.create_sheet(name)
        for row in rows:
            sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def to_xform(path: Path) -> bytes:
    from kiosk.forms.xlsform import convert

    return convert(path)


def household_form(path: Path, form_id: str = "household_survey", version: str = "2026.1") -> Path:
    """Bilingual (mn/en) household form: text with constraint and messages, integer,
    select_one with a choice filter, select_multiple, a hidden calculation, a note with
    an output, a field-list group, a repeat with jr:count, date, relevance, meta, and a
    select_one whose choices are the repeat's answers (select_one ${member_name})."""
    survey = [
        ["type", "name", MN, EN, "hint::Mongolian (mn)", "hint::English (en)", "required",
         "required_message::Mongolian (mn)", "required_message::English (en)", "relevant", "constraint",
         "constraint_message::Mongolian (mn)", "constraint_message::English (en)", "calculation",
         "appearance", "choice_filter", "repeat_count", "default"],
        ["start", "start"], ["end", "end"], ["today", "today"], ["deviceid", "deviceid"],
        ["text", "head_name", "Өрхийн тэргүүний нэр", "Name of the head", "Овог нэр", "Full name", "yes",
         "Нэрээ бичнэ үү", "Please give the name", "", "string-length(.) >= 2",
         "Хэт богино", "Too short"],
        ["integer", "members", "Өрхийн гишүүдийн тоо", "Household members", "", "", "yes", "", "", "",
         ". >= 1 and . <= 20", "1-20 байна", "Between 1 and 20"],
        ["select_one aimag", "aimag", "Аймаг", "Aimag", "", "", "yes"],
        ["select_one soum", "soum", "Сум", "Soum", "", "", "yes", "", "", "", "", "", "", "", "minimal",
         "aimag = ${aimag}"],
        ["select_multiple animals", "animals", "Мал", "Livestock"],
        ["integer", "horses", "Адууны тоо", "Number of horses", "", "", "yes", "", "", "selected(${animals}, 'horse')",
         ". >= 0"],
        ["calculate", "horses_per_member", "", "", "", "", "", "", "", "", "", "", "", "${horses} div ${members}"],
        ["note", "summary", "Нэг хүнд ${horses_per_member} адуу", "${horses_per_member} horses per person"],
        ["begin group", "address", "Хаяг", "Address", "", "", "", "", "", "", "", "", "", "", "field-list"],
        ["text", "street", "Гудамж", "Street", "", "", "yes"],
        ["text", "door", "Хаалганы дугаар", "Door number", "", "", "", "", "", "", "", "", "", "", "numbers"],
        ["end group"],
        ["begin repeat", "member", "Гишүүн", "Member", "", "", "", "", "", "", "", "", "", "", "", "",
         "${members}"],
        ["text", "member_name", "Нэр", "Name", "", "", "yes"],
        ["date", "member_birth", "Төрсөн огноо", "Date of birth", "", "", "", "", "", "", ". <= today()"],
        ["integer", "member_age", "Нас", "Age", "", "", "", "", "", "", ". >= 0", "", "", "", "", "", "", "30"],
        ["end repeat"],
        ["select_one ${member_name}", "respondent", "Хэн хариулж байна?", "Who is answering?", "", "",
         "yes"],
        ["text", "remarks", "Тайлбар", "Remarks", "", "", "", "", "", "", "", "", "", "", "multiline"],
    ]
    choices = [
        ["list_name", "name", MN, EN, "aimag"],
        ["aimag", "MN11", "Улаанбаатар", "Ulaanbaatar"],
        ["aimag", "MN21", "Дорнод", "Dornod"],
        ["soum", "MN1101", "Багануур", "Baganuur", "MN11"],
        ["soum", "MN1102", "Багахангай", "Bagakhangai", "MN11"],
        ["soum", "MN2101", "Хэрлэн", "Kherlen", "MN21"],
        ["animals", "horse", "Адуу", "Horse"],
        ["animals", "cow", "Үхэр", "Cow"],
        ["animals", "sheep", "Хонь", "Sheep"],
    ]
    settings = {"form_title": "Өрхийн судалгаа", "form_id": form_id, "version": version,
                "default_language": "Mongolian (mn)"}
    return write_xlsform(path, survey, choices, settings)


def household_answers() -> dict[str, Any]:
    """Answers (keyed by field name, repeats as lists of objects) completing household_form."""
    return {"answers": {
        "head_name": "Батболд", "members": 2, "aimag": "MN11", "soum": "MN1102",
        "animals": ["horse", "sheep"], "horses": 12, "street": "Энхтайваны өргөн чөлөө",
        "door": "12", "member": [
            {"member_name": "Батболд", "member_birth": "1980-04-02", "member_age": 46},
            {"member_name": "Сараа", "member_birth": "1984-10-11", "member_age": 42},
        ],
        "respondent": "Сараа",
    }}


def one_language_form(path: Path, form_id: str = "one_language") -> Path:
    """English only, no language columns."""
    survey = [["type", "name", "label", "hint"],
              ["text", "name", "Your name", "as on your ID"],
              ["select_one yn", "agree", "Do you agree?"]]
    choices = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]
    return write_xlsform(path, survey, choices, {"form_title": "One language", "form_id": form_id})


def broken_survey_form(path: Path) -> Path:
    """Row 3 of the survey sheet has an unknown type."""
    return write_xlsform(path, [["type", "name", "label"], ["text", "a", "A"], ["bogus_type", "b", "B"]])


def broken_reference_form(path: Path) -> Path:
    """Row 3 of the survey sheet refers to a name that does not exist (column relevant)."""
    return write_xlsform(path, [["type", "name", "label", "relevant"], ["text", "a", "A"],
                                ["text", "b", "B", "${nope} = 'x'"]])


def broken_choices_form(path: Path) -> Path:
    """Row 4 of the choices sheet repeats a choice name."""
    return write_xlsform(path, [["type", "name", "label"], ["select_one yn", "q", "Q"]],
                         [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"],
                          ["yn", "yes", "Yes again"]])


def broken_settings_form(path: Path) -> Path:
    """The settings sheet (row 2) has a public_key that is not an RSA key."""
    return write_xlsform(path, [["type", "name", "label"], ["text", "a", "A"]], None,
                         {"form_title": "T", "form_id": "broken_settings", "public_key": "bm90IGEga2V5"})


def required_barcode_form(path: Path) -> Path:
    """A required barcode (row 3): a kiosk has no scanner, so import refuses the form."""
    return write_xlsform(path, [["type", "name", "label", "required"], ["text", "a", "A"],
                                ["barcode", "code", "Scan the code", "yes"]],
                         None, {"form_title": "Barcode", "form_id": "barcode_form"})


def odk_types_form(path: Path, form_id: str = "odk_types") -> Path:
    """The XForm types a kiosk offers: time, dateTime, geopoint, range, rank, acknowledge,
    text with appearance numbers, and an optional barcode (shown as not available)."""
    survey = [
        ["type", "name", MN, EN, "required", "appearance", "parameters"],
        ["time", "visit_time", "Ирсэн цаг", "Time of visit", "yes"],
        ["dateTime", "appointment", "Уулзалтын огноо, цаг", "Appointment", "yes"],
        ["geopoint", "where", "Байршил", "Location", "yes"],
        ["range", "satisfaction", "Сэтгэл ханамж", "Satisfaction", "yes", "", "start=1 end=5 step=1"],
        ["rank priority", "priorities", "Эрэмбэлнэ үү", "Put in order", "yes"],
        ["acknowledge", "confirm", "Зөвшөөрч байна", "I agree", "yes"],
        ["text", "door", "Хаалганы дугаар", "Door number", "yes", "numbers"],
        ["barcode", "code", "Бар код", "Barcode"],
    ]
    choices = [["list_name", "name", MN, EN],
               ["priority", "water", "Ус", "Water"], ["priority", "road", "Зам", "Road"],
               ["priority", "school", "Сургууль", "School"]]
    return write_xlsform(path, survey, choices, {"form_title": "ODK төрлүүд", "form_id": form_id,
                                                 "version": "1", "default_language": "Mongolian (mn)"})


def odk_types_answers(location: str = "47.9185 106.9176 1350 10") -> dict[str, Any]:
    return {"answers": {
        "visit_time": "09:45", "appointment": "2026-12-24T15:30:00", "where": location,
        "satisfaction": 4, "priorities": ["school", "water", "road"], "confirm": "OK", "door": "12",
    }}


def write_wav(path: Path, seconds: float = 0.2) -> Path:
    """A short tone, as a recorded prompt (WAV, made here: no file is shipped)."""
    import math
    import struct
    import wave

    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(6000 * math.sin(i / 4)))
                               for i in range(int(8000 * seconds))))
    return path


def png(width: int, height: int) -> bytes:
    """A small grey PNG, made here."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def media_form(path: Path, form_id: str = "media_form") -> Path:
    """Recorded prompts (media::audio in mn), a choice image, and choices from an external
    CSV (select_one_from_file) filtered by another answer; writes the media beside it."""
    folder = path.parent
    write_wav(folder / "name-mn.wav")
    (folder / "horse.png").write_bytes(png(8, 6))
    (folder / "soums.csv").write_text(
        "name,label::Mongolian (mn),label::English (en),aimag\n"
        "MN1101,Багануур,Baganuur,MN11\nMN1102,Багахангай,Bagakhangai,MN11\n"
        "MN2101,Хэрлэн,Kherlen,MN21\n", "utf-8")
    survey = [
        ["type", "name", MN, EN, "media::audio::Mongolian (mn)", "choice_filter", "required",
         "hint::Mongolian (mn)", "hint::English (en)", "media::image::Mongolian (mn)"],
        ["text", "name", "Таны нэр", "Your name", "name-mn.wav", "", "yes", "Овог, нэрээ бичнэ үү",
         "Family and given name"],
        ["select_one animal", "animal", "Мал", "Animal", "", "", "", "", "", "horse.png"],
        ["select_one aimag", "aimag", "Аймаг", "Aimag", "", "", "yes"],
        ["select_one_from_file soums.csv", "soum", "Сум", "Soum", "", "aimag = ${aimag}", "yes"],
    ]
    choices = [["list_name", "name", MN, EN, "media::image::Mongolian (mn)"],
               ["animal", "horse", "Адуу", "Horse", "horse.png"],
               ["animal", "cow", "Үхэр", "Cow", ""],
               ["aimag", "MN11", "Улаанбаатар", "Ulaanbaatar"],
               ["aimag", "MN21", "Дорнод", "Dornod"]]
    return write_xlsform(path, survey, choices, {"form_title": "Медиа", "form_id": form_id,
                                                 "default_language": "Mongolian (mn)"})
