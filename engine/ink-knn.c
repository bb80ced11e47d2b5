/* ink-knn.c: the k-nearest-neighbors classifier (linear index, squared
 * Euclidean distance), Core ML's KNearestNeighborsClassifier
 *
 * SPDX-License-Identifier: MIT
 */
#include <float.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "ink-classic-private.h"
#include "ink-update-private.h"

struct InkKnn {
  size_t dims;
  InkKnnWeighting weighting;
  int64_t k;
  /* Stored examples: n rows of dims floats, owned or mapped. */
  float *samples;
  size_t n, cap;
  bool samples_owned;
  InkLabels sample_labels; /* one per example */
  InkLabels classes;       /* distinct labels in order of first appearance */
  size_t *sample_class;    /* index into classes, one per example */
  size_t cap_sample_class;
  bool has_default;
  InkLabels default_label; /* one entry when has_default */
  /* A compact copy of the examples, derived (never saved): row i is int8
   * codes c (cstride bytes: dims rounded up to 32, zero-padded) times
   * cscale[i], a power of two, so exactly representable in double;
   * cnorm2[i] is its exact squared norm and cerr[i] bounds, rounded up,
   * the true Euclidean ||example - row||. Examples holding a value that
   * is not finite count in n_nonfinite (then every scan is exact). */
  int8_t *compact;
  double *cscale, *cnorm2, *cerr;
  size_t ccap, cstride, n_nonfinite;
};

/* Neighbours are considered in chunks; k is capped so votes stay cheap. */
#define INK_KNN_MAX_K 1000

InkModel *
ink_knn_new (size_t dims, InkKnnWeighting weighting, int64_t k, bool labels_int64)
{
  InkModel *m;
  InkKnn *knn;

  if (dims == 0 || k < 1 || weighting > INK_KNN_INVERSE_DISTANCE)
    return NULL;
  m = ink_model_alloc (INK_MODEL_KNN_CLASSIFIER);
  knn = calloc (1, sizeof *knn);
  if (m == NULL || knn == NULL) {
    free (knn);
    ink_model_free (m);
    return NULL;
  }
  knn->dims = dims;
  knn->weighting = weighting;
  knn->k = k;
  knn->samples_owned = true;
  knn->sample_labels.is_int64 = labels_int64;
  knn->classes.is_int64 = labels_int64;
  knn->default_label.is_int64 = labels_int64;
  m->body.knn = knn;
  return m;
}

static InkKnn *
knn_of (const InkModel *m)
{
  return m != NULL && m->kind == INK_MODEL_KNN_CLASSIFIER ? m->body.knn : NULL;
}

InkStatus
ink_knn_set_default_label_string (InkModel *m, const char *label)
{
  InkKnn *knn = knn_of (m);

  if (knn == NULL || label == NULL || knn->default_label.is_int64)
    return INK_ERR_INVALID_ARGUMENT;
  ink_model_changed (m);
  ink_labels_clear (&knn->default_label);
  if (!ink_labels_append_string (&knn->default_label, label))
    return INK_ERR_NO_MEMORY;
  knn->has_default = true;
  return INK_OK;
}

InkStatus
ink_knn_set_default_label_int64 (InkModel *m, int64_t label)
{
  InkKnn *knn = knn_of (m);

  if (knn == NULL || !knn->default_label.is_int64)
    return INK_ERR_INVALID_ARGUMENT;
  ink_model_changed (m);
  ink_labels_clear (&knn->default_label);
  knn->default_label.is_int64 = true;
  if (!ink_labels_append_int64 (&knn->default_label, label))
    return INK_ERR_NO_MEMORY;
  knn->has_default = true;
  return INK_OK;
}

/* Makes room for n rows in the compact copy. */
static bool
compact_reserve (InkKnn *knn, size_t n)
{
  size_t cap = knn->cap > n ? knn->cap : n;
  int8_t *c;
  double *s;

  knn->cstride = (knn->dims + 31) / 32 * 32;
  if (n <= knn->ccap)
    return true;
  if (cap > SIZE_MAX / knn->cstride || cap > SIZE_MAX / sizeof *s)
    return false;
  c = realloc (knn->compact, cap * knn->cstride);
  if (c == NULL)
    return false;
  knn->compact = c;
  s = realloc (knn->cscale, cap * sizeof *s);
  if (s == NULL)
    return false;
  knn->cscale = s;
  s = realloc (knn->cnorm2, cap * sizeof *s);
  if (s == NULL)
    return false;
  knn->cnorm2 = s;
  s = realloc (knn->cerr, cap * sizeof *s);
  if (s == NULL)
    return false;
  knn->cerr = s;
  knn->ccap = cap;
  return true;
}

static bool
row_finite (const float *x, size_t dims)
{
  for (size_t j = 0; j < dims; j++) {
    if (!isfinite (x[j]))
      return false;
  }
  return true;
}

/* Quantizes x (n finite floats) to codes of at most limit in magnitude
 * times 2^ex, the smallest such power of two (at least 2^-149), into c;
 * returns 2^ex and sets *norm2 to the codes' exact squared norm times
 * 2^2ex and *err to a bound on ||x - codes 2^ex||. */
