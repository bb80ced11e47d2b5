/* inkling-tsan-private.h: happens-before annotations for ThreadSanitizer
 *
 * Debian's GLib is not instrumented, and its GMutex and atomics are futexes
 * and builtins compiled outside TSan's view, so a hand-over through GLib (a
 * GTask returning from a worker, a GThreadPool push, an idle source, an
 * atomic reference count) is invisible to it. The code that hands data
 * over says so with these: RELEASE(p) in the sending thread before the
 * hand-over, ACQUIRE(p) in the receiving thread after it. They compile to
 * nothing without -fsanitize=thread.
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#if defined(__SANITIZE_THREAD__)
#define INKLING_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define INKLING_TSAN 1
#endif
#endif

#ifdef INKLING_TSAN
void __tsan_acquire (void *addr);
void __tsan_release (void *addr);
#define INKLING_TSAN_ACQUIRE(p) __tsan_acquire ((void *) (p))
#define INKLING_TSAN_RELEASE(p) __tsan_release ((void *) (p))
#else
#define INKLING_TSAN_ACQUIRE(p) ((void) (p))
#define INKLING_TSAN_RELEASE(p) ((void) (p))
#endif
