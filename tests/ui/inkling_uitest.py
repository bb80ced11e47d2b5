# inkling_uitest.py: shared pieces of the ui tests that drive the real app
#
# The command line, TAP output, a private Xvfb and D-Bus session bus (a
# Session), the app's environment, its window, org.gtk.Actions calls over
# D-Bus, the test state file the app writes when $INKLING_TEST_STATE_FILE
# is set, screenshots, and strokes drawn with xdotool as real pointer
# events; the drawings and checks the flow tests share (test-flows.py,
# test-model-flows.py), and the restart that checks what a first run kept.
#
# SPDX-License-Identifier: MIT

import argparse
import json
import math
import os
import random
import select
import shutil
import signal
import subprocess
import time

APP_ID = 'io.github.inkling.Inkling'
APP_PATH = '/io/github/inkling/Inkling'
SCREEN = '1280x800x24'
WINDOW_TIMEOUT = 30  # seconds for the window to appear
QUIT_TIMEOUT = 15  # seconds for the app to exit after quitting
# Standard deviation (0..1) of the window's gray levels. A window that drew
# nothing is one flat colour (0); text and header bar give about 0.1.
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


# The options of the ui tests' command lines (see parse_args).
OPTIONS = {
    'app': 'the inkling executable',
    'cli': 'the inkling-cli executable',
    'drag-source': 'the drag-source helper',
    'model': 'the bundled drawing model (compiled)',
    'mlmodel': "the bundled drawing model's Core ML source, to publish",
    'model-name': "the bundled model's short description",
    'image-model': 'the bundled image model',
    'demo-images': 'the demo images folder',
    'schema': "the app's GSettings schema (XML)",
    'artifacts': 'folder for screenshots and logs',
}


def parse_args(*names, optional=()):
    """Parses the command line: --app, the options named (keys of OPTIONS)
    and --artifacts, each required unless named in optional."""
    parser = argparse.ArgumentParser()
    for name in ('app',) + names + ('artifacts',):
        parser.add_argument('--' + name, required=name not in optional, help=OPTIONS[name])
    return parser.parse_args()


