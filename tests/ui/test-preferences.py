#!/usr/bin/env python3
# test-preferences.py: the settings pane (Preferences) and over-the-air
# model updates on the real application under Xvfb; prints TAP
#
# A model server: `inkling-cli publish` writes a site with the bundled
# model as versions 1.0.0 and 2.0.0, `inkling-cli serve` serves it on
# 127.0.0.1. First run: Ctrl+comma opens Preferences (its CA Certificates
# row says the system's are trusted); the server URL is
# typed into its entry and Check Now clicked (real pointer and key events);
# both versions are listed, 2.0.0 with an Install button; installing it
# makes the Model page report 2.0.0, downloaded; Roll Back brings 1.0.0
# back; the activity log is shown and Copy puts it on the clipboard; Reset
# asks for confirmation first. Second run, on fresh folders, with the
# server and automatic checks set (a vendor override): the app installs
# 2.0.0 by itself. Third run, with a server that drips the model: Install
# shows the download's progress, Cancel stops it, the bundled model stays
# and the log says so. Screenshots of the pane go to --artifacts.
#
# SPDX-License-Identifier: MIT

import json
import os
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inkling_uitest as u  # noqa: E402

TOOLS = ['Xvfb', 'xdotool', 'import', 'convert', 'dbus-daemon', 'gdbus', 'xclip']
# Seconds to wait for an operation over loopback HTTP (generous for ASan).
OPERATION_TIMEOUT = 120


# ---- The model server ----

def publish_site(tap, args, site):
    for version, notes in (('1.0.0', 'the first'), ('2.0.0', 'the second')):
        status, out = u.run([args.cli, 'publish', site, args.mlmodel, '--version', version,
                             '--notes', notes], dict(os.environ), timeout=120)
        if not tap.ok(status == 0, f'server: {version} published', out):
            return False
    return True


def start_server(args, site, log):
    """`inkling-cli serve SITE --port 0`; returns (process, its URL)."""
    proc = subprocess.Popen([args.cli, 'serve', site, '--port', '0'], stdout=subprocess.PIPE,
                            stderr=log, text=True, start_new_session=True)
    url = proc.stdout.readline().strip()
    return proc, url


# ---- The pane ----

def prefs(state):
    return state.get('preferences') if state else None


def find_prefs_window(app):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status, out = u.run(['xdotool', 'search', '--onlyvisible', '--name', '^Preferences$'],
                            app.env, timeout=5)
        if status == 0 and out:
            return out.split()[-1]
        time.sleep(0.2)
    return None


def click(app, wid, bounds):
    """A real click at the middle of bounds (in the window's coordinates)."""
    x = round(bounds['x'] + bounds['width'] / 2)
    y = round(bounds['y'] + bounds['height'] / 2)
    u.run(['xdotool', 'mousemove', '--window', wid, str(x), str(y), 'click', '1'], app.env)


def version_row(p, version):
    for row in p['versions']:
        if row['title'] == version:
            return row
    return None


def open_preferences(tap, app):
    state = app.state()
    tap.ok(state is not None and prefs(state) is None, 'the pane is not open at start')
    # Ctrl+comma, the accelerator, on the main window.
    u.run(['xdotool', 'windowfocus', '--sync', app.wid], app.env, timeout=5)
    u.run(['xdotool', 'key', '--window', app.wid, 'ctrl+comma'], app.env, timeout=5)
    state, ok = app.wait_state(lambda s: prefs(s) is not None and
                               prefs(s)['server-entry']['mapped'] and
                               prefs(s)['check-button']['mapped'])
    if not ok:
        # The menu's way, when no key reached the window.
        app.activate('preferences', scope='app')
        state, ok = app.wait_state(lambda s: prefs(s) is not None and
                                   prefs(s)['server-entry']['mapped'])
        tap.ok(False, 'Ctrl+comma opens the pane', json.dumps(state)[:1500] if state else None)
    else:
        tap.ok(True, 'Ctrl+comma opens the pane')
    wid = find_prefs_window(app)
    p = prefs(state) or {}
    tap.ok(wid is not None and p.get('page') == 'updates' and p.get('settings-sensitive'),
           'the Preferences window shows its Updates page, settings editable',
           json.dumps(p)[:1500])
    tap.ok(p.get('last-check') == 'Never' and p.get('versions') == [] and
           'bundled' in p.get('running', ''),
           'status: never checked, no versions, the bundled model runs', json.dumps(p)[:1500])
    tap.ok(p.get('ca-file-title') == 'CA Certificates' and
           p.get('ca-file', '').startswith('The system') and
           p.get('ca-file-label') == 'Choose a CA certificates file (now: the system’s)' and
           p.get('ca-file-choose', {}).get('mapped') and not p.get('ca-file-clear-enabled'),
           'the CA Certificates row: the system’s, Choose named for screen readers, '
           'nothing to clear', json.dumps(p)[:1500])
    return state, wid


