/* ink-tree.c: tree ensemble classifiers and regressors
 *
 * SPDX-License-Identifier: MIT
 */
#include "ink-classic-private.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

/* Beyond this the prediction vector is surely a corrupt file. */
#define TREE_MAX_DIMENSIONS ((size_t) 1 << 24)
/* Ids above 2^53 would not survive a JSON number. */
#define TREE_MAX_JSON_ID ((uint64_t) 1 << 53)
/* Vectors up to this size live on the stack during predict. */
#define TREE_STACK_VALUES 64

typedef struct {
  uint64_t tree_id, node_id;
  InkTreeNodeBehavior behavior;
  uint64_t feature_index;
  double feature_value;
  uint64_t true_child, false_child;
  bool missing_goes_true;
  size_t n_evaluations;
  InkTreeEvaluation *evaluations;
} TreeNode;

/* The form finish builds for predict: children are indices into nodes. */
typedef struct {
  InkTreeNodeBehavior behavior;
  bool missing_goes_true;
  size_t feature;
  double threshold;
  size_t true_child, false_child;
  size_t first_eval, n_evals;
} CompactNode;

typedef struct {
  size_t index;
  double value;
} CompactEval;

struct InkTreeEnsemble {
  size_t n_dimensions;
  InkTreeTransform transform;
  double *base; /* NULL for zeros */
  size_t n_base;
  TreeNode *nodes;
  size_t n_nodes, cap_nodes;

  /* Built by finish */
  bool compiled;
  CompactNode *cnodes; /* n_nodes */
  CompactEval *cevals;
  size_t n_cevals;
  size_t *roots;
  size_t n_roots;
  size_t input_dim; /* when input_known */
  bool input_known;
  size_t features_used; /* 1 + the largest feature index read */
  size_t out_len;       /* values after the transform */
};

static const char *const behavior_names[] = {
  "BranchOnValueLessThanEqual",
  "BranchOnValueLessThan",
  "BranchOnValueGreaterThanEqual",
  "BranchOnValueGreaterThan",
  "BranchOnValueEqual",
  "BranchOnValueNotEqual",
  "LeafNode",
};

static const char *const transform_names[] = {
  "NoTransform",
  "Classification_SoftMax",
  "Regression_Logistic",
  "Classification_SoftMaxWithZeroClassReference",
};

#define N_BEHAVIORS (sizeof behavior_names / sizeof behavior_names[0])
#define N_TRANSFORMS (sizeof transform_names / sizeof transform_names[0])

static bool
is_tree_kind (InkModelKind kind)
{
  return kind == INK_MODEL_TREE_ENSEMBLE_CLASSIFIER || kind == INK_MODEL_TREE_ENSEMBLE_REGRESSOR;
}

static void
compiled_clear (InkTreeEnsemble *t)
{
  free (t->cnodes);
  free (t->cevals);
  free (t->roots);
  t->cnodes = NULL;
  t->cevals = NULL;
  t->roots = NULL;
  t->n_cevals = t->n_roots = 0;
  t->compiled = false;
}

static void
tree_free (InkTreeEnsemble *t)
{
  if (t == NULL)
    return;
  compiled_clear (t);
  for (size_t i = 0; i < t->n_nodes; i++)
    free (t->nodes[i].evaluations);
  free (t->nodes);
  free (t->base);
  free (t);
}

static void
tree_free_body (InkModel *model)
{
  tree_free (model->body.tree);
  model->body.tree = NULL;
}

/* ---- Builder ---- */

InkModel *
ink_tree_ensemble_new (InkModelKind kind, size_t n_dimensions, InkTreeTransform transform)
{
  InkModel *model;

  if (!is_tree_kind (kind))
    return NULL;
  model = ink_model_alloc (kind);
  if (model == NULL)
    return NULL;
  model->body.tree = calloc (1, sizeof (InkTreeEnsemble));
  if (model->body.tree == NULL) {
    ink_model_free (model);
    return NULL;
  }
  model->body.tree->n_dimensions = n_dimensions;
  model->body.tree->transform = transform;
  return model;
}

static bool
is_open_tree (const InkModel *model)
{
  return model != NULL && is_tree_kind (model->kind) && model->body.tree != NULL &&
         !model->finished;
}