def begin(tools, artifacts):
    """Returns the test's Tap, with the artifacts folder made; or None,
    having reported the whole test skipped, when one of tools is not
    installed."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        print(f"1..0 # SKIP missing {', '.join(missing)}")
        return None
    os.makedirs(artifacts, exist_ok=True)
    return Tap()


def run(argv, env, timeout=10):
    """Runs a helper tool; returns (exit status, stdout), -1 on a timeout."""
    try:
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return -1, ''
    return proc.returncode, proc.stdout.strip()


def _read_line_from(fd, timeout):
    data = b''
    deadline = time.monotonic() + timeout
    while not data.endswith(b'\n') and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            chunk = os.read(fd, 256)
            if not chunk:
                break
            data += chunk
    return data.decode().strip()


def start_xvfb(log):
    """Starts Xvfb on a display it picks itself; returns (process, ':N')."""
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ['Xvfb', '-displayfd', str(write_end), '-screen', '0', SCREEN, '-nolisten', 'tcp'],
        pass_fds=[write_end], stdout=log, stderr=log, start_new_session=True)
    os.close(write_end)
    number = _read_line_from(read_end, 20)
    os.close(read_end)
    if not number.isdigit():
        stop(xvfb)
        return None, None
    return xvfb, ':' + number


def start_dbus(log):
    """Starts a private session bus; returns (process, address)."""
    read_end, write_end = os.pipe()
    bus = subprocess.Popen(
        ['dbus-daemon', '--session', '--nofork', f'--print-address={write_end}'],
        pass_fds=[write_end], stdout=log, stderr=log, start_new_session=True)
    os.close(write_end)
    address = _read_line_from(read_end, 20)
    os.close(read_end)
    if not address:
        stop(bus)
        return None, None
    return bus, address


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


def private_env(display, home, bus=None, animations=False):
    """An environment that touches nothing of the user's and no real session.
    Animations are off unless asked for: on a loaded machine a stack's slide
    can stall between two reads of the state file, and bounds read mid-slide
    would put the pointer off the canvas."""
    env = dict(os.environ)
    for name in ('HOME', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME',
                 'XDG_STATE_HOME', 'XDG_RUNTIME_DIR'):
        path = os.path.join(home, name.lower())
        os.makedirs(path, mode=0o700, exist_ok=True)
        env[name] = path
    gtk_config = os.path.join(env['XDG_CONFIG_HOME'], 'gtk-4.0')
    os.makedirs(gtk_config, exist_ok=True)
    with open(os.path.join(gtk_config, 'settings.ini'), 'w') as f:
        f.write('[Settings]\ngtk-enable-animations=%s\n' % ('true' if animations else 'false'))
    env.pop('WAYLAND_DISPLAY', None)
    env.pop('DBUS_SESSION_BUS_ADDRESS', None)
    if bus is not None:
        env['DBUS_SESSION_BUS_ADDRESS'] = bus
    env.update({
        'DISPLAY': display,
        'GDK_BACKEND': 'x11',
        'GSETTINGS_BACKEND': 'memory',
        'NO_AT_BRIDGE': '1',
        # No accessibility bus to start in the private session.
        'GTK_A11Y': 'none',
        'G_DEBUG': 'gc-friendly,fatal-criticals',
        'LANG': 'C.UTF-8',
        'LC_ALL': 'C.UTF-8',
    })
    return env


def app_env(display, home, bus, model, image_model=None, demo_images=None, schema=None,
            overrides=None):
    """private_env() with the app's bundled drawing model, its image model
    and demo images when given, and with schema, $GSETTINGS_SCHEMA_DIR: the
    schema compiled in home (with the vendor overrides of compile_schema)."""
    env = private_env(display, home, bus)
    env['INKLING_BUNDLED_MODEL'] = os.path.abspath(model)
    if image_model is not None:
        env['INKLING_IMAGE_MODEL'] = os.path.abspath(image_model)
    if demo_images is not None:
        env['INKLING_DEMO_IMAGES'] = os.path.abspath(demo_images)
    if schema is not None:
        env['GSETTINGS_SCHEMA_DIR'] = compile_schema(schema, home, overrides)
    return env


class Session:
    """A private Xvfb and (with dbus) a private D-Bus session bus, both
    logging to log, as a context manager that stops them at its end. Check
    started() (or report() it) before using .display and .address."""

    def __init__(self, log, dbus=True):
        self.log = log
        self.dbus = dbus
        self.xvfb = self.bus = None
        self.display = self.address = None

    def __enter__(self):
        self.xvfb, self.display = start_xvfb(self.log)
        if self.xvfb is not None and self.dbus:
            self.bus, self.address = start_dbus(self.log)
        return self

    def started(self):
        return self.xvfb is not None and (self.bus is not None or not self.dbus)

    def report(self, tap):
        """One test: the session started. Returns whether it did."""
        if self.dbus:
            return tap.ok(self.started(), f'Xvfb ({self.display}) and D-Bus started')
        return tap.ok(self.started(), f'Xvfb started ({self.display})')

    def app_env(self, home, model, image_model=None, demo_images=None, schema=None,
                overrides=None):
        """app_env() on this session's display and bus."""
        return app_env(self.display, home, self.address, model, image_model, demo_images, schema,
                       overrides)

    def __exit__(self, *exc):
        stop(self.bus)
        stop(self.xvfb)
        return False


def find_window(app, env, timeout=WINDOW_TIMEOUT):
    """Waits for the app's visible window; returns its id, or None if the app
    exited or the timeout passed first."""
    deadline = time.monotonic() + timeout
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


def take_screenshot(path, wid, env, crop=False):
    """Saves the screen (or, with crop, the window's area) to path once the
    window has drawn; returns the window's stddev (None when it could not be
    measured)."""
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
    if crop and geometry is not None and os.path.exists(path):
        x, y, width, height = geometry
        run(['convert', path, '-crop', f'{width}x{height}+{x}+{y}', '+repage', path], env,
            timeout=30)
    return stddev