static double
quantize (const float *x, size_t n, double limit, int8_t *c8, int16_t *c16, double *norm2,
          double *err)
{
  double max = 0.0, e2 = 0.0, sq = 0.0;
  int p = 0, ex;

  for (size_t j = 0; j < n; j++) {
    if (fabs ((double) x[j]) > max)
      max = fabs ((double) x[j]);
  }
  (void) frexp (max, &p);
  ex = p - (int) ceil (log2 (limit + 1.0));
  if (max > 0.0 && ldexp (max, -ex) > limit)
    ex++;
  if (ex < -149)
    ex = -149;
  /* Multiplying by these powers of two is exact, as ldexp is (|ex| stays far
   * inside double's exponent range), without a library call per value. */
  const double down = ldexp (1.0, -ex), up = ldexp (1.0, ex);
  for (size_t j = 0; j < n; j++) {
    double v = rint ((double) x[j] * down), d;
    v = v > limit ? limit : v < -limit ? -limit : v;
    if (c8 != NULL)
      c8[j] = (int8_t) v;
    else
      c16[j] = (int16_t) v;
    d = (double) x[j] - v * up; /* exact: under 24 significant bits */
    e2 += d * d;
    sq += v * v; /* exact: an integer below 2^53 */
  }
  *norm2 = ldexp (sq, 2 * ex);
  *err = sqrt (e2) * (1.0 + 1e-12) + 1e-300;
  return ldexp (1.0, ex);
}

/* Fills compact row i from example i; false when the example holds a
 * value that is not finite. */
static bool
compact_row (InkKnn *knn, size_t i)
{
  const float *x = knn->samples + i * knn->dims;
  int8_t *c = knn->compact + i * knn->cstride;

  memset (c, 0, knn->cstride);
  if (!row_finite (x, knn->dims)) {
    knn->cscale[i] = 1.0;
    knn->cnorm2[i] = 0.0;
    knn->cerr[i] = INFINITY;
    return false;
  }
  knn->cscale[i] = quantize (x, knn->dims, 127.0, c, NULL, &knn->cnorm2[i], &knn->cerr[i]);
  return true;
}

/* Makes mapped samples writable before the first change. */
static bool
own_samples (InkKnn *knn)
{
  float *copy;

  if (knn->samples_owned)
    return true;
  copy = malloc ((knn->n > 0 ? knn->n : 1) * knn->dims * sizeof *copy);
  if (copy == NULL)
    return false;
  if (knn->n > 0)
    memcpy (copy, knn->samples, knn->n * knn->dims * sizeof *copy);
  knn->samples = copy;
  knn->cap = knn->n;
  knn->samples_owned = true;
  return true;
}

static bool
grow_samples (InkKnn *knn)
{
  size_t cap = knn->cap == 0 ? 16 : knn->cap * 2;
  float *p;

  if (knn->n < knn->cap)
    return true;
  if (cap > SIZE_MAX / (knn->dims * sizeof *p))
    return false;
  p = realloc (knn->samples, cap * knn->dims * sizeof *p);
  if (p == NULL)
    return false;
  knn->samples = p;
  knn->cap = cap;
  return true;
}

/* Records the class of the example just labelled at index i. */
static bool
index_class (InkKnn *knn, size_t i)
{
  const InkLabels *l = &knn->sample_labels;
  size_t c = l->is_int64 ? ink_labels_find_int64 (&knn->classes, l->ints[i])
                         : ink_labels_find_string (&knn->classes, l->strings[i]);

  if (c == SIZE_MAX) {
    bool ok = l->is_int64 ? ink_labels_append_int64 (&knn->classes, l->ints[i])
                          : ink_labels_append_string (&knn->classes, l->strings[i]);
    if (!ok)
      return false;
    c = knn->classes.n - 1;
  }
  if (!INK_GROW (knn->sample_class, i, knn->cap_sample_class))
    return false;
  knn->sample_class[i] = c;
  return true;
}

static InkStatus
add_example (InkModel *m, const float *vector, const char *slabel, int64_t ilabel, InkError *err)
{
  InkKnn *knn = knn_of (m);
  bool ok;

  if (knn == NULL || vector == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "examples go into a k-NN classifier");
  if ((slabel == NULL) != knn->sample_labels.is_int64)
    return ink_error_set (err, INK_ERR_TYPE_MISMATCH, "this k-NN classifier has %s labels",
                          knn->sample_labels.is_int64 ? "int64" : "string");
  for (size_t j = 0; j < knn->dims; j++) {
    if (!isfinite (vector[j]))
      return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                            "an example's value %zu is not a finite number", j);
  }
  if (!own_samples (knn) || !grow_samples (knn) || !compact_reserve (knn, knn->n + 1))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  ink_model_changed (m);
  ok = slabel != NULL ? ink_labels_append_string (&knn->sample_labels, slabel)
                      : ink_labels_append_int64 (&knn->sample_labels, ilabel);
  if (!ok || !index_class (knn, knn->n)) {
    if (ok)
      knn->sample_labels.n--;
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  memcpy (knn->samples + knn->n * knn->dims, vector, knn->dims * sizeof *vector);
  if (!compact_row (knn, knn->n))
    knn->n_nonfinite++;
  knn->n++;
  return INK_OK;
}

InkStatus
ink_knn_add_example_string (InkModel *m, const float *vector, const char *label, InkError *err)
{
  if (label == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "an example needs a label");
  return add_example (m, vector, label, 0, err);
}

InkStatus
ink_knn_add_example_int64 (InkModel *m, const float *vector, int64_t label, InkError *err)
{
  return add_example (m, vector, NULL, label, err);
}

size_t
ink_knn_n_examples (const InkModel *m)
{
  /* A pipeline's examples are those of the k-NN it ends with. */
  const InkKnn *knn = m != NULL ? knn_of (ink_update_trained_model (m)) : NULL;

  return knn != NULL ? knn->n : 0;
}