InkStatus
ink_tree_ensemble_set_base_prediction (InkModel *model, const double *values, size_t n)
{
  double *copy = NULL;

  if (!is_open_tree (model) || (values == NULL && n > 0))
    return INK_ERR_INVALID_ARGUMENT;
  if (n > 0) {
    if (n > SIZE_MAX / sizeof *copy)
      return INK_ERR_NO_MEMORY;
    copy = malloc (n * sizeof *copy);
    if (copy == NULL)
      return INK_ERR_NO_MEMORY;
    memcpy (copy, values, n * sizeof *copy);
  }
  /* A length other than n_dimensions is reported by finish. */
  free (model->body.tree->base);
  model->body.tree->base = copy;
  model->body.tree->n_base = n;
  return INK_OK;
}

/* Appends a copy of node (its evaluations included). */
static InkStatus
tree_append (InkTreeEnsemble *t, const InkTreeNode *node, InkError *err)
{
  TreeNode *n;
  InkTreeEvaluation *evals = NULL;

  if (node->n_evaluations > 0) {
    if (node->n_evaluations > SIZE_MAX / sizeof *evals)
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory adding a tree node");
    evals = malloc (node->n_evaluations * sizeof *evals);
    if (evals == NULL)
      return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory adding a tree node");
    memcpy (evals, node->evaluations, node->n_evaluations * sizeof *evals);
  }
  if (!INK_GROW (t->nodes, t->n_nodes, t->cap_nodes)) {
    free (evals);
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory adding a tree node");
  }
  n = &t->nodes[t->n_nodes++];
  n->tree_id = node->tree_id;
  n->node_id = node->node_id;
  n->behavior = node->behavior;
  n->feature_index = node->feature_index;
  n->feature_value = node->feature_value;
  n->true_child = node->true_child;
  n->false_child = node->false_child;
  n->missing_goes_true = node->missing_goes_true;
  n->n_evaluations = node->n_evaluations;
  n->evaluations = evals;
  return INK_OK;
}

InkStatus
ink_tree_ensemble_add_node (InkModel *model, const InkTreeNode *node, InkError *err)
{
  if (!is_open_tree (model) || node == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "ink_tree_ensemble_add_node: not an unfinished tree ensemble");
  if ((unsigned) node->behavior >= N_BEHAVIORS)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "tree %" PRIu64 " node %" PRIu64 ": unknown node behavior %d",
                          node->tree_id, node->node_id, (int) node->behavior);
  if (node->n_evaluations > 0 && node->evaluations == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT,
                          "tree %" PRIu64 " node %" PRIu64 ": evaluations missing", node->tree_id,
                          node->node_id);
  return tree_append (model->body.tree, node, err);
}

/* ---- Validation and the compact form ---- */

typedef struct {
  uint64_t tree_id, node_id;
  size_t orig; /* index into nodes */
} NodeKey;

static int
key_compare (const void *a, const void *b)
{
  const NodeKey *x = a, *y = b;

  if (x->tree_id != y->tree_id)
    return x->tree_id < y->tree_id ? -1 : 1;
  if (x->node_id != y->node_id)
    return x->node_id < y->node_id ? -1 : 1;
  return 0;
}

static size_t
key_find (const NodeKey *keys, size_t n, uint64_t tree_id, uint64_t node_id)
{
  NodeKey k = {tree_id, node_id, 0};
  const NodeKey *found = bsearch (&k, keys, n, sizeof k, key_compare);

  return found != NULL ? (size_t) (found - keys) : SIZE_MAX;
}

typedef struct {
  size_t node;
  int next; /* 0: true child next, 1: false child next, 2: done */
} WalkFrame;

/* Checks that every tree walk ends: a depth-first search from each root
 * meets no node already on its path, and reaches every node. */
