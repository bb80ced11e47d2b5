#!/usr/bin/env python3
# test-open-file.py: model files given to the real inkling application on
# its command line, as a file manager does (Exec=inkling %F), under Xvfb;
# prints TAP
#
# On one private Xvfb and D-Bus session bus:
#
#  - `inkling FIRST.mlmodel` starts the app on that model: the Model page
#    says it was opened from that file, the history records the open;
#  - `inkling SECOND.mlmodel` while it runs (a relative path, from another
#    folder) exits at once and the running instance opens the file: an
#    updated model (made with inkling-cli update), its provenance shown;
#  - `inkling BAD.mlmodel` (not a model) and `inkling MISSING.mlmodel`: the
#    running instance shows an error toast naming why, and the model stays;
#  - `inkling A B`: only A is opened, and a toast says B was not;
#  - after a restart, the opened model still runs, still as opened.
#
# SPDX-License-Identifier: MIT

import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inkling_uitest as u  # noqa: E402

TOOLS = ['Xvfb', 'xdotool', 'import', 'convert', 'dbus-daemon', 'gdbus']
REMOTE_TIMEOUT = 30  # seconds for a second invocation to hand its file over
OPEN_TIMEOUT = 60  # seconds for a model to be opened


def opened_from(name):
    return f'Opened from file “{name}”'


def model_info(state):
    return json.dumps(state['model'] if state else None)


