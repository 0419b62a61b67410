"""The message catalogues in safety/translations: fill English, and check them all.

    python scripts/translations.py english   # en: every msgstr is its msgid (never fuzzy)
    python scripts/translations.py check     # list what is wrong; exit 1 if anything is

`make translations` runs pybabel extract and update, then `english`, pybabel compile, and
`check` (docs/translations.md). tests/test_translations.py runs the same checks. `check` finds:

- a text in the code (extracted afresh from the sources, with the Makefile's keywords) that
  messages.pot or a language's messages.po does not have;
- an empty or fuzzy translation (or a fuzzy catalogue header);
- a plural text with another number of forms than Babel's plural rule for the language
  (CLDR: kk 2, ru 3, en 2), or a catalogue whose Plural-Forms header says another rule;
- a translation whose %(name)s placeholders differ from its text's (each plural form must
  carry all of the plural text's: Russian uses its "one" form for 21 too);
- a .mo file that does not say what its .po says (not compiled since the .po changed).
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "safety" / "translations"
LANGUAGES = ("kk", "ru", "en")
# The marks of a text in the code besides Babel's own (_, gettext, ngettext, N_, ...): keep in
# step with BABEL_KEYWORDS in the Makefile (the test checks that it is).
KEYWORDS = {"_l": None, "_n": (1, 2), "n_": (1, 2), "N_": None}
_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")

Msgid = str | tuple[str, str]


def code_messages(root: Path = ROOT) -> set[Msgid]:
    """Every text the code marks for translation (a plural one as (singular, plural))."""
    with open(root / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: set[Msgid] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(root), method_map, options_map, keywords={**DEFAULT_KEYWORDS, **KEYWORDS}):
        if isinstance(message, tuple):
            found.add((message[0], message[1]) if message[1] else message[0])
        else:
            found.add(message)
    return found


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with open(path, "rb") as f:
        return read_po(f, locale=locale)


def _ids(catalog: Catalog) -> set[Msgid]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in catalog if m.id}


def _placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in _PLACEHOLDER.finditer(text))


def _formats(text: str, ids: str) -> bool:
    """Whether `text` formats with the variables of `ids` as gettext does (`text % values`)."""
    values = {name: 1 for name in re.findall(r"%\((\w+)\)", ids)}
    try:
        text % values  # noqa: B018 - only whether it raises
    except (KeyError, ValueError, TypeError):
        return False
    return True


def catalog_problems(catalog: Catalog, locale: str, code: set[Msgid]) -> list[str]:
    """What is wrong with one language's catalogue (see the module's docstring)."""
    out = []
    where = f"{locale}/messages.po"
    if catalog.fuzzy:
        out.append(f"{where}: the catalogue's header is fuzzy")
    rule = get_plural(locale)
    if catalog.num_plurals != rule.num_plurals or \
            catalog.plural_expr.replace(" ", "") != rule.plural_expr.replace(" ", ""):
        out.append(f"{where}: Plural-Forms is {catalog.plural_forms!r}, Babel's rule for "
                   f"{locale} is {rule.plural_forms!r}")
    for missing in sorted(code - _ids(catalog), key=str):
        out.append(f"{where}: missing {missing!r}")
    for message in catalog:
        if not message.id:
            continue
        name = f"{where}: {message.id!r}"
        if message.fuzzy:
            out.append(f"{name} is fuzzy")
        if message.pluralizable:
            forms = list(message.string) if isinstance(message.string, tuple | list) else []
            if len(forms) != rule.num_plurals:
                out.append(f"{name} has {len(forms)} plural forms, {locale} needs "
                           f"{rule.num_plurals}")
            want = _placeholders(message.id[1])
            for i, form in enumerate(forms):
                if not form:
                    out.append(f"{name} has an empty form {i}")
                elif _placeholders(form) != want or not _formats(form, message.id[1]):
                    out.append(f"{name}: form {i} {form!r} has placeholders "
                               f"{_placeholders(form)}, the text has {want}")
        else:
            text = message.string if isinstance(message.string, str) else ""
            if not text:
                out.append(f"{name} is not translated")
            elif "%(" in message.id and (_placeholders(text) != _placeholders(message.id)
                                         or not _formats(text, message.id)):
                out.append(f"{name}: {text!r} has placeholders {_placeholders(text)}, the "
                           f"text has {_placeholders(message.id)}")
    return out


def mo_problems(po: Catalog, mo_path: Path, locale: str) -> list[str]:
    """A .mo that says something else than its .po (or is missing)."""
    if not mo_path.exists():
        return [f"{locale}/messages.mo is missing: compile the catalogues"]
    with open(mo_path, "rb") as f:
        mo = read_mo(f)
    said = {m.id if isinstance(m.id, str) else tuple(m.id): m.string for m in po
            if m.id and m.string and not m.fuzzy
            and (not isinstance(m.string, tuple | list) or all(m.string))}
    compiled = {m.id if isinstance(m.id, str) else tuple(m.id): m.string for m in mo if m.id}
    norm = {k: tuple(v) if isinstance(v, list) else v for k, v in said.items()}
    compiled = {k: tuple(v) if isinstance(v, list) else v for k, v in compiled.items()}
    if norm != compiled:
        return [f"{locale}/messages.mo is stale: it does not say what messages.po says "
                f"(run make translations)"]
    return []


def problems(translations: Path = TRANSLATIONS, code: set[Msgid] | None = None,
             languages: tuple[str, ...] = LANGUAGES) -> list[str]:
    code = code_messages() if code is None else code
    out = []
    pot = translations / "messages.pot"
    if not pot.exists():
        out.append("messages.pot is missing: run make translations")
    else:
        out += [f"messages.pot: missing {m!r} (run make translations)"
                for m in sorted(code - _ids(read_catalog(pot)), key=str)]
    for locale in languages:
        folder = translations / locale / "LC_MESSAGES"
        po_path = folder / "messages.po"
        if not po_path.exists():
            out.append(f"{locale}/messages.po is missing")
            continue
        catalog = read_catalog(po_path, locale)
        out += catalog_problems(catalog, locale, code)
        out += mo_problems(catalog, folder / "messages.mo", locale)
    return out


def fill_english(translations: Path = TRANSLATIONS) -> None:
    """English reads as the code writes it: msgstr = msgid (both plural forms), never fuzzy."""
    path = translations / "en" / "LC_MESSAGES" / "messages.po"
    catalog = read_catalog(path, "en")
    catalog.fuzzy = False
    for message in catalog:
        if not message.id:
            continue
        message.string = tuple(message.id) if message.pluralizable else message.id
        message.flags.discard("fuzzy")
        message.previous_id = []
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=76)
    path.write_bytes(buffer.getvalue())


def main(argv: list[str]) -> int:
    if argv[1:] == ["english"]:
        fill_english()
        return 0
    if argv[1:] == ["check"]:
        found = problems()
        for line in found:
            print(line)
        print(f"{len(found)} problem(s) in the catalogues" if found else
              "catalogues complete: every text in kk, ru and en")
        return 1 if found else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
