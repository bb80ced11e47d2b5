#!/usr/bin/env python3
# test-draw-page.py: the Draw page's guesses and undo on the real inkling
# application under Xvfb; prints TAP
#
# - A new guess repaints the guess rows and nothing else: undo and redo
#   change the guesses shown, and the window is not laid out again (its
#   surface computes no new size; the state file's "layouts"). With a
#   GtkLabel or a GtkLevelBar in the rows, every new guess would relayout
#   the whole window, under X11 with round trips to the server, in the very
#   frame that shows it (docs/BENCHMARKS.md, stroke-to-guess).
# - The canvas shows the strokes: a screenshot of it has dark pixels once a
#   heart is drawn, and none once it is cleared.
# - Undo while a stroke is being drawn drops that stroke: the Undo action is
#   enabled as soon as there is a stroke, and lifting the pen changes no
#   action's state. The rest of the drag draws nothing, and the next stroke
#   is drawn and guessed as usual.
#
# Strokes are real pointer events (xdotool); actions go over D-Bus; what the
# window shows is read from the app's state file (inkling_uitest.py).
#
# SPDX-License-Identifier: MIT

import json
import math
import os
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import inkling_uitest as u  # noqa: E402

TOOLS = ['Xvfb', 'xdotool', 'import', 'convert', 'dbus-daemon', 'gdbus']
# The share of the canvas's pixels a drawn heart darkens, at least; an
# empty canvas has none (its rounded border is lighter than half grey).
MIN_INK = 0.005


def guesses(state):
    """The guess rows as shown: (label, percent, confidence) each."""
    return [(g['label'], g['percent'], g['confidence']) for g in state['draw']['guesses']]


def settle(app, strokes):
    """The state once the guesses for a drawing of strokes strokes are shown
    and nothing changes any more; None if that did not happen."""
    state, ok = app.wait_state(lambda s: u.settled_guesses(s) and s['draw']['strokes'] == strokes)
    if not ok:
        return None
    state, ok = app.wait_still(lambda s: (guesses(s), s['layouts']) if u.settled_guesses(s)
                               else None)
    return state if ok else None


def guesses_repaint_only(tap, app):
    state = u.show_empty_canvas(tap, app, 'new guesses')
    if state is None:
        return
    # Three strokes, each guessed differently (a line, a cross, then a
    # circle around them).
    drawings = [[[(0, 0), (1, 0)]], [[(0.5, 0), (0.5, 1)]],
                [[(math.cos(math.pi * i / 12), math.sin(math.pi * i / 12)) for i in range(25)]]]
    for n, strokes in enumerate(drawings, 1):
        u.draw_strokes(app.env, app.wid, state['draw']['canvas'], strokes, margin=0.25)
        if not tap.ok(settle(app, n) is not None, f'new guesses: stroke {n} drawn and guessed'):
            return
    # Undo once, so that Redo is enabled from now on: then undo and redo
    # change the drawing, and the guesses, but no action's state.
    app.activate('undo')
    two = settle(app, 2)
    app.activate('undo')
    one = settle(app, 1)
    app.activate('redo')
    again = settle(app, 2)
    if not tap.ok(two and one and again, 'new guesses: undo, undo and redo guessed'):
        return
    tap.ok(guesses(one) != guesses(two) and len(guesses(one)) == len(guesses(two)) and
           guesses(again) == guesses(two),
           'new guesses: undo and redo change the guesses shown',
           json.dumps([guesses(two), guesses(one), guesses(again)]))
    tap.ok(one['layouts'] == two['layouts'] and again['layouts'] == two['layouts'],
           'new guesses only repaint the rows: the window was not laid out again',
           json.dumps([two['layouts'], one['layouts'], again['layouts']]))


def canvas_ink(app, artifacts, state, name):
    """The share of the canvas's pixels on screen that are darker than half
    grey (the ink, in the light style); None when it could not be measured."""
    geometry = u.window_geometry(app.wid, app.env)
    path = os.path.join(artifacts, name + '.png')
    b = state['draw']['canvas']
    # The pointer off the canvas, so that its tooltip does not cover it.
    u.run(['xdotool', 'mousemove', '--window', app.wid, str(round(b['x'] + b['width'] + 40)),
           str(round(b['y'] + b['height'] - 10)), 'sleep', '0.5'], app.env, timeout=10)
    if geometry is None or u.run(['import', '-window', 'root', path], app.env, timeout=30)[0]:
        return None
    crop = '%dx%d+%d+%d' % (b['width'], b['height'], geometry[0] + b['x'], geometry[1] + b['y'])
    status, out = u.run(['convert', path, '-crop', crop, '+repage', '-colorspace', 'Gray',
                         '-threshold', '50%', '-format', '%[fx:1-mean]', 'info:'], app.env,
                        timeout=30)
    try:
        return float(out) if status == 0 else None
    except ValueError:
        return None