bool
ink_knn_set_k (InkModel *m, int64_t k)
{
  InkKnn *knn = knn_of (m);

  if (knn == NULL || k < 1 || k > INK_KNN_MAX_K)
    return false;
  ink_model_changed (m);
  knn->k = k;
  return true;
}

bool
ink_knn_has_default_label (const InkModel *m)
{
  const InkKnn *knn = knn_of (m);

  return knn != NULL && knn->has_default;
}

InkStatus
ink_knn_remove_examples (InkModel *m, const bool *remove, InkError *err)
{
  InkKnn *knn = knn_of (m);
  InkLabels kept_labels = {.is_int64 = knn != NULL && knn->sample_labels.is_int64};
  size_t kept = 0, nonfinite = 0;

  if (knn == NULL || remove == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "examples are removed from a k-NN");
  if (!own_samples (knn))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  ink_model_changed (m);
  for (size_t i = 0; i < knn->n; i++) {
    bool ok;
    if (remove[i])
      continue;
    ok = kept_labels.is_int64
           ? ink_labels_append_int64 (&kept_labels, knn->sample_labels.ints[i])
           : ink_labels_append_string (&kept_labels, knn->sample_labels.strings[i]);
    if (!ok) {
      ink_labels_clear (&kept_labels);
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    }
  }
  /* The kept rows move up in place; then the class list is rebuilt in
   * order of first appearance, so a label with no example left is gone. */
  for (size_t i = 0; i < knn->n; i++) {
    if (remove[i])
      continue;
    if (kept != i) {
      memmove (knn->samples + kept * knn->dims, knn->samples + i * knn->dims,
               knn->dims * sizeof *knn->samples);
      memcpy (knn->compact + kept * knn->cstride, knn->compact + i * knn->cstride, knn->cstride);
      knn->cscale[kept] = knn->cscale[i];
      knn->cnorm2[kept] = knn->cnorm2[i];
      knn->cerr[kept] = knn->cerr[i];
    }
    if (!isfinite (knn->cerr[kept]) && !row_finite (knn->samples + kept * knn->dims, knn->dims))
      nonfinite++;
    kept++;
  }
  ink_labels_clear (&knn->sample_labels);
  knn->sample_labels = kept_labels;
  ink_labels_clear (&knn->classes);
  knn->classes.is_int64 = kept_labels.is_int64;
  knn->n = kept;
  knn->n_nonfinite = nonfinite;
  for (size_t i = 0; i < kept; i++) {
    if (!index_class (knn, i))
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  }
  return INK_OK;
}

static InkStatus
knn_finish (InkModel *m, InkError *err)
{
  InkKnn *knn = m->body.knn;
  const InkUpdateParameter *k_param =
    ink_description_find_update_parameter (&m->desc, INK_PARAM_NUMBER_OF_NEIGHBORS);
  size_t dim = 0;
  bool known = false;
  InkStatus st;

  if (k_param == NULL) {
    InkUpdateParameter p = {.key = INK_PARAM_NUMBER_OF_NEIGHBORS,
                            .type = INK_PARAM_INT64,
                            .default_value = (double) knn->k,
                            .has_range = true,
                            .min = 1,
                            .max = INK_KNN_MAX_K};
    st = ink_description_set_update_parameter (&m->desc, &p, err);
    if (st != INK_OK)
      return st;
  } else {
    if (k_param->type != INK_PARAM_INT64 || k_param->default_value < 1 ||
        k_param->default_value > INK_KNN_MAX_K)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "numberOfNeighbors must be an integer from 1 to %d", INK_KNN_MAX_K);
    knn->k = (int64_t) k_param->default_value;
  }
  st = ink_model_input_dimension (m, &dim, &known, err);
  if (st != INK_OK)
    return st;
  if (known && dim != knn->dims)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "the k-NN index has %zu dimensions but its inputs give %zu", knn->dims,
                          dim);
  if (knn->n == 0 && !knn->has_default)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "a k-NN classifier with no examples needs a default label");
  return ink_classifier_check (m, knn->n > 0 ? &knn->classes : &knn->default_label, err);
}

