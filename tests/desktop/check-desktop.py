#!/usr/bin/env python3
# check-desktop.py DATA_DIR APP_ID: the desktop files agree with each other
# and the icon is well-formed SVG of the right name (what the validators do
# not check).
# SPDX-License-Identifier: MIT
import configparser
import os
import sys
import xml.etree.ElementTree as ET

data, app_id = sys.argv[1], sys.argv[2]
failures = []

desktop = configparser.ConfigParser(interpolation=None)
desktop.optionxform = str
desktop.read(os.path.join(data, app_id + ".desktop"), encoding="utf-8")
entry = desktop["Desktop Entry"]
if entry.get("Icon") != app_id:
    failures.append(f"the desktop file's Icon is {entry.get('Icon')!r}, not {app_id!r}")

icon = os.path.join(data, "icons", "hicolor", "scalable", "apps", app_id + ".svg")
root = ET.parse(icon).getroot()
if not root.tag.endswith("svg"):
    failures.append(f"{icon} is not an SVG document")

meta = ET.parse(os.path.join(data, app_id + ".metainfo.xml")).getroot()
if meta.findtext("id") != app_id:
    failures.append("the metainfo id is not the app id")
if meta.findtext("launchable") != app_id + ".desktop":
    failures.append("the metainfo does not launch the desktop file")
shots = [s.findtext("image") for s in meta.iter("screenshot")]
if not shots or not all(s and s.endswith(".png") and "/docs/screenshots/" in s for s in shots):
    failures.append(f"screenshots should be docs/screenshots/*.png URLs: {shots}")

schema = ET.parse(os.path.join(data, app_id + ".gschema.xml")).getroot()
ids = [s.get("id") for s in schema.iter("schema")]
if app_id not in ids:
    failures.append(f"no schema with the app id among {ids}")

print("1..1")
if failures:
    for f in failures:
        print("# " + f)
    print("not ok 1 desktop files agree")
    sys.exit(1)
print("ok 1 desktop files agree")
