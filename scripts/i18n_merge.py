"""Rebuild kunde_crm/i18n/nb.po from a freshly exported .pot, keeping every translation.

Usage: python scripts/i18n_merge.py ADDON_DIR [NEW.pot]
Copies NEW.pot (default: ADDON_DIR/i18n/<addon>.pot) over the addon's .pot,
rewrites nb.po in the .pot's order and references, and lists the terms still to
translate.
"""

import shutil
import sys
from pathlib import Path

import polib


def main():
    addon = Path(sys.argv[1])
    pot_path = addon / "i18n" / f"{addon.name}.pot"
    if len(sys.argv) > 2:
        shutil.copyfile(sys.argv[2], pot_path)
    po_path = addon / "i18n" / "nb.po"
    pot = polib.pofile(str(pot_path), wrapwidth=100000)
    old = polib.pofile(str(po_path)) if po_path.exists() else polib.POFile()
    known = {entry.msgid: entry.msgstr for entry in old if entry.msgstr}
    new = polib.POFile(wrapwidth=100000)
    new.metadata = dict(old.metadata or pot.metadata)
    new.metadata["Language"] = "nb"
    missing = []
    for entry in pot:
        entry.msgstr = known.get(entry.msgid, "")
        if not entry.msgstr:
            missing.append(entry.msgid)
        new.append(entry)
    new.save(str(po_path))
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