static InkStatus
check_acyclic (const CompactNode *cn, const NodeKey *keys, size_t n, const size_t *roots,
               size_t n_roots, InkError *err)
{
  uint8_t *state = calloc (n > 0 ? n : 1, 1); /* 0 new, 1 on the path, 2 done */
  WalkFrame *stack = malloc ((n > 0 ? n : 1) * sizeof *stack);
  InkStatus st = INK_OK;

  if (state == NULL || stack == NULL) {
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory checking the trees");
    goto out;
  }
  for (size_t r = 0; r < n_roots; r++) {
    size_t sp = 0;

    stack[sp++] = (WalkFrame){roots[r], 0};
    state[roots[r]] = 1;
    while (sp > 0) {
      WalkFrame *top = &stack[sp - 1];
      const CompactNode *node = &cn[top->node];
      size_t child;

      if (node->behavior == INK_TREE_LEAF || top->next == 2) {
        state[top->node] = 2;
        sp--;
        continue;
      }
      child = top->next == 0 ? node->true_child : node->false_child;
      top->next++;
      if (state[child] == 1) {
        st = ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "tree %" PRIu64 ": node %" PRIu64 " leads back to node %" PRIu64
                            ", a cycle",
                            keys[top->node].tree_id, keys[top->node].node_id, keys[child].node_id);
        goto out;
      }
      if (state[child] == 0) {
        state[child] = 1;
        stack[sp++] = (WalkFrame){child, 0};
      }
    }
  }
  for (size_t k = 0; k < n; k++) {
    if (state[k] != 2) {
      st = ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "tree %" PRIu64 ": node %" PRIu64
                          " cannot be reached from the root (a cycle)",
                          keys[k].tree_id, keys[k].node_id);
      goto out;
    }
  }
out:
  free (state);
  free (stack);
  return st;
}

/* Fills cn from the sorted keys: child indices, evaluations, and marks the
 * nodes some other node points to. */
static InkStatus
link_nodes (InkTreeEnsemble *t, const NodeKey *keys, CompactNode *cn, bool *has_parent,
            InkError *err)
{
  size_t n = t->n_nodes, e = 0;

  for (size_t k = 0; k < n; k++) {
    const TreeNode *node = &t->nodes[keys[k].orig];
    CompactNode *c = &cn[k];

    c->behavior = node->behavior;
    c->missing_goes_true = node->missing_goes_true;
    c->threshold = node->feature_value;
    c->first_eval = e;
    c->n_evals = 0;
    if (node->behavior == INK_TREE_LEAF) {
      for (size_t i = 0; i < node->n_evaluations; i++) {
        const InkTreeEvaluation *ev = &node->evaluations[i];

        if (ev->index >= t->n_dimensions)
          return ink_error_set (err, INK_ERR_INVALID_MODEL,
                                "tree %" PRIu64 " node %" PRIu64 ": evaluation index %" PRIu64
                                " is not below the %zu prediction dimensions",
                                node->tree_id, node->node_id, ev->index, t->n_dimensions);
        if (!isfinite (ev->value))
          return ink_error_set (err, INK_ERR_INVALID_MODEL,
                                "tree %" PRIu64 " node %" PRIu64 ": a leaf value is not finite",
                                node->tree_id, node->node_id);
        t->cevals[e++] = (CompactEval){(size_t) ev->index, ev->value};
      }
      c->n_evals = node->n_evaluations;
      continue;
    }
    if (t->input_known && node->feature_index >= t->input_dim)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "tree %" PRIu64 " node %" PRIu64 ": feature index %" PRIu64
                            " is not below the input's %zu values",
                            node->tree_id, node->node_id, node->feature_index, t->input_dim);
    if (node->feature_index >= (uint64_t) SIZE_MAX)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "tree %" PRIu64 " node %" PRIu64 ": feature index %" PRIu64
                            " is too large",
                            node->tree_id, node->node_id, node->feature_index);
    if (!isfinite (node->feature_value))
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "tree %" PRIu64 " node %" PRIu64 ": threshold is not finite",
                            node->tree_id, node->node_id);
    c->feature = (size_t) node->feature_index;
    if (c->feature + 1 > t->features_used)
      t->features_used = c->feature + 1;
    c->true_child = key_find (keys, n, node->tree_id, node->true_child);
    c->false_child = key_find (keys, n, node->tree_id, node->false_child);
    if (c->true_child == SIZE_MAX || c->false_child == SIZE_MAX)
      return ink_error_set (
        err, INK_ERR_INVALID_MODEL,
        "tree %" PRIu64 " node %" PRIu64 ": %s child %" PRIu64 " does not exist", node->tree_id,
        node->node_id, c->true_child == SIZE_MAX ? "true" : "false",
        c->true_child == SIZE_MAX ? node->true_child : node->false_child);
    has_parent[c->true_child] = true;
    has_parent[c->false_child] = true;
  }
  t->n_cevals = e;
  return INK_OK;
}

