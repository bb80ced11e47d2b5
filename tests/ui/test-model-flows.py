#!/usr/bin/env python3
# test-model-flows.py: drives the real inkling application under Xvfb; prints TAP
#
# The flows of the Stickers, Model and Images pages that test-flows.py does
# not cover, on one private Xvfb and D-Bus session bus, the app run twice on
# the same private XDG folders, settings kept with GSettings' keyfile
# backend:
#
#  - guesses while a long stroke is still being drawn (the mouse held down
#    between xdotool's moves), then the final guesses after it is lifted;
#  - stickers taught from the Draw page; one example deleted and a whole
#    sticker deleted by clicking their buttons: the model is rebuilt from
#    what remains, the deleted sticker is no longer guessed;
#  - export as .mlmodel and .inkmodel (win.export-model-file, what the file
#    chooser's answer calls), checked with inkling-cli inspect and predict;
#  - reset personalization through its confirmation dialog (Cancel, then
#    Reset, clicked in the dialog);
#  - open the exported model (win.open-model-file, the file chooser's
#    path): it runs, shown as opened from that file, and teaching on top of
#    it counts only the new example;
#  - images imported as the file chooser does (win.import-image-files),
#    dragged from another X client's window and dropped on the Images page
#    (a real X drag and drop, from tests/ui/drag-source.c), and pasted with
#    Ctrl+V from the clipboard (an image, then copied files; put there with
#    xclip, the paste checks skipped without it);
#  - the Images page's epochs and learning rate typed in, kept after the
#    restart, which also finds the personalized model in step (no rebuild).
#
# SPDX-License-Identifier: MIT

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inkling_uitest as u  # noqa: E402

TOOLS = ['Xvfb', 'xdotool', 'import', 'convert', 'dbus-daemon', 'gdbus']
HOURGLASS_CORNERS = [(30, 20), (170, 20), (30, 180), (170, 180)]


# ---- Drawings ----

