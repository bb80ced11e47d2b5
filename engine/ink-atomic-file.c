/* ink-atomic-file.c: atomic file replacement (temporary file, fsync, rename)
 *
 * Each writer holds an exclusive flock(2) on its temporary file PATH.tmp-XXXXXX
 * from creating it until it is renamed over PATH (or removed). A writer that
 * dies in between (SIGKILL, a crash) leaves its temporary file behind,
 * unlocked: the next write of PATH removes such files, so they never pile up,
 * and never one that a live writer holds.
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-model-private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static InkStatus
write_all (int fd, const void *data, size_t size)
{
  const char *p = data;

  while (size > 0) {
    ssize_t n = write (fd, p, size);

    if (n < 0) {
      if (errno == EINTR)
        continue;
      return INK_ERR_IO;
    }
    if (n == 0) {
      errno = EIO;
      return INK_ERR_IO;
    }
    p += n;
    size -= (size_t) n;
  }
  return INK_OK;
}

static int
fsync_retry (int fd)
{
  int r;

  do {
    r = fsync (fd);
  } while (r < 0 && errno == EINTR);
  return r;
}

/* The folder holding path ("." when path has no slash); caller frees. */
static char *
folder_of (const char *path)
{
  const char *slash = strrchr (path, '/');
  size_t n;
  char *dir;

  if (slash == NULL)
    return ink_strdup (".");
  n = slash == path ? 1 : (size_t) (slash - path);
  dir = malloc (n + 1);
  if (dir == NULL)
    return NULL;
  memcpy (dir, path, n);
  dir[n] = '\0';
  return dir;
}

#define TMP_INFIX ".tmp-"
#define TMP_RANDOM 6 /* the XXXXXX of mkstemp */

/* Removes PATH.tmp-XXXXXX files left by writers that died: a file that can
 * be locked has no live writer (see the top of this file). Best effort:
 * anything unexpected leaves the file alone. */
static void
remove_stale_temps (const char *path)
{
  const char *slash = strrchr (path, '/');
  const char *base = slash != NULL ? slash + 1 : path;
  size_t base_len = strlen (base), infix_len = strlen (TMP_INFIX);
  char *dir = folder_of (path);
  DIR *d = dir != NULL ? opendir (dir) : NULL;
  struct dirent *de;

  while (d != NULL && (de = readdir (d)) != NULL) {
    const char *name = de->d_name;
    struct stat locked, named;
    char *full;
    int fd;

    if (strlen (name) != base_len + infix_len + TMP_RANDOM || strncmp (name, base, base_len) != 0 ||
        strncmp (name + base_len, TMP_INFIX, infix_len) != 0)
      continue;
    full = malloc (strlen (dir) + strlen (name) + 2);
    if (full == NULL)
      break;
    sprintf (full, "%s/%s", dir, name);
    fd = open (full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd >= 0) {
      /* unlinked while locked, so a writer that locks it next sees it gone */
      if (flock (fd, LOCK_EX | LOCK_NB) == 0 && fstat (fd, &locked) == 0 &&
          S_ISREG (locked.st_mode) && lstat (full, &named) == 0 && named.st_dev == locked.st_dev &&
          named.st_ino == locked.st_ino)
        unlink (full);
      close (fd);
    }
    free (full);
  }
  if (d != NULL)
    closedir (d);
  free (dir);
}

/* Creates tmp (a mkstemp template) and locks it; -1 with errno on failure. */
static int
create_locked_temp (char *tmp)
{
  size_t len = strlen (tmp);

  for (int attempt = 0; attempt < 16; attempt++) {
    struct stat locked, named;
    int fd, r;

    memcpy (tmp + len - TMP_RANDOM, "XXXXXX", TMP_RANDOM);
    fd = mkostemp (tmp, O_CLOEXEC);
    if (fd < 0)
      return -1;
    do {
      r = flock (fd, LOCK_EX);
    } while (r < 0 && errno == EINTR);
    if (r < 0)
      return fd; /* no locks here (then nothing is ever removed as stale) */
    /* another writer's clean-up may have removed it before the lock */
    if (fstat (fd, &locked) == 0 && lstat (tmp, &named) == 0 && named.st_dev == locked.st_dev &&
        named.st_ino == locked.st_ino)
      return fd;
    close (fd);
  }
  errno = EEXIST;
  return -1;
}