/* One root per tree (keys are sorted, so a tree's nodes are contiguous). */
static InkStatus
find_roots (InkTreeEnsemble *t, const NodeKey *keys, const bool *has_parent, InkError *err)
{
  size_t n = t->n_nodes;

  for (size_t start = 0; start < n;) {
    size_t end = start, n_found = 0, root = 0;

    while (end < n && keys[end].tree_id == keys[start].tree_id)
      end++;
    for (size_t k = start; k < end; k++) {
      if (!has_parent[k]) {
        root = k;
        n_found++;
      }
    }
    if (n_found != 1)
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "tree %" PRIu64 " has %zu root nodes; expected exactly 1",
                            keys[start].tree_id, n_found);
    t->roots[t->n_roots++] = root;
    start = end;
  }
  return INK_OK;
}

static InkStatus
compile (InkTreeEnsemble *t, InkError *err)
{
  size_t n = t->n_nodes, n_evals = 0, one = n > 0 ? n : 1;
  NodeKey *keys = NULL;
  bool *has_parent = NULL;
  InkStatus st;

  compiled_clear (t);
  t->features_used = 0;
  for (size_t i = 0; i < n; i++) {
    if (t->nodes[i].behavior == INK_TREE_LEAF)
      n_evals += t->nodes[i].n_evaluations;
  }
  keys = malloc (one * sizeof *keys);
  has_parent = calloc (one, sizeof *has_parent);
  t->cnodes = calloc (one, sizeof *t->cnodes);
  t->cevals = malloc ((n_evals > 0 ? n_evals : 1) * sizeof *t->cevals);
  t->roots = malloc (one * sizeof *t->roots);
  if (keys == NULL || has_parent == NULL || t->cnodes == NULL || t->cevals == NULL ||
      t->roots == NULL) {
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory preparing the trees");
    goto out;
  }
  for (size_t i = 0; i < n; i++)
    keys[i] = (NodeKey){t->nodes[i].tree_id, t->nodes[i].node_id, i};
  qsort (keys, n, sizeof *keys, key_compare);
  for (size_t k = 1; k < n; k++) {
    if (key_compare (&keys[k - 1], &keys[k]) == 0) {
      st = ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "tree %" PRIu64 " has two nodes with id %" PRIu64, keys[k].tree_id,
                          keys[k].node_id);
      goto out;
    }
  }
  st = link_nodes (t, keys, t->cnodes, has_parent, err);
  if (st == INK_OK)
    st = find_roots (t, keys, has_parent, err);
  if (st == INK_OK)
    st = check_acyclic (t->cnodes, keys, n, t->roots, t->n_roots, err);
out:
  free (keys);
  free (has_parent);
  if (st != INK_OK)
    compiled_clear (t);
  else
    t->compiled = true;
  return st;
}

static InkStatus
tree_finish (InkModel *model, InkError *err)
{
  InkTreeEnsemble *t = model->body.tree;
  bool classifier = model->kind == INK_MODEL_TREE_ENSEMBLE_CLASSIFIER;
  InkStatus st;

  if (t == NULL)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "tree ensemble has no body");
  if (t->n_dimensions == 0 || t->n_dimensions > TREE_MAX_DIMENSIONS)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "tree ensemble has %zu prediction dimensions; expected 1 to %zu",
                          t->n_dimensions, TREE_MAX_DIMENSIONS);
  if ((unsigned) t->transform >= N_TRANSFORMS)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "unknown tree ensemble transform %d",
                          (int) t->transform);
  if (!classifier && t->transform == INK_TREE_SOFTMAX_ZERO_CLASS_REFERENCE)
    return ink_error_set (err, INK_ERR_INVALID_MODEL, "%s is for classifiers, not regressors",
                          transform_names[t->transform]);
  if (t->n_base != 0 && t->n_base != t->n_dimensions)
    return ink_error_set (err, INK_ERR_INVALID_MODEL,
                          "base prediction has %zu values; expected %zu", t->n_base,
                          t->n_dimensions);
  for (size_t i = 0; i < t->n_base; i++) {
    if (!isfinite (t->base[i]))
      return ink_error_set (err, INK_ERR_INVALID_MODEL, "base prediction %zu is not finite", i);
  }
  st = ink_model_input_dimension (model, &t->input_dim, &t->input_known, err);
  if (st != INK_OK)
    return st;
  t->out_len = t->n_dimensions + (t->transform == INK_TREE_SOFTMAX_ZERO_CLASS_REFERENCE);
  if (classifier) {
    size_t n_labels = model->class_labels.n;

    if (t->out_len != n_labels && !(t->out_len == 1 && n_labels == 2))
      return ink_error_set (err, INK_ERR_INVALID_MODEL,
                            "tree ensemble gives %zu class scores for %zu class labels", t->out_len,
                            n_labels);
    st = ink_classifier_check (model, &model->class_labels, err);
  } else {
    st = ink_regressor_check (model, t->out_len, err);
  }
  if (st != INK_OK)
    return st;
  return compile (t, err);
}

