#!/usr/bin/env python3
# test-main-window.py: runs the real inkling window under Xvfb; prints TAP
#
# Starts its own Xvfb on a free display and, for each case, runs the app in
# a private D-Bus session, waits for its window, checks the title, saves a
# screenshot under --artifacts, checks that it is not blank, then quits with
# Ctrl+Q and checks the exit status. Cases: the bundled model (its name must
# be in the title), then a missing and a truncated model (an error page,
# never a crash).
#
# SPDX-License-Identifier: MIT

import os
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from inkling_uitest import (QUIT_TIMEOUT, MIN_STDDEV, Session, begin,  # noqa: E402
                            find_window, parse_args, private_env, run, stop, take_screenshot)

TOOLS = ['Xvfb', 'xdotool', 'import', 'convert', 'dbus-run-session']


def run_case(tap, case, display, args, home):
    """One launch of the app: window, title, screenshot, quit."""
    env = private_env(display, os.path.join(home, case['name']))
    # Not fatal-warnings: the missing-model case logs a warning by design.
    env['INKLING_BUNDLED_MODEL'] = case['model']
    log_path = os.path.join(args.artifacts, case['name'] + '.log')
    shot_path = os.path.join(args.artifacts, case['name'] + '.png')
    name = case['name']

    with open(log_path, 'w') as log:
        app = subprocess.Popen(['dbus-run-session', '--', args.app], env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wid = find_window(app, env)
        if not tap.ok(wid is not None, f'{name}: the window appears',
                      None if wid else f'exit status {app.poll()}; log {log_path}'):
            with open(log_path) as log:
                tap.diag(log.read())
            for check in ('title', 'screenshot', 'quit'):
                tap.skip(f'{name}: {check}', 'no window')
            return

        title = run(['xdotool', 'getwindowname', wid], env)[1]
        tap.ok(title == case['title'], f"{name}: the window title is \"{case['title']}\"",
               None if title == case['title'] else f'got "{title}"')

        stddev = take_screenshot(shot_path, wid, env)
        if tap.ok(os.path.exists(shot_path), f'{name}: screenshot saved', shot_path):
            tap.ok(stddev is not None and stddev > MIN_STDDEV,
                   f'{name}: the screenshot is not blank',
                   f'window gray-level standard deviation {stddev} (> {MIN_STDDEV} wanted)')
        else:
            tap.skip(f'{name}: the screenshot is not blank', 'no screenshot')

        # Keyboard focus goes to the window, then its Ctrl+Q (app.quit).
        run(['xdotool', 'mousemove', '--window', wid, '20', '20'], env)
        run(['xdotool', 'windowfocus', '--sync', wid], env, timeout=5)
        run(['xdotool', 'key', '--clearmodifiers', 'ctrl+q'], env)
        try:
            status = app.wait(timeout=QUIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            status = None
        tap.ok(status == 0, f'{name}: Ctrl+Q quits with exit status 0',
               f'exit status {status}' + ('' if status == 0 else f'; log {log_path}'))
        if status != 0:
            with open(log_path) as log:
                tap.diag(log.read())
    finally:
        stop(app)


def main():
    args = parse_args('model', 'model-name')
    tap = begin(TOOLS, args.artifacts)
    if tap is None:
        return 0
    cases = [
        {'name': 'main-window', 'model': os.path.abspath(args.model),
         'title': f'Inkling — {args.model_name}'},
        {'name': 'model-missing', 'model': os.path.join(args.artifacts, 'no-such.inkmodel'),
         'title': 'Inkling'},
        {'name': 'model-corrupt', 'model': os.path.join(args.artifacts, 'truncated.inkmodel'),
         'title': 'Inkling'},
    ]
    # A truncated copy of the bundled model: refused with a message, not a crash.
    with open(args.model, 'rb') as model, open(cases[2]['model'], 'wb') as truncated:
        truncated.write(model.read()[:100])

    with tempfile.TemporaryDirectory(prefix='inkling-ui-') as home, \
            open(os.path.join(args.artifacts, 'xvfb.log'), 'w') as xvfb_log, \
            Session(xvfb_log, dbus=False) as session:
        if not session.report(tap):
            return tap.finish()
        for case in cases:
            run_case(tap, case, session.display, args, home)
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