def ink_on_screen(tap, app, artifacts):
    state = u.show_empty_canvas(tap, app, 'ink')
    if state is None:
        return
    empty = canvas_ink(app, artifacts, state, 'draw-page-empty')
    state = u.draw_and_guess(tap, app, u.heart(), 'heart', 'ink')
    if state is None:
        return
    # The pen is up and the guesses are shown: the frame with both is out.
    state, _ = app.wait_still(lambda s: s['draw']['canvas'])
    drawn = canvas_ink(app, artifacts, state, 'draw-page-heart')
    app.activate('clear')
    state, ok = app.wait_state(lambda s: s['draw']['strokes'] == 0)
    state, _ = app.wait_still(lambda s: s['draw']['canvas'])
    cleared = canvas_ink(app, artifacts, state, 'draw-page-cleared')
    tap.ok(empty is not None and drawn is not None and cleared is not None and
           empty < MIN_INK / 10 and drawn > MIN_INK and cleared < MIN_INK / 10,
           'ink: the canvas shows the heart drawn, and nothing once cleared',
           f'dark share of the canvas: empty {empty}, heart {drawn}, cleared {cleared}')


def undo_while_drawing(tap, app):
    state = u.show_empty_canvas(tap, app, 'undo while drawing')
    if state is None:
        return
    b = state['draw']['canvas']
    points = [(round(b['x'] + b['width'] * (0.2 + 0.6 * i / 8)),
               round(b['y'] + b['height'] * (0.3 + 0.05 * (i % 3)))) for i in range(9)]
    argv = ['xdotool', 'mousemove', '--window', app.wid, str(points[0][0]), str(points[0][1]),
            'mousedown', '1']
    for x, y in points[1:5]:
        argv += ['mousemove', '--window', app.wid, str(x), str(y), 'sleep', '0.02']
    u.run(argv, app.env, timeout=30)
    # The button is still down.
    state, ok = app.wait_state(lambda s: s['draw']['in-stroke'] and s['draw']['strokes'] == 1)
    if not tap.ok(ok, 'undo while drawing: a stroke is being drawn',
                  json.dumps(state['draw'] if state else None)[:2000]):
        u.run(['xdotool', 'mouseup', '1'], app.env, timeout=10)
        return
    app.activate('undo')
    state, ok = app.wait_state(lambda s: not s['draw']['in-stroke'] and
                               s['draw']['strokes'] == 0)
    tap.ok(ok, 'undo while drawing: the stroke being drawn is dropped',
           json.dumps({k: state['draw'][k] for k in ('strokes', 'in-stroke', 'revision')})
           if state else None)
    argv = ['xdotool']
    for x, y in points[5:]:
        argv += ['mousemove', '--window', app.wid, str(x), str(y), 'sleep', '0.02']
    u.run(argv + ['mouseup', '1'], app.env, timeout=30)
    state, ok = app.wait_still(lambda s: (s['draw']['strokes'], s['draw']['in-stroke'],
                                          s['draw']['pending'], len(s['draw']['guesses'])))
    d = state['draw'] if state else {}
    tap.ok(ok and d['strokes'] == 0 and not d['in-stroke'] and d['guesses'] == [],
           'undo while drawing: the rest of the drag draws nothing',
           json.dumps({k: d.get(k) for k in ('strokes', 'in-stroke', 'guesses')}))
    u.draw_and_guess(tap, app, u.heart(), 'heart', 'undo while drawing, then a new stroke')


def main():
    args = u.parse_args('model', 'image-model')
    tap = u.begin(TOOLS, args.artifacts)
    if tap is None:
        return 0
    with tempfile.TemporaryDirectory(prefix='inkling-draw-page-') as home, \
            open(os.path.join(args.artifacts, 'draw-page-xvfb.log'), 'w') as log, \
            u.Session(log) as session:
        if not session.report(tap):
            return tap.finish()
        # The image model too: without it a toast would cover the canvas.
        env = session.app_env(home, args.model, args.image_model)
        app = u.start_app(tap, args.app, env, args.artifacts, 'draw-page', 'start')
        if app is None:
            return tap.finish()
        try:
            ink_on_screen(tap, app, args.artifacts)
            guesses_repaint_only(tap, app)
            undo_while_drawing(tap, app)
            u.quit_app(tap, app, 'draw page')
        finally:
            app.stop()
    return tap.finish()


if __name__ == '__main__':
    sys.exit(main())