/* ---- Prediction ---- */

static double
sigmoid (double v)
{
  if (v >= 0)
    return 1.0 / (1.0 + exp (-v));
  return exp (v) / (1.0 + exp (v));
}

static void
softmax (double *v, size_t n)
{
  double max = v[0], sum = 0;

  for (size_t i = 1; i < n; i++)
    max = v[i] > max ? v[i] : max;
  for (size_t i = 0; i < n; i++) {
    v[i] = exp (v[i] - max);
    sum += v[i];
  }
  for (size_t i = 0; i < n; i++)
    v[i] /= sum;
}

static bool
branch_true (const CompactNode *node, double x)
{
  double t = node->threshold;

  if (isnan (x))
    return node->missing_goes_true;
  switch (node->behavior) {
  case INK_TREE_BRANCH_LE: return x <= t;
  case INK_TREE_BRANCH_LT: return x < t;
  case INK_TREE_BRANCH_GE: return x >= t;
  case INK_TREE_BRANCH_GT: return x > t;
  case INK_TREE_BRANCH_EQ: return x == t;
  case INK_TREE_BRANCH_NE: return x != t;
  case INK_TREE_LEAF: break;
  }
  return false;
}

/* Adds every tree's leaf into pred, which starts as the base prediction. */
static void
evaluate (const InkTreeEnsemble *t, const double *x, double *pred)
{
  for (size_t r = 0; r < t->n_roots; r++) {
    const CompactNode *node = &t->cnodes[t->roots[r]];

    while (node->behavior != INK_TREE_LEAF) {
      bool go_true = branch_true (node, x[node->feature]);

      node = &t->cnodes[go_true ? node->true_child : node->false_child];
    }
    for (size_t e = 0; e < node->n_evals; e++) {
      const CompactEval *ev = &t->cevals[node->first_eval + e];

      pred[ev->index] += ev->value;
    }
  }
}

/* The input vector's length: declared, or counted from the inputs given
 * when an input has no fixed shape (ink_model_gather_inputs reports the
 * details of any bad input). */
static size_t
input_length (const InkModel *model, const InkFeatures *inputs)
{
  const InkTreeEnsemble *t = model->body.tree;
  size_t total = 0;

  if (t->input_known)
    return t->input_dim;
  for (size_t i = 0; i < model->desc.n_inputs; i++) {
    const InkValue *v = ink_features_get (inputs, model->desc.inputs[i].name);
    size_t size = ink_value_get_type (v) == INK_VALUE_MULTIARRAY ? ink_value_array_count (v) : 1;

    total = size > SIZE_MAX - total ? SIZE_MAX : total + size;
  }
  return total;
}

static InkStatus
tree_predict (const InkModel *model, const InkFeatures *inputs, InkFeatures *out, InkError *err)
{
  const InkTreeEnsemble *t = model->body.tree;
  double x_stack[TREE_STACK_VALUES], pred_stack[TREE_STACK_VALUES];
  size_t n_x = input_length (model, inputs), n_pred = t->out_len;
  double *x = x_stack, *pred = pred_stack, *v;
  InkStatus st;

  if (n_x > TREE_STACK_VALUES)
    x = n_x <= SIZE_MAX / sizeof *x ? malloc (n_x * sizeof *x) : NULL;
  if (n_pred > TREE_STACK_VALUES)
    pred = malloc (n_pred * sizeof *pred);
  if (x == NULL || pred == NULL) {
    st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory predicting");
    goto out;
  }
  st = ink_model_gather_inputs (model, inputs, x, n_x, err);
  if (st != INK_OK)
    goto out;
  if (t->features_used > n_x) {
    st = ink_error_set (err, INK_ERR_SHAPE_MISMATCH,
                        "the trees read feature %zu but the inputs give %zu values",
                        t->features_used - 1, n_x);
    goto out;
  }
  /* With a zero class reference, pred[0] is the reference class. */
  v = t->transform == INK_TREE_SOFTMAX_ZERO_CLASS_REFERENCE ? pred + 1 : pred;
  pred[0] = 0;
  for (size_t i = 0; i < t->n_dimensions; i++)
    v[i] = t->n_base > 0 ? t->base[i] : 0.0;
  evaluate (t, x, v);
  switch (t->transform) {
  case INK_TREE_NO_TRANSFORM: break;
  case INK_TREE_SOFTMAX:
  case INK_TREE_SOFTMAX_ZERO_CLASS_REFERENCE: softmax (pred, n_pred); break;
  case INK_TREE_LOGISTIC:
    for (size_t i = 0; i < n_pred; i++)
      pred[i] = sigmoid (pred[i]);
    break;
  }
  if (model->kind == INK_MODEL_TREE_ENSEMBLE_REGRESSOR) {
    st = ink_regressor_emit (model, pred, n_pred, out, err);
  } else if (n_pred == 1) {
    double probs[2] = {1.0 - pred[0], pred[0]};

    st = ink_classifier_emit (model, &model->class_labels, probs, out, err);
  } else {
    st = ink_classifier_emit (model, &model->class_labels, pred, out, err);
  }
out:
  if (x != x_stack)
    free (x);
  if (pred != pred_stack)
    free (pred);
  return st;
}