static float
squared_distance (const float *a, const float *b, size_t n)
{
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  size_t j = 0;

  for (; j + 4 <= n; j += 4) {
    float d0 = a[j] - b[j], d1 = a[j + 1] - b[j + 1];
    float d2 = a[j + 2] - b[j + 2], d3 = a[j + 3] - b[j + 3];
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; j < n; j++) {
    float d = a[j] - b[j];
    s0 += d * d;
  }
  return (s0 + s1) + (s2 + s3);
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The squared distances from x to rows [0, n) of samples (contiguous rows
 * of dims floats), 16 lanes at a time, into d. */
__attribute__ ((target ("avx512f"))) static void
distances_avx512 (const float *x, const float *samples, size_t n, size_t dims, float *d)
{
  size_t tail = dims % 16, body = dims - tail;
  __mmask16 m = (__mmask16) ((1u << tail) - 1u);
  __m512 xt = _mm512_maskz_loadu_ps (m, x + body);

  for (size_t i = 0; i < n; i++) {
    const float *s = samples + i * dims;
    __m512 a0 = _mm512_setzero_ps (), a1 = a0;
    size_t j = 0;
    for (; j + 32 <= body; j += 32) {
      __m512 d0 = _mm512_sub_ps (_mm512_loadu_ps (x + j), _mm512_loadu_ps (s + j));
      __m512 d1 = _mm512_sub_ps (_mm512_loadu_ps (x + j + 16), _mm512_loadu_ps (s + j + 16));
      a0 = _mm512_fmadd_ps (d0, d0, a0);
      a1 = _mm512_fmadd_ps (d1, d1, a1);
    }
    for (; j < body; j += 16) {
      __m512 d0 = _mm512_sub_ps (_mm512_loadu_ps (x + j), _mm512_loadu_ps (s + j));
      a0 = _mm512_fmadd_ps (d0, d0, a0);
    }
    if (tail > 0) {
      __m512 d0 = _mm512_sub_ps (xt, _mm512_maskz_loadu_ps (m, s + body));
      a1 = _mm512_fmadd_ps (d0, d0, a1);
    }
    d[i] = _mm512_reduce_add_ps (_mm512_add_ps (a0, a1));
  }
}

__attribute__ ((target ("avx2,fma"))) static void
distances_avx2 (const float *x, const float *samples, size_t n, size_t dims, float *d)
{
  size_t body = dims - dims % 8;

  for (size_t i = 0; i < n; i++) {
    const float *s = samples + i * dims;
    __m256 a0 = _mm256_setzero_ps (), a1 = a0;
    __m128 h;
    size_t j = 0;
    float sum;
    for (; j + 16 <= body; j += 16) {
      __m256 d0 = _mm256_sub_ps (_mm256_loadu_ps (x + j), _mm256_loadu_ps (s + j));
      __m256 d1 = _mm256_sub_ps (_mm256_loadu_ps (x + j + 8), _mm256_loadu_ps (s + j + 8));
      a0 = _mm256_fmadd_ps (d0, d0, a0);
      a1 = _mm256_fmadd_ps (d1, d1, a1);
    }
    for (; j < body; j += 8) {
      __m256 d0 = _mm256_sub_ps (_mm256_loadu_ps (x + j), _mm256_loadu_ps (s + j));
      a0 = _mm256_fmadd_ps (d0, d0, a0);
    }
    a0 = _mm256_add_ps (a0, a1);
    h = _mm_add_ps (_mm256_castps256_ps128 (a0), _mm256_extractf128_ps (a0, 1));
    h = _mm_add_ps (h, _mm_movehl_ps (h, h));
    h = _mm_add_ss (h, _mm_shuffle_ps (h, h, 1));
    sum = _mm_cvtss_f32 (h);
    for (; j < dims; j++)
      sum += (x[j] - s[j]) * (x[j] - s[j]);
    d[i] = sum;
  }
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
/* The dot products of q (int16, stride values) with compact rows [0, n)
 * (int8, stride values, a multiple of 32), exact in int32 while stride <=
 * 512, into dot. */
__attribute__ ((target ("avx512f,avx512bw"), always_inline)) static inline __m512i
compact_dot_lanes (const int16_t *q, const int8_t *c, size_t stride)
{
  __m512i a = _mm512_setzero_si512 ();

  for (size_t j = 0; j < stride; j += 32) {
    __m512i cw = _mm512_cvtepi8_epi16 (_mm256_loadu_si256 ((const void *) (c + j)));
    a = _mm512_add_epi32 (a, _mm512_madd_epi16 (cw, _mm512_loadu_si512 ((const void *) (q + j))));
  }
  return a;
}

/* The lane sums of 16 vectors, in order, in one vector: pairs of vectors
 * are interleaved and added (32-bit, then 64-bit elements, then 128-bit
 * lanes), so each level halves the vectors and doubles what each element
 * sums. Integer sums: the same as summing each vector alone. */
__attribute__ ((target ("avx512f"))) static inline __m512i
lane_sums_16 (const __m512i v[16])
{
  __m512i c[8], e[4], f[2];

  for (int k = 0; k < 8; k++)
    c[k] = _mm512_add_epi32 (_mm512_unpacklo_epi32 (v[2 * k], v[2 * k + 1]),
                             _mm512_unpackhi_epi32 (v[2 * k], v[2 * k + 1]));
  for (int k = 0; k < 4; k++)
    e[k] = _mm512_add_epi32 (_mm512_unpacklo_epi64 (c[2 * k], c[2 * k + 1]),
                             _mm512_unpackhi_epi64 (c[2 * k], c[2 * k + 1]));
  for (int k = 0; k < 2; k++)
    f[k] = _mm512_add_epi32 (_mm512_shuffle_i32x4 (e[2 * k], e[2 * k + 1], 0x88),
                             _mm512_shuffle_i32x4 (e[2 * k], e[2 * k + 1], 0xDD));
  return _mm512_add_epi32 (_mm512_shuffle_i32x4 (f[0], f[1], 0x88),
                           _mm512_shuffle_i32x4 (f[0], f[1], 0xDD));
}

/* The dot products of q with 16 compact rows, into dot[0, 16). */
__attribute__ ((target ("avx512f,avx512bw"), always_inline)) static inline void
compact_dots_16 (const int16_t *q, const int8_t *codes, size_t stride, int32_t *dot)
{
  __m512i a[16];

#pragma GCC unroll 16
  for (int r = 0; r < 16; r++)
    a[r] = compact_dot_lanes (q, codes + (size_t) r * stride, stride);
  _mm512_storeu_si512 ((void *) dot, lane_sums_16 (a));
}

__attribute__ ((target ("avx512f,avx512bw"))) static void
compact_dots_avx512 (const int16_t *q, const int8_t *codes, size_t n, size_t stride, int32_t *dot)
{
  size_t i = 0;

  /* Sixteen rows' sums reduced together, not one horizontal sum per row.
   * 128 values, the usual embedding size, as a constant: the rows' loops
   * unroll and the query stays in registers. */
  if (stride == 128) {
    for (; i + 16 <= n; i += 16)
      compact_dots_16 (q, codes + i * 128, 128, dot + i);
  }
  for (; i + 16 <= n; i += 16)
    compact_dots_16 (q, codes + i * stride, stride, dot + i);
  for (; i < n; i++)
    dot[i] = _mm512_reduce_add_epi32 (compact_dot_lanes (q, codes + i * stride, stride));
}

__attribute__ ((target ("avx2"))) static void
compact_dots_avx2 (const int16_t *q, const int8_t *codes, size_t n, size_t stride, int32_t *dot)
{
  for (size_t i = 0; i < n; i++) {
    const int8_t *c = codes + i * stride;
    __m256i a0 = _mm256_setzero_si256 (), a1 = a0;
    __m128i h;
    for (size_t j = 0; j < stride; j += 32) {
      __m256i c0 = _mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const void *) (c + j)));
      __m256i c1 = _mm256_cvtepi8_epi16 (_mm_loadu_si128 ((const void *) (c + j + 16)));
      a0 =
        _mm256_add_epi32 (a0, _mm256_madd_epi16 (c0, _mm256_loadu_si256 ((const void *) (q + j))));
      a1 = _mm256_add_epi32 (
        a1, _mm256_madd_epi16 (c1, _mm256_loadu_si256 ((const void *) (q + j + 16))));
    }
    a0 = _mm256_add_epi32 (a0, a1);
    h = _mm_add_epi32 (_mm256_castsi256_si128 (a0), _mm256_extracti128_si256 (a0, 1));
    h = _mm_add_epi32 (h, _mm_unpackhi_epi64 (h, h));
    h = _mm_add_epi32 (h, _mm_shuffle_epi32 (h, 1));
    dot[i] = _mm_cvtsi128_si32 (h);
  }
}
#endif