class App:
    """One run of the application in a private environment, with its
    actions over D-Bus and its state file."""

    def __init__(self, argv, env, log_path, state_path):
        self.env = dict(env)
        self.env['INKLING_TEST_STATE_FILE'] = state_path
        self.state_path = state_path
        self.log_path = log_path
        if os.path.exists(state_path):
            os.unlink(state_path)
        with open(log_path, 'a') as log:
            self.proc = subprocess.Popen(argv, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self.wid = None

    def wait_window(self):
        self.wid = find_window(self.proc, self.env)
        return self.wid

    def log(self):
        with open(self.log_path) as log:
            return log.read()

    def call(self, method, *args, path=None):
        argv = ['gdbus', 'call', '--session', '--dest', APP_ID, '--object-path',
                path or APP_PATH, '--method', method] + list(args)
        return run(argv, self.env, timeout=20)

    def activate(self, action, parameter=None, scope='win'):
        """Activates win.ACTION (or app.ACTION); parameter is GVariant text."""
        path = APP_PATH + '/window/1' if scope == 'win' else APP_PATH
        params = f'[{parameter}]' if parameter is not None else '[]'
        status, out = self.call('org.gtk.Actions.Activate', action, params, '{}', path=path)
        return status == 0

    def set_state(self, action, value, scope='win'):
        path = APP_PATH + '/window/1' if scope == 'win' else APP_PATH
        status, out = self.call('org.gtk.Actions.SetState', action, value, '{}', path=path)
        return status == 0

    def state(self):
        try:
            with open(self.state_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def wait_state(self, predicate, timeout=30):
        """Polls the state file until predicate(state) is true; returns the
        last state and whether it matched."""
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline and self.proc.poll() is None:
            state = self.state()
            try:
                if state is not None and predicate(state):
                    return state, True
            except (KeyError, IndexError, TypeError):
                pass
            time.sleep(0.1)
        return state, False

    def wait_still(self, get, timeout=10):
        """Waits until get(state) (e.g. a widget's bounds) is the same in
        states a few frames apart: an animation (a stack's slide) is over."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline and self.proc.poll() is None:
            state = self.state()
            try:
                value = get(state) if state is not None else None
            except (KeyError, IndexError, TypeError):
                value = None
            if value is not None and value == last:
                return state, True
            last = value
            time.sleep(0.3)
        return self.state(), False

    def quit(self):
        self.activate('quit', scope='app')
        try:
            return self.proc.wait(timeout=QUIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        stop(self.proc)


def draw_strokes(env, wid, bounds, strokes, margin=0.15):
    """Draws strokes (lists of (x, y) in any unit, y down) with xdotool,
    scaled to fit the canvas bounds (a state file "canvas" entry, in window
    coordinates) less a margin, keeping their aspect ratio."""
    xs = [x for stroke in strokes for x, _ in stroke]
    ys = [y for stroke in strokes for _, y in stroke]
    w = max(max(xs) - min(xs), 1e-6)
    h = max(max(ys) - min(ys), 1e-6)
    side = min(bounds['width'], bounds['height']) * (1 - 2 * margin)
    scale = side / max(w, h)
    ox = bounds['x'] + (bounds['width'] - w * scale) / 2 - min(xs) * scale
    oy = bounds['y'] + (bounds['height'] - h * scale) / 2 - min(ys) * scale
    for stroke in strokes:
        points = [(round(ox + x * scale), round(oy + y * scale)) for x, y in stroke]
        argv = ['xdotool', 'mousemove', '--window', wid, str(points[0][0]), str(points[0][1]),
                'mousedown', '1']
        for x, y in points[1:]:
            argv += ['mousemove', '--window', wid, str(x), str(y), 'sleep', '0.005']
        argv += ['mouseup', '1']
        run(argv, env, timeout=60)
        time.sleep(0.05)


# ---- Drawings (points in any unit, y down) ----

def heart(n=64):
    """The classic heart curve, in one stroke from its top notch."""
    points = []
    for i in range(n + 1):
        t = 2 * math.pi * i / n
        points.append((16 * math.sin(t) ** 3,
                       -(13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t)
                         - math.cos(4 * t))))
    return [points]


def fish(seed):
    """An oval body, a triangular tail and an eye, a little different for
    each seed, as a person's drawings are."""
    r = random.Random(seed)
    stretch = r.uniform(0.9, 1.1)
    body = []
    for i in range(41):
        a = 2 * math.pi * i / 40
        body.append((1.2 * stretch * math.cos(a) + r.uniform(-0.02, 0.02),
                     0.6 * math.sin(a) + r.uniform(-0.02, 0.02)))
    x = -1.2 * stretch
    tail = [(x + 0.05, 0), (x - 0.6 + r.uniform(-0.06, 0.06), -0.55 + r.uniform(-0.06, 0.06)),
            (x - 0.6 + r.uniform(-0.06, 0.06), 0.55 + r.uniform(-0.06, 0.06)), (x + 0.05, 0)]
    eye = [(0.7 * stretch, -0.15), (0.75 * stretch, -0.12)]
    return [body, tail, eye]


# ---- Checks shared by the flow tests ----

def settled_guesses(state):
    """The Draw page shows the guesses for the finished drawing on it."""
    d = state['draw']
    return d['strokes'] > 0 and not d['in-stroke'] and d['pending'] == 0 and \
        d['guessed-revision'] == d['revision'] and len(d['guesses']) > 0


def guess_labels(state):
    return [(g['label'], g['percent']) for g in state['draw']['guesses']]


def show_empty_canvas(tap, app, what):
    """The Draw page with a cleared canvas, once it is still; returns the
    state, or None when it did not show."""
    app.activate('page', '<"draw">')
    app.activate('clear')
    state, ok = app.wait_state(lambda s: s['page'] == 'draw' and s['draw']['strokes'] == 0
                               and s['draw']['canvas']['width'] > 0)
    if not tap.ok(ok, f'{what}: the Draw page shows an empty canvas'):
        return None
    state, ok = app.wait_still(lambda s: s['draw']['canvas'])
    return state


def draw_and_guess(tap, app, drawing, expected, what, top=True):
    """Draws on the Draw page and checks the guesses: with top, that the
    first is expected; else that expected is not the first."""
    state = show_empty_canvas(tap, app, what)
    if state is None:
        return None
    draw_strokes(app.env, app.wid, state['draw']['canvas'], drawing)
    state, ok = app.wait_state(
        lambda s: settled_guesses(s) and s['draw']['strokes'] == len(drawing))
    strokes = state['draw']['strokes'] if state else None
    tap.ok(ok and strokes == len(drawing),
           f'{what}: {len(drawing)} strokes drawn and guessed',
           f'strokes {strokes}; guesses {guess_labels(state) if state else None}')
    first = state['draw']['guesses'][0]['label'] if ok else None
    if top:
        tap.ok(first == expected, f'{what}: the top guess is "{expected}"',
               f'guesses {guess_labels(state) if state else None}')
    else:
        tap.ok(ok and first != expected, f'{what}: the top guess is no longer "{expected}"',
               f'guesses {guess_labels(state) if state else None}')
    return state


def screenshot(tap, app, artifacts, name):
    path = os.path.join(artifacts, name + '.png')
    stddev = take_screenshot(path, app.wid, app.env, crop=True)
    tap.ok(os.path.exists(path) and stddev is not None and stddev > MIN_STDDEV,
           f'screenshot {name}.png saved and not blank', f'{path}: stddev {stddev}')


def start_app(tap, app_path, env, artifacts, name, what, argv=()):
    """Starts the app (logging to ARTIFACTS/NAME.log, its state in
    ARTIFACTS/NAME-state.json) and waits for its pages and model; returns
    the App, or None (reported) when it did not get there."""
    app = App([app_path] + list(argv), env, os.path.join(artifacts, f'{name}.log'),
              os.path.join(artifacts, f'{name}-state.json'))
    wid = app.wait_window()
    if not tap.ok(wid is not None, f'{what}: the window appears'):
        tap.diag(app.log())
        app.stop()
        return None
    state, ok = app.wait_state(lambda s: s['view'] == 'main' and
                               s['draw']['canvas']['width'] > 0 and not s['busy'])
    if not tap.ok(ok, f'{what}: the pages show and the model is ready',
                  json.dumps(state)[:2000] if state else 'no state file'):
        app.stop()
        return None
    return app


def quit_app(tap, app, what):
    status = app.quit()
    tap.ok(status == 0, f'{what}: app.quit exits with status 0', f'exit status {status}')
    if status != 0:
        tap.diag(app.log())


def after_restart(tap, app_path, env, artifacts, name, check):
    """Starts the app again in a first run's environment (logging as
    start_app does, under NAME), calls check(app, state) with its state to
    test what the first run kept, and quits it; the app is stopped whatever
    happens. Its checks are named 'after a restart: ...'."""
    app = start_app(tap, app_path, env, artifacts, name, 'after a restart')
    if app is None:
        return
    try:
        check(app, app.state())
        quit_app(tap, app, 'after a restart')
    finally:
        app.stop()


def compile_schema(schema, home, overrides=None):
    """Compiles the app's schema into a private folder (for
    $GSETTINGS_SCHEMA_DIR), with a vendor override of the keys in
    overrides (name to GVariant text) when given."""
    folder = os.path.join(home, 'schemas')
    os.makedirs(folder, exist_ok=True)
    shutil.copy(schema, folder)
    schema_id = os.path.basename(schema)[:-len('.gschema.xml')]
    if overrides:
        with open(os.path.join(folder, '90-test.gschema.override'), 'w') as f:
            f.write(f'[{schema_id}]\n')
            for key, value in overrides.items():
                f.write(f'{key}={value}\n')
    subprocess.run(['glib-compile-schemas', '--strict', folder], check=True)
    return folder