/* ---- Copy and JSON ---- */

static InkTreeNode
node_view (const TreeNode *n)
{
  return (InkTreeNode){
    .tree_id = n->tree_id,
    .node_id = n->node_id,
    .behavior = n->behavior,
    .feature_index = n->feature_index,
    .feature_value = n->feature_value,
    .true_child = n->true_child,
    .false_child = n->false_child,
    .missing_goes_true = n->missing_goes_true,
    .n_evaluations = n->n_evaluations,
    .evaluations = n->evaluations,
  };
}

static InkStatus
tree_copy_body (InkModel *dst, const InkModel *src, InkError *err)
{
  const InkTreeEnsemble *s = src->body.tree;
  InkTreeEnsemble *t;
  InkStatus st = INK_OK;

  if (s == NULL)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "tree ensemble has no body");
  t = calloc (1, sizeof *t);
  if (t == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory copying a tree ensemble");
  t->n_dimensions = s->n_dimensions;
  t->transform = s->transform;
  if (s->n_base > 0) {
    t->base = malloc (s->n_base * sizeof *t->base);
    if (t->base == NULL)
      st = ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory copying a tree ensemble");
    else
      memcpy (t->base, s->base, s->n_base * sizeof *t->base);
    t->n_base = s->n_base;
  }
  for (size_t i = 0; st == INK_OK && i < s->n_nodes; i++) {
    InkTreeNode view = node_view (&s->nodes[i]);

    st = tree_append (t, &view, err);
  }
  /* The compact form is rebuilt when ink_model_copy finishes the copy. */
  if (st != INK_OK) {
    tree_free (t);
    return st;
  }
  tree_free (dst->body.tree);
  dst->body.tree = t;
  return INK_OK;
}

static bool
add_number (cJSON *obj, const char *key, double v)
{
  return cJSON_AddNumberToObject (obj, key, v) != NULL;
}

static cJSON *
node_to_json (const TreeNode *n)
{
  cJSON *o = cJSON_CreateObject ();
  bool ok = o != NULL && add_number (o, "treeId", (double) n->tree_id) &&
            add_number (o, "nodeId", (double) n->node_id) &&
            cJSON_AddStringToObject (o, "nodeBehavior", behavior_names[n->behavior]) != NULL;

  if (ok && n->behavior != INK_TREE_LEAF) {
    ok = add_number (o, "branchFeatureIndex", (double) n->feature_index) &&
         add_number (o, "branchFeatureValue", n->feature_value) &&
         add_number (o, "trueChildNodeId", (double) n->true_child) &&
         add_number (o, "falseChildNodeId", (double) n->false_child) &&
         cJSON_AddBoolToObject (o, "missingValueTracksTrueChild", n->missing_goes_true) != NULL;
  }
  if (ok && n->n_evaluations > 0) {
    cJSON *evals = cJSON_AddArrayToObject (o, "evaluationInfo");

    ok = evals != NULL;
    for (size_t i = 0; ok && i < n->n_evaluations; i++) {
      cJSON *e = cJSON_CreateObject ();

      ok = e != NULL && add_number (e, "evaluationIndex", (double) n->evaluations[i].index) &&
           add_number (e, "evaluationValue", n->evaluations[i].value) &&
           cJSON_AddItemToArray (evals, e);
      if (!ok)
        cJSON_Delete (e);
    }
  }
  if (!ok) {
    cJSON_Delete (o);
    return NULL;
  }
  return o;
}