/* The SIMD level: 2 AVX-512, 1 AVX2 and FMA, 0 portable code; chosen once,
 * capped by INKLING_SIMD=generic or avx2. */
static int
simd_level (void)
{
#if defined(__x86_64__) && defined(__GNUC__)
  /* Atomic: predictions on several threads may ask at once on first use. */
  static _Atomic int level = -1;
  int l = atomic_load_explicit (&level, memory_order_relaxed);

  if (l < 0) {
    const char *cap = getenv ("INKLING_SIMD");
    __builtin_cpu_init ();
    l = 0;
    if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
      l = 1;
    if (l == 1 && __builtin_cpu_supports ("avx512f"))
      l = 2;
    if (cap != NULL && strcmp (cap, "generic") == 0)
      l = 0;
    else if (cap != NULL && strcmp (cap, "avx2") == 0 && l > 1)
      l = 1;
    atomic_store_explicit (&level, l, memory_order_relaxed);
  }
  return l;
#else
  return 0;
#endif
}

/* Squared distances from x to rows [0, n) of samples: with AVX-512 or
 * AVX2 when the processor has them, else portable code. */
static void
distances (const float *x, const float *samples, size_t n, size_t dims, float *d)
{
#if defined(__x86_64__) && defined(__GNUC__)
  int l = simd_level ();

  if (l == 2) {
    distances_avx512 (x, samples, n, dims, d);
    return;
  }
  if (l == 1) {
    distances_avx2 (x, samples, n, dims, d);
    return;
  }
#endif
  for (size_t i = 0; i < n; i++)
    d[i] = squared_distance (x, samples + i * dims, dims);
}

/* Dot products of q (int16, padded to the stride) with the compact rows. */
static void
compact_dots (const InkKnn *knn, const int16_t *q, int32_t *dot)
{
#if defined(__x86_64__) && defined(__GNUC__)
  int l = simd_level ();

  if (l == 2 && __builtin_cpu_supports ("avx512bw")) {
    compact_dots_avx512 (q, knn->compact, knn->n, knn->cstride, dot);
    return;
  }
  if (l >= 1) {
    compact_dots_avx2 (q, knn->compact, knn->n, knn->cstride, dot);
    return;
  }
#endif
  for (size_t i = 0; i < knn->n; i++) {
    const int8_t *c = knn->compact + i * knn->cstride;
    int32_t a = 0;
    for (size_t j = 0; j < knn->dims; j++)
      a += (int32_t) c[j] * q[j];
    dot[i] = a;
  }
}

/* Distances are computed a block of examples at a time (on the stack). */
#define KNN_BLOCK 256

/* The compact scan pays from this many examples on. */
#define KNN_COMPACT_MIN 256

/* Keeps the k nearest seen so far in best_d/best_i, nearest first; an
 * earlier example wins a tie. Returns the new count. */
static inline size_t
keep_nearest (float d, size_t i, size_t k, size_t found, float *best_d, size_t *best_i)
{
  size_t pos;

  if (found == k && d >= best_d[k - 1])
    return found;
  pos = found < k ? found++ : k - 1;
  while (pos > 0 && best_d[pos - 1] > d) {
    best_d[pos] = best_d[pos - 1];
    best_i[pos] = best_i[pos - 1];
    pos--;
  }
  best_d[pos] = d;
  best_i[pos] = i;
  return found;
}

