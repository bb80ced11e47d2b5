/* fmnist.c: reading Fashion-MNIST's IDX files
 *
 * SPDX-License-Identifier: MIT
 */
#include "fmnist.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

const char *const fmnist_labels[FMNIST_CLASSES] = {
  "T-shirt", "Trouser", "Pullover", "Dress", "Coat",
  "Sandal",  "Shirt",   "Sneaker",  "Bag",   "Ankle boot",
};

static const char *const slugs[FMNIST_CLASSES] = {
  "t-shirt", "trouser", "pullover", "dress", "coat",
  "sandal",  "shirt",   "sneaker",  "bag",   "ankle-boot",
};

const char *
fmnist_slug (int label)
{
  return label >= 0 && label < FMNIST_CLASSES ? slugs[label] : "unknown";
}

int
fmnist_label_index (const char *label)
{
  for (int i = 0; i < FMNIST_CLASSES; i++)
    if (strcmp (fmnist_labels[i], label) == 0)
      return i;
  return -1;
}

/* The whole (decompressed) file; gzread reads plain files as they are. */
static uint8_t *
read_gz (const char *dir, const char *split, const char *kind, size_t *size, GError **error)
{
  g_autofree char *gz = g_strdup_printf ("%s/%s-%s-ubyte.gz", dir, split, kind);
  g_autofree char *plain = g_strdup_printf ("%s/%s-%s-ubyte", dir, split, kind);
  const char *path = g_file_test (gz, G_FILE_TEST_EXISTS) ? gz : plain;
  gzFile f = gzopen (path, "rb");
  size_t cap = 1 << 20, n = 0;
  uint8_t *data;

  if (f == NULL) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                 "%s: cannot open it (install dataset-fashion-mnist, or give --data DIR)", gz);
    return NULL;
  }
  data = g_malloc (cap);
  for (;;) {
    int got;
    if (n == cap) {
      cap *= 2;
      data = g_realloc (data, cap);
    }
    got = gzread (f, data + n, (unsigned) (cap - n));
    if (got < 0) {
      int code;
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_IO, "%s: %s", path, gzerror (f, &code));
      gzclose (f);
      g_free (data);
      return NULL;
    }
    if (got == 0)
      break;
    n += (size_t) got;
  }
  gzclose (f);
  *size = n;
  return data;
}

static uint32_t
be32 (const uint8_t *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

bool
fmnist_load (const char *dir, const char *split, FmnistSplit *out, GError **error)
{
  size_t n_img = 0, n_lab = 0, n;
  g_autofree uint8_t *img = NULL;
  g_autofree uint8_t *lab = NULL;

  memset (out, 0, sizeof *out);
  if (dir == NULL)
    dir = FMNIST_DEFAULT_DIR;
  img = read_gz (dir, split, "images-idx3", &n_img, error);
  if (img == NULL)
    return false;
  lab = read_gz (dir, split, "labels-idx1", &n_lab, error);
  if (lab == NULL)
    return false;
  /* IDX: magic 0x00000803 (ubyte, 3 dimensions), count, rows, columns. */
  if (n_img < 16 || be32 (img) != 0x803 || be32 (img + 8) != FMNIST_SIDE ||
      be32 (img + 12) != FMNIST_SIDE || n_lab < 8 || be32 (lab) != 0x801) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s/%s-*: not Fashion-MNIST IDX files",
                 dir, split);
    return false;
  }
  n = be32 (img + 4);
  if (be32 (lab + 4) != n || n_img != 16 + n * FMNIST_PIXELS || n_lab != 8 + n) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                 "%s/%s-*: image and label counts or sizes disagree", dir, split);
    return false;
  }
  for (size_t i = 0; i < n; i++)
    if (lab[8 + i] >= FMNIST_CLASSES) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s/%s: label %zu is %u", dir, split, i,
                   lab[8 + i]);
      return false;
    }
  out->n = n;
  out->images = g_memdup2 (img + 16, n * FMNIST_PIXELS);
  out->labels = g_memdup2 (lab + 8, n);
  return true;
}

void
fmnist_clear (FmnistSplit *split)
{
  g_clear_pointer (&split->images, g_free);
  g_clear_pointer (&split->labels, g_free);
  split->n = 0;
}