static bool
node_ids_fit_json (const TreeNode *n)
{
  if (n->tree_id > TREE_MAX_JSON_ID || n->node_id > TREE_MAX_JSON_ID ||
      n->true_child > TREE_MAX_JSON_ID || n->false_child > TREE_MAX_JSON_ID ||
      n->feature_index > TREE_MAX_JSON_ID)
    return false;
  for (size_t i = 0; i < n->n_evaluations; i++) {
    if (n->evaluations[i].index > TREE_MAX_JSON_ID)
      return false;
  }
  return true;
}

static InkStatus
tree_to_json (const InkModel *model, cJSON *obj, InkWeightWriter *w, InkError *err)
{
  const InkTreeEnsemble *t = model->body.tree;
  cJSON *te, *nodes;

  (void) w; /* weights are stored inline as JSON doubles */
  if (t == NULL || (unsigned) t->transform >= N_TRANSFORMS)
    return ink_error_set (err, INK_ERR_INVALID_ARGUMENT, "tree ensemble is not valid");
  te = cJSON_AddObjectToObject (obj, "treeEnsemble");
  if (te == NULL || !add_number (te, "numPredictionDimensions", (double) t->n_dimensions) ||
      cJSON_AddStringToObject (te, "postEvaluationTransform", transform_names[t->transform]) ==
        NULL)
    goto no_memory;
  if (t->n_base > 0) {
    cJSON *base = ink_json_doubles (t->base, t->n_base);

    if (base == NULL)
      goto no_memory;
    if (!cJSON_AddItemToObject (te, "basePredictionValue", base)) {
      cJSON_Delete (base);
      goto no_memory;
    }
  }
  nodes = cJSON_AddArrayToObject (te, "nodes");
  if (nodes == NULL)
    goto no_memory;
  for (size_t i = 0; i < t->n_nodes; i++) {
    cJSON *node;

    if (!node_ids_fit_json (&t->nodes[i]))
      return ink_error_set (err, INK_ERR_UNSUPPORTED,
                            "tree %" PRIu64 " node %" PRIu64
                            ": an id or index above 2^53 cannot be stored",
                            t->nodes[i].tree_id, t->nodes[i].node_id);
    node = node_to_json (&t->nodes[i]);
    if (node == NULL)
      goto no_memory;
    if (!cJSON_AddItemToArray (nodes, node)) {
      cJSON_Delete (node);
      goto no_memory;
    }
  }
  return INK_OK;
no_memory:
  return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory writing a tree ensemble");
}

static InkStatus
get_id (const cJSON *obj, const char *key, uint64_t *out, InkError *err)
{
  int64_t v;
  InkStatus st = ink_json_get_int (obj, key, 0, (int64_t) TREE_MAX_JSON_ID, &v, err);

  if (st == INK_OK)
    *out = (uint64_t) v;
  return st;
}

