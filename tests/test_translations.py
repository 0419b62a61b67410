"""The catalogues: every text in the code is in kk, ru and en, fully and correctly translated,
and compiled (scripts/translations.py's checks, which `make translations` runs too). Each
check is also shown to fail on a catalogue broken the way it looks for."""

from __future__ import annotations

import importlib.util
import inspect
import io
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def _load_checks():
    spec = importlib.util.spec_from_file_location("catalogue_checks",
                                                  ROOT / "scripts" / "translations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


checks = _load_checks()


@pytest.fixture(scope="module")
def code():
    """Every text the code marks for translation, extracted afresh."""
    return checks.code_messages()


def test_every_text_is_in_every_catalogue_translated_and_compiled(code):
    assert checks.problems(code=code) == []


def test_the_code_has_texts_of_every_kind(code):
    """The extraction sees what it should: lazy texts, plurals, marked tables, templates."""
    assert "%(name)s needs help" in code  # _l
    assert ("You can have at most %(num)d trusted contact.",
            "You can have at most %(num)d trusted contacts.") in code  # _n
    assert "Missing data for required field." in code  # N_
    assert "Live location" in code  # a Jinja template
    assert ("%(num)d min", "%(num)d min") in code  # ngettext


def test_the_makefile_extracts_with_the_same_keywords():
    makefile = (ROOT / "Makefile").read_text()
    words = re.search(r"^BABEL_KEYWORDS := (.*)$", makefile, re.M).group(1).split()
    want = []
    for name, spec in checks.KEYWORDS.items():
        want += ["-k", name if spec is None else f"{name}:{','.join(map(str, spec))}"]
    assert words == want


# -- each check fails when it should ----------------------------------------------------------


@pytest.fixture
def sandbox(tmp_path):
    """A copy of the catalogues to break."""
    copy = tmp_path / "translations"
    shutil.copytree(checks.TRANSLATIONS, copy)
    return copy


def _edit(sandbox: Path, locale: str, change, compile_mo: bool = True) -> None:
    folder = sandbox / locale / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as f:
        catalog = read_po(f, locale=locale)
    change(catalog)
    buffer = io.BytesIO()
    write_po(buffer, catalog)
    (folder / "messages.po").write_bytes(buffer.getvalue())
    if compile_mo:
        buffer = io.BytesIO()
        write_mo(buffer, catalog)
        (folder / "messages.mo").write_bytes(buffer.getvalue())


def _found(sandbox: Path, code) -> str:
    return "\n".join(checks.problems(sandbox, code))


def test_a_new_text_in_the_code_is_missing_everywhere_until_extracted(sandbox, code):
    found = _found(sandbox, code | {"A text nobody has translated yet."})
    for where in ("messages.pot", "kk/messages.po", "ru/messages.po", "en/messages.po"):
        assert f"{where}: missing 'A text nobody has translated yet.'" in found


def test_an_empty_translation_is_found(sandbox, code):
    _edit(sandbox, "kk", lambda c: setattr(c.get("Wrong PIN."), "string", ""))
    assert "kk/messages.po: 'Wrong PIN.' is not translated" in _found(sandbox, code)


def test_a_fuzzy_translation_is_found(sandbox, code):
    _edit(sandbox, "ru", lambda c: c.get("Wrong PIN.").flags.add("fuzzy"))
    assert "ru/messages.po: 'Wrong PIN.' is fuzzy" in _found(sandbox, code)


def test_a_missing_plural_form_is_found(sandbox, code):
    plural = "You can have at most %(num)d trusted contact."

    def two_forms(catalog):
        message = catalog.get(plural)
        message.string = message.string[:2]

    _edit(sandbox, "ru", two_forms)
    assert "has an empty form 2" in _found(sandbox, code)


def test_a_plural_rule_that_is_not_babels_is_found(sandbox, code):
    path = sandbox / "kk" / "LC_MESSAGES" / "messages.po"
    path.write_text(path.read_text().replace("plural=(n != 1)", "plural=0"))
    assert "kk/messages.po: Plural-Forms is" in _found(sandbox, code)


@pytest.mark.parametrize("wrong", [
    "%(nam)s просит о помощи",       # misspelt: a KeyError when the push is written
    "Просит о помощи",               # dropped: her name is lost
    "%(name)d просит о помощи",      # another type
    "%(name)s просит о помощи 100%",  # a stray %
])
def test_a_placeholder_that_differs_from_the_text_is_found(sandbox, code, wrong):
    _edit(sandbox, "ru", lambda c: setattr(c.get("%(name)s needs help"), "string", wrong))
    assert "ru/messages.po: '%(name)s needs help':" in _found(sandbox, code)


def test_a_plural_form_without_the_number_is_found(sandbox, code):
    """Russian's "one" form is used for 21 too: it must carry the number."""
    plural = "You can have at most %(num)d trusted contact."

    def no_number(catalog):
        message = catalog.get(plural)
        message.string = ("У вас может быть только один доверенный контакт.",
                          *message.string[1:])

    _edit(sandbox, "ru", no_number)
    assert "form 0" in _found(sandbox, code)


def test_a_stale_mo_is_found(sandbox, code):
    _edit(sandbox, "kk", lambda c: setattr(c.get("Wrong PIN."), "string", "PIN қате."),
          compile_mo=False)
    assert "kk/messages.mo is stale" in _found(sandbox, code)


# -- marshmallow's own messages -----------------------------------------------------------------


def _marshmallow_messages() -> set[str]:
    """Every message marshmallow's fields, schemas and validators write on load."""
    from marshmallow import Schema, fields, validate

    found = set(Schema._default_error_messages.values())
    for _name, cls in inspect.getmembers(fields, inspect.isclass):
        if issubclass(cls, fields.Field):
            for key, text in getattr(cls, "default_error_messages", {}).items():
                if key != "format":  # "... cannot be formatted as ...": on dump, never on load
                    found.add(text)
    for _name, cls in inspect.getmembers(validate, inspect.isclass):
        for attr in ("default_message", "message_min", "message_max", "message_all",
                     "message_equal"):
            text = getattr(cls, attr, None)
            if isinstance(text, str):
                found.add(text)
    expanded = set()
    for text in found:  # the placeholders marshmallow fills in itself
        if "{min_op}" in text or "{max_op}" in text:
            for lo in ("greater than or equal to", "greater than"):
                for hi in ("less than or equal to", "less than"):
                    expanded.add(text.replace("{min_op}", lo).replace("{max_op}", hi)
                                 .replace("{{", "{").replace("}}", "}"))
        elif "{awareness}" in text:
            for awareness in ("aware", "naive"):
                expanded.add(text.replace("{awareness}", awareness)
                             .replace("{obj_type}", "datetime"))
        elif "{obj_type}" in text:
            for obj_type in ("datetime", "date", "time"):
                expanded.add(text.replace("{obj_type}", obj_type))
        else:
            expanded.add(text)
    return expanded


def test_every_marshmallow_message_has_a_translation():
    from safety.schema_messages import MESSAGES

    assert _marshmallow_messages() - set(MESSAGES) == set()


@pytest.mark.parametrize("english, russian", [
    ("Missing data for required field.", "Обязательное поле не заполнено."),
    ("Must be greater than or equal to 1 and less than or equal to 200.",
     "Должно быть от 1 до 200."),
    ("Must be greater than 0 and less than or equal to 5.",
     "Должно быть больше 0 и не больше 5."),
    ("Must be greater than or equal to 60.", "Должно быть не меньше 60."),
    ("Must be one of: android, ios, web.", "Допустимые значения: android, ios, web."),
    ("Something of ours, already written.", "Something of ours, already written."),
])
def test_marshmallows_words_are_translated_with_their_values(ctx, english, russian):
    from safety.i18n import recipient
    from safety.schema_messages import translate_tree

    with recipient("ru"):
        assert translate_tree({"a": [english], "b": {"0": [english]}}) == \
            {"a": [russian], "b": {"0": [russian]}}