def set_server(tap, app, wid, url):
    # Typed into the entry as a user would.
    focused = False
    for _ in range(3):
        state, _ = app.wait_still(lambda s: prefs(s)['server-entry'])
        u.run(['xdotool', 'windowfocus', '--sync', wid], app.env, timeout=5)
        click(app, wid, prefs(state)['server-entry'])
        state, focused = app.wait_state(lambda s: prefs(s)['server-entry-focused'], timeout=10)
        if focused:
            break
    tap.ok(focused, 'a click puts the focus in the server URL entry')
    u.run(['xdotool', 'type', '--delay', '20', url], app.env, timeout=60)
    state, ok = app.wait_state(lambda s: prefs(s)['server-url'] == url)
    tap.ok(ok, 'the server URL is typed into its entry',
           json.dumps(prefs(state))[:1500] if state else None)
    return ok


def check_now(tap, app, wid, url):
    state = app.state()
    click(app, wid, prefs(state)['check-button'])
    state, ok = app.wait_state(
        lambda s: not prefs(s)['busy'] and len(prefs(s)['versions']) == 2 and
        prefs(s)['last-check'] != 'Never', timeout=OPERATION_TIMEOUT)
    p = prefs(state) or {}
    tap.ok(ok, 'Check Now: the manifest is fetched and both versions are listed',
           json.dumps(p)[:2000])
    v2 = version_row(p, '2.0.0') or {}
    v1 = version_row(p, '1.0.0') or {}
    tap.ok(v2.get('button') == 'Install' and v2.get('action') == 'app.remote-install' and
           v2.get('target') == '2.0.0' and v2.get('sensitive') and 'the second' in
           v2.get('subtitle', '') and v1.get('button') == 'Install',
           'each version has an Install button for app.remote-install', json.dumps(p.get('versions')))
    tap.ok('2.0.0' in p.get('last-check', '') and 'failed' not in p.get('last-check', ''),
           'the last check says 2.0.0 is available', p.get('last-check'))
    tap.ok(any(url in line for line in p.get('log', [])) and
           any('HTTP 200' in line for line in p.get('log', [])),
           'the activity log shows the request and its answer', '\n'.join(p.get('log', [])[-6:]))
    return ok


def model_is(state, version, source):
    m = state['model']
    return not state['busy'] and m['version'] == version and m['source'] == source


def shown(bounds, geometry):
    return bounds['mapped'] and geometry is not None and bounds['y'] >= 0 and \
        bounds['y'] + bounds['height'] <= geometry[3]