static InkStatus
evaluations_from_json (const cJSON *array, InkTreeEvaluation **out, size_t *n, InkError *err)
{
  size_t count = 0, i = 0;
  InkTreeEvaluation *evals;
  const cJSON *e;

  for (e = array->child; e != NULL; e = e->next)
    count++;
  evals = calloc (count > 0 ? count : 1, sizeof *evals);
  if (evals == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading a tree ensemble");
  for (e = array->child; e != NULL; e = e->next) {
    InkStatus st = get_id (e, "evaluationIndex", &evals[i].index, err);

    if (st == INK_OK)
      st = ink_json_get_number (e, "evaluationValue", &evals[i].value, err);
    if (st != INK_OK) {
      free (evals);
      ink_error_prefix (err, "evaluation %zu", i);
      return st;
    }
    i++;
  }
  *out = evals;
  *n = i;
  return INK_OK;
}

static InkStatus
node_from_json (InkTreeEnsemble *t, const cJSON *o, InkError *err)
{
  InkTreeNode node = {0};
  InkTreeEvaluation *evals = NULL;
  const cJSON *info;
  int behavior = 0;
  InkStatus st;

  if (!cJSON_IsObject (o))
    return ink_error_set (err, INK_ERR_FORMAT, "not an object");
  if ((st = get_id (o, "treeId", &node.tree_id, err)) != INK_OK ||
      (st = get_id (o, "nodeId", &node.node_id, err)) != INK_OK ||
      (st = ink_json_get_choice (o, "nodeBehavior", behavior_names, N_BEHAVIORS, &behavior, err)) !=
        INK_OK)
    return st;
  node.behavior = (InkTreeNodeBehavior) behavior;
  if (node.behavior != INK_TREE_LEAF &&
      ((st = get_id (o, "branchFeatureIndex", &node.feature_index, err)) != INK_OK ||
       (st = ink_json_get_number (o, "branchFeatureValue", &node.feature_value, err)) != INK_OK ||
       (st = get_id (o, "trueChildNodeId", &node.true_child, err)) != INK_OK ||
       (st = get_id (o, "falseChildNodeId", &node.false_child, err)) != INK_OK ||
       (st = ink_json_opt_bool (o, "missingValueTracksTrueChild", &node.missing_goes_true, err)) !=
         INK_OK))
    return st;
  info = cJSON_GetObjectItemCaseSensitive (o, "evaluationInfo");
  if (info != NULL) {
    if (!cJSON_IsArray (info))
      return ink_error_set (err, INK_ERR_FORMAT, "\"evaluationInfo\" is not an array");
    st = evaluations_from_json (info, &evals, &node.n_evaluations, err);
    if (st != INK_OK)
      return st;
    node.evaluations = evals;
  }
  st = tree_append (t, &node, err);
  free (evals);
  return st;
}

static InkStatus
tree_from_json (InkModel *model, const cJSON *obj, InkWeightReader *r, InkError *err)
{
  const cJSON *te = cJSON_GetObjectItemCaseSensitive (obj, "treeEnsemble");
  const cJSON *nodes, *o;
  InkTreeEnsemble *t;
  int64_t dims;
  int transform = 0;
  size_t i = 0;
  InkStatus st;

  (void) r; /* weights are stored inline as JSON doubles */
  if (!cJSON_IsObject (te))
    return ink_error_set (err, INK_ERR_FORMAT, "missing the \"treeEnsemble\" object");
  if ((st = ink_json_get_int (te, "numPredictionDimensions", 1, (int64_t) TREE_MAX_DIMENSIONS,
                              &dims, err)) != INK_OK ||
      (st = ink_json_get_choice (te, "postEvaluationTransform", transform_names, N_TRANSFORMS,
                                 &transform, err)) != INK_OK) {
    ink_error_prefix (err, "tree ensemble");
    return st;
  }
  nodes = cJSON_GetObjectItemCaseSensitive (te, "nodes");
  if (!cJSON_IsArray (nodes))
    return ink_error_set (err, INK_ERR_FORMAT, "tree ensemble: \"nodes\" is not an array");
  t = calloc (1, sizeof *t);
  if (t == NULL)
    return ink_error_set (err, INK_ERR_NO_MEMORY, "out of memory reading a tree ensemble");
  t->n_dimensions = (size_t) dims;
  t->transform = (InkTreeTransform) transform;
  if (cJSON_GetObjectItemCaseSensitive (te, "basePredictionValue") != NULL)
    st = ink_json_get_doubles (te, "basePredictionValue", &t->base, &t->n_base, err);
  if (st != INK_OK) {
    tree_free (t);
    ink_error_prefix (err, "tree ensemble");
    return st;
  }
  for (o = nodes->child; o != NULL; o = o->next) {
    st = node_from_json (t, o, err);
    if (st != INK_OK) {
      tree_free (t);
      ink_error_prefix (err, "tree ensemble node %zu", i);
      return st;
    }
    i++;
  }
  tree_free (model->body.tree);
  model->body.tree = t;
  return INK_OK;
}

/* ---- Read-back view ---- */

bool
ink_tree_ensemble_view (const InkModel *model, InkTreeEnsembleView *view)
{
  const InkTreeEnsemble *t;

  if (model == NULL || !is_tree_kind (model->kind) || model->body.tree == NULL || view == NULL)
    return false;
  t = model->body.tree;
  view->n_dimensions = t->n_dimensions;
  view->transform = t->transform;
  view->base = t->n_base > 0 ? t->base : NULL;
  view->n_base = t->n_base;
  view->n_nodes = t->n_nodes;
  return true;
}

InkTreeNode
ink_tree_ensemble_node (const InkModel *model, size_t i)
{
  return node_view (&model->body.tree->nodes[i]);
}

const InkModelOps ink_tree_ops = {
  .finish = tree_finish,
  .predict = tree_predict,
  .free_body = tree_free_body,
  .copy_body = tree_copy_body,
  .to_json = tree_to_json,
  .from_json = tree_from_json,
};