def hourglass(jitter=0):
    """Two triangles meeting at their tips, in one closed stroke (no
    starter sticker looks like it); jitter (0..1) moves the corners a
    little."""
    corners = [(x + jitter * 6 * ((i % 2) - 0.5), y - jitter * 4 * ((i // 2) - 0.5))
               for i, (x, y) in enumerate(HOURGLASS_CORNERS)]
    points = []
    for i in range(len(corners)):
        (ax, ay), (bx, by) = corners[i], corners[(i + 1) % len(corners)]
        for s in range(8):
            t = s / 8
            points.append((ax + (bx - ax) * t, ay + (by - ay) * t))
    points.append(corners[0])
    return [points]


def spiral(turns=3, n=160):
    """A long single stroke: a spiral out from the middle."""
    return [[(math.cos(2 * math.pi * turns * i / n) * (0.1 + i / n),
              math.sin(2 * math.pi * turns * i / n) * (0.1 + i / n)) for i in range(n + 1)]]


def write_hourglass_png(path, env):
    """The hourglass as the drawing model's input wants it: white strokes
    on black."""
    points = ' '.join(f'{x + 40},{y + 40}' for x, y in HOURGLASS_CORNERS + HOURGLASS_CORNERS[:1])
    return u.run(['convert', '-size', '280x280', 'xc:black', '-stroke', 'white',
                  '-strokewidth', '16', '-fill', 'none', '-draw', f'polyline {points}', path],
                 env, timeout=30)[0] == 0


# ---- Helpers ----

def center(bounds):
    return round(bounds['x'] + bounds['width'] / 2), round(bounds['y'] + bounds['height'] / 2)


def click(env, wid, bounds):
    """A real click in the middle of bounds (window coordinates of wid)."""
    x, y = center(bounds)
    u.run(['xdotool', 'mousemove', '--window', wid, str(x), str(y), 'click', '1'], env,
          timeout=10)


def model_info(state):
    return json.dumps(state['model'] if state else None)


def sticker_row(state, label):
    for row in state['stickers']['stickers']:
        if row['label'] == label:
            return row
    return None


def teach(tap, app, drawings, label):
    """Draws each drawing on the Draw page and teaches it to label, as the
    Teach menu does (win.teach), waiting for each update."""
    for i, drawing in enumerate(drawings):
        state = u.show_empty_canvas(tap, app, f'teach "{label}" {i + 1}')
        if state is None:
            return False
        u.draw_strokes(app.env, app.wid, state['draw']['canvas'], drawing)
        state, ok = app.wait_state(u.settled_guesses)
        app.activate('teach', f'<"{label}">')
        state, ok = app.wait_state(
            lambda s, n=i + 1: not s['busy'] and s['draw']['strokes'] == 0 and
            sticker_row(s, label) is not None and sticker_row(s, label)['thumbnails'] == n,
            timeout=60)
        if not ok:
            tap.ok(False, f'teach "{label}": drawing {i + 1} learned',
                   json.dumps(state['stickers'] if state else None)[:2000])
            return False
    tap.ok(True, f'teach "{label}": {len(drawings)} drawings learned from the Draw page')
    return True


# ---- First run ----

def live_guesses(tap, app):
    """Guesses arrive while a long stroke is drawn (the canvas's throttled
    updates), before the mouse is lifted; then the final ones."""
    state = u.show_empty_canvas(tap, app, 'long stroke')
    if state is None:
        return
    bounds = state['draw']['canvas']
    requests_before = state['draw']['live-requests']
    stroke = spiral()[0]
    side = min(bounds['width'], bounds['height']) * 0.35
    points = [(round(bounds['x'] + bounds['width'] / 2 + x * side),
               round(bounds['y'] + bounds['height'] / 2 + y * side)) for x, y in stroke]
    argv = ['xdotool', 'mousemove', '--window', app.wid, str(points[0][0]), str(points[0][1]),
            'mousedown', '1']
    for x, y in points[1:]:
        argv += ['mousemove', '--window', app.wid, str(x), str(y), 'sleep', '0.02']
    u.run(argv, app.env, timeout=120)
    # The button is still down: the stroke is not finished.
    state, ok = app.wait_state(
        lambda s: s['draw']['in-stroke'] and s['draw']['live-answers'] >= 1 and
        s['draw']['provisional'] and len(s['draw']['guesses']) > 0)
    d = state['draw'] if state else {}
    tap.ok(ok, 'long stroke: guesses shown while the stroke is still being drawn',
           json.dumps({k: d.get(k) for k in ('in-stroke', 'live-requests', 'live-answers',
                                             'provisional', 'guesses')}))
    requests = d.get('live-requests', 0) - requests_before
    tap.ok(0 < requests < len(points) - 1,
           'long stroke: the guesses while drawing are throttled (fewer requests than moves)',
           f'{requests} requests for {len(points) - 1} pointer moves')
    u.run(['xdotool', 'mouseup', '1'], app.env, timeout=10)
    state, ok = app.wait_state(lambda s: u.settled_guesses(s) and s['draw']['strokes'] == 1 and
                               not s['draw']['provisional'])
    tap.ok(ok, 'long stroke: the final guesses arrive once the mouse is lifted',
           json.dumps({k: state['draw'][k] for k in ('strokes', 'in-stroke', 'revision',
                                                     'guessed-revision', 'provisional')})
           if state else None)


def delete_example_and_sticker(tap, app, args):
    app.activate('page', '<"stickers">')
    state, ok = app.wait_still(lambda s: [r['examples'] for r in s['stickers']['stickers']]
                               if s['page'] == 'stickers' else None)
    row = sticker_row(state, 'hourglass') if state else None
    if not tap.ok(row is not None and len(row['examples']) == 3 and
                  all(e['delete']['mapped'] for e in row['examples']),
                  'stickers page: "hourglass" shows 3 examples with delete buttons',
                  json.dumps(state['stickers'] if state else None)[:2000]):
        return False
    history = state['model']['history']
    deleted = row['examples'][0]['id']
    click(app.env, app.wid, row['examples'][0]['delete'])
    state, ok = app.wait_state(
        lambda s: not s['busy'] and sticker_row(s, 'hourglass')['thumbnails'] == 2 and
        s['model']['examples'] == '5' and s['model']['history'] > history, timeout=60)
    row = sticker_row(state, 'hourglass') if state else None
    tap.ok(ok and deleted not in [e['id'] for e in row['examples']],
           'delete an example: its thumbnail goes, the model is rebuilt with 5 examples',
           model_info(state))
    u.screenshot(tap, app, args.artifacts, 'model-flows-example-deleted')

    state, ok = app.wait_still(lambda s: sticker_row(s, 'fish')['delete'])
    row = sticker_row(state, 'fish') if ok else None
    if not tap.ok(row is not None and row['delete']['mapped'],
                  'stickers page: "fish" has a delete button'):
        return False
    click(app.env, app.wid, row['delete'])
    state, ok = app.wait_state(
        lambda s: not s['busy'] and sticker_row(s, 'fish') is None and
        s['model']['examples'] == '2', timeout=60)
    tap.ok(ok, 'delete a sticker: its row goes, the model is rebuilt with the 2 examples left',
           model_info(state))
    u.draw_and_guess(tap, app, u.fish(400), 'fish', 'deleted sticker', top=False)
    u.draw_and_guess(tap, app, hourglass(0.5), 'hourglass', 'sticker kept after the deletions')
    return True


def export(tap, app, args, folder):
    """Exports both formats; returns the .mlmodel path (None on failure)."""
    paths = {}
    for ext in ('mlmodel', 'inkmodel'):
        path = os.path.join(folder, f'exported.{ext}')
        # A URI for one, a plain path for the other: the action takes both.
        target = 'file://' + path if ext == 'mlmodel' else path
        app.activate('export-model-file', f'<"{target}">')
        deadline = time.monotonic() + 60
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.1)
        state, ok = app.wait_state(lambda s: not s['busy'])
        if not tap.ok(os.path.exists(path), f'export .{ext}: the file is written', path):
            continue
        paths[ext] = path
        status, out = u.run([args.cli, 'inspect', path, '--json'], app.env, timeout=60)
        try:
            meta = json.loads(out)['metadata']['userDefined'] if status == 0 else {}
        except (ValueError, KeyError):
            meta = {}
        tap.ok(status == 0 and meta.get('inkling.update.examples') == '2',
               f'export .{ext}: inkling-cli inspect reads it, personalized with 2 examples',
               f'exit status {status}; userDefined {meta}')
        png = os.path.join(folder, 'hourglass.png')
        write_hourglass_png(png, app.env)
        status, out = u.run([args.cli, 'predict', path, '--image', png, '--json'], app.env,
                            timeout=60)
        try:
            outputs = json.loads(out)['outputs'] if status == 0 else {}
        except (ValueError, KeyError):
            outputs = {}
        labels = sorted(outputs.get('labelProbability', {}))
        tap.ok(status == 0 and 'hourglass' in labels and 'fish' not in labels,
               f'export .{ext}: inkling-cli predict runs it; it knows "hourglass", not "fish"',
               f'exit status {status}; label {outputs.get("label")}; labels {labels}')
    return paths.get('mlmodel')


def find_dialog(env, title):
    status, out = u.run(['xdotool', 'search', '--sync', '--onlyvisible', '--name',
                         f'^{title}$'], env, timeout=20)
    return out.split()[0] if status == 0 and out else None


def answer_dialog(tap, app, answer):
    """Opens the Reset Personalization dialog (win.reset-personalization,
    as the Model page's row does) and clicks the button labelled answer."""
    app.activate('reset-personalization')
    state, ok = app.wait_state(
        lambda s: s['dialog']['visible'] and
        any(b['bounds']['mapped'] for b in s['dialog']['buttons']))
    dialog = state.get('dialog') if state else None
    if not tap.ok(ok, 'reset: the confirmation dialog shows',
                  json.dumps(dialog) if dialog else 'no dialog'):
        return False
    state, ok = app.wait_still(lambda s: s['dialog']['buttons'])
    buttons = {b['label'].replace('_', ''): b['bounds'] for b in state['dialog']['buttons']}
    wid = find_dialog(app.env, state['dialog']['title'])
    if not tap.ok(wid is not None and answer in buttons,
                  f'reset: the dialog window and its {answer} button are found',
                  f'window {wid}; buttons {sorted(buttons)}'):
        return False
    if answer == 'Reset':
        u.screenshot(tap, app, app.artifacts, 'model-flows-reset-dialog')
    click(app.env, wid, buttons[answer])
    state, ok = app.wait_state(lambda s: 'dialog' not in s)
    tap.ok(ok, f'reset: clicking {answer} closes the dialog')
    return ok


def reset(tap, app):
    app.activate('page', '<"model">')
    state, ok = app.wait_state(lambda s: s['page'] == 'model' and not s['busy'])
    history = state['model']['history']
    if answer_dialog(tap, app, 'Cancel'):
        state = app.state()
        tap.ok(state['model']['examples'] == '2' and sticker_row(state, 'hourglass') is not None,
               'reset: Cancel keeps the stickers and the personalized model', model_info(state))
    if answer_dialog(tap, app, 'Reset'):
        state, ok = app.wait_state(
            lambda s: not s['busy'] and s['model']['examples'] == '0' and
            s['model']['source'] == 'Bundled with Inkling' and not s['stickers']['stickers'],
            timeout=60)
        tap.ok(ok, 'reset: Reset empties the stickers; 0 examples, the bundled model runs',
               model_info(state))
        # One reset in the history: Cancel did not reset.
        tap.ok(ok and state['model']['history'] == history + 1 and
               state['model']['history-titles'][0].startswith('reset'),
               'reset: one reset recorded in the history (none for Cancel)',
               json.dumps(state['model']['history-titles'][:3]) if state else None)
        u.draw_and_guess(tap, app, hourglass(0.5), 'hourglass', 'after the reset', top=False)


def open_model(tap, app, path):
    state = app.state()
    history = state['model']['history']
    app.activate('open-model-file', f'<"{path}">')
    state, ok = app.wait_state(
        lambda s: not s['busy'] and s['model']['history'] > history and
        s['model']['history-titles'][0].startswith('open-model'), timeout=60)
    tap.ok(ok and state['model']['examples'] == '0' and
           state['model']['source'] == f'Opened from file “{os.path.basename(path)}”',
           'open model: the exported model runs (installed, no examples of yours on it), '
           'shown as opened from its file', model_info(state))
    u.draw_and_guess(tap, app, hourglass(0.5), 'hourglass', 'the opened model')
    # Taught on top, only the new drawing is yours: the opened model's own
    # examples belong to it.
    if teach(tap, app, [hourglass(0.8)], 'hourglass'):
        state, ok = app.wait_state(lambda s: not s['busy'] and
                                   'Personalized' in s['model']['source'])
        tap.ok(ok and state['model']['examples'] == '1',
               'open model: teaching on top of it counts 1 example', model_info(state))
        tap.ok(ok and os.path.basename(path) in state['model']['source'],
               'open model: personalized, it still names the file it was opened from',
               model_info(state))


def drag_and_drop(tap, app, args, paths):
    """Drags the files from another X client's window (drag-source, a GTK
    drag source as a file manager's) onto the Images page with real pointer
    events: an X drag and drop (XDND) into the page's drop target."""
    app.activate('page', '<"images">')
    state, ok = app.wait_still(lambda s: s['images']['grid'] if s['page'] == 'images' else None)
    geometry = u.window_geometry(app.wid, app.env)
    if not tap.ok(ok and state['images']['grid']['mapped'] and geometry is not None,
                  'drag and drop: the Images page shows'):
        return
    n = len(state['images']['images'])
    title = 'Drag source of the ui test'
    with open(os.path.join(args.artifacts, 'model-flows-drag-source.log'), 'w') as log:
        source = subprocess.Popen([args.drag_source, title] + paths, env=app.env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        status, out = u.run(['xdotool', 'search', '--sync', '--onlyvisible', '--name',
                             f'^{title}$'], app.env, timeout=30)
        wid = out.split()[0] if status == 0 and out else None
        if not tap.ok(wid is not None, 'drag and drop: the drag source window shows'):
            return
        # Over the app's window, in its bottom right corner (there is no
        # window manager: the later window is on top), away from the grid.
        x, y, width, height = geometry
        u.run(['xdotool', 'windowmove', '--sync', wid, str(x + width - 180),
               str(y + height - 140)], app.env, timeout=10)
        sx, sy = x + width - 100, y + height - 80
        tx, ty = center(state['images']['grid'])
        tx, ty = x + tx, y + ty
        argv = ['xdotool', 'mousemove', str(sx), str(sy), 'sleep', '0.3', 'mousedown', '1']
        # Past the drag threshold, then across to the grid in steps, so
        # that source and target exchange their XDND messages on the way.
        for i in range(1, 31):
            argv += ['mousemove', str(round(sx + (tx - sx) * i / 30)),
                     str(round(sy + (ty - sy) * i / 30)), 'sleep', '0.05']
        for dx in (4, -4, 0):
            argv += ['mousemove', str(tx + dx), str(ty), 'sleep', '0.2']
        argv += ['mouseup', '1']
        u.run(argv, app.env, timeout=60)
        names = [os.path.basename(p) for p in paths]
        state, ok = app.wait_state(
            lambda s: len(s['images']['images']) == n + len(paths) and
            s['images']['importing'] == 0 and
            all(name in [i['name'] for i in s['images']['images']] for name in names))
        tap.ok(ok, f'drag and drop: {len(paths)} files dropped on the Images page are imported',
               json.dumps([i['name'] for i in state['images']['images']]) if state else None)
    finally:
        u.stop(source)


def images(tap, app, args, folder):
    with open(os.path.join(args.demo_images, 'demo.json')) as f:
        demo = [d['file'] for d in json.load(f)['images']]
    chosen = [os.path.join(os.path.abspath(args.demo_images), name) for name in demo[:2]]
    uris = ', '.join(f'"file://{p}"' for p in chosen)
    app.activate('import-image-files', f'<[{uris}]>')
    state, ok = app.wait_state(
        lambda s: s['page'] == 'images' and s['images']['importing'] == 0 and
        sorted(i['name'] for i in s['images']['images']) == sorted(demo[:2]) and
        all(i['predicted'] != 'Not classified' for i in s['images']['images']), timeout=60)
    tap.ok(ok, 'images: 2 files imported as the file chooser does, each classified',
           json.dumps(state['images']['images'] if state else None))

    drag_and_drop(tap, app, args,
                  [os.path.join(os.path.abspath(args.demo_images), name) for name in demo[4:6]])
    u.screenshot(tap, app, args.artifacts, 'model-flows-images')

    # Paste: an image on the clipboard, then copied files, with Ctrl+V.
    if shutil.which('xclip') is None:
        tap.skip('images: Ctrl+V pastes an image and copied files', 'xclip is missing')
        return
    u.run(['convert', os.path.join(args.demo_images, demo[2]), '-resize', '56x56',
           os.path.join(folder, 'clip.png')], app.env, timeout=30)
    pastes = [('image/png', os.path.join(folder, 'clip.png'), 'an image',
               lambda names: any(n.startswith('pasted-') for n in names)),
              ('text/uri-list', None, 'copied files',
               lambda names: demo[3] in names)]
    for target, path, what, found in pastes:
        if path is None:
            path = os.path.join(folder, 'uris.txt')
            with open(path, 'w') as f:
                f.write('file://' + os.path.join(os.path.abspath(args.demo_images), demo[3]) +
                        '\r\n')
        n = len(app.state()['images']['images'])
        clip = subprocess.Popen(['xclip', '-quiet', '-selection', 'clipboard', '-t', target,
                                 '-i', path], env=app.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            ok = False
            # The app learns of the new clipboard owner asynchronously: ask
            # again when nothing came of a paste.
            for attempt in range(5):
                u.run(['xdotool', 'windowfocus', '--sync', app.wid], app.env, timeout=5)
                u.run(['xdotool', 'key', 'ctrl+v'], app.env, timeout=5)
                state, ok = app.wait_state(
                    lambda s: len(s['images']['images']) > n and s['images']['importing'] == 0 and
                    found([i['name'] for i in s['images']['images']]), timeout=10)
                if ok:
                    break
            tap.ok(ok, f'images: Ctrl+V pastes {what} ({target})',
                   json.dumps([i['name'] for i in state['images']['images']]) if state else None)
        finally:
            u.stop(clip)


def type_into(app, bounds, text):
    """Clicks into a spin button's text, replaces it with text, and
    presses Return."""
    x = round(bounds['x'] + min(20, bounds['width'] / 4))
    y = round(bounds['y'] + bounds['height'] / 2)
    u.run(['xdotool', 'mousemove', '--window', app.wid, str(x), str(y), 'click', '1'], app.env,
          timeout=10)
    u.run(['xdotool', 'key', 'ctrl+a'], app.env, timeout=5)
    u.run(['xdotool', 'type', '--delay', '30', text], app.env, timeout=20)
    u.run(['xdotool', 'key', 'Return'], app.env, timeout=5)


def training_settings(tap, app):
    app.activate('page', '<"images">')
    state, ok = app.wait_still(lambda s: (s['images']['epochs-spin'], s['images']['rate-spin'])
                               if s['page'] == 'images' else None)
    imgs = state['images'] if state else {}
    if not tap.ok(ok and imgs['epochs'] == 5 and abs(imgs['learning-rate'] - 0.01) < 1e-9,
                  'images: epochs and learning rate show the defaults (5, 0.01)',
                  json.dumps({k: imgs.get(k) for k in ('epochs', 'learning-rate')})):
        return
    type_into(app, imgs['epochs-spin'], '12')
    type_into(app, imgs['rate-spin'], '0.05')
    state, ok = app.wait_state(lambda s: s['images']['epochs'] == 12 and
                               abs(s['images']['learning-rate'] - 0.05) < 1e-9)
    imgs = state['images'] if state else {}
    tap.ok(ok, 'images: epochs 12 and learning rate 0.05 typed in',
           json.dumps({k: imgs.get(k) for k in ('epochs', 'learning-rate')}))


def first_run(tap, args, env, folder):
    app = u.start_app(tap, args.app, env, args.artifacts, 'model-flows-first-run', 'first run')
    if app is None:
        return None
    app.artifacts = args.artifacts
    try:
        state = app.state()
        tap.ok(state['model']['examples'] == '0' and
               state['model']['source'] == 'Bundled with Inkling',
               'first run: the bundled model runs, with no examples', model_info(state))
        live_guesses(tap, app)

        if not (teach(tap, app, [hourglass(j) for j in (0, 0.3, 0.6)], 'hourglass') and
                teach(tap, app, [u.fish(500 + i) for i in range(3)], 'fish')):
            return None
        state, ok = app.wait_state(lambda s: not s['busy'] and s['model']['examples'] == '6')
        tap.ok(ok, 'taught: the model has 6 examples', model_info(state))
        u.draw_and_guess(tap, app, u.fish(600), 'fish', 'taught sticker')

        if not delete_example_and_sticker(tap, app, args):
            return None
        exported = export(tap, app, args, folder)
        reset(tap, app)
        if exported is not None:
            open_model(tap, app, exported)
        images(tap, app, args, folder)
        training_settings(tap, app)

        state = app.state()
        kept = {'history': state['model']['history'], 'examples': state['model']['examples'],
                'images': sorted(i['name'] for i in state['images']['images'])}
        u.quit_app(tap, app, 'first run')
        return kept
    finally:
        app.stop()


def second_run(tap, args, env, kept):
    def check(app, state):
        imgs = state['images']
        tap.ok(imgs['epochs'] == 12 and abs(imgs['learning-rate'] - 0.05) < 1e-9,
               'after a restart: epochs 12 and learning rate 0.05 are kept (GSettings)',
               json.dumps({k: imgs.get(k) for k in ('epochs', 'learning-rate')}))
        tap.ok(state['model']['examples'] == kept['examples'] and
               'Personalized' in state['model']['source'] and
               state['model']['history'] == kept['history'],
               'after a restart: the personalized model is in step (same examples, no rebuild)',
               f'{model_info(state)}; before the restart {kept}')
        tap.ok(sorted(i['name'] for i in imgs['images']) == kept['images'],
               'after a restart: the imported and pasted images are kept')
        u.draw_and_guess(tap, app, hourglass(0.5), 'hourglass', 'after a restart')

    u.after_restart(tap, args.app, env, args.artifacts, 'model-flows-second-run', check)


def main():
    args = u.parse_args('cli', 'drag-source', 'model', 'image-model', 'demo-images', 'schema')
    tap = u.begin(TOOLS, args.artifacts)
    if tap is None:
        return 0
    with tempfile.TemporaryDirectory(prefix='inkling-model-flows-') as home, \
            open(os.path.join(args.artifacts, 'model-flows-xvfb.log'), 'w') as log, \
            u.Session(log) as session:
        if not session.report(tap):
            return tap.finish()
        env = session.app_env(home, args.model, args.image_model, args.demo_images, args.schema)
        # Settings on disk (in the private $XDG_CONFIG_HOME), so that a
        # restart finds them.
        env['GSETTINGS_BACKEND'] = 'keyfile'
        folder = os.path.join(home, 'files')
        os.makedirs(folder)
        kept = first_run(tap, args, env, folder)
        if kept is not None:
            second_run(tap, args, env, kept)
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
