/* fuzz-common.h: what the libFuzzer targets share
 *
 * Every target defines LLVMFuzzerTestOneInput. Built with -fsanitize=fuzzer
 * it is a libFuzzer binary; built with fuzz-replay.c instead it is a plain
 * program that feeds the files and folders named on its command line to it
 * (the regression tests of the 'fuzz' suite).
 *
 * SPDX-License-Identifier: MIT
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "ink-minisign.h"
#include "ink.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Largest number of elements (multi-array elements or pixels) a zero
 * input may have before a target skips the prediction, so that a fuzzed
 * model cannot make one input take seconds. */
#define FUZZ_MAX_INPUT_ELEMENTS (1 << 16)

/* Runs model once on inputs of zeros (zero numbers, empty strings, black
 * images of the default size, empty dictionaries and sequences). Skipped
 * when an input is larger than FUZZ_MAX_INPUT_ELEMENTS. Errors are
 * expected and ignored: only crashes matter. */
void fuzz_predict_zero (const InkModel *model);

/* Writes size bytes into a per-process scratch file and returns its path
 * (valid until the next call); NULL if the file cannot be written. */
const char *fuzz_write_temp (const uint8_t *data, size_t size);

/* The fixed key pair the minisign target verifies with and its seeds are
 * signed with (derived from a constant seed, so runs are reproducible),
 * and the message they sign. */
void fuzz_minisign_key (InkMinisignSecretKey *sk, InkMinisignPublicKey *pk);
#define FUZZ_MINISIGN_MESSAGE "Inkling fuzzing: the signed message\n"