/* Syncs the folder so the rename itself is durable. Filesystems that cannot
 * sync folders (EINVAL, EROFS, ...) are not an error: the data is in place. */
static InkStatus
sync_folder (const char *path, InkError *err)
{
  char *dir = folder_of (path);
  int fd, saved;

  if (dir == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  free (dir);
  if (fd < 0)
    return INK_OK; /* e.g. a write-only folder: nothing more we can do */
  if (fsync_retry (fd) < 0 && errno == EIO) {
    saved = errno;
    close (fd);
    return ink_error_set (err, INK_ERR_IO, "%s was written but its folder could not be synced: %s",
                          path, strerror (saved));
  }
  close (fd);
  return INK_OK;
}

/* Said after a failure, so that a full disk or a read-only folder is not
 * taken for a lost file: the file being replaced is still the old one. */
static const char *
unchanged_note (const char *path)
{
  struct stat st;

  return stat (path, &st) == 0 && S_ISREG (st.st_mode) ? " (the file was left as it was)" : "";
}

InkStatus
ink_atomic_write (const char *path, const void *const *chunks, const size_t *sizes, size_t n_chunks,
                  InkError *err)
{
  static const char suffix[] = ".tmp-XXXXXX";
  struct stat st;
  mode_t mode = 0644;
  size_t len;
  char *tmp;
  int fd, lock_fd = -1, saved;
  const char *step;

  if (path == NULL || path[0] == '\0' || (n_chunks > 0 && (chunks == NULL || sizes == NULL)))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "ink_atomic_write: invalid arguments");

  len = strlen (path);
  tmp = malloc (len + sizeof suffix);
  if (tmp == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  memcpy (tmp, path, len);
  memcpy (tmp + len, suffix, sizeof suffix);

  remove_stale_temps (path);
  fd = create_locked_temp (tmp);
  if (fd < 0) {
    saved = errno;
    free (tmp);
    return ink_error_set (err, INK_ERR_IO, "cannot write %s: %s%s", path, strerror (saved),
                          unchanged_note (path));
  }

  /* mkstemp creates 0600; keep the mode of the file being replaced. */
  if (stat (path, &st) == 0 && S_ISREG (st.st_mode))
    mode = st.st_mode & 0777;
  step = "cannot set the permissions of";
  if (fchmod (fd, mode) < 0)
    goto fail;

  step = "cannot write";
  for (size_t i = 0; i < n_chunks; i++) {
    if (sizes[i] == 0)
      continue;
    if (chunks[i] == NULL) {
      errno = EINVAL;
      goto fail;
    }
    if (write_all (fd, chunks[i], sizes[i]) != INK_OK)
      goto fail;
  }

  step = "cannot flush";
  if (fsync_retry (fd) < 0)
    goto fail;
  /* the lock lives as long as any descriptor of the open file: keep one
   * until the rename, so that no clean-up takes the file for a stale one */
  lock_fd = dup (fd);
  step = "cannot write";
  if (close (fd) < 0) {
    fd = -1;
    goto fail;
  }
  fd = -1;

  step = "cannot replace";
  if (rename (tmp, path) < 0)
    goto fail;
  if (lock_fd >= 0)
    close (lock_fd);
  free (tmp);
  return sync_folder (path, err);

fail:
  saved = errno;
  if (fd >= 0)
    close (fd);
  unlink (tmp);
  if (lock_fd >= 0)
    close (lock_fd);
  free (tmp);
  return ink_error_set (err, INK_ERR_IO, "%s %s: %s%s", step, path, strerror (saved),
                        unchanged_note (path));
}
