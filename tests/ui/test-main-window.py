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

import argparse
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TOOLS = ['Xvfb', 'xdotool', 'import', 'convert', 'dbus-run-session']
SCREEN = '1280x800x24'
WINDOW_TIMEOUT = 30  # seconds for the window to appear
QUIT_TIMEOUT = 15  # seconds for the app to exit after Ctrl+Q
# Standard deviation (0..1) of the window's gray levels. A window that drew
# nothing is one flat colour (0); the status page's text and header bar give
# about 0.1.
MIN_STDDEV = 0.02


class Tap:
    def __init__(self):
        self.count = 0
        self.failed = False

    def ok(self, passed, description, diagnostics=None):
        self.count += 1
        print(f"{'ok' if passed else 'not ok'} {self.count} - {description}", flush=True)
        if diagnostics:
            self.diag(diagnostics)
        if not passed:
            self.failed = True
        return passed

    def skip(self, description, reason):
        self.count += 1
        print(f'ok {self.count} - {description} # SKIP {reason}', flush=True)

    @staticmethod
    def diag(text):
        for line in str(text).rstrip('\n').splitlines():
            print(f'# {line}', flush=True)

    def finish(self):
        print(f'1..{self.count}', flush=True)
        return 1 if self.failed else 0


def run(argv, env, timeout=10):
    """Runs a helper tool; returns (exit status, stdout), -1 on a timeout."""
    try:
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return -1, ''
    return proc.returncode, proc.stdout.strip()


def start_xvfb(log):
    """Starts Xvfb on a display it picks itself; returns (process, ':N')."""
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ['Xvfb', '-displayfd', str(write_end), '-screen', '0', SCREEN, '-nolisten', 'tcp'],
        pass_fds=[write_end], stdout=log, stderr=log, start_new_session=True)
    os.close(write_end)
    number = b''
    deadline = time.monotonic() + 20
    while not number.endswith(b'\n') and time.monotonic() < deadline:
        ready, _, _ = select.select([read_end], [], [], 0.5)
        if ready:
            chunk = os.read(read_end, 16)
            if not chunk:
                break
            number += chunk
    os.close(read_end)
    if not number.strip().isdigit():
        stop(xvfb)
        return None, None
    return xvfb, ':' + number.decode().strip()


def stop(proc, timeout=5):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=timeout)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def private_env(display, home):
    """An environment that touches nothing of the user's and no real session."""
    env = dict(os.environ)
    for name in ('HOME', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME',
                 'XDG_STATE_HOME', 'XDG_RUNTIME_DIR'):
        path = os.path.join(home, name.lower())
        os.makedirs(path, mode=0o700, exist_ok=True)
        env[name] = path
    env.pop('WAYLAND_DISPLAY', None)
    env.pop('DBUS_SESSION_BUS_ADDRESS', None)
    env.update({
        'DISPLAY': display,
        'GDK_BACKEND': 'x11',
        'GSETTINGS_BACKEND': 'memory',
        'NO_AT_BRIDGE': '1',
        # No accessibility bus to start in the private session.
        'GTK_A11Y': 'none',
        # Not fatal-warnings: the missing-model case logs a warning by design.
        'G_DEBUG': 'gc-friendly,fatal-criticals',
        'LANG': 'C.UTF-8',
        'LC_ALL': 'C.UTF-8',
    })
    return env


def find_window(app, env):
    """Waits for the app's visible window; returns its id, or None if the app
    exited or the timeout passed first."""
    deadline = time.monotonic() + WINDOW_TIMEOUT
    while time.monotonic() < deadline and app.poll() is None:
        # --sync waits for the window; the short timeout lets the loop notice
        # an app that died before showing one.
        status, out = run(['xdotool', 'search', '--sync', '--onlyvisible', '--name', '^Inkling'],
                          env, timeout=2)
        if status == 0 and out:
            return out.split()[0]
    return None


def window_geometry(wid, env):
    status, out = run(['xdotool', 'getwindowgeometry', '--shell', wid], env)
    if status != 0:
        return None
    values = dict(line.split('=', 1) for line in out.splitlines() if '=' in line)
    try:
        return tuple(int(values[k]) for k in ('X', 'Y', 'WIDTH', 'HEIGHT'))
    except (KeyError, ValueError):
        return None


def screenshot_stddev(path, geometry, env):
    """Gray-level standard deviation of the window's area of the screenshot."""
    x, y, width, height = geometry
    status, out = run(['convert', path, '-crop', f'{width}x{height}+{x}+{y}', '+repage',
                       '-colorspace', 'Gray', '-format', '%[fx:standard_deviation]', 'info:'],
                      env, timeout=30)
    try:
        return float(out) if status == 0 else None
    except ValueError:
        return None


def take_screenshot(path, wid, env):
    """Saves the whole screen to path once the window has drawn; returns the
    window's stddev (None when it could not be measured)."""
    geometry = window_geometry(wid, env)
    stddev = None
    # The first frame may come a little after the window is mapped.
    for _ in range(10):
        time.sleep(0.5)
        if run(['import', '-window', 'root', path], env, timeout=30)[0] != 0:
            continue
        if geometry is None:
            return None
        stddev = screenshot_stddev(path, geometry, env)
        if stddev is not None and stddev > MIN_STDDEV:
            break
    return stddev


def run_case(tap, case, display, args, home):
    """One launch of the app: window, title, screenshot, quit."""
    env = private_env(display, os.path.join(home, case['name']))
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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--app', required=True, help='the inkling executable')
    parser.add_argument('--model', required=True, help='the bundled model')
    parser.add_argument('--model-name', required=True, help="the model's short description")
    parser.add_argument('--artifacts', required=True, help='folder for screenshots and logs')
    args = parser.parse_args()

    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        print(f"1..0 # SKIP missing {', '.join(missing)}")
        return 0

    os.makedirs(args.artifacts, exist_ok=True)
    tap = Tap()
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
            open(os.path.join(args.artifacts, 'xvfb.log'), 'w') as xvfb_log:
        xvfb, display = start_xvfb(xvfb_log)
        if not tap.ok(xvfb is not None, f'Xvfb started ({display})'):
            return tap.finish()
        try:
            for case in cases:
                run_case(tap, case, display, args, home)
        finally:
            stop(xvfb)
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