/* nearest () through the compact copy, with the same result. The query q
 * is quantized too (int16 codes times a power of two: q'), so each
 * ||q' - x'||^2 = |q'|^2 - 2 q'.x' + |x'|^2 comes from an exact integer
 * dot product, within a relative 1e-15 in double; by the triangle
 * inequality the true distance D to x is within cerr + qerr of
 * ||q' - x'||. The exact squared distance E, a float sum of positive
 * terms, is within gamma D^2 + eta of D^2. Of the k smallest upper bounds
 * on D the largest, U*, bounds the k-th smallest E; an example whose
 * lower bound exceeds what that allows is not among the k nearest, and
 * the others are scanned exactly, in order, as nearest () does. Returns
 * SIZE_MAX when it does not apply. */
static size_t
nearest_compact (const InkKnn *knn, const float *x, size_t k, float *best_d, size_t *best_i)
{
  size_t n = knn->n, found = 0;
  double gamma = 2.0 * (double) (knn->dims + 8) * ldexp (1.0, -24);
  double eta = (double) (knn->dims + 8) * ldexp (1.0, -147);
  double up = 1.0 + 1e-12, ustar2 = INFINITY, qscale, qnorm2, qerr, t;
  double *ub, *lo2;
  int32_t *dot;
  int16_t *q;

  if (n < KNN_COMPACT_MIN || k * 8 > n || knn->n_nonfinite > 0 || knn->compact == NULL ||
      knn->cstride > 512 || !row_finite (x, knn->dims))
    return SIZE_MAX;
  ub = malloc ((k + n) * sizeof *ub + n * sizeof *dot + knn->cstride * sizeof *q);
  if (ub == NULL)
    return SIZE_MAX;
  lo2 = ub + k;
  dot = (int32_t *) (void *) (lo2 + n);
  q = (int16_t *) (void *) (dot + n);
  memset (q, 0, knn->cstride * sizeof *q);
  qscale = quantize (x, knn->dims, 32767.0, NULL, q, &qnorm2, &qerr);
  compact_dots (knn, q, dot);

  /* Bounds on each D; the k smallest upper bounds, ascending. */
  for (size_t i = 0; i < n; i++) {
    double cross = 2.0 * qscale * knn->cscale[i] * (double) dot[i];
    double a = qnorm2 - cross + knn->cnorm2[i];
    double slack = 1e-15 * (qnorm2 + fabs (cross) + knn->cnorm2[i]) + 1e-300;
    double hi = a + slack, reach = knn->cerr[i] + qerr, u;
    size_t pos;
    lo2[i] = a - slack;
    if (found == k && hi > ustar2)
      continue;
    u = sqrt (hi) * up + reach * up;
    if (found == k && u >= ub[k - 1])
      continue;
    pos = found < k ? found++ : k - 1;
    while (pos > 0 && ub[pos - 1] > u) {
      ub[pos] = ub[pos - 1];
      pos--;
    }
    ub[pos] = u;
    if (found == k)
      ustar2 = ub[k - 1] * ub[k - 1];
  }
  /* Beyond the largest float, E may overflow to infinity: scan exactly. */
  if (found < k || !(ub[k - 1] * ub[k - 1] * (1.0 + gamma) + eta < 0.5 * FLT_MAX)) {
    free (ub);
    return SIZE_MAX;
  }
  /* The k-th smallest E is at most U*^2 (1 + gamma) + eta, so each of the
   * k nearest has D^2 (1 - gamma) - eta <= that: D <= t. */
  t = sqrt ((ub[k - 1] * ub[k - 1] * (1.0 + gamma) + 2.0 * eta) / (1.0 - gamma)) * up;
  found = 0;
  for (size_t i = 0; i < n; i++) {
    double reach = knn->cerr[i] + qerr;
    float d;
    /* D's lower bound is sqrt (lo2) (1 - 1e-12) - reach: past t when
     * lo2 (1 - 1e-12)^2 > (t + reach)^2, tested without a square root per
     * example; the factors keep rounding on the side of scanning. */
    if (lo2[i] > 0.0 && lo2[i] * (1.0 - 2e-12) > (t + reach) * (t + reach) * (1.0 + 1e-15))
      continue;
    distances (x, knn->samples + i * knn->dims, 1, knn->dims, &d);
    found = keep_nearest (d, i, k, found, best_d, best_i);
  }
  free (ub);
  return found;
}

/* Finds the k nearest examples, nearest first; an earlier example wins a
 * tie in distance. Returns how many were found (min (k, n)). */
static size_t
nearest (const InkKnn *knn, const float *x, size_t k, float *best_d, size_t *best_i)
{
  size_t found = nearest_compact (knn, x, k, best_d, best_i);
  float block[KNN_BLOCK];

  if (found != SIZE_MAX)
    return found;
  found = 0;

  for (size_t i = 0; i < knn->n; i++) {
    float d;
    if (i % KNN_BLOCK == 0)
      distances (x, knn->samples + i * knn->dims, knn->n - i < KNN_BLOCK ? knn->n - i : KNN_BLOCK,
                 knn->dims, block);
    d = block[i % KNN_BLOCK];
    found = keep_nearest (d, i, k, found, best_d, best_i);
  }
  return found;
}

/* Reads the query vector: borrowed straight from a float32 multi-array when
 * possible, else converted into buf. */