def install_rollback(tap, app, wid, args):
    geometry = u.window_geometry(wid, app.env)
    bounds = version_row(prefs(app.state()), '2.0.0')['bounds']
    if not shown(bounds, geometry) and geometry is not None:
        # Scrolled into view with the mouse wheel, as a user would.
        u.run(['xdotool', 'mousemove', '--window', wid, str(geometry[2] // 2),
               str(geometry[3] // 2), 'click', '--repeat', '5', '--delay', '50', '5'], app.env)
        state, _ = app.wait_still(lambda s: version_row(prefs(s), '2.0.0')['bounds'])
        bounds = version_row(prefs(state), '2.0.0')['bounds']
    # The button as the user clicks it, when the page shows it.
    if shown(bounds, geometry):
        click(app, wid, bounds)
        how = 'clicked'
    else:
        app.activate('remote-install', "<'2.0.0'>", scope='app')
        how = 'its action'
    state, ok = app.wait_state(
        lambda s: model_is(s, '2.0.0', 'Downloaded') and not prefs(s)['busy'] and
        (version_row(prefs(s), '2.0.0') or {}).get('button') == 'Running',
        timeout=OPERATION_TIMEOUT)
    tap.ok(ok, f'Install 2.0.0 ({how}): the Model page reports 2.0.0, downloaded',
           json.dumps({'model': state['model'], 'preferences': prefs(state)})[:2500]
           if state else None)
    p = prefs(state) or {}
    tap.ok('2.0.0' in p.get('running', '') and 'downloaded' in p.get('running', '') and
           '1.0.0 (bundled)' in p.get('rollback', '') and p.get('can-rollback'),
           'the pane: 2.0.0 runs, Roll Back goes back to 1.0.0 (bundled)', json.dumps(p)[:1500])
    titles = state['model'].get('history-titles', []) if state else []
    tap.ok(titles and titles[0].startswith('install'),
           'the update history records the install', json.dumps(titles))
    u.take_screenshot(os.path.join(args.artifacts, 'preferences.png'), wid, app.env, crop=True)
    tap.ok(os.path.exists(os.path.join(args.artifacts, 'preferences.png')),
           'screenshot preferences.png saved')

    app.activate('remote-rollback', scope='app')
    state, ok = app.wait_state(
        lambda s: model_is(s, '1.0.0', 'Bundled with Inkling') and not prefs(s)['busy'] and
        '2.0.0 (downloaded)' in prefs(s)['rollback'], timeout=OPERATION_TIMEOUT)
    tap.ok(ok, 'Roll Back: the Model page reports 1.0.0 again, 2.0.0 kept to go back to',
           json.dumps({'model': state['model'], 'preferences': prefs(state)})[:2500]
           if state else None)
    log = prefs(state)['log'] if state else []
    tap.ok(any('rolling back' in line for line in log) and
           any('activate' in line for line in log),
           'the activity log shows the install and the rollback', '\n'.join(log[-8:]))
    return ok


def copy_log(tap, app):
    app.activate('remote-copy-log', scope='app')
    text = ''
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status, text = u.run(['xclip', '-o', '-selection', 'clipboard'], app.env, timeout=5)
        if status == 0 and 'rolling back' in text:
            break
        time.sleep(0.3)
    lines = prefs(app.state())['log']
    tap.ok('rolling back' in text and lines and lines[-1] in text,
           'Copy puts the activity log on the clipboard', text[-600:])


def visible_windows(app):
    status, out = u.run(['xdotool', 'search', '--onlyvisible', '--name', ''], app.env)
    return set(out.split()) if status == 0 else set()


def new_window(app, known):
    """A visible window not in known (a dialog just shown), or None."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        new = visible_windows(app) - known
        if new:
            return sorted(new)[-1]
        time.sleep(0.2)
    return None


def reset_asks_first(tap, app):
    known = visible_windows(app)
    app.activate('remote-reset', scope='app')
    state, ok = app.wait_state(lambda s: prefs(s)['dialog'] == 'Reset to the Bundled Model?')
    tap.ok(ok, 'Reset asks for confirmation first')
    # Escape, on the dialog, is its close response "cancel": nothing changes.
    dialog = new_window(app, known)
    if dialog is not None:
        u.run(['xdotool', 'windowfocus', '--sync', dialog], app.env, timeout=5)
    u.run(['xdotool', 'key', 'Escape'], app.env, timeout=5)
    state, ok = app.wait_state(lambda s: prefs(s)['dialog'] == '')
    tap.ok(ok and model_is(state, '1.0.0', 'Bundled with Inkling'),
           'Escape cancels the reset; the model stays',
           json.dumps(state['model']) if state else None)


def first_run(tap, args, env, url):
    app = u.start_app(tap, args.app, env, args.artifacts, 'preferences-1', 'first run')
    if app is None:
        return False
    try:
        state, wid = open_preferences(tap, app)
        if wid is None or prefs(state) is None:
            return False
        if not set_server(tap, app, wid, url) or not check_now(tap, app, wid, url):
            return False
        u.take_screenshot(os.path.join(args.artifacts, 'preferences-checked.png'), wid, app.env,
                          crop=True)
        if not install_rollback(tap, app, wid, args):
            return False
        copy_log(tap, app)
        reset_asks_first(tap, app)
        u.quit_app(tap, app, 'first run')
        return True
    finally:
        app.stop()


def automatic_run(tap, args, env):
    """Fresh folders, automatic checks on and the server set: the app
    installs the newest model by itself."""
    app = u.start_app(tap, args.app, env, args.artifacts, 'preferences-2', 'automatic run')
    if app is None:
        return
    try:
        state, ok = app.wait_state(lambda s: model_is(s, '2.0.0', 'Downloaded'),
                                   timeout=OPERATION_TIMEOUT)
        tap.ok(ok, 'automatic checks: 2.0.0 is installed without a click',
               json.dumps(state['model']) if state else None)
        app.activate('preferences', scope='app')
        state, ok = app.wait_state(lambda s: prefs(s) is not None and
                                   prefs(s)['automatic'] and
                                   prefs(s)['next-check'] not in ('', 'Automatic checks are off'))
        p = prefs(state) or {}
        tap.ok(ok and 'downloaded' in p.get('running', ''),
               'the pane: automatic checks on, the next one scheduled', json.dumps(p)[:1500])
        wid = find_prefs_window(app)
        if wid is not None:
            u.take_screenshot(os.path.join(args.artifacts, 'preferences-automatic.png'), wid,
                              app.env, crop=True)
        u.quit_app(tap, app, 'automatic run')
    finally:
        app.stop()


def start_slow_server(args, site, log):
    """The site served at 0.5% of the model a second (the whole download
    would take minutes): `inkling-cli serve SITE --fault drip=...`."""
    rate = max(os.path.getsize(args.mlmodel) // 200, 1)
    proc = subprocess.Popen([args.cli, 'serve', site, '--port', '0', '--fault',
                             f'drip=*.mlmodel:{rate}'], stdout=subprocess.PIPE, stderr=log,
                            text=True, start_new_session=True)
    url = proc.stdout.readline().strip()
    return proc, url


def cancel_download(tap, app, wid):
    """Presses Cancel: a click when the pane shows the button, else (or
    when the click did not reach it) app.remote-cancel over D-Bus."""
    p = prefs(app.state())
    geometry = u.window_geometry(wid, app.env) if wid is not None else None
    if shown(p['cancel-button'], geometry):
        click(app, wid, p['cancel-button'])
        state, ok = app.wait_state(lambda s: not prefs(s)['busy'], timeout=OPERATION_TIMEOUT)
        if tap.ok(ok, 'a click on Cancel cancels the install', json.dumps(prefs(state))[:1500]
                  if state else None):
            return state
    app.activate('remote-cancel', scope='app')
    state, _ = app.wait_state(lambda s: not prefs(s)['busy'], timeout=OPERATION_TIMEOUT)
    return state


def cancel_run(tap, args, env, url):
    """Fresh folders, the slow server set (a vendor override), automatic
    checks off: Install shows the download's progress and Cancel; Cancel
    stops it, the bundled model stays, the log says the user cancelled."""
    app = u.start_app(tap, args.app, env, args.artifacts, 'preferences-3', 'cancel run')
    if app is None:
        return
    try:
        app.activate('preferences', scope='app')
        state, ok = app.wait_state(lambda s: prefs(s) is not None and
                                   prefs(s)['server-url'] == url and not prefs(s)['busy'])
        tap.ok(ok and not prefs(state)['cancel-sensitive'],
               'cancel run: the pane shows the slow server; nothing to cancel',
               json.dumps(prefs(state))[:1500] if state else None)
        app.activate('remote-install', "<''>", scope='app')  # the newest
        state, ok = app.wait_state(
            lambda s: prefs(s)['busy'] and prefs(s)['progress-visible'] and
            prefs(s)['progress'] > 0, timeout=OPERATION_TIMEOUT)
        p = prefs(state) or {}
        tap.ok(ok and p.get('cancel-sensitive') and p['cancel-button']['mapped'],
               'Install from a slow server: the download\'s progress and a Cancel button show',
               json.dumps(p)[:1500])
        wid = find_prefs_window(app)
        if wid is not None:
            u.take_screenshot(os.path.join(args.artifacts, 'preferences-downloading.png'), wid,
                              app.env, crop=True)
        state = cancel_download(tap, app, wid)
        p = prefs(state) or {}
        log = p.get('log', [])
        tap.ok(not p.get('busy', True) and not p.get('progress-visible', True) and
               any('install cancelled by the user' in line for line in log) and
               any('ERROR: cancelled: ' + url in line for line in log),
               'Cancel stops the install; the activity log says it was cancelled',
               '\n'.join(log[-8:]))
        titles = state['model'].get('history-titles', []) if state else []
        tap.ok(state is not None and model_is(state, '1.0.0', 'Bundled with Inkling') and
               'bundled' in p.get('running', '') and
               (version_row(p, '2.0.0') or {}).get('button') == 'Install' and
               not any(t.startswith('install') for t in titles),
               'the model running stays the bundled 1.0.0; no install in the history',
               json.dumps({'model': state['model'], 'preferences': p})[:2500] if state else None)
        tap.ok(not p.get('cancel-sensitive', True), 'Cancel is off again once nothing runs')
        u.quit_app(tap, app, 'cancel run')
    finally:
        app.stop()


def cancel_case(tap, args, tmp, display, address, site, log):
    server, url = start_slow_server(args, site, log)
    try:
        if not tap.ok(url.startswith('http://127.0.0.1:'), f'slow server ({url}) started'):
            return
        home = os.path.join(tmp, 'home-3')
        env = u.private_env(display, home, address)
        env['INKLING_BUNDLED_MODEL'] = os.path.abspath(args.model)
        env['INKLING_IMAGE_MODEL'] = os.path.abspath(args.image_model)
        env['GSETTINGS_SCHEMA_DIR'] = u.compile_schema(args.schema, home,
                                                       {'remote-server-url': f"'{url}'"})
        cancel_run(tap, args, env, url)
    finally:
        u.stop(server)


def main():
    args = u.parse_args('cli', 'model', 'mlmodel', 'image-model', 'schema')
    tap = u.begin(TOOLS, args.artifacts)
    if tap is None:
        return 0
    with tempfile.TemporaryDirectory(prefix='inkling-prefs-') as tmp, \
            open(os.path.join(args.artifacts, 'preferences-xvfb.log'), 'w') as log:
        site = os.path.join(tmp, 'site')
        os.makedirs(site)
        if not publish_site(tap, args, site):
            return tap.finish()
        server, url = start_server(args, site, log)
        try:
            with u.Session(log) as session:
                if not tap.ok(url.startswith('http://127.0.0.1:') and session.started(),
                              f'server ({url}), Xvfb ({session.display}) and D-Bus started'):
                    return tap.finish()
                env = session.app_env(os.path.join(tmp, 'home-1'), args.model, args.image_model,
                                      schema=args.schema)
                if first_run(tap, args, env, url):
                    env = session.app_env(os.path.join(tmp, 'home-2'), args.model,
                                          args.image_model, schema=args.schema,
                                          overrides={'remote-server-url': f"'{url}'",
                                                     'remote-automatic-checks': 'true'})
                    automatic_run(tap, args, env)
                cancel_case(tap, args, tmp, session.display, session.address, site, log)
        finally:
            u.stop(server)
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
