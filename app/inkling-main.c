/* inkling-main.c: entry point of the inkling application
 *
 * SPDX-License-Identifier: MIT
 */
#include "inkling-application.h"

int
main (int argc, char *argv[])
{
  g_autoptr (InklingApplication) app = inkling_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