def invoke(app_path, env, argv, cwd=None):
    """Runs a second `inkling ARGS...` while the app runs; returns its exit
    status (None when it did not exit) and output."""
    try:
        proc = subprocess.run([app_path] + argv, env=env, cwd=cwd, capture_output=True,
                              text=True, timeout=REMOTE_TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, ''
    return proc.returncode, proc.stdout + proc.stderr


def app_windows(env):
    """The X windows named like the app's."""
    return sorted(u.run(['xdotool', 'search', '--onlyvisible', '--name', '^Inkling'], env)[1]
                  .split())


def make_models(tap, args, env, folder):
    """FIRST: the bundled model's Core ML source, copied; SECOND: it
    updated with one labelled image by inkling-cli (so its provenance
    differs). Returns their paths, or None."""
    first = os.path.join(folder, 'first.mlmodel')
    shutil.copy(args.mlmodel, first)
    image = os.path.join(folder, 'zigzag.png')
    u.run(['convert', '-size', '280x280', 'xc:black', '-stroke', 'white', '-strokewidth', '16',
           '-fill', 'none', '-draw', 'polyline 40,60 100,220 160,60 220,220', image], env,
          timeout=30)
    second = os.path.join(folder, 'models', 'second.mlmodel')
    os.makedirs(os.path.dirname(second))
    status, out = u.run([args.cli, 'update', first, '-o', second, '--label', 'zigzag',
                         '--image', image], env, timeout=120)
    if not tap.ok(status == 0 and os.path.exists(second),
                  'fixtures: a second model made with inkling-cli update', out):
        return None
    return first, second


def bad_files(tap, args, app, folder, kept):
    """Files that are no model, sent to the running instance: an error toast
    each, naming why, and the model stays."""
    bad = os.path.join(folder, 'bad.mlmodel')
    with open(bad, 'w') as f:
        f.write('this is not a Core ML model\n')
    missing = os.path.join(folder, 'missing.mlmodel')
    for path, what in ((bad, 'a file that is no model'), (missing, 'a missing file')):
        toasts = len(app.state()['toasts'])
        status, out = invoke(args.app, app.env, [path])
        tap.ok(status == 0, f'{what}: a second inkling hands it over and exits with status 0',
               f'exit status {status}\n{out}')
        state, ok = app.wait_state(
            lambda s: not s['busy'] and len(s['toasts']) > toasts and
            s['toasts'][-1].startswith('Cannot open the model'), timeout=OPEN_TIMEOUT)
        toast = state['toasts'][-1] if ok else None
        tap.ok(ok and os.path.basename(path) in toast,
               f'{what}: the running instance shows why it cannot be opened',
               json.dumps(state['toasts'][toasts:] if state else None))
        tap.ok(state is not None and state['model']['source'] == kept['source'] and
               state['model']['updated'] == kept['updated'] and
               state['model']['history'] == kept['history'] + 1,
               f'{what}: the model running stays (the failure is in the history)',
               f'{model_info(state)}; before {kept}')
        kept['history'] = state['model']['history'] if state else kept['history']
        tap.ok(state is not None and state['model']['history-titles'][0].startswith('open-model'),
               f'{what}: the history records the failed open',
               json.dumps(state['model']['history-titles'][:2]) if state else None)


def first_run(tap, args, env, first, second, folder):
    app = u.start_app(tap, args.app, env, args.artifacts, 'open-file-first-run',
                      'inkling FIRST.mlmodel', argv=[first])
    if app is None:
        return None
    try:
        state, ok = app.wait_state(
            lambda s: not s['busy'] and s['model']['source'] == opened_from('first.mlmodel'),
            timeout=OPEN_TIMEOUT)
        tap.ok(ok and state['model']['examples'] == '0' and
               state['model']['history-titles'][0].startswith('open-model') and
               state['model']['name'] == args.model_name,
               'inkling FIRST.mlmodel: the app starts on it, shown as opened from that file',
               model_info(state))
        tap.ok(ok and any(t.startswith('Opened first.mlmodel') for t in state['toasts']),
               'inkling FIRST.mlmodel: a toast confirms it',
               json.dumps(state['toasts']) if state else None)
        updated = state['model']['updated'] if state else None
        history = state['model']['history'] if state else 0
        windows = app_windows(env)

        # A relative path, from the folder the second invocation runs in.
        status, out = invoke(args.app, env, ['second.mlmodel'],
                             cwd=os.path.dirname(second))
        tap.ok(status == 0, 'inkling SECOND.mlmodel while running: it exits with status 0',
               f'exit status {status}\n{out}')
        state, ok = app.wait_state(
            lambda s: not s['busy'] and s['model']['source'] == opened_from('second.mlmodel'),
            timeout=OPEN_TIMEOUT)
        tap.ok(ok and state['model']['updated'] not in ('—', updated) and
               state['model']['history'] == history + 1,
               'inkling SECOND.mlmodel while running: the running instance opens it '
               '(its own provenance shown)', f'{model_info(state)}; before: updated {updated}')
        tap.ok(app_windows(env) == windows, 'inkling SECOND.mlmodel while running: no new window',
               f'windows before {windows}, after {app_windows(env)}')
        u.screenshot(tap, app, args.artifacts, 'open-file-second')
        if not ok:
            return None
        kept = {k: state['model'][k] for k in ('source', 'updated', 'history')}

        bad_files(tap, args, app, folder, kept)

        # Several files: the first is opened, a toast says the other was not.
        toasts = len(app.state()['toasts'])
        status, out = invoke(args.app, env, [first, second])
        state, ok = app.wait_state(
            lambda s: not s['busy'] and s['model']['source'] == opened_from('first.mlmodel') and
            any('not second.mlmodel' in t for t in s['toasts'][toasts:]), timeout=OPEN_TIMEOUT)
        tap.ok(status == 0 and ok,
               'inkling A B: only A is opened, and a toast says B was not',
               f'exit status {status}; {model_info(state)}; '
               f'toasts {json.dumps(state["toasts"][toasts:]) if state else None}')
        kept = {k: state['model'][k] for k in ('source', 'updated')} if state else None
        u.quit_app(tap, app, 'inkling FIRST.mlmodel')
        return kept
    finally:
        app.stop()


def second_run(tap, args, env, kept):
    def check(app, state):
        tap.ok({k: state['model'][k] for k in ('source', 'updated')} == kept,
               'after a restart: the opened model runs, still shown as opened from its file',
               f'{model_info(state)}; before {kept}')

    u.after_restart(tap, args.app, env, args.artifacts, 'open-file-second-run', check)


def main():
    args = u.parse_args('cli', 'model', 'model-name', 'mlmodel', 'image-model', 'schema')
    # The second invocations run in another folder.
    args.app = os.path.abspath(args.app)
    tap = u.begin(TOOLS, args.artifacts)
    if tap is None:
        return 0
    with tempfile.TemporaryDirectory(prefix='inkling-open-file-') as home, \
            open(os.path.join(args.artifacts, 'open-file-xvfb.log'), 'w') as log, \
            u.Session(log) as session:
        if not session.report(tap):
            return tap.finish()
        env = session.app_env(home, args.model, args.image_model, schema=args.schema)
        folder = os.path.join(home, 'files')
        os.makedirs(folder)
        models = make_models(tap, args, env, folder)
        if models is not None:
            kept = first_run(tap, args, env, models[0], models[1], folder)
            if kept is not None:
                second_run(tap, args, env, kept)
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
