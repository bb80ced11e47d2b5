#!/usr/bin/env python3
# check-mime.py DATA_DIR APP_ID: the model files' MIME types (DATA_DIR/
# APP_ID.mime.xml) build into a MIME database without complaint, type the
# files Inkling opens (by name, and a compiled model by its magic too), and
# are the types the desktop file says the app opens, with a file code in
# its Exec.
# SPDX-License-Identifier: MIT
import configparser
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

NS = '{http://www.freedesktop.org/standards/shared-mime-info}'

data, app_id = sys.argv[1], sys.argv[2]
tools = ['update-mime-database', 'gio']
missing = [t for t in tools if shutil.which(t) is None]
if missing:
    print(f"1..0 # SKIP missing {', '.join(missing)}")
    sys.exit(0)

count = 0
failed = False


def ok(passed, description, diagnostics=None):
    global count, failed
    count += 1
    print(f"{'ok' if passed else 'not ok'} {count} - {description}")
    if not passed:
        failed = True
        for line in str(diagnostics or '').splitlines():
            print('# ' + line)


mime_xml = os.path.join(data, app_id + '.mime.xml')
types = [t.get('type') for t in ET.parse(mime_xml).getroot().iter(NS + 'mime-type')]
ok(types == ['application/x-coreml-model', 'application/x-inkling-model'],
   'the MIME types of Core ML and compiled models are defined', types)

desktop = configparser.ConfigParser(interpolation=None)
desktop.optionxform = str
desktop.read(os.path.join(data, app_id + '.desktop'), encoding='utf-8')
entry = desktop['Desktop Entry']
listed = [t for t in entry.get('MimeType', '').split(';') if t]
ok(sorted(listed) == sorted(types), "the desktop file's MimeType lists them",
   f'MimeType {listed}; defined {types}')
ok(any(code in entry.get('Exec', '').split() for code in ('%f', '%F', '%u', '%U')),
   "the desktop file's Exec takes the files", entry.get('Exec'))

with tempfile.TemporaryDirectory(prefix='inkling-mime-') as home:
    packages = os.path.join(home, 'mime', 'packages')
    os.makedirs(packages)
    shutil.copy(mime_xml, os.path.join(packages, app_id + '.xml'))
    # The private database is found through XDG_DATA_HOME.
    env = dict(os.environ, XDG_DATA_HOME=home,
               XDG_DATA_DIRS=os.environ.get('XDG_DATA_DIRS') or '/usr/local/share:/usr/share')
    proc = subprocess.run(['update-mime-database', os.path.join(home, 'mime')],
                          capture_output=True, text=True, env=env)
    ok(proc.returncode == 0 and not proc.stderr.strip(),
       'update-mime-database builds a database from it without warnings',
       f'exit status {proc.returncode}\n{proc.stderr}')

    files = {'model.mlmodel': 'application/x-coreml-model',
             'model.inkmodel': 'application/x-inkling-model',
             'compiled-model': 'application/x-inkling-model'}
    for name in files:
        with open(os.path.join(home, name), 'wb') as f:
            # A compiled model starts with its magic; a Core ML model is a
            # protobuf message (field 1, the spec version, comes first).
            f.write(b'\x08\x04\x12\x00' if name.endswith('.mlmodel') else b'INKMODEL' + bytes(56))
    for name, expected in files.items():
        proc = subprocess.run(['gio', 'info', '-a', 'standard::content-type',
                               os.path.join(home, name)], capture_output=True, text=True, env=env)
        found = [line.partition(': ')[2].strip() for line in proc.stdout.splitlines()
                 if line.strip().startswith('standard::content-type:')]
        ok(found == [expected], f'{name} is typed {expected}', proc.stdout + proc.stderr)

print(f'1..{count}')
sys.exit(1 if failed else 0)
