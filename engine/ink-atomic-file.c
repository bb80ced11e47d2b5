/* ink-atomic-file.c: atomic file replacement (temporary file, fsync, rename)
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-model-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

InkStatus
ink_atomic_write (const char *path, const void *const *chunks, const size_t *sizes, size_t n_chunks,
                  InkError *err)
{
  static const char suffix[] = ".tmp-XXXXXX";
  struct stat st;
  mode_t mode = 0644;
  size_t len;
  char *tmp;
  int fd, saved;
  const char *step;

  if (path == NULL || path[0] == '\0' || (n_chunks > 0 && (chunks == NULL || sizes == NULL)))
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "ink_atomic_write: invalid arguments");

  len = strlen (path);
  tmp = malloc (len + sizeof suffix);
  if (tmp == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  memcpy (tmp, path, len);
  memcpy (tmp + len, suffix, sizeof suffix);

  fd = mkostemp (tmp, O_CLOEXEC);
  if (fd < 0) {
    saved = errno;
    free (tmp);
    return ink_error_set (err, INK_ERR_IO, "cannot write %s: %s", path, strerror (saved));
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
  step = "cannot write";
  if (close (fd) < 0) {
    fd = -1;
    goto fail;
  }
  fd = -1;

  step = "cannot replace";
  if (rename (tmp, path) < 0)
    goto fail;
  free (tmp);
  return sync_folder (path, err);

fail:
  saved = errno;
  if (fd >= 0)
    close (fd);
  unlink (tmp);
  free (tmp);
  return ink_error_set (err, INK_ERR_IO, "%s %s: %s", step, path, strerror (saved));
}
