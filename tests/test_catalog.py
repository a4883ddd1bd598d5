"""The Persian catalog is complete and current: a person reading Persian never
meets an English sentence."""

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]


def catalog(language):
    with open(ROOT / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


def message_ids(messages):
    return {message.id if isinstance(message.id, str) else message.id[0] for message in messages if message.id}


def test_every_persian_message_is_translated_and_none_is_fuzzy():
    persian = catalog("fa")
    forms = lambda m: (m.string,) if isinstance(m.string, str) else m.string  # noqa: E731 (a plural has several)
    untranslated = [m.id for m in persian if m.id and not all(forms(m))]
    fuzzy = [m.id for m in persian if m.id and m.fuzzy]
    assert not untranslated, untranslated
    assert not fuzzy, fuzzy


def test_translations_keep_their_placeholders_and_persian_letters():
    placeholder = re.compile(r"%\(\w+\)s")
    for message in catalog("fa"):
        if not message.id:
            continue
        # A plural message has one Persian form for every number of its English forms.
        english = message.id if isinstance(message.id, str) else message.id[-1]
        for persian in (message.string,) if isinstance(message.string, str) else message.string:
            assert sorted(placeholder.findall(english)) == sorted(placeholder.findall(persian)), message.id
            assert "ي" not in persian and "ك" not in persian, message.id


def test_the_catalog_is_current(tmp_path):
    """Every string in the code is in the catalog, and nothing stale is left."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            Path(sys.executable).parent / "pybabel",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with open(pot, "rb") as handle:
        extracted = message_ids(read_po(handle))
    for language in ("fa", "en"):
        assert message_ids(catalog(language)) == extracted, language