static InkStatus
query_vector (const InkModel *m, const InkFeatures *inputs, float *buf, const float **x,
              InkError *err)
{
  const InkKnn *knn = m->body.knn;
  const InkValue *v =
    m->desc.n_inputs == 1 ? ink_features_get (inputs, m->desc.inputs[0].name) : NULL;
  double *tmp;
  InkStatus st;

  if (v != NULL && ink_value_get_type (v) == INK_VALUE_MULTIARRAY &&
      ink_value_array_type (v) == INK_ARRAY_FLOAT32 && ink_value_array_count (v) == knn->dims) {
    *x = ink_value_array_const_data (v);
    return INK_OK;
  }
  tmp = malloc (knn->dims * sizeof *tmp);
  if (tmp == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  st = ink_model_gather_inputs (m, inputs, tmp, knn->dims, err);
  for (size_t j = 0; st == INK_OK && j < knn->dims; j++)
    buf[j] = (float) tmp[j];
  free (tmp);
  *x = buf;
  return st;
}

static InkStatus
predict_empty (const InkModel *m, InkFeatures *out, InkError *err)
{
  const InkKnn *knn = m->body.knn;
  double one = 1.0;

  return ink_classifier_emit (m, &knn->default_label, &one, out, err);
}

/* The label output's name: the predicted feature, else the first output
 * of the labels' type. */
static const char *
label_output (const InkModel *m)
{
  const char *name = ink_description_predicted_feature_name (&m->desc);
  InkValueType want = m->body.knn->classes.is_int64 ? INK_VALUE_INT64 : INK_VALUE_STRING;

  if (name[0] != '\0')
    return name;
  for (size_t i = 0; i < m->desc.n_outputs; i++) {
    if (m->desc.outputs[i].type.type == want)
      return m->desc.outputs[i].name;
  }
  return NULL;
}

/* Emits label and probabilities. Equal votes go to the class with the
 * nearer example, which the plain argmax cannot know. */
static InkStatus
emit (const InkModel *m, const double *votes, const double *nearest_d, InkFeatures *out,
      InkError *err)
{
  const InkLabels *classes = &m->body.knn->classes;
  const char *name;
  size_t best = 0;
  InkStatus st = ink_classifier_emit (m, classes, votes, out, err);

  if (st != INK_OK)
    return st;
  for (size_t c = 1; c < classes->n; c++) {
    if (votes[c] > votes[best] || (votes[c] == votes[best] && nearest_d[c] < nearest_d[best]))
      best = c;
  }
  name = label_output (m);
  if (name == NULL)
    return INK_OK;
  return ink_features_set (out, name,
                           classes->is_int64 ? ink_value_new_int64 (classes->ints[best])
                                             : ink_value_new_string (classes->strings[best]));
}

static InkStatus
knn_predict (const InkModel *m, const InkFeatures *inputs, InkFeatures *out, InkError *err)
{
  const InkKnn *knn = m->body.knn;
  size_t k = (size_t) knn->k < knn->n ? (size_t) knn->k : knn->n;
  size_t nc = knn->classes.n, found;
  float *buf, *best_d;
  size_t *best_i;
  double *votes, *nearest_d, total = 0.0;
  const float *x = NULL;
  bool exact = false;
  InkStatus st;

  if (knn->n == 0)
    return predict_empty (m, out, err);
  buf = malloc (knn->dims * sizeof *buf + k * sizeof *best_d);
  best_i = malloc (k * sizeof *best_i);
  votes = calloc (2 * nc, sizeof *votes);
  if (buf == NULL || best_i == NULL || votes == NULL) {
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    goto out;
  }
  best_d = buf + knn->dims;
  nearest_d = votes + nc;
  st = query_vector (m, inputs, buf, &x, err);
  if (st != INK_OK)
    goto out;
  found = nearest (knn, x, k, best_d, best_i);
  /* With inverse-distance weights an exact match would weigh infinitely:
   * then only the exact matches vote, equally. */
  exact = knn->weighting == INK_KNN_INVERSE_DISTANCE && found > 0 && best_d[0] == 0.0f;
  for (size_t c = 0; c < nc; c++)
    nearest_d[c] = INFINITY;
  for (size_t j = 0; j < found; j++) {
    size_t c = knn->sample_class[best_i[j]];
    double w = 1.0;
    if (knn->weighting == INK_KNN_INVERSE_DISTANCE)
      w = exact ? (best_d[j] == 0.0f ? 1.0 : 0.0) : 1.0 / (double) best_d[j];
    votes[c] += w;
    total += w;
    if (best_d[j] < nearest_d[c])
      nearest_d[c] = best_d[j];
  }
  for (size_t c = 0; c < nc; c++)
    votes[c] = total > 0.0 ? votes[c] / total : 0.0;
  st = emit (m, votes, nearest_d, out, err);
out:
  free (buf);
  free (best_i);
  free (votes);
  return st;
}

static void
knn_free_body (InkModel *m)
{
  InkKnn *knn = m->body.knn;

  if (knn->samples_owned)
    free (knn->samples);
  ink_labels_clear (&knn->sample_labels);
  ink_labels_clear (&knn->classes);
  ink_labels_clear (&knn->default_label);
  free (knn->sample_class);
  free (knn->compact);
  free (knn->cscale);
  free (knn->cnorm2);
  free (knn->cerr);
  free (knn);
  m->body.knn = NULL;
}

static InkStatus
knn_copy_body (InkModel *dst, const InkModel *src, InkError *err)
{
  const InkKnn *s = src->body.knn;
  InkKnn *d = calloc (1, sizeof *d);

  if (d == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  dst->body.knn = d;
  d->dims = s->dims;
  d->weighting = s->weighting;
  d->k = s->k;
  d->has_default = s->has_default;
  d->samples_owned = true;
  d->sample_labels.is_int64 = d->classes.is_int64 = s->sample_labels.is_int64;
  if (!ink_labels_copy (&d->default_label, &s->default_label))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  for (size_t i = 0; i < s->n; i++) {
    const float *row = s->samples + i * s->dims;
    InkStatus st = s->sample_labels.is_int64
                     ? ink_knn_add_example_int64 (dst, row, s->sample_labels.ints[i], err)
                     : ink_knn_add_example_string (dst, row, s->sample_labels.strings[i], err);
    if (st != INK_OK)
      return st;
  }
  return INK_OK;
}

static InkStatus
knn_to_json (const InkModel *m, cJSON *obj, InkWeightWriter *w, InkError *err)
{
  const InkKnn *knn = m->body.knn;

  cJSON_AddNumberToObject (obj, "dimensions", (double) knn->dims);
  cJSON_AddStringToObject (
    obj, "weighting", knn->weighting == INK_KNN_INVERSE_DISTANCE ? "inverseDistance" : "uniform");
  cJSON_AddNumberToObject (obj, "k", (double) knn->k);
  cJSON_AddStringToObject (obj, "index", "linear");
  cJSON_AddStringToObject (obj, "distance", "squaredEuclidean");
  cJSON_AddBoolToObject (obj, "int64Labels", knn->sample_labels.is_int64);
  cJSON_AddItemToObject (obj, "labels", ink_labels_to_json (&knn->sample_labels));
  if (knn->has_default)
    cJSON_AddItemToObject (obj, "defaultLabel", ink_labels_to_json (&knn->default_label));
  if (knn->n > 0) {
    cJSON *ref = ink_weight_writer_add (w, knn->samples, knn->n * knn->dims);
    if (ref == NULL)
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing examples");
    cJSON_AddItemToObject (obj, "samples", ref);
  }
  return INK_OK;
}

static InkStatus
knn_from_json (InkModel *m, const cJSON *obj, InkWeightReader *r, InkError *err)
{
  InkKnn *knn = calloc (1, sizeof *knn);
  const char *weighting;
  int64_t dims, k;
  bool int64_labels = false;
  InkWeights samples = {0};
  const cJSON *def = cJSON_GetObjectItemCaseSensitive (obj, "defaultLabel");
  const cJSON *ref = cJSON_GetObjectItemCaseSensitive (obj, "samples");

  if (knn == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  m->body.knn = knn;
  knn->samples_owned = true;
  if (ink_json_get_int (obj, "dimensions", 1, 1 << 24, &dims, err) != INK_OK ||
      ink_json_get_int (obj, "k", 1, INK_KNN_MAX_K, &k, err) != INK_OK ||
      ink_json_get_string (obj, "weighting", &weighting, err) != INK_OK ||
      ink_json_opt_bool (obj, "int64Labels", &int64_labels, err) != INK_OK)
    return INK_ERR_FORMAT;
  knn->dims = (size_t) dims;
  knn->k = k;
  knn->weighting =
    strcmp (weighting, "inverseDistance") == 0 ? INK_KNN_INVERSE_DISTANCE : INK_KNN_UNIFORM;
  knn->sample_labels.is_int64 = knn->classes.is_int64 = int64_labels;
  knn->default_label.is_int64 = int64_labels;
  if (ink_labels_from_json (&knn->sample_labels, cJSON_GetObjectItemCaseSensitive (obj, "labels"),
                            err) != INK_OK)
    return INK_ERR_FORMAT;
  if (knn->sample_labels.n > 0 && knn->sample_labels.is_int64 != int64_labels)
    return ink_error_set (err, INK_ERR_FORMAT, "k-NN labels do not match their declared type");
  knn->sample_labels.is_int64 = int64_labels;
  if (def != NULL) {
    if (ink_labels_from_json (&knn->default_label, def, err) != INK_OK)
      return INK_ERR_FORMAT;
    if (knn->default_label.n != 1 || knn->default_label.is_int64 != int64_labels)
      return ink_error_set (err, INK_ERR_FORMAT, "the k-NN default label is malformed");
    knn->has_default = true;
  }
  if (ref != NULL && ink_weight_reader_get (r, ref, &samples, "k-NN examples", err) != INK_OK)
    return INK_ERR_FORMAT;
  if (samples.count != knn->sample_labels.n * knn->dims)
    return ink_error_set (err, INK_ERR_FORMAT,
                          "the k-NN index holds %zu values for %zu labels of %zu dimensions",
                          samples.count, knn->sample_labels.n, knn->dims);
  knn->samples = samples.data;
  knn->n = knn->cap = knn->sample_labels.n;
  knn->samples_owned = samples.owned;
  if (!compact_reserve (knn, knn->n))
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
  for (size_t i = 0; i < knn->n; i++) {
    if (!index_class (knn, i))
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory");
    if (!compact_row (knn, i))
      knn->n_nonfinite++;
  }
  return INK_OK;
}

/* ---- Read-back view ---- */

bool
ink_knn_view (const InkModel *model, InkKnnView *view)
{
  const InkKnn *knn = knn_of (model);

  if (knn == NULL || view == NULL)
    return false;
  view->dimensions = knn->dims;
  view->weighting = knn->weighting;
  view->k = knn->k;
  view->labels_int64 = knn->sample_labels.is_int64;
  view->n_examples = knn->n;
  view->samples = knn->samples;
  view->labels = &knn->sample_labels;
  view->default_label = knn->has_default ? &knn->default_label : NULL;
  return true;
}

const InkModelOps ink_knn_ops = {
  .finish = knn_finish,
  .predict = knn_predict,
  .free_body = knn_free_body,
  .copy_body = knn_copy_body,
  .to_json = knn_to_json,
  .from_json = knn_from_json,
};
